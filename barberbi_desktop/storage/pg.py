"""PostgreSQL specifics of opening a shop database: URL, engine, checks, the write lock.

A chain keeps every location in one server database (issue #22). Everything that
can make a server unusable (unreachable, wrong password, missing database, a
server too old) becomes one `InputError` sentence before anything is written,
as for an SQLite file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from barberbi_desktop.errors import InputError

# PostgreSQL 13 is the oldest release still supported upstream when this was written,
# and the first with DROP DATABASE ... WITH (FORCE), which the tests use.
MIN_SERVER_VERSION = 130000
# The whole-shop write lock: one transaction-level advisory lock key for every writer on
# the server, the counterpart of SQLite's BEGIN IMMEDIATE. "BBSHOPWR" in ASCII.
WRITE_LOCK_KEY = 0x4242_5348_4F50_5752
# The migration lock: two computers opening an old database at once must not both
# run the migrations.
MIGRATE_LOCK_KEY = 0x4242_5348_4F50_4D47
CONNECT_TIMEOUT_S = 5


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql", "postgres:"))


def normalise_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` mean psycopg 3, the only driver we ship."""
    scheme, rest = url.split("://", 1)
    if scheme in ("postgres", "postgresql"):
        return f"postgresql+psycopg://{rest}"
    return url


class ServerPlace(str):
    """How a sentence names a server database: ``the database shop on host:5432``.

    A type of its own so that `storage.db.environment_sentence` tells it from a file
    path (a server's full disk or lost connection is said differently)."""

    @property
    def first(self) -> str:
        """The name at the start of a sentence."""
        return self[:1].upper() + self[1:]


def where(url: str | URL) -> ServerPlace:
    u = make_url(url) if isinstance(url, str) else url
    host = u.host or "localhost"
    port = f":{u.port}" if u.port else ""
    return ServerPlace(f"the database {u.database or '(none)'} on {host}{port}")


def make_engine(url: str, busy_timeout_ms: int) -> Engine:
    """An engine whose connections give up on a held lock after ``busy_timeout_ms``
    (like SQLite's busy timeout) and check themselves before use, so an app whose
    server restarted reconnects instead of failing once per pooled connection."""
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_S,
            "application_name": "BarberBI",
            "options": f"-c lock_timeout={int(busy_timeout_ms)}",
        },
    )


def connect_refusal(url: str, exc: DBAPIError) -> InputError:
    """One sentence for a server that cannot be used at all."""
    u = make_url(url)
    place = where(u)
    server = f"{u.host or 'localhost'}{f':{u.port}' if u.port else ''}"
    msg = str(exc.orig or exc)
    low = msg.lower()
    if "password authentication failed" in low or "no password supplied" in low:
        return InputError(
            f"The PostgreSQL server at {server} refused the password of user "
            f"{u.username or '(default)'}; check the user name and password in the --db address."
        )
    if "role" in low and "does not exist" in low:
        return InputError(
            f"The PostgreSQL server at {server} has no user {u.username or '(default)'}."
        )
    if "database" in low and "does not exist" in low:
        return InputError(
            f"The PostgreSQL server at {server} has no database {u.database}; "
            "create it first (createdb), then open it again."
        )
    if any(
        s in low
        for s in ("connection refused", "timeout expired", "could not translate host",
                  "no route to host", "network is unreachable", "connection timed out",
                  "name or service not known", "could not connect", "is the server running")
    ):
        return InputError(
            f"The PostgreSQL server at {server} cannot be reached (is it running, and is "
            "the address right?); nothing was changed."
        )
    first = msg.strip().splitlines()[0] if msg.strip() else type(exc.orig).__name__
    return InputError(f"{place.first} cannot be opened as a BarberBI database ({first}).")


def check_server(conn: Connection, url: str) -> None:
    """Refuse a server older than `MIN_SERVER_VERSION`, before anything is written."""
    version = int(conn.execute(text("SHOW server_version_num")).scalar_one())
    if version < MIN_SERVER_VERSION:
        major = version // 10000
        raise InputError(
            f"{where(url).first} runs PostgreSQL {major}; BarberBI needs "
            f"PostgreSQL {MIN_SERVER_VERSION // 10000} or newer."
        )


_LOST = (
    "server closed the connection",
    "terminating connection",
    "connection is closed",
    "consuming input failed",
    "connection is lost",
    "the connection is lost",
    "ssl connection has been closed",
)


def environment_sentence(place: ServerPlace, text_: str, outcome: str) -> str | None:
    """`storage.db.environment_sentence` for a server database (``text_`` lowercased)."""
    if "no space left" in text_ or "could not extend file" in text_:
        return f"The server's disk holding {place} is full; {outcome}."
    if "lock timeout" in text_ or "deadlock detected" in text_:
        return f"{place.first} is busy in another program, so {outcome}; try again in a moment."
    if any(s in text_ for s in _LOST):
        return (
            f"The connection to {place} was lost, so {outcome}; check the network and the "
            "server, then try again."
        )
    if "read-only transaction" in text_ or "permission denied" in text_:
        return f"{place.first} may not be written by this user, so {outcome}."
    return None


def is_psycopg(cur: object) -> bool:
    """Whether a raw driver cursor (or connection) is psycopg's rather than sqlite3's."""
    return type(cur).__module__.startswith("psycopg")


def qmark(cur: object, sql: str) -> str:
    """SQL written with ``?`` placeholders for a raw cursor: psycopg's are ``%s``."""
    if is_psycopg(cur):
        return sql.replace("%", "%%").replace("?", "%s")
    return sql


def insert_rows(
    cur: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert many rows through a raw cursor: ``COPY ... FROM STDIN`` on psycopg (one
    stream instead of a statement per row), ``executemany`` on sqlite3."""
    names = ", ".join(f'"{c}"' for c in columns)
    if is_psycopg(cur):
        with cur.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    cur.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)


def lock_whole_shop(conn: Connection) -> None:
    """Take the whole-shop write lock for the rest of ``conn``'s transaction."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITE_LOCK_KEY})


def sync_sequences(conn: Connection) -> None:
    """Point every id sequence past the table's highest id.

    Rows written with explicit ids (a copied shop, a test's fixtures) do not move
    PostgreSQL's sequences, unlike SQLite's ``max(rowid) + 1``; the next insert
    without an id would then collide with them."""
    from barberbi_desktop.storage.models import Base

    for table in Base.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or pk[0].type.python_type is not int:
            continue
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{pk[0].name}'), "
            f'COALESCE(MAX("{pk[0].name}"), 0) + 1, false) FROM "{table.name}"'
        )
