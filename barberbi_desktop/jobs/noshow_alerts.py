"""The morning alert of the no-show run: tomorrow's expected loss against the owner's
threshold, naming the bookings to confirm or ask a deposit for.

Called after every stored no-show run (the scheduler's morning run and the runs after
imports, and `barberbi run noshow`); the alert's key holds the day, so it is raised
once for that day. In a chain, each location with a location manager also gets its
own alert for its own bookings (`rules.at_location`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from barberbi_desktop.alerts import rules
from barberbi_desktop.alerts.store import location_name, raise_alerts
from barberbi_desktop.storage.at_risk import bookings_at_risk, fetch_days, read_noshow
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.shop_config import alert_settings
from barberbi_desktop.storage.users import manager_locations


def raise_noshow_alerts(
    db: Database, run_id: int | None = None, now: datetime | None = None
) -> list[int]:
    """Raise the alert for the day after the run's own day, if its loss is above the
    threshold; returns the new alert ids (none when deduplicated or below)."""
    result = read_noshow(db, run_id)
    if result is None or result.no_info:
        return []
    settings, day = alert_settings(db), result.as_of + timedelta(days=1)
    at_risk = bookings_at_risk(db, result, on=result.as_of)
    candidates = rules.noshow_loss_alerts(at_risk.day("tomorrow"), day, settings)
    # A chain's location managers: their location's bookings against the same threshold
    # (in a shop of one location the shop's alert is already that location's).
    for location_id in manager_locations(db):
        name, locations = location_name(db, location_id)
        if locations == 1:
            break
        fetched = fetch_days(db, result, result.as_of, location_id)
        here = bookings_at_risk(db, result, on=result.as_of, fetched=fetched)
        candidates += [rules.at_location(c, location_id, name)
                       for c in rules.noshow_loss_alerts(here.day("tomorrow"), day, settings)]
    return raise_alerts(db, candidates, now)
