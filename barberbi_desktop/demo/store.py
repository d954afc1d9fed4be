"""Create a demo database file: simulate, then write it in one transaction."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from barberbi_desktop.demo.simulate import DemoSpec, simulate
from barberbi_desktop.demo.write import write_demo
from barberbi_desktop.storage.db import open_database


def create_demo(target: str | Path, spec: DemoSpec) -> dict[str, int]:
    """Write a demo shop to ``target`` (a new or empty database) and return row counts."""
    db = open_database(target)
    try:
        write_demo(db, simulate(spec))
        with db.read() as conn:
            return {
                table: int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())
                for table in ("locations", "barbers", "clients", "appointments", "sale_items")
            }
    finally:
        db.dispose()
