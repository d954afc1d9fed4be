"""Raise, list and acknowledge alerts in the shop database.

De-duplication happens here, inside the writer's transaction: a candidate whose
key was raised within its cool-down is dropped. ``now`` is a parameter so tests
can drive a fake clock.

Each alert keeps the location it is about (``alerts.location_id``; null: the whole
shop), which is what a location manager is shown. In a shop of one location, an
alert of a rule that can be about a location (`rules.LOCATION_RULES`) is that
location's even when its numbers were the whole shop's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import text

from barberbi_desktop.alerts.rules import LOCATION_RULES, Candidate
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
        only = conn.execute(text("SELECT min(id), count(*) FROM locations")).one()
        sole = int(only[0]) if only[1] == 1 else None
        for c in candidates:
            where = c.location_id
            if where is None and c.rule in LOCATION_RULES:
                where = sole
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
                            "created_utc, location_id) VALUES (:r, :p, :t, :m, :k, :c, :l) "
                            "RETURNING id"
                        ),
                        {
                            "r": c.rule,
                            "p": c.priority,
                            "t": c.title,
                            "m": c.message,
                            "k": c.dedup_key,
                            "c": t,
                            "l": where,
                        },
                    ).scalar_one()
                )
            )
    return new


def location_name(db: Database, location_id: int) -> tuple[str, int]:
    """A location's name and how many locations the shop has."""
    with db.read() as conn:
        name = conn.execute(
            text("SELECT name FROM locations WHERE id = :l"), {"l": location_id}
        ).scalar()
        count = conn.execute(text("SELECT count(*) FROM locations")).scalar_one()
    return (str(name) if name is not None else f"Location {location_id}"), int(count)


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


def list_alerts(
    db: Database, include_acknowledged: bool = True, limit: int = 200,
    location_id: int | None = None,
) -> pd.DataFrame:
    """The newest alerts; ``location_id``: only those about that location (what its
    location manager sees), never the whole shop's or another location's."""
    conditions = [] if include_acknowledged else ["acknowledged_utc IS NULL"]
    if location_id is not None:
        conditions.append("location_id = :loc")
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    with db.read() as conn:
        result = conn.execute(
            text(
                f"SELECT id, rule, priority, title, message, created_utc, acknowledged_by, "
                f"acknowledged_utc, location_id FROM alerts {where} "
                f"ORDER BY created_utc DESC, id DESC LIMIT :n"
            ),
            {"n": limit, "loc": location_id},
        )
        frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    for col in ("created_utc", "acknowledged_utc"):
        frame[col] = pd.to_datetime(frame[col].astype("float64"), unit="s", utc=True)
    return frame


def alerts_at(db: Database, alert_ids: Iterable[int], location_id: int) -> list[int]:
    """Which of these alerts are about ``location_id`` (a manager's pop-ups and toast)."""
    ids = [int(i) for i in alert_ids]
    if not ids:
        return []
    marks = ", ".join(str(i) for i in ids)
    with db.read() as conn:
        rows = conn.execute(
            text(f"SELECT id FROM alerts WHERE id IN ({marks}) AND location_id = :loc "
                 "ORDER BY id"),
            {"loc": location_id},
        ).scalars().all()  # fmt: skip
    return [int(i) for i in rows]
