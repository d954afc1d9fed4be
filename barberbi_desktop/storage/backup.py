"""Backups with SQLite's online backup API, and restoring one.

A backup is written under a temporary name, checked and renamed (see
`storage.db.backup_sqlite`), so the backups folder only ever holds whole,
checked copies; rotation keeps the newest `KEEP_BACKUPS` of those and sweeps
what crashed or failed backups left behind.

A restore never touches the live database until everything that can be
checked has been: the backup is copied beside the live file under a
temporary name and that copy (never the backup itself, which a migration
would change) must pass ``PRAGMA integrity_check`` and hold a BarberBI schema
this version knows. Then SQLite itself is asked for the whole file (switching
it out of WAL needs every other connection closed, in any process, on any
platform); while it is held, the live file is kept as
``<name>.before-restore-<stamp>.db`` (a hard link: no copy that a full disk
could cut short) and the checked copy is renamed over it. A refused or failed
restore leaves the live file byte for byte as it was.

A shop on a PostgreSQL server is backed up and restored with PostgreSQL's own
tools instead (`storage.backup_pg`), through the same functions.
"""

from __future__ import annotations

import os
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from barberbi_desktop.config import data_dir, resolve_db
from barberbi_desktop.errors import InputError
from barberbi_desktop.storage import backup_pg
from barberbi_desktop.storage.db import (
    SQLITE_MAGIC,
    Database,
    _known_revisions,
    backup_sqlite,
    environment_errors,
    sqlite_path,
)
from barberbi_desktop.storage.files import (
    POSIX,
    copy_private,
    fsync_dir,
    fsync_file,
    lock_holder,
    make_private,
    partial_name,
    private_dir,
    process_name,
    remove_dead_partials,
    remove_partial,
)
from barberbi_desktop.storage.pg import ServerPlace, is_postgres_url, normalise_url, where

KEEP_BACKUPS = 14
# Tables every BarberBI schema since the first has had; a backup without them is not ours.
CORE_TABLES = {"alembic_version", "locations", "clients", "appointments", "import_batches"}
# SQLite's lock bytes (os_unix.c): PENDING, RESERVED, then the SHARED range; in the -shm
# file, the dead-man switch every connection holds a shared lock on while it is open.
_DB_LOCKS = (0x40000000, 512)
_SHM_DMS = (128, 1)


def backups_dir() -> Path:
    return data_dir() / "backups"


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _checked_backups(folder: Path, stem: str, suffix: str = ".db") -> list[Path]:
    """Backups that were written whole and checked: only those get their final name."""
    pattern = re.compile(rf"^{re.escape(stem)}-\d{{8}}T\d{{12}}Z{re.escape(suffix)}$")
    found = []
    for path in folder.glob(f"{stem}-*{suffix}"):
        if not pattern.match(path.name):
            continue
        if Path(f"{path}-journal").exists():  # written by an old version and cut short
            remove_partial(path)
            continue
        found.append(path)
    return sorted(found)


def rotate(
    folder: Path, stem: str, keep: int = KEEP_BACKUPS, suffix: str = ".db"
) -> list[Path]:
    """Keep the newest ``keep`` checked backups; remove the rest and dead writers' leftovers."""
    removed = remove_dead_partials(folder)
    for extra in ("-journal", "-wal", "-shm"):  # beside no backup any more
        for stray in folder.glob(f"{stem}-*.db{extra}"):
            if not Path(str(stray).removesuffix(extra)).exists():
                stray.unlink(missing_ok=True)
                removed.append(stray)
    for path in _checked_backups(folder, stem, suffix)[:-keep] if keep > 0 else []:
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def make_backup(db: Database, out: Path | None = None, keep: int = KEEP_BACKUPS) -> Path:
    """Write a consistent, checked copy; when writing to the backups folder, keep the
    newest ``keep`` and sweep leftovers. A failed backup leaves nothing behind."""
    if db.is_postgres:
        stem = _server_stem(db.engine.url)
        target = out or backups_dir() / f"{stem}-{_stamp()}{backup_pg.SUFFIX}"
        backup_pg.dump(db.engine.url.render_as_string(hide_password=False), target)
        if out is None:
            rotate(target.parent, stem, keep, backup_pg.SUFFIX)
        return target
    if db.path is None:
        raise InputError("Only a database file can be backed up.")
    target = out or backups_dir() / f"{db.path.stem}-{_stamp()}.db"
    private_dir(target.parent)
    with environment_errors(target, "no backup was written"):
        backup_sqlite(db.path, target)
    if out is None:
        rotate(target.parent, db.path.stem, keep)
    return target


def _server_stem(url: object) -> str:
    """A server database's backups are named after it (and its host, so two servers'
    databases of the same name do not rotate each other's backups away)."""
    u = make_url(str(url)) if not isinstance(url, URL) else url
    raw = f"{u.database or 'shop'}@{u.host or 'localhost'}"
    return re.sub(r"[^A-Za-z0-9_.@-]", "_", raw)


