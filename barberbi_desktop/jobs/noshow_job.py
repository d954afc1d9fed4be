"""Store a no-show run, and read its bookings and client reliability back.

The run's metrics (JSON) keep only the small parts: method, sentence, back-test,
counts and the money at stake. The scored bookings go to ``noshow_risks`` and the
per-client reliability to ``client_reliability`` (one row each, keyed by run), so
the window reads only what it shows (two days of bookings, one client) instead of
parsing a chain's 35 MB of JSON. Plain SQLAlchemy Core: the same on SQLite and
PostgreSQL. The rows of the newest `KEEP_RUNS` no-show runs are kept; older runs keep
their summary only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete, select

from barberbi_desktop.engines.noshow import NoShowResult
from barberbi_desktop.storage import models as m
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.results import RunInfo, finish_run, latest_run

UPCOMING_COLUMNS = (
    "appointment_id", "start", "client_id", "barber", "barber_id", "risk",
    "late_cancel_risk", "price_cents", "minutes", "reasons",
)  # fmt: skip
CLIENT_COLUMNS = ("missed", "booked", "own_rate", "rate_low", "rate_high", "next_risk",
                  "late_cancels", "late_booked")  # fmt: skip
KEEP_RUNS = 3  # a window still showing the previous run can read it while a new one lands
BATCH = 20_000  # rows per executemany: bounded memory for a chain's 200,000 clients


RISK_COLUMNS = ("run_id", "appointment_id", "risk", "late_cancel_risk", "price_cents",
                "minutes", "reasons")  # fmt: skip
RELIABILITY_COLUMNS = ("run_id", "client_id", *CLIENT_COLUMNS)


def _floats(values: np.ndarray) -> list[float | None]:
    return [None if v != v else v for v in np.asarray(values, dtype=float).tolist()]


def _ints(values: np.ndarray) -> list[int | None]:
    return [None if v != v else int(v) for v in np.asarray(values, dtype=float).tolist()]


def _risk_rows(run_id: int, up: pd.DataFrame) -> list[tuple[Any, ...]]:
    n = len(up)
    return list(
        zip(
            [run_id] * n,
            up["appointment_id"].to_numpy(dtype=np.int64).tolist(),
            _floats(up["risk"].to_numpy(dtype=float)),
            _floats(up["late_cancel_risk"].to_numpy(dtype=float)),  # NaN: unknown, not 0
            _ints(np.rint(up["price_cents"].to_numpy(dtype=float))),
            _floats(up["minutes"].to_numpy(dtype=float)),
            up["reasons"].astype(object).tolist(),
            strict=True,
        )
    )


def _client_rows(run_id: int, clients: pd.DataFrame) -> list[tuple[Any, ...]]:
    n = len(clients)
    return list(
        zip(
            [run_id] * n,
            clients.index.to_numpy(dtype=np.int64).tolist(),
            clients["missed"].to_numpy(dtype=np.int64).tolist(),
            clients["booked"].to_numpy(dtype=np.int64).tolist(),
            *(_floats(clients[c].to_numpy(dtype=float)) for c in CLIENT_COLUMNS[2:6]),
            *(_ints(clients.reindex(columns=[c])[c].to_numpy(dtype=float))
              for c in CLIENT_COLUMNS[6:]),
            strict=True,
        )
    )


def _insert(conn: Connection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """executemany of plain tuples: a chain's 200,000 clients in a second, where Core's
    dict rows took four. Only the placeholder follows the driver (SQLite's ``?``,
    psycopg's ``%s``); the SQL is the same on both."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    for i in range(0, len(rows), BATCH):
        conn.exec_driver_sql(sql, rows[i : i + BATCH])


def store(db: Database, run_id: int, result: NoShowResult) -> dict[str, Any]:
    """Write the run's rows and small summary in one transaction; return the summary
    with the listed bookings (what ``barberbi run noshow --json`` prints)."""
    summary = result.summary()
    risks = _risk_rows(run_id, result.upcoming)
    clients = _client_rows(run_id, result.clients)
    with db.write() as conn:
        _insert(conn, "noshow_risks", RISK_COLUMNS, risks)
        _insert(conn, "client_reliability", RELIABILITY_COLUMNS, clients)
        kept = (
            conn.execute(
                select(m.EngineRun.id)
                .where(m.EngineRun.engine == "noshow", m.EngineRun.id <= run_id)
                .order_by(m.EngineRun.id.desc())
                .limit(KEEP_RUNS)
            )
            .scalars()
            .all()
        )
        oldest = min(kept, default=run_id)
        for table in (m.NoShowRisk.__table__, m.ClientReliability.__table__):
            conn.execute(delete(table).where(table.c.run_id < oldest))
        finish_run(conn, run_id, summary)
    return {**summary, "upcoming": result.upcoming_records()}


def latest(db: Database) -> RunInfo | None:
    """The newest successful no-show run, or None."""
    return latest_run(db, "noshow")


def _run_id(run: RunInfo | int) -> int:
    return run.run_id if isinstance(run, RunInfo) else int(run)


def upcoming_risks(
    db: Database,
    run: RunInfo | int,
    since: datetime | None = None,
    until: datetime | None = None,
) -> pd.DataFrame:
    """A run's scored bookings that start in [since, until) (UTC-aware; either may be
    left open), soonest first: start as UTC timestamps, risks as floats (NaN where
    unknown), money in cents. A booking deleted since the run (an undone import) is
    left out."""
    r, a, b = m.NoShowRisk, m.Appointment, m.Barber
    columns = (r.appointment_id, a.start_utc, a.client_id, b.name, a.barber_id, r.risk,
               r.late_cancel_risk, r.price_cents, r.minutes, r.reasons)  # fmt: skip
    query = (
        select(*columns)
        .join(a, a.id == r.appointment_id)
        .outerjoin(b, b.id == a.barber_id)
        .where(r.run_id == _run_id(run))
        .order_by(a.start_utc, r.appointment_id)
    )
    if since is not None:
        query = query.where(a.start_utc >= since)
    if until is not None:
        query = query.where(a.start_utc < until)
    with db.read() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=list(UPCOMING_COLUMNS))
    frame["start"] = pd.to_datetime(frame["start"], utc=True)
    for col in ("risk", "late_cancel_risk", "minutes"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    for col in ("price_cents", "client_id", "barber_id"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    frame["barber"] = frame["barber"].astype(object).where(frame["barber"].notna(), None)
    return frame


def client_reliability(
    db: Database, run: RunInfo | int, client_ids: list[int] | None = None
) -> pd.DataFrame:
    """A run's reliability per client (index client_id), for ``client_ids`` or every
    client; rates NaN where unknown. A chain's whole table (200,000 clients) comes
    through the reader process as Arrow, so the window's thread is never held long."""
    run_id = _run_id(run)
    if client_ids is None and db.path is not None:
        from barberbi_desktop.storage.frames import read_query

        # The late counts as REAL: null (unknown) must stay NaN, not become 0.
        types = ("INTEGER", "INTEGER", "REAL", "REAL", "REAL", "REAL", "REAL", "REAL")
        cols = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in zip(CLIENT_COLUMNS, types,
                                                                          strict=True))  # fmt: skip
        frame = read_query(
            db,
            f"SELECT CAST(client_id AS INTEGER) AS client_id, {cols} FROM client_reliability "
            "WHERE run_id = ? ORDER BY client_id",
            (run_id,),
        )
    else:
        t = m.ClientReliability.__table__
        query = select(t.c.client_id, *(t.c[c] for c in CLIENT_COLUMNS)).where(t.c.run_id == run_id)
        if client_ids is not None:
            query = query.where(t.c.client_id.in_([int(c) for c in client_ids]))
        with db.read() as conn:
            rows = conn.execute(query.order_by(t.c.client_id)).all()
        frame = pd.DataFrame(rows, columns=["client_id", *CLIENT_COLUMNS])
    frame = frame.set_index(frame["client_id"].astype("int64").rename("client_id"))
    frame = frame.drop(columns="client_id")
    for col in CLIENT_COLUMNS:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    return frame.astype({"missed": "int64", "booked": "int64"})
