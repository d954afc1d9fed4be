"""Store a no-show run, and read its bookings and client reliability back.

Everything lives in the run's metrics (JSON) for now: the summary, the back-test,
the upcoming bookings within the horizon and the reliability of clients with a
history or a booking. The readers below are what the app uses, so that moving the
rows into tables of their own later changes nothing for their callers.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from barberbi_desktop.engines.noshow import NoShowResult
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.results import RunInfo, finish_run, latest_run

UPCOMING_COLUMNS = (
    "appointment_id", "start", "client_id", "barber", "barber_id", "risk",
    "late_cancel_risk", "price_cents", "minutes", "reasons",
)  # fmt: skip
CLIENT_COLUMNS = ("missed", "booked", "own_rate", "rate_low", "rate_high", "next_risk")


def store(db: Database, run_id: int, result: NoShowResult) -> dict[str, Any]:
    summary = result.summary()
    with db.write() as conn:
        finish_run(conn, run_id, summary)
    return summary


def latest(db: Database) -> RunInfo | None:
    """The newest successful no-show run, or None."""
    return latest_run(db, "noshow")


def upcoming_risks(run: RunInfo | dict[str, Any]) -> pd.DataFrame:
    """A run's scored bookings, soonest first: start as UTC timestamps, risks as floats
    (NaN where unknown), money in cents."""
    metrics = run.metrics if isinstance(run, RunInfo) else run
    frame = pd.DataFrame(metrics.get("upcoming") or [], columns=list(UPCOMING_COLUMNS))
    frame["start"] = pd.to_datetime(frame["start"], utc=True, format="ISO8601")
    for col in ("risk", "late_cancel_risk", "minutes"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    frame["price_cents"] = pd.to_numeric(frame["price_cents"], errors="coerce").astype("Int64")
    return frame


def client_reliability(run: RunInfo | dict[str, Any]) -> pd.DataFrame:
    """A run's reliability per client (index client_id); rates NaN where unknown."""
    metrics = run.metrics if isinstance(run, RunInfo) else run
    clients = metrics.get("clients") or {}
    frame = pd.DataFrame.from_dict(clients, orient="index", columns=list(CLIENT_COLUMNS))
    frame.index = pd.Index(frame.index.astype("int64"), name="client_id")
    for col in CLIENT_COLUMNS:
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    return frame.astype({"missed": "int64", "booked": "int64"})
