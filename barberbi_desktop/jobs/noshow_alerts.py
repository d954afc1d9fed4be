"""The morning alert of the no-show run: tomorrow's expected loss against the owner's
threshold, naming the bookings to confirm or ask a deposit for.

Called after every stored no-show run (the scheduler's morning run and the runs after
imports, and `barberbi run noshow`); the alert's key holds the day, so it is raised
once for that day.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from barberbi_desktop.alerts import rules
from barberbi_desktop.alerts.store import raise_alerts
from barberbi_desktop.storage.at_risk import bookings_at_risk, read_noshow
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.shop_config import alert_settings


def raise_noshow_alerts(
    db: Database, run_id: int | None = None, now: datetime | None = None
) -> list[int]:
    """Raise the alert for the day after the run's own day, if its loss is above the
    threshold; returns the new alert ids (none when deduplicated or below)."""
    result = read_noshow(db, run_id)
    if result is None or result.no_info:
        return []
    at_risk = bookings_at_risk(db, result, on=result.as_of)
    candidates = rules.noshow_loss_alerts(
        at_risk.day("tomorrow"), result.as_of + timedelta(days=1), alert_settings(db)
    )
    return raise_alerts(db, candidates, now)
