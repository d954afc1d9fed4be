"""Opening a shop database: checks, pragmas, migrations and the single writer.

Every way a database can be unusable (not SQLite, not ours, locked, read-only
folder, written by a newer app; for a PostgreSQL server also unreachable, a
wrong password or a server too old, see `storage.pg`) is turned into one
`InputError` sentence *before* anything is written, so a wrong ``--db`` never
damages a file or a server database.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from barberbi_desktop.config import resolve_db
from barberbi_desktop.errors import InputError
from barberbi_desktop.storage import pg
from barberbi_desktop.storage.files import (
    create_private,
    make_private,
    no_space,
    private_dir,
    written_whole,
)

if TYPE_CHECKING:
    from alembic.config import Config

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 30_000
OPEN_CHECK_TIMEOUT_S = 2.0


# The newest migration. A database already at it opens without loading Alembic
# (about 0.15 s of start-up); test_storage checks this against Alembic's own
# script directory, so a new migration cannot be forgotten here.
SCHEMA_HEAD = "0014"


def _alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option(
        "script_location", str(resources.files("barberbi_desktop.storage") / "migrations")
    )
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}


class Database:
    """An open shop database.

    Reads may run on any thread in parallel (WAL). Writes go through `write()`,
    which serialises writers in this process with a lock and starts the
    transaction with ``BEGIN IMMEDIATE`` so that SQLite never has to upgrade a
    read lock mid-transaction, the source of "database is locked" errors that
    the busy timeout cannot cure. On PostgreSQL the transaction instead takes a
    whole-shop advisory lock (`pg.lock_whole_shop`), which serialises writers on
    every computer connected to the server, as the file lock does for SQLite.
    """

    def __init__(self, engine: Engine, path: Path | None) -> None:
        self.engine = engine
        self.path = path
        self._write_lock = threading.RLock()

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return str(self.engine.dialect.name)

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @property
    def place(self) -> Path | pg.ServerPlace:
        """What `environment_errors` should name: the file, or the server database."""
        return self.path if self.path is not None else pg.where(self.engine.url)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self._write_lock, self.engine.connect() as conn:
            conn = conn.execution_options(barberbi_immediate=True)
            with conn.begin():
                if self.is_postgres:
                    pg.lock_whole_shop(conn)
                yield conn

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold the in-process writer lock (for code that drives a raw connection itself)."""
        with self._write_lock:
            yield

    @contextmanager
    def session(self) -> Iterator[Session]:
        """An ORM session inside one write transaction (committed on success)."""
        with self.write() as conn, Session(bind=conn) as session:
            yield session
            session.flush()

    def dispose(self) -> None:
        self.engine.dispose()


