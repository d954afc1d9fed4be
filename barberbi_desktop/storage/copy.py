"""Copy a whole shop from one database into a PostgreSQL database.

The test suite uses it to put the demo shop on a server (the demo is generated in
SQLite); ``barberbi migrate`` builds on it. The target must be a migrated shop
database at the same schema; whatever it held is replaced, in one transaction
under the whole-shop write lock, so a failed copy leaves it as it was.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Table

from barberbi_desktop.errors import InputError
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.models import Base
from barberbi_desktop.storage.pg import sync_sequences

_CHUNK = 50_000


def _plain(value: Any) -> Any:
    """A PostgreSQL source hands JSON back as Python objects; COPY wants its text."""
    return json.dumps(value) if isinstance(value, dict | list) else value


def copy_shop(source: Database, target: Database) -> dict[str, int]:
    """Replace ``target``'s rows with ``source``'s, table by table; rows copied per table.

    Values travel as the source stores them (SQLite's 0/1 booleans, ISO dates and
    JSON text are all valid COPY text input for the PostgreSQL columns), through
    ``COPY ... FROM STDIN``, which is tens of times faster than INSERTs."""
    if not target.is_postgres:
        raise InputError("A shop can only be copied into a PostgreSQL database.")
    with source.read() as src, target.write() as dst:
        return replace_rows(src, dst)


def replace_rows(src: Connection, dst: Connection) -> dict[str, int]:
    """`copy_shop` inside the caller's transactions (``dst`` a PostgreSQL one holding the
    write lock), for a caller that checks the target first (``barberbi migrate``)."""
    tables = list(Base.metadata.sorted_tables)
    counts: dict[str, int] = {}
    names = ", ".join(f'"{t.name}"' for t in tables)
    dst.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY")
    for table in tables:
        counts[table.name] = _copy_table(src, dst, table)
    sync_sequences(dst)
    return counts


def _copy_table(src: Connection, dst: Connection, table: Table) -> int:
    cols = [c.name for c in table.columns]
    col_list = ", ".join(f'"{c}"' for c in cols)
    result = src.exec_driver_sql(f'SELECT {col_list} FROM "{table.name}"')
    raw = dst.connection.driver_connection
    n = 0
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({col_list}) FROM STDIN') as copy:
        while rows := result.fetchmany(_CHUNK):
            for row in rows:
                copy.write_row([_plain(v) for v in row])
            n += len(rows)
    return n
