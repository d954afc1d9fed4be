"""Engine runs and their stored results: start, finish, fail, read back.

A run row is written before the engine starts, so a crash or a failure leaves
a trace (status and error) that the UI and the alert rules can see.
"""

from __future__ import annotations

import json
import math
import os
import socket
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import text

from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.files import pid_alive, process_started

# A run from before runs named their process cannot be checked; none runs this long.
UNOWNED_STALE_AFTER = timedelta(hours=24)

# client_scores' columns and their types, spelled out so that reading them does not
# import the ORM models on a window's loader thread (test_storage checks the list).
SCORE_COLUMNS = {
    "run_id": "INTEGER", "client_id": "INTEGER", "segment": "TEXT", "value_tier": "TEXT",
    "segment_rule": "TEXT", "frequency": "INTEGER", "recency_days": "REAL", "age_days": "REAL",
    "days_since_last": "REAL", "monetary_cents": "INTEGER", "p_alive": "REAL",
    "expected_visits": "REAL", "predicted_spend_cents": "INTEGER", "ltv_cents": "INTEGER",
    "churn_risk": "REAL", "overdue": "INTEGER", "overdue_text": "TEXT", "action": "TEXT",
}  # fmt: skip


@dataclass(frozen=True)
class RunInfo:
    run_id: int
    engine: str
    as_of: date
    status: str
    started: datetime
    finished: datetime | None
    error: str | None
    metrics: dict[str, Any]
    data_version: int = 0


def _json_safe(value: Any) -> Any:
    """NaN and infinities are not JSON; an unknown figure is stored as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def data_version(db: Database) -> int:
    with db.read() as conn:
        return int(
            conn.execute(text("SELECT data_version FROM shop_state WHERE id = 1")).scalar_one()
        )


def _owner() -> dict[str, Any]:
    pid = os.getpid()
    return {"pid": pid, "host": socket.gethostname(), "since": process_started(pid)}


def start_run(db: Database, engine: str, as_of: date, location_id: int | None = None) -> int:
    """Record a run before it starts. Its process (id, computer, start time) is kept in
    its metrics until it finishes, so a later start can tell a run whose process was
    killed from one still going (`mark_interrupted_runs`). ``location_id``: a run over
    that location's data alone (for its location manager)."""
    now = int(datetime.now(UTC).timestamp())
    with db.write() as conn:
        return int(
            conn.execute(
                text(
                    "INSERT INTO engine_runs (engine, as_of, data_version, started_utc, status, "
                    "metrics, location_id) VALUES (:e, :a, (SELECT data_version FROM shop_state "
                    "WHERE id = 1), :t, 'running', :m, :loc) RETURNING id"
                ),
                {
                    "e": engine,
                    "a": as_of.isoformat(),
                    "t": now,
                    "m": json.dumps({"owner": _owner()}),
                    "loc": location_id,
                },
            ).scalar_one()
        )


def _gone(owner: Any, started_utc: int, now: datetime) -> bool:
    """Whether the process that started a run has certainly stopped."""
    if not isinstance(owner, dict) or "pid" not in owner:
        return started_utc < (now - UNOWNED_STALE_AFTER).timestamp()
    if owner.get("host") != socket.gethostname():
        return False  # another computer's run (a shared folder): nothing to check here
    pid = int(owner["pid"])
    if not pid_alive(pid):
        return True
    since = owner.get("since")
    return since is not None and process_started(pid) not in (None, since)  # a reused id


def mark_interrupted_runs(db: Database, now: datetime | None = None) -> list[int]:
    """Runs left "running" by a process that is gone (killed, crashed, the power cut)
    become "interrupted", so nothing waits on them and the history says what happened."""
    now = now or datetime.now(UTC)
    with db.read() as conn:
        rows = conn.execute(
            text("SELECT id, started_utc, metrics FROM engine_runs WHERE status = 'running'")
        ).all()
    stale = []
    for run_id, started, metrics in rows:
        try:
            found = json.loads(metrics) if isinstance(metrics, str) else metrics
            owner = found.get("owner") if isinstance(found, dict) else None
        except ValueError:
            owner = None
        if _gone(owner, int(started), now):
            pid = owner.get("pid") if isinstance(owner, dict) else None
            which = f" (process {pid})" if pid else ""
            error = f"interrupted: the program running it stopped before it finished{which}"
            stale.append({"id": run_id, "err": error})
    if stale:
        with db.write() as conn:
            for run in stale:
                conn.execute(
                    text(
                        "UPDATE engine_runs SET status = 'interrupted', finished_utc = :t, "
                        "error = :err WHERE id = :id AND status = 'running'"
                    ),
                    {**run, "t": int(now.timestamp())},
                )
    return [run["id"] for run in stale]


