"""Column types that encode the project's two hard rules: money and time.

Instants are stored as integer seconds since the Unix epoch in UTC. That keeps
SQLite comparisons and indexes exact, makes frames cheap to build (one
vectorised conversion instead of parsing millions of strings), and refuses
naive datetimes at the door, which is where time-zone bugs usually enter.
The column is 64-bit on both back ends: ``BIGINT`` on PostgreSQL, whose ``INTEGER``
is 32-bit and ends on 2038-01-19 (a booking in 2039, or a typo'd year 2040, must
land like any other), and ``INTEGER`` on SQLite, which is 64-bit already.
Money is always an ``Integer`` column named ``*_cents``; there is no float
money type on purpose.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class UTCInstant(TypeDecorator[datetime]):
    """A timezone-aware instant kept as integer UTC epoch seconds."""

    impl = BigInteger
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        # SQLite's INTEGER is already 64-bit, and its migrations declared INTEGER: saying
        # so keeps Alembic's compare of models and database quiet on both back ends.
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Integer())
        return dialect.type_descriptor(BigInteger())

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
