"""Raise, list and acknowledge alerts in the shop database.

De-duplication happens here, inside the writer's transaction: a candidate whose
key was raised within its cool-down is dropped. ``now`` is a parameter so tests
can drive a fake clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import text

from barberbi_desktop.alerts.rules import Candidate
from barberbi_desktop.errors import InputError
from barberbi_desktop.storage.db import Database

PRIORITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def _now(now: datetime | None) -> int:
    return int((now or datetime.now(UTC)).timestamp())


def raise_alerts(
    db: Database, candidates: Iterable[Candidate], now: datetime | None = None
) -> list[int]:
    """Store the candidates that are not within their cool-down; return the new ids."""
    t = _now(now)
    new = []
    with db.write() as conn:
        for c in candidates:
            recent = conn.execute(
                text("SELECT 1 FROM alerts WHERE dedup_key = :k AND created_utc > :since LIMIT 1"),
                {"k": c.dedup_key, "since": t - int(c.cooldown.total_seconds()) - 1},
            ).first()
            if recent is not None and c.cooldown.total_seconds() > 0:
                continue
            new.append(
                int(
                    conn.execute(
                        text(
                            "INSERT INTO alerts (rule, priority, title, message, dedup_key, "
                            "created_utc) VALUES (:r, :p, :t, :m, :k, :c) RETURNING id"
                        ),
                        {
                            "r": c.rule,
                            "p": c.priority,
                            "t": c.title,
                            "m": c.message,
                            "k": c.dedup_key,
                            "c": t,
                        },
                    ).scalar_one()
                )
            )
    return new


def acknowledge(
    db: Database, alert_id: int, user_id: int | None = None, now: datetime | None = None
) -> None:
    with db.write() as conn:
        done = conn.execute(
            text(
                "UPDATE alerts SET acknowledged_by = :u, acknowledged_utc = :t "
                "WHERE id = :id AND acknowledged_utc IS NULL"
            ),
            {"u": user_id, "t": _now(now), "id": alert_id},
        )
        if done.rowcount == 0:
            exists = conn.execute(
                text("SELECT 1 FROM alerts WHERE id = :id"), {"id": alert_id}
            ).first()
            if exists is None:
                raise InputError(f"There is no alert number {alert_id}.")


def list_alerts(db: Database, include_acknowledged: bool = True, limit: int = 200) -> pd.DataFrame:
    where = "" if include_acknowledged else "WHERE acknowledged_utc IS NULL"
    with db.read() as conn:
        result = conn.execute(
            text(
                f"SELECT id, rule, priority, title, message, created_utc, acknowledged_by, "
                f"acknowledged_utc FROM alerts {where} ORDER BY created_utc DESC, id DESC "
                f"LIMIT :n"
            ),
            {"n": limit},
        )
        frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    for col in ("created_utc", "acknowledged_utc"):
        frame[col] = pd.to_datetime(frame[col].astype("float64"), unit="s", utc=True)
    return frame
