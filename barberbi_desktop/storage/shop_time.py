"""One time convention for everything an owner reads: the shop's own clock.

Instants are stored in UTC; the app showed them in three ways (shop time in Alerts,
unlabelled UTC in `barberbi alerts`, "2:00 UTC" schedules for a New York shop). Every
time shown now goes through here, and the zone is named once where it matters.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.settings import shop_zone


def zone_words(zone: str) -> str:
    """"America/New_York" as an owner says it: "New York time"."""
    if zone.upper() in ("UTC", "ETC/UTC", "GMT"):
        return "UTC"
    return zone.rsplit("/", 1)[-1].replace("_", " ") + " time"


def times_note(zone: str) -> str:
    """The line that names the zone once above a list of times."""
    return f"Times in {zone} ({zone_words(zone)})."


def shop_clock(instant: datetime | float | int, zone: str, fmt: str = "%d %b %Y %H:%M") -> str:
    """An instant (aware datetime, or epoch seconds) on the shop's wall clock."""
    if not isinstance(instant, datetime):
        instant = datetime.fromtimestamp(float(instant), tz=UTC)
    elif instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)  # naive instants in this app are UTC
    return instant.astimezone(ZoneInfo(zone)).strftime(fmt)


def db_zone(db: Database) -> str:
    """The zone a database's times are shown in (its first location's)."""
    return shop_zone(db)
