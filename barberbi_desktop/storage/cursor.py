"""One raw cursor for the set-based import SQL, on SQLite and on PostgreSQL.

An import moves up to millions of rows with plain SQL on the driver's own
connection (a Core or ORM statement per row would take minutes). That SQL is
written once, in SQLite's dialect; on PostgreSQL `Cursor` rewrites the purely
syntactic differences, once per statement text (cached), outside string literals:

- parameters: ``?`` and ``:name`` become psycopg's ``%s`` and ``%(name)s``
  (a literal ``%`` is doubled); ``--`` comments are dropped;
- ``temp.t`` becomes ``pg_temp.t``; ``CREATE INDEX temp.ix`` loses the prefix
  (on PostgreSQL an index lives in its table's schema);
- ``INSERT OR IGNORE ...`` becomes ``INSERT ... ON CONFLICT DO NOTHING``;
- ``a IS NOT b`` and ``a IS b`` (b not NULL, TRUE or FALSE) become
  ``IS DISTINCT FROM`` and ``IS NOT DISTINCT FROM``, which is what they mean;
- ``json_object(`` becomes ``json_build_object(``.

What differs in meaning is written where it is used, through the helpers here:
booleans are written TRUE/FALSE (SQLite reads 1/0) and flags in staging tables
are 0/1 integers; staging tables are typed; a JSON field is read back with its
column's type (`json_field`); new ids come from `insert_id`; bulk rows go
through `insert_rows` (``COPY`` on PostgreSQL); and `begin_write` starts the
transaction with the whole-shop lock (``BEGIN IMMEDIATE`` on SQLite, the
advisory lock `Database.write` takes on PostgreSQL, so a shop's writers on
every computer take turns).

A PostgreSQL driver error leaves as SQLAlchemy's `DBAPIError`, like any other
statement's, so `storage.db.environment_errors` turns a lost connection or a
full disk into one sentence.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from barberbi_desktop.storage import pg

if TYPE_CHECKING:
    from barberbi_desktop.storage.db import Database

# A constraint refused a statement, on either back end (PostgreSQL's arrives wrapped).
INTEGRITY_ERRORS: tuple[type[Exception], ...] = (sqlite3.IntegrityError, IntegrityError)

_TOKENS = re.compile(
    r"'(?:[^']|'')*'"  # a string literal
    r"|\"(?:[^\"]|\"\")*\""  # a quoted identifier
    r"|--[^\n]*"  # a comment
    r"|::"  # a PostgreSQL cast, not a parameter
    r"|:(\w+)"  # a named parameter
    r"|\?"  # a positional parameter
    r"|%"
)
_NOT_DISTINCT = re.compile(r"\bIS\s+(?!NOT\b|NULL\b|TRUE\b|FALSE\b|DISTINCT\b)", re.I)
_DISTINCT = re.compile(r"\bIS\s+NOT\s+(?!NULL\b|TRUE\b|FALSE\b|DISTINCT\b)", re.I)
_TEMP_INDEX = re.compile(r"\b(INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?)temp\.", re.I)
_TEMP = re.compile(r"\btemp\.", re.I)
_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\b", re.I)


def _code(part: str) -> str:
    part = _TEMP_INDEX.sub(r"\1", part)
    part = _TEMP.sub("pg_temp.", part)
    part = _DISTINCT.sub("IS DISTINCT FROM ", part)
    part = _NOT_DISTINCT.sub("IS NOT DISTINCT FROM ", part)
    return part.replace("json_object(", "json_build_object(")


@functools.lru_cache(maxsize=512)
def to_postgres(sql: str) -> str:
    """``sql`` (SQLite dialect, ``?``/``:name`` parameters) as psycopg runs it."""
    out: list[str] = []
    pos = 0
    for m in _TOKENS.finditer(sql):
        out.append(_code(sql[pos:m.start()]))
        tok = m.group(0)
        if tok[0] in "'\"":
            out.append(tok.replace("%", "%%"))
        elif tok.startswith("--"):
            pass
        elif tok == "::":
            out.append(tok)
        elif tok == "?":
            out.append("%s")
        elif tok == "%":
            out.append("%%")
        else:
            out.append(f"%({m.group(1)})s")
        pos = m.end()
    out.append(_code(sql[pos:]))
    text = "".join(out)
    if _OR_IGNORE.match(text):
        text = _OR_IGNORE.sub("INSERT", text).rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    return text


class Cursor:
    """A DB-API cursor of either back end that runs the SQLite-dialect import SQL."""

    def __init__(self, raw: Any, postgres: bool) -> None:
        self.raw = raw
        self.postgres = postgres
        # SQLite numbers every row; a PostgreSQL staging table that needs it has a column.
        self.rowid = "rid" if postgres else "rowid"

    @classmethod
    def of(cls, conn: Connection) -> Cursor:
        """A cursor on the driver connection under a SQLAlchemy connection (its transaction)."""
        raw = conn.connection.driver_connection
        return cls(raw.cursor(), conn.dialect.name == "postgresql")

    # --- statements ----------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Cursor:
        if not self.postgres:
            self.raw.execute(sql, params)
            return self
        try:
            self.raw.execute(to_postgres(sql), params)
        except _psycopg_error() as exc:
            raise DBAPIError.instance(sql, params, exc, _psycopg_error()) from exc
        return self

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Cursor:
        if not self.postgres:
            self.raw.executemany(sql, rows)
            return self
        try:
            self.raw.executemany(to_postgres(sql), list(rows))
        except _psycopg_error() as exc:
            raise DBAPIError.instance(sql, None, exc, _psycopg_error()) from exc
        return self

    def script(self, sql: str) -> None:
        """Run several statements (separated by ``;`` at a line end) in the open transaction.

        ``executescript`` would commit first, which would split the import in two."""
        for statement in sql.split(";\n"):
            body = "\n".join(ln for ln in statement.splitlines()
                             if not ln.strip().startswith("--"))  # fmt: skip
            if body.strip():
                self.execute(body)

    def fetchone(self) -> Any:
        return self.raw.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self.raw.fetchall())

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())

    @property
    def usable(self) -> bool:
        """False once a server connection is lost (nothing more can run on it)."""
        if not self.postgres:
            return True
        import psycopg

        conn = self.raw.connection
        return not conn.closed and (
            conn.info.transaction_status != psycopg.pq.TransactionStatus.UNKNOWN
        )

    @property
    def rowcount(self) -> int:
        return int(self.raw.rowcount)

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        row = self.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def insert_id(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run one ``INSERT ... VALUES`` and return the new row's id."""
        if not self.postgres:
            self.raw.execute(sql, params)
            return int(self.raw.lastrowid)
        return int(self.scalar(sql + " RETURNING id", params))

    def insert_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                    ) -> None:
        """Append many rows to a (staging) table: ``executemany`` on SQLite, ``COPY`` on
        PostgreSQL (tens of times faster than INSERTs there)."""
        names = ", ".join(columns)
        if not self.postgres:
            marks = ", ".join("?" for _ in columns)
            self.raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
            return
        try:
            with self.raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        except _psycopg_error() as exc:
            raise DBAPIError.instance(f"COPY {table}", None, exc, _psycopg_error()) from exc

    # --- dialect pieces --------------------------------------------------------------

    def json_field(self, expr: str, key: str, table: str, column: str | None = None) -> str:
        """SQL reading ``key`` of the JSON object ``expr`` as ``table.column``'s type."""
        if not self.postgres:
            return f"json_extract({expr}, '$.{key}')"
        from barberbi_desktop.storage.models import Base

        col = Base.metadata.tables[table].c[column or key]
        sql_type = col.type.compile(dialect=_pg_dialect())
        return f"CAST(({expr}) ->> '{key}' AS {sql_type})"

    def analyze(self, *tables: str) -> None:
        """Give PostgreSQL's planner the size of staging tables just filled (its autovacuum
        never looks at temporary tables; without this a join of 3,000 staged visits took
        1.4 s instead of 0.07 s). SQLite plans from its indexes and needs nothing."""
        if self.postgres:
            self.execute(f"ANALYZE {', '.join(tables)}")

    # --- transactions --------------------------------------------------------------

    def begin(self) -> None:
        self.execute("BEGIN")

    def begin_write(self) -> None:
        """Start a write transaction holding the whole-shop lock until it ends."""
        if not self.postgres:
            self.execute("BEGIN IMMEDIATE")
            return
        self.execute("BEGIN")
        self.execute("SELECT pg_advisory_xact_lock(?)", (pg.WRITE_LOCK_KEY,))

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback_if_open(self) -> None:
        """Roll back if a transaction is still open (SQLite may have rolled back itself on a
        full disk; a lost server connection has nothing left to roll back)."""
        if not self.postgres:
            if self.raw.connection.in_transaction:
                self.raw.execute("ROLLBACK")
            return
        import psycopg

        status = self.raw.connection.info.transaction_status
        if status in (psycopg.pq.TransactionStatus.INTRANS,
                      psycopg.pq.TransactionStatus.INERROR):  # fmt: skip
            self.raw.connection.execute("ROLLBACK")

    def after_explicit_ids(self, table: str) -> None:
        """Move ``table``'s id sequence past ids written explicitly (PostgreSQL), so the
        next row inserted without an id does not collide."""
        if self.postgres:
            self.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )


def reason(exc: BaseException) -> str:
    """The driver's own first line about a failed statement (without SQLAlchemy's SQL)."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = str(cause).strip()
    return text.splitlines()[0] if text else type(cause).__name__


@functools.cache
def _psycopg_error() -> type[Exception]:
    import psycopg

    return psycopg.Error


@functools.cache
def _pg_dialect() -> Any:
    from sqlalchemy.dialects import postgresql

    return postgresql.dialect()


@contextmanager
def raw_cursor(db: Database) -> Iterator[Cursor]:
    """A cursor on a connection of its own, outside any transaction (``BEGIN`` and
    ``COMMIT`` are the caller's, as an import stages and lands in separate ones).

    Temporary tables live as long as the connection, so the caller drops its own."""
    fairy = db.engine.raw_connection()
    raw = fairy.driver_connection
    try:
        if db.is_postgres:
            raw.rollback()  # the pool's ping may have left a transaction open
            raw.autocommit = True
        try:
            yield Cursor(raw.cursor(), db.is_postgres)
        finally:
            if db.is_postgres and not raw.closed:
                try:
                    raw.autocommit = False
                except _psycopg_error():  # a lost connection: the pool drops it
                    fairy.invalidate()
    finally:
        fairy.close()
