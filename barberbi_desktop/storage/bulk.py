"""Bulk loading helpers for millions of rows inside one write transaction.

Maintaining five B-tree indexes row by row is most of the cost of a big
insert; building each index once afterwards, from sorted data, is several
times cheaper. The index definitions are read back from SQLite itself, so the
schema stays the single source of truth.

On PostgreSQL the indexes stay: dropping one takes a lock that would stop every
other computer reading the table until the import commits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from barberbi_desktop.storage.cursor import Cursor


@contextmanager
def deferred_indexes(cur: Cursor | sqlite3.Cursor, tables: Sequence[str]) -> Iterator[None]:
    """Drop the named tables' secondary indexes, and recreate them on exit.

    Runs inside the caller's transaction: if the load fails, the rollback
    restores the indexes along with everything else. Unique constraints
    (auto-indexes) stay, so duplicates are still refused during the load.
    """
    if isinstance(cur, Cursor) and cur.postgres:
        yield
        return
    marks = ", ".join("?" for _ in tables)
    ddl = cur.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks})",
        tuple(tables),
    ).fetchall()
    cache = cur.execute("PRAGMA cache_size").fetchone()[0]
    cur.execute("PRAGMA cache_size = -262144")  # 256 MiB while loading
    for name, _ in ddl:
        cur.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        for _, sql in ddl:
            cur.execute(sql)
        cur.execute(f"PRAGMA cache_size = {cache}")
