"""Create a demo database file: simulate, then write it in one transaction."""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy import text

from barberbi_desktop.config import resolve_db
from barberbi_desktop.demo.simulate import DemoSpec, simulate
from barberbi_desktop.demo.write import write_demo
from barberbi_desktop.errors import InputError
from barberbi_desktop.storage.db import open_database
from barberbi_desktop.storage.pg import is_postgres_url


def create_demo(target: str | Path, spec: DemoSpec) -> dict[str, int]:
    """Write a demo shop to ``target`` (a new or empty database) and return row counts.

    On a PostgreSQL server the demo is written to a temporary SQLite file first (the
    writer is SQLite's bulk path) and copied in whole."""
    if is_postgres_url(resolve_db(target)):
        from barberbi_desktop.storage.copy import copy_shop

        with tempfile.TemporaryDirectory(prefix="barberbi-demo-") as folder:
            counts = create_demo(Path(folder) / "demo.db", spec)
            source, server = open_database(Path(folder) / "demo.db"), open_database(target)
            try:
                with server.read() as conn:
                    if conn.execute(text("SELECT EXISTS (SELECT 1 FROM appointments)")).scalar():
                        raise InputError(
                            f"{server.place.first} already holds a shop; the demo needs an "
                            "empty database."
                        )
                copy_shop(source, server)
            finally:
                source.dispose()
                server.dispose()
        return counts
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
