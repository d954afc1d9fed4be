"""Helpers shared by the import tests: a fixed clock, totals in cents, snapshots."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from barberbi_desktop.ingest.importer import FileReport, Importer
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.models import Base
from barberbi_desktop.storage.pg import qmark

FIXTURES = Path(__file__).parent / "data" / "imports"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DATA_TABLES = ("locations", "clients", "barbers", "services", "appointments", "sale_items")


def run_import(db: Database, *names: str | Path, **options: Any) -> list[FileReport]:
    paths = [n if isinstance(n, Path) else FIXTURES / n for n in names]
    return Importer(db, now=NOW).import_files(paths, **options)


def one(db: Database, name: str | Path, **options: Any) -> FileReport:
    (report,) = run_import(db, name, **options)
    return report


def address(db: Database) -> str:
    """What ``--db`` takes to open ``db`` again (a server address with its password)."""
    if db.path is not None:
        return str(db.path)
    return db.engine.url.render_as_string(hide_password=False)


def query(db: Database, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows as plain tuples, through the driver itself (``?`` placeholders on both back
    ends; on SQLite a connection of its own, as another program would read the file)."""
    if db.path is None:
        from psycopg.types.string import TextLoader

        with db.read() as conn:
            cur = conn.connection.driver_connection.cursor()
            for kind in ("json", "date"):  # as SQLite gives them: text
                cur.adapters.register_loader(kind, TextLoader)
            return [tuple(r) for r in cur.execute(qmark(cur, sql), params or None).fetchall()]
    conn = sqlite3.connect(db.path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def stored(db: Database) -> Any:
    """Everything the database holds, to show that a refused import wrote nothing: the
    file and its WAL byte for byte on SQLite; every row of every table on PostgreSQL
    (where a rolled-back insert may still move an id sequence on, which is not data)."""
    if not db.is_postgres:
        assert db.path is not None
        return file_bytes(db.path)
    out: dict[str, Any] = {}
    for table in Base.metadata.sorted_tables:
        out[table.name] = sorted(map(repr, query(db, f'SELECT * FROM "{table.name}"')))
    return out


def totals(db: Database) -> dict[str, Any]:
    """What a shop owner would check: visits by status and money in cents."""
    statuses = dict(query(db, "SELECT status, COUNT(*) FROM appointments GROUP BY status"))
    (items, price, discount, tax, tip) = query(
        db,
        "SELECT COUNT(*), coalesce(sum(unit_price_cents * quantity), 0), "
        "coalesce(sum(discount_cents), 0), coalesce(sum(tax_cents), 0), "
        "coalesce(sum(tip_cents), 0) FROM sale_items",
    )[0]
    return {
        "statuses": statuses,
        "items": items,
        "price": price,
        "discount": discount,
        "tax": tax,
        "tip": tip,
        "clients": query(db, "SELECT COUNT(*) FROM clients")[0][0],
    }


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every imported table, ordered, for exact before/after comparisons."""
    return {t: query(db, f"SELECT * FROM {t} ORDER BY id") for t in DATA_TABLES}


def file_bytes(path: Path) -> dict[str, bytes]:
    """The database file and its WAL, after checkpointing, for byte-for-byte checks."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    out = {}
    for suffix in ("", "-wal"):
        p = Path(str(path) + suffix)
        out[suffix or "db"] = p.read_bytes() if p.exists() else b""
    return out
