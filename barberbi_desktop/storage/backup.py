"""Backups with SQLite's online backup API, and restoring one.

A restore first checks that the backup really is a BarberBI database this
version can open, then keeps a copy of the current file, so a wrong pick can
itself be undone.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from barberbi_desktop.config import data_dir, resolve_db
from barberbi_desktop.errors import InputError
from barberbi_desktop.storage.db import Database, backup_sqlite, open_database, sqlite_path

KEEP_BACKUPS = 14


def backups_dir() -> Path:
    return data_dir() / "backups"


def make_backup(db: Database, out: Path | None = None, keep: int = KEEP_BACKUPS) -> Path:
    """Write a consistent copy; when writing to the backups folder, keep the newest ``keep``."""
    if db.path is None:
        raise InputError("Only a database file can be backed up.")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = out or backups_dir() / f"{db.path.stem}-{stamp}.db"
    backup_sqlite(db.path, target)
    if out is None:
        old = sorted(target.parent.glob(f"{db.path.stem}-*.db"))[:-keep]
        for path in old:
            path.unlink(missing_ok=True)
    return target


def restore_backup(db: str | Path | None, backup: Path) -> Path:
    if not backup.is_file():
        raise InputError(f"The backup {backup} does not exist.")
    checked = open_database(backup, create=False)  # refuses non-databases and newer schemas
    checked.dispose()
    target = sqlite_path(resolve_db(db))
    if target is None:
        raise InputError("Only a database file can be restored.")
    if target.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        backup_sqlite(target, target.with_name(f"{target.stem}.before-restore-{stamp}.db"))
        for suffix in ("-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
    shutil.copyfile(backup, target)
    return target
