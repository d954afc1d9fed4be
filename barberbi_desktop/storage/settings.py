"""Shop settings kept in the database, so every computer opening the file agrees."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from barberbi_desktop.storage.db import Database

_TYPES = {bool: "bool", int: "int", float: "float", str: "str"}


def get_setting(db: Database, key: str, default: Any = None) -> Any:
    with db.read() as conn:
        # As text on both back ends: psycopg would decode the JSON itself, and a decoded
        # string cannot be told from JSON text.
        row = conn.execute(
            text("SELECT CAST(value AS TEXT) FROM settings WHERE key = :k"), {"k": key}
        ).first()
    if row is None:
        return default
    import json

    return json.loads(row[0]) if isinstance(row[0], str) else row[0]


def set_setting(db: Database, key: str, value: Any) -> None:
    import json

    with db.write() as conn:
        if value is None:
            conn.execute(text("DELETE FROM settings WHERE key = :k"), {"k": key})
            return
        conn.execute(
            text(
                "INSERT INTO settings (key, value, type) VALUES (:k, :v, :t) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, type = excluded.type"
            ),
            {"k": key, "v": json.dumps(value), "t": _TYPES.get(type(value), "json")},
        )


def shop_zone(db: Database) -> str:
    """The shop's time zone: its first location's (instants are stored in UTC)."""
    with db.read() as conn:
        zone = conn.execute(text("SELECT timezone FROM locations ORDER BY id LIMIT 1")).scalar()
    return zone or "UTC"
