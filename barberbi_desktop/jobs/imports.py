"""Imports from the window, run in a helper process.

Reading, parsing and staging an export is pandas and Python work that holds the
GIL for tens of milliseconds at a time; on a worker thread of the window's
process it made the GUI thread wait (the UI benchmark's longest stall on the
shop demo was 103-149 ms with the import in the window's process and 51-96 ms
without it). In a helper the window's thread only waits on a future. The
helper is spawned on first use, is in the background scheduling class
(`priority`), and stays for the next import. Its `DataChanged` events are sent
back and published on the window's hub, so the scheduler and the tabs hear of
the import exactly as before. A database without a file (tests in memory) is
imported in this process.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from barberbi_desktop.events import DataChanged, EventHub
from barberbi_desktop.ingest.importer import FileReport, Importer, local_zone
from barberbi_desktop.priority import background_pool
from barberbi_desktop.storage.db import Database

_LOCK = threading.Lock()
_POOL: ProcessPoolExecutor | None = None


def _import_in_helper(
    db_path: str, paths: list[str], user_id: int | None, zone: str
) -> tuple[list[FileReport], list[DataChanged]]:
    from barberbi_desktop.storage.db import open_database
    from barberbi_desktop.storage.frames import shutdown_reader

    os.environ["TZ"] = zone  # a brand-new shop gets the window's zone, not the helper's
    time.tzset()
    db = open_database(db_path, create=False)
    hub, changes = EventHub(), []
    hub.subscribe(DataChanged, changes.append)
    try:
        return Importer(db, hub=hub, user_id=user_id).import_files(paths), changes
    finally:
        db.dispose()
        shutdown_reader()


def _pool() -> ProcessPoolExecutor:
    global _POOL
    with _LOCK:
        if _POOL is None:
            _POOL = background_pool()
        return _POOL


def import_files(
    db: Database,
    paths: Sequence[Path | str],
    hub: EventHub | None = None,
    user_id: int | None = None,
) -> list[FileReport]:
    """Import ``paths`` as `Importer.import_files` does, in the helper where there is one."""
    if db.path is None:
        return Importer(db, hub=hub, user_id=user_id).import_files(paths)
    future = _pool().submit(
        _import_in_helper, str(db.path), [str(p) for p in paths], user_id, local_zone()
    )
    reports, changes = future.result()
    if hub is not None:
        for change in changes:
            hub.publish(change)
    return reports


def shutdown() -> None:
    """Stop the helper (the app's exit; tests)."""
    global _POOL
    with _LOCK:
        pool, _POOL = _POOL, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
