"""Create a demo database: simulate, then write it in one transaction.

A demo for a PostgreSQL server is written to a temporary SQLite file first and then
copied in by `storage.migrate` (verified, all or nothing), so there is one writer of
demo data, not one per back end.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy import text

from barberbi_desktop.config import resolve_db
from barberbi_desktop.demo.simulate import DemoSpec, simulate
from barberbi_desktop.demo.write import write_demo
from barberbi_desktop.storage import pg
from barberbi_desktop.storage.db import open_database


def create_demo(target: str | Path, spec: DemoSpec) -> dict[str, int]:
    """Write a demo shop to ``target`` (a new or empty database) and return row counts."""
    url = resolve_db(str(target))
    if pg.is_postgres_url(url):
        return _create_on_server(url, spec)
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


def _create_on_server(url: str, spec: DemoSpec) -> dict[str, int]:
    from barberbi_desktop.errors import InputError
    from barberbi_desktop.storage.migrate import migrate

    with tempfile.TemporaryDirectory(prefix="barberbi-demo-") as folder:
        counts = create_demo(Path(folder) / "demo.db", spec)
        if migrate(Path(folder) / "demo.db", url)["status"] != "copied":
            raise InputError(
                f"{pg.where(url).first} already holds this demo shop; "
                "a demo shop needs an empty database."
            )
    return counts
