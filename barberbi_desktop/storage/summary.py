"""Small, cheap questions about a shop that the status line and CLI ask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text

from barberbi_desktop.storage.db import Database


@dataclass(frozen=True)
class ShopSummary:
    shop_name: str | None
    locations: int
    barbers: int
    clients: int
    appointments: int
    first_visit: datetime | None
    last_visit: datetime | None
    data_version: int

    @property
    def is_empty(self) -> bool:
        return self.appointments == 0


def shop_summary(db: Database) -> ShopSummary:
    # The shop's name is a JSON string: its text is json_extract on SQLite, #>> on PostgreSQL.
    name = "value #>> '{}'" if db.is_postgres else "json_extract(value, '$')"
    with db.read() as conn:
        row = conn.execute(
            text(
                f"SELECT coalesce((SELECT {name} FROM settings"
                " WHERE key = 'shop_name'), (SELECT name FROM locations ORDER BY id LIMIT 1)),"
                " (SELECT COUNT(*) FROM locations), (SELECT COUNT(*) FROM barbers),"
                " (SELECT COUNT(*) FROM clients), (SELECT COUNT(*) FROM appointments),"
                " (SELECT MIN(start_utc) FROM appointments WHERE status = 'completed'),"
                " (SELECT MAX(start_utc) FROM appointments WHERE status = 'completed'),"
                " (SELECT data_version FROM shop_state WHERE id = 1),"
                " (SELECT timezone FROM locations ORDER BY id LIMIT 1)"
            )
        ).one()

    zone = ZoneInfo(row[8]) if row[8] else UTC

    def instant(value: int | None) -> datetime | None:
        """In the (first) shop's own time zone: an owner thinks in local dates."""
        return None if value is None else datetime.fromtimestamp(value, tz=zone)

    return ShopSummary(
        row[0], row[1], row[2], row[3], row[4], instant(row[5]), instant(row[6]), row[7] or 0
    )


def has_appointments(db: Database) -> bool:
    """Whether any visit was ever imported: the tabs say what to do when none was (a
    shop with no data shows no zeros, see ui/empty_state.py)."""
    with db.read() as conn:
        return bool(conn.execute(text("SELECT EXISTS (SELECT 1 FROM appointments)")).scalar())