def list_backups(db: Database) -> list[Path]:
    """This shop's checked backups in the backups folder, newest first."""
    folder = backups_dir()
    if not folder.is_dir():
        return []
    if db.is_postgres:
        return _checked_backups(folder, _server_stem(db.engine.url), backup_pg.SUFFIX)[::-1]
    return sorted(folder.glob("*.db"), reverse=True)


def _first_look(path: Path) -> None:
    """What can be told without opening the file as a database."""
    if not path.is_file():
        raise InputError(f"The backup {path} does not exist.")
    if path.stat().st_size == 0:
        raise InputError(f"The backup {path} is empty (0 bytes), so there is nothing to restore.")
    with path.open("rb") as fh:
        if fh.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise InputError(f"{path} is not a BarberBI backup (it is not an SQLite file).")


def check_copy(copy: Path, backup: Path) -> str:
    """Refuse, with one sentence naming ``backup``, a copy of it that must not replace the
    shop's data; returns its schema revision.

    ``copy`` is this process's own copy: opening the backup itself, even read-only,
    would leave ``-wal``/``-shm`` files beside a backup written in WAL mode, and an
    older schema is restored as it is (the next open upgrades it, after a copy)."""
    conn = sqlite3.connect(str(copy), isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = DELETE").fetchone()  # one self-contained file
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check(5)").fetchall()]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        row = (
            conn.execute("SELECT version_num FROM alembic_version").fetchone()
            if "alembic_version" in tables
            else None
        )
    except sqlite3.DatabaseError as exc:
        problems, tables, row = [str(exc)], set(), None
    finally:
        conn.close()
    if problems != ["ok"]:
        raise InputError(
            f"The backup {backup} is damaged ({'; '.join(problems)}); nothing was restored, "
            "pick another backup."
        )
    if not tables:
        raise InputError(
            f"The backup {backup} is an empty database, so there is nothing to restore."
        )
    if row is None or not tables >= CORE_TABLES:
        raise InputError(f"{backup} is not a BarberBI backup (its tables are another program's).")
    if row[0] not in _known_revisions():
        raise InputError(
            f"The backup {backup} was written by a newer version of BarberBI (schema {row[0]}); "
            "install the latest version to restore it."
        )
    return str(row[0])


def _in_use(target: Path) -> InputError:
    pid = lock_holder(Path(f"{target}-shm"), *_SHM_DMS) or lock_holder(target, *_DB_LOCKS)
    who = ""
    if pid is not None:
        name = process_name(pid)
        who = f" ({name}, process {pid})" if name else f" (process {pid})"
    return InputError(
        f"{target} is open in another program{who}; close that program (and BarberBI, "
        "if it is open on this shop), then restore again."
    )


def _swap_in(target: Path, checked: Path) -> Path | None:
    """Put ``checked`` in the place of ``target``; returns where the old file was kept."""
    if not target.exists() or target.stat().st_size == 0:
        os.replace(checked, target)
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        fsync_dir(target.parent)
        return None
    conn = sqlite3.connect(str(target), timeout=0, isolation_level=None)
    try:
        try:
            # Out of WAL needs every other connection closed: the portable "is anyone
            # else using this file?". Refused, nothing in the file has changed.
            conn.execute("PRAGMA journal_mode = DELETE").fetchone()
            conn.execute("BEGIN EXCLUSIVE")  # and nobody opens it while it is swapped
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                conn.close()
                raise _in_use(target) from exc
            raise
        except sqlite3.DatabaseError:
            pass  # the live file is not a database at all: nothing in it to protect
        kept = target.with_name(f"{target.stem}.before-restore-{_stamp()}.db")
        try:
            os.link(target, kept)  # no bytes copied: a full disk cannot cut it short
        except OSError:
            copy_private(target, kept)
        make_private(kept)
        if not POSIX:
            conn.close()  # Windows cannot rename over a file that is open
        try:
            os.replace(checked, target)
        except BaseException:
            kept.unlink(missing_ok=True)
            raise
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        fsync_dir(target.parent)
        return kept
    finally:
        conn.close()


def restore_backup(db: str | Path | None, backup: Path) -> Path | ServerPlace:
    """Replace the shop's database with ``backup`` (see the module's docstring); returns
    the file restored into, or the server database named for a sentence."""
    url = resolve_db(db)
    if is_postgres_url(url):
        backup_pg.restore(normalise_url(url), backup, backups_dir())
        return where(url)
    target = sqlite_path(url)
    if target is None:
        raise InputError("Only a database file can be restored.")
    target = target.absolute()
    if backup.exists() and target.exists() and backup.samefile(target):
        raise InputError(f"{backup} is the shop's database itself, not a backup of it.")
    _first_look(backup)
    private_dir(target.parent)
    temp = partial_name(target)
    remove_partial(temp)
    with environment_errors(target, "the database was not changed"):
        try:
            copy_private(backup, temp)
            wal = Path(f"{backup}-wal")  # a copy of a live file: its last transactions
            if wal.is_file() and wal.stat().st_size:
                copy_private(wal, Path(f"{temp}-wal"))
            check_copy(temp, backup)  # what lands is exactly what was checked
            fsync_file(temp)
            _swap_in(target, temp)
        finally:
            remove_partial(temp)
    return target
