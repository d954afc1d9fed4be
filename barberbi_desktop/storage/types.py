"""Column types that encode the project's two hard rules: money and time.

Instants are stored as integer seconds since the Unix epoch in UTC. That keeps
SQLite comparisons and indexes exact, makes frames cheap to build (one
vectorised conversion instead of parsing millions of strings), and refuses
naive datetimes at the door, which is where time-zone bugs usually enter.
Money is always an ``Integer`` column named ``*_cents``; there is no float
money type on purpose.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCInstant(TypeDecorator[datetime]):
    """A timezone-aware instant kept as integer UTC epoch seconds."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, int):
            return value
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetimes are refused: attach the location's time zone first")
        return int(value.timestamp())

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return datetime.fromtimestamp(int(value), tz=UTC)
