"""Where the frame reader reads from: an SQLite file or a PostgreSQL database.

Both are read through Arrow ADBC drivers straight into columns. The PostgreSQL
driver fetches with ``COPY ... TO STDOUT (FORMAT binary)`` into Arrow in C++;
on the chain's appointments it took 3.1 s, psycopg's CSV COPY parsed by Arrow
4.9 s and psycopg's binary COPY row by row 15 s (the shared 2-core machine).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import adbc_driver_sqlite.dbapi as adbc
import pyarrow as pa

from barberbi_desktop.errors import InputError
from barberbi_desktop.storage.db import BUSY_TIMEOUT_MS, Database

_PG_CONNECTIONS: set[int] = set()


def is_pg(conn: Any) -> bool:
    return id(conn) in _PG_CONNECTIONS


def source_of(db: Database) -> str:
    """What the reader process opens: the file's path, or the server URL (with its
    password: the reader is our own child process, handed it as an argument)."""
    if db.path is not None:
        return str(db.path)
    url = db.engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def connect(source: str) -> Any:
    if "://" in source:
        return _connect_pg(source)
    path = Path(source)
    conn = adbc.connect(f"file:{path.absolute()}?mode=ro")
    cur = conn.cursor()
    try:  # wait for a writer's checkpoint instead of failing with "database is locked"
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.fetchall()
    finally:
        cur.close()
    return conn


def _connect_pg(url: str) -> Any:
    """A read-only ADBC PostgreSQL connection (a frame load can never write)."""
    try:
        import adbc_driver_postgresql.dbapi as adbc_pg
    except ImportError as exc:  # a dependency removed by hand after installing
        raise InputError(
            "Reading a PostgreSQL shop needs the adbc-driver-postgresql package: "
            "pip install adbc-driver-postgresql."
        ) from exc
    conn = adbc_pg.connect(url)
    _PG_CONNECTIONS.add(id(conn))
    cur = conn.cursor()
    try:
        cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    finally:
        cur.close()
    return conn


def close(conn: Any) -> None:
    _PG_CONNECTIONS.discard(id(conn))
    conn.close()


def arrow(conn: Any, sql: str, params: tuple[Any, ...]) -> pa.Table:
    """A query's rows as Arrow, read in one batch (ADBC infers types per batch)."""
    if is_pg(conn):
        # Literal values rather than bound ones: the driver reads a statement without
        # parameters with COPY, and these values are the app's own numbers.
        sql, params = inline(sql, params), ()
    cur = conn.cursor()
    try:
        if not is_pg(conn):
            cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(2**30)})
        cur.execute(sql, params or None)
        return cur.fetch_arrow_table()
    finally:
        cur.close()


def inline(sql: str, params: tuple[Any, ...]) -> str:
    """``?`` placeholders replaced by the literal values (integers and text only)."""
    parts = sql.split("?")
    if len(parts) != len(params) + 1:
        raise ValueError(f"{len(params)} values for {len(parts) - 1} placeholders")
    out = [parts[0]]
    for value, rest in zip(params, parts[1:], strict=True):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError(f"cannot inline a {type(value).__name__}")
        out.append(str(int(value)) if isinstance(value, int) else _quote(value))
        out.append(rest)
    return "".join(out)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