@dataclass(frozen=True)
class RunProgress:
    """How far a running engine has got, for a tab that waits on it and for the CLI."""

    engine: str
    run_id: int
    fraction: float
    message: str
    elapsed_s: float
    left_s: float | None  # None: no earlier run and too early to extrapolate


def record_progress(db: Database, run_id: int, fraction: float, message: str) -> None:
    """Keep a running run's progress in its metrics row: the engine usually runs in a
    helper process, and the row is what the window and other processes can read."""
    step = json.dumps({"fraction": round(float(fraction), 4), "message": message})
    merged = (
        "CAST(jsonb_set(CAST(COALESCE(metrics, '{}') AS jsonb), '{progress}', "
        "CAST(:p AS jsonb)) AS json)"
        if db.is_postgres
        else "json_set(COALESCE(metrics, '{}'), '$.progress', json(:p))"
    )
    with db.write() as conn:
        conn.execute(
            text(
                f"UPDATE engine_runs SET metrics = {merged} WHERE id = :id AND status = 'running'"
            ),
            {"p": step, "id": run_id},
        )


def running_progress(
    db: Database, engine: str, now: datetime | None = None
) -> RunProgress | None:
    """The engine's run in progress, if any, with an estimate of the time left.

    The estimate prefers the last successful run's duration (engines' steps are not
    evenly timed) and falls back on extrapolating the fraction done; it is None when
    neither is available, never a made-up figure."""
    now = now or datetime.now(UTC)
    with db.read() as conn:
        row = conn.execute(
            text(
                "SELECT id, started_utc, metrics FROM engine_runs WHERE engine = :e "
                "AND status = 'running' ORDER BY id DESC LIMIT 1"
            ),
            {"e": engine},
        ).first()
        if row is None:
            return None
        last = conn.execute(
            text(
                "SELECT finished_utc - started_utc FROM engine_runs WHERE engine = :e "
                "AND status = 'ok' AND finished_utc IS NOT NULL ORDER BY id DESC LIMIT 1"
            ),
            {"e": engine},
        ).scalar()
    try:
        metrics = json.loads(row[2]) if isinstance(row[2], str) else (row[2] or {})
    except ValueError:
        metrics = {}
    step = metrics.get("progress") if isinstance(metrics, dict) else None
    step = step if isinstance(step, dict) else {}
    fraction = min(max(float(step.get("fraction") or 0.0), 0.0), 1.0)
    elapsed = max(now.timestamp() - int(row[1]), 0.0)
    left: float | None = None
    if last is not None and last > elapsed:
        left = float(last) - elapsed
    elif fraction >= 0.05:
        left = elapsed * (1 - fraction) / fraction
    return RunProgress(
        engine, int(row[0]), fraction, str(step.get("message") or "Starting"), elapsed, left
    )


def describe_left(seconds: float | None) -> str:
    """Time left in words an owner reads at a glance."""
    if seconds is None:
        return "time left not known yet"
    if seconds < 5:
        return "almost done"
    if seconds < 90:
        return f"about {max(round(seconds / 5) * 5, 5):.0f} s left"
    return f"about {round(seconds / 60):.0f} min left"


def finish_run(conn: Any, run_id: int, metrics: dict[str, Any]) -> None:
    """Mark a run done inside the caller's transaction (the one that stored its results)."""
    conn.execute(
        text(
            "UPDATE engine_runs SET status = 'ok', finished_utc = :t, metrics = :m WHERE id = :id"
        ),
        {
            "t": int(datetime.now(UTC).timestamp()),
            "m": json.dumps(_json_safe(metrics)),
            "id": run_id,
        },
    )