def _install_sqlite_hooks(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("barberbi_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite"):
        return None
    rest = url.split("://", 1)[1]
    if rest in ("", "/", "/:memory:") or ":memory:" in rest or rest.startswith("/file:"):
        return None
    return Path(rest[1:]) if rest.startswith("/") else Path(rest)


def _check_file(path: Path, create: bool) -> None:
    """Refuse, with one sentence, anything that is not a usable SQLite file."""
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a database file.")
    if path.exists():
        try:
            with path.open("rb") as fh:
                head = fh.read(len(SQLITE_MAGIC))
        except PermissionError as exc:
            raise InputError(f"{path} cannot be read: permission denied.") from exc
        if head and head != SQLITE_MAGIC:
            raise InputError(f"{path} is not a BarberBI database (it is not an SQLite file).")
        folder = path.parent
    else:
        if not create:
            raise InputError(f"{path} does not exist.")
        folder = path.parent
        if not folder.exists():
            try:
                private_dir(folder)
            except OSError as exc:
                raise InputError(f"The folder {folder} cannot be created: {exc.strerror}.") from exc
    # WAL needs to create the -wal and -shm files next to the database.
    probe = folder / f".barberbi-write-probe-{threading.get_ident()}"
    try:
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise InputError(
            f"The folder {folder} is not writable, so the database {path.name} "
            "cannot be used there."
        ) from exc


def _check_not_locked(path: Path) -> None:
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        conn = sqlite3.connect(str(path), timeout=OPEN_CHECK_TIMEOUT_S, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise _sqlite_refusal(path, exc) from exc


def _sqlite_refusal(path: Path, exc: sqlite3.DatabaseError) -> InputError:
    if "locked" in str(exc) or "busy" in str(exc):
        return InputError(
            f"{path} is locked by another program (is BarberBI already open on it?); "
            "close it and try again."
        )
    return InputError(f"{path} is not a BarberBI database ({exc}).")


def backup_sqlite(src: Engine | str | Path, dest: Path) -> Path:
    """Copy a live SQLite database with the online backup API (safe under WAL).

    The copy is written owner-only under a temporary name, switched to a rollback
    journal (so it is one self-contained file), checked with ``PRAGMA
    integrity_check`` and only then renamed to ``dest``: a copy that fails any step
    leaves nothing behind, and ``dest`` never names half a file.
    """
    source_path = src if isinstance(src, str | Path) else sqlite_path(str(src.url))
    if source_path is None:
        raise InputError("Only a database file can be backed up.")
    with written_whole(dest) as temp:
        source = sqlite3.connect(str(source_path), timeout=BUSY_TIMEOUT_MS / 1000)
        target = sqlite3.connect(str(temp), isolation_level=None)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode = DELETE").fetchone()
        finally:
            target.close()
            source.close()
        problem = integrity_problem(temp)
        if problem is not None:
            raise InputError(f"The copy of {source_path} failed its check ({problem}).")
    return dest


def integrity_problem(path: Path) -> str | None:
    """SQLite's own verdict on every page of a file: None when it is sound."""
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check(5)").fetchall()]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return None if rows == ["ok"] else "; ".join(rows)


def rollback_if_open(cur: sqlite3.Cursor) -> None:
    """Roll back a raw connection's transaction if SQLite has not done so itself.

    On a full disk SQLite may roll back on its own; a second ROLLBACK then fails
    with "cannot rollback - no transaction is active", which hid the real cause."""
    if cur.connection.in_transaction:
        cur.execute("ROLLBACK")


_FULL = ("database or disk is full", "no space left")
_BUSY = ("database is locked", "database is busy", "database table is locked")
_READ_ONLY = ("readonly database", "read-only file system", "unable to open database file")


def environment_sentence(
    exc: BaseException, where: Path | str | None, outcome: str
) -> str | None:
    """One sentence for a failure of the computer rather than of the data (a full disk,
    a lock another program holds too long, a read-only folder); None for anything else.

    ``outcome`` says what the failure means for the user ("nothing was imported")."""
    cause: BaseException = exc.orig if isinstance(exc, DBAPIError) and exc.orig else exc
    text_ = str(cause).lower()
    if isinstance(where, pg.ServerPlace):
        return pg.environment_sentence(where, text_, outcome)
    named = getattr(cause, "filename", None) if isinstance(cause, OSError) else None
    place = Path(named or where or ".")
    folder = place if place.is_dir() else place.parent
    code = cause.errno if isinstance(cause, OSError) else None
    if no_space(cause) or any(s in text_ for s in _FULL) or (
        "disk i/o error" in text_ and _nearly_full(folder)
    ):
        return f"The disk holding {place} is full; {outcome}."
    if any(s in text_ for s in _BUSY):
        return f"{place} is busy in another program, so {outcome}; try again in a moment."
    if code in (errno.EROFS, errno.EACCES, errno.EPERM) or any(s in text_ for s in _READ_ONLY):
        return f"The folder {folder} is read-only or not yours to write; {outcome}."
    if "disk i/o error" in text_ or code == errno.EIO:
        return f"The disk holding {place} could not be written (an input/output error); {outcome}."
    return None


def _nearly_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < 1 << 20
    except OSError:
        return False


@contextmanager
def environment_errors(where: Path | str | None, outcome: str) -> Iterator[None]:
    """The one place that turns a full disk, a lock held too long or a read-only folder
    into an `InputError` sentence (see `environment_sentence`); the CLI wraps every
    command in it and the importer every file, so none of them is an internal error."""
    try:
        yield
    except InputError:
        raise
    except (sqlite3.Error, DBAPIError, OSError) as exc:
        sentence = environment_sentence(exc, where, outcome)
        if sentence is None:
            raise
        raise InputError(sentence) from exc


def _schema_state(conn: Connection) -> tuple[str | None, set[str]]:
    from alembic.runtime.migration import MigrationContext

    tables = set(inspect(conn).get_table_names())
    rev = MigrationContext.configure(conn).get_current_revision() if tables else None
    return rev, tables


def _file_schema_state(path: Path) -> tuple[str | None, set[str]]:
    """Read the schema without changing a byte (no WAL switch, no hooks)."""
    if not path.exists() or path.stat().st_size == 0:
        return None, set()
    conn = sqlite3.connect(
        f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=OPEN_CHECK_TIMEOUT_S
    )
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        rev = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            rev = row[0] if row else None
        return rev, tables
    finally:
        conn.close()


def _refuse_foreign_or_newer(where: object, rev: str | None, tables: set[str]) -> None:
    if rev == SCHEMA_HEAD:
        return
    foreign = rev is None or (rev not in _known_revisions() and "shop_state" not in tables)
    if foreign and tables - {"alembic_version"}:
        raise InputError(
            f"{where} already holds tables of another program, so it is not a BarberBI database."
        )
    if rev is not None and rev not in _known_revisions():
        raise InputError(
            f"{where} was written by a newer version of BarberBI "
            f"(schema {rev}); install the latest version to open it."
        )


def open_database(
    db: str | Path | None = None, *, create: bool = True, busy_timeout_ms: int | None = None
) -> Database:
    """Open (and create or upgrade) a shop database, refusing unusable files.

    An older schema is upgraded after a backup copy is written beside the file (on
    a server, a ``pg_dump`` archive in the backups folder; no upgrade without it);
    a newer one is refused, since an older app cannot know what it would break.
    A new file is created owner-only, and SQLite gives its ``-wal`` and ``-shm``
    the database's own mode, so they are owner-only too. ``busy_timeout_ms``
    (default `BUSY_TIMEOUT_MS`) is how long a write waits for another program's
    lock before it gives up with "busy in another program".
    """
    url = resolve_db(db)
    busy_ms = BUSY_TIMEOUT_MS if busy_timeout_ms is None else busy_timeout_ms
    if pg.is_postgres_url(url):
        return _open_postgres(pg.normalise_url(url), busy_ms)
    path = sqlite_path(url)
    current = False
    if path is not None:
        _check_file(path, create)
        if not path.exists():
            create_private(path)  # an empty file is an empty SQLite database
        try:
            state = _file_schema_state(path)
        except sqlite3.DatabaseError as exc:
            raise _sqlite_refusal(path, exc) from exc
        _refuse_foreign_or_newer(path, *state)
        current = state[0] == SCHEMA_HEAD
        _check_not_locked(path)
        for suffix in ("", "-wal", "-shm"):
            make_private(Path(str(path) + suffix))
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": busy_ms / 1000},
    )
    if url.startswith("sqlite"):
        _install_sqlite_hooks(engine, busy_ms)
    try:
        if not current:
            _migrate(engine, path)
    except InputError:
        engine.dispose()
        raise
    except OperationalError as exc:
        engine.dispose()
        raise InputError(
            f"{path or url} cannot be opened as a BarberBI database ({exc.orig})."
        ) from exc
    except sqlite3.DatabaseError as exc:
        engine.dispose()
        raise InputError(f"{path or url} is not a BarberBI database ({exc}).") from exc
    return Database(engine, path)


def _open_postgres(url: str, busy_ms: int) -> Database:
    """Open a server database: reachable, ours (or empty), not newer; then migrate.

    The checks and the migration run in one transaction under a migration lock, so
    two computers opening a new database at once do not both create the schema,
    and a refused database is left exactly as it was."""
    engine = pg.make_engine(url, busy_ms)
    try:
        with engine.connect() as conn:
            pg.check_server(conn, url)
            rev, tables = _schema_state(conn)
        _refuse_foreign_or_newer(pg.where(url), rev, tables)
        if rev != SCHEMA_HEAD:
            _migrate(engine, None)
    except InputError:
        engine.dispose()
        raise
    except DBAPIError as exc:
        engine.dispose()
        raise pg.connect_refusal(url, exc) from exc
    return Database(engine, None)


def _migrate(engine: Engine, path: Path | None) -> None:
    head = head_revision()
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as conn:
        rev, tables = _schema_state(conn)
    if rev == head:
        return
    place = path or (pg.where(engine.url) if postgres else engine.url)
    _refuse_foreign_or_newer(place, rev, tables)
    if rev is not None and path is not None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        backup_sqlite(path, path.with_name(f"{path.stem}.before-upgrade-{stamp}{path.suffix}"))
    from alembic import command

    cfg = _alembic_config()
    with engine.begin() as conn:
        if postgres:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": pg.MIGRATE_LOCK_KEY})
            rev = _schema_state(conn)[0]
            if rev == head:  # another computer migrated while we waited
                return
            if rev is not None:  # a shop's data, not a new database: back it up first
                from barberbi_desktop.storage import backup_pg

                backup_pg.dump_before_upgrade(
                    engine.url.render_as_string(hide_password=False), rev, head
                )
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.execute(
            text(
                "INSERT INTO shop_state (id, singleton, data_version) VALUES (1, 1, 0) "
                "ON CONFLICT DO NOTHING"
                if postgres
                else "INSERT OR IGNORE INTO shop_state (id, singleton, data_version) "
                "VALUES (1, 1, 0)"
            )
        )