def fail_run(db: Database, run_id: int, error: str, status: str = "failed") -> None:
    with db.write() as conn:
        conn.execute(
            text(
                "UPDATE engine_runs SET status = :s, finished_utc = :t, error = :err WHERE id = :id"
            ),
            {"s": status, "t": int(datetime.now(UTC).timestamp()), "err": error, "id": run_id},
        )


def latest_data_version(db: Database, engine: str) -> int | None:
    """The data version the engine's latest successful run saw, without reading and
    parsing its metrics (the scheduler asks before every run, on the window's process;
    a run's JSON can be megabytes)."""
    with db.read() as conn:
        value = conn.execute(
            text(
                "SELECT data_version FROM engine_runs WHERE engine = :e AND status = 'ok' "
                "AND location_id IS NULL ORDER BY id DESC LIMIT 1"
            ),
            {"e": engine},
        ).scalar()
    return None if value is None else int(value)


_RUN_SELECT = (
    "SELECT id, engine, as_of, status, started_utc, finished_utc, error, metrics, "
    "data_version FROM engine_runs "
)


def latest_run(
    db: Database, engine: str, status: str = "ok", location_id: int | None = None
) -> RunInfo | None:
    """The newest run over the whole shop, or over one location's data alone."""
    place = "location_id IS NULL" if location_id is None else "location_id = :loc"
    with db.read() as conn:
        row = conn.execute(
            text(_RUN_SELECT + f"WHERE engine = :e AND status = :s AND {place} "
                 "ORDER BY id DESC LIMIT 1"),
            {"e": engine, "s": status, "loc": location_id},
        ).first()
    return None if row is None else _run_info(row)


def run_by_id(db: Database, run_id: int, engine: str) -> RunInfo | None:
    """Run ``run_id`` of ``engine``, whatever its status, or None."""
    with db.read() as conn:
        row = conn.execute(
            text(_RUN_SELECT + "WHERE id = :i AND engine = :e"), {"i": run_id, "e": engine}
        ).first()
    return None if row is None else _run_info(row)


def _run_info(row: Any) -> RunInfo:
    return RunInfo(
        row[0],
        row[1],
        row[2] if isinstance(row[2], date) else date.fromisoformat(row[2]),  # PG: a date
        row[3],
        datetime.fromtimestamp(row[4], tz=UTC),
        None if row[5] is None else datetime.fromtimestamp(row[5], tz=UTC),
        row[6],
        json.loads(row[7]) if isinstance(row[7], str) else row[7],
        row[8],
    )


def client_scores(db: Database, run_id: int) -> pd.DataFrame:
    """A run's client scores joined to names and contact details (for tables and call lists).

    A chain has 200,000 scored clients; they are read as Arrow in the reader process
    (see `frames.read_query`) so that the window's loader never holds the GIL for long.
    """
    if db.path is not None or db.is_postgres:
        from barberbi_desktop.storage.frames import read_query

        # PostgreSQL's REAL is 4 bytes; SQLite's is 8.
        real = "DOUBLE PRECISION" if db.is_postgres else "REAL"
        scores = ", ".join(
            f'CAST(s."{c}" AS {real if t == "REAL" else t}) AS "{c}"'
            for c, t in SCORE_COLUMNS.items()
        )
        return read_query(
            db,
            f"SELECT {scores}, CAST(c.display_name AS TEXT) AS display_name, "
            "CAST(c.email AS TEXT) AS email, CAST(c.phone AS TEXT) AS phone "
            "FROM client_scores s JOIN clients c ON c.id = s.client_id "
            "WHERE s.run_id = ? ORDER BY s.ltv_cents DESC",
            (run_id,),
        )
    with db.read() as conn:
        result = conn.execute(
            text(
                "SELECT s.*, c.display_name, c.email, c.phone FROM client_scores s "
                "JOIN clients c ON c.id = s.client_id WHERE s.run_id = :r ORDER BY s.ltv_cents DESC"
            ),
            {"r": run_id},
        )
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def kpi_values(db: Database, run_id: int) -> pd.DataFrame:
    with db.read() as conn:
        result = conn.execute(
            text(
                'SELECT kpi, "window", value, prior, target FROM kpi_values WHERE run_id = :r'
            ),
            {"r": run_id},
        )
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
