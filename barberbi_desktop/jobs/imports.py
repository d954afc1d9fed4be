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

The import dialog's progress bar and Cancel button cross the process boundary
through two objects the helper inherits when it is spawned: a queue on which it
reports rows read, tagged with the import's ticket, and a shared number that
names the ticket to cancel. The ticket is drawn and a cancel is recorded on the
caller's thread, so a Cancel pressed at once always reaches the helper before
its first chunk, and cancelling one import never stops another.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.queues import SimpleQueue
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path

from sqlalchemy import text

from barberbi_desktop.computer import import_location
from barberbi_desktop.events import DataChanged, EventHub
from barberbi_desktop.ingest.importer import FileReport, Importer, local_zone
from barberbi_desktop.priority import BackgroundContext, background_pool
from barberbi_desktop.storage import live
from barberbi_desktop.storage.db import Database

log = logging.getLogger(__name__)
_LOCK = threading.Lock()
_DRAIN = threading.Lock()  # one caller at a time empties the queue
_POOL: ProcessPoolExecutor | None = None
_PROGRESS: SimpleQueue | None = None
_CANCEL: Synchronized | None = None
_TICKETS = itertools.count(1)
_LISTENERS: dict[int, Callable[[int], None]] = {}
POLL_S = 0.05  # how often a waiting caller passes on progress


class _HelperState:
    """What the helper inherited at spawn (the progress queue and the cancel ticket)."""

    progress: SimpleQueue
    cancel: Synchronized


def _keep(progress: SimpleQueue, cancel: Synchronized) -> None:
    _HelperState.progress, _HelperState.cancel = progress, cancel


def _import_in_helper(
    db_where: str, paths: list[str], user_id: int | None, zone: str, ticket: int,
    platform: str | None, mapping: dict[str, str] | None, location: str | None = None,
) -> tuple[list[FileReport], list[DataChanged]]:
    from barberbi_desktop.storage.db import open_database
    from barberbi_desktop.storage.frames import shutdown_reader

    os.environ["TZ"] = zone  # a brand-new shop gets the window's zone, not the helper's
    time.tzset()
    db = open_database(db_where, create=False)
    hub, changes = EventHub(), []
    hub.subscribe(DataChanged, changes.append)
    queue, cancel = _HelperState.progress, _HelperState.cancel
    importer = Importer(db, hub=hub, user_id=user_id,
                        progress=lambda rows: queue.put((ticket, rows)),
                        cancelled=lambda: cancel.value == ticket)  # fmt: skip
    try:
        found = importer.import_files(paths, platform=platform, mapping=mapping,
                                      location=location)  # fmt: skip
        return found, changes
    finally:
        db.dispose()
        shutdown_reader()


def _shared() -> tuple[SimpleQueue, Synchronized]:
    """The progress queue and cancel ticket the helper inherits (made once, unspawned)."""
    global _PROGRESS, _CANCEL
    with _LOCK:
        if _PROGRESS is None or _CANCEL is None:
            context = BackgroundContext()
            _PROGRESS, _CANCEL = context.SimpleQueue(), context.Value("q", 0)
        return _PROGRESS, _CANCEL


def _pool() -> ProcessPoolExecutor:
    global _POOL
    shared = _shared()
    with _LOCK:
        if _POOL is None:
            _POOL = background_pool(_keep, shared)
        return _POOL


def ticket() -> int:
    """A number for one import, to pass to `import_files` and `cancel`."""
    return next(_TICKETS)


def cancel(number: int) -> None:
    """Stop import ``number`` at its next chunk (nothing of it is kept)."""
    _, shared = _shared()
    with shared.get_lock():
        shared.value = number


def _pass_on_progress() -> None:
    """Hand each report waiting on the queue to the import it belongs to."""
    with _DRAIN:
        queue, reports = _PROGRESS, []
        while queue is not None and not queue.empty():
            reports.append(queue.get())
    for number, rows in reports:  # outside the lock: a listener may cancel
        listener = _LISTENERS.get(number)
        if listener is not None:
            listener(rows)


def import_files(
    db: Database,
    paths: Sequence[Path | str],
    hub: EventHub | None = None,
    user_id: int | None = None,
    *,
    platform: str | None = None,
    mapping: dict[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
    number: int | None = None,
) -> list[FileReport]:
    """Import ``paths`` as `Importer.import_files` does, in the helper where there is one.

    ``progress`` gets the rows read so far, called from a thread that waits on an
    import (this one or another's), never from the helper; ``number`` (from
    `ticket`) is what `cancel` takes.
    """
    number = ticket() if number is None else number
    location = import_location(db.url)  # files that name no location are this computer's
    if db.path is None and not db.is_postgres:  # refused by the importer with its own sentence
        return Importer(db, hub=hub, user_id=user_id).import_files(paths, location=location)
    # The helper opens the same database: the file, or the server with its password (handed
    # over through the pool's pipe, never on a command line).
    where = str(db.path) if db.path is not None else db.engine.url.render_as_string(False)
    pool = _pool()
    if progress is not None:
        _LISTENERS[number] = progress
    # On a server, the helper's commit is also announced to this app's listener: it is
    # told which versions are its own, so the import refreshes the window once.
    own = live.own_writes(db.engine.url) if db.is_postgres else None
    changes: list[DataChanged] = []
    if own is not None:
        own.begin()
    try:
        future = pool.submit(_import_in_helper, where, [str(p) for p in paths],
                             user_id, local_zone(), number, platform, mapping,
                             location)  # fmt: skip
        while True:
            try:
                reports, changes = future.result(timeout=POLL_S)
                break
            except TimeoutError:
                _pass_on_progress()
        _pass_on_progress()
    finally:
        _LISTENERS.pop(number, None)
        if own is not None:
            own.end(_versions(db, changes))
    if hub is not None:
        for change in changes:
            hub.publish(change)
    return reports


def _versions(db: Database, changes: list[DataChanged]) -> list[int]:
    """The data versions the helper's batches produced (read back; never raises, since
    the import itself has landed)."""
    batches = [int(c.batch_id) for c in changes if c.batch_id is not None]
    if not batches:
        return []
    try:
        with db.read() as conn:
            found = conn.execute(
                text(f"SELECT data_version FROM import_batches WHERE id IN "
                     f"({', '.join(map(str, batches))}) AND data_version IS NOT NULL")
            ).scalars().all()  # fmt: skip
    except Exception:  # the server went away: the notice, if any, refreshes once more
        log.warning("the versions of import batches %s could not be read", batches)
        return []
    return [int(v) for v in found]


def shutdown() -> None:
    """Stop the helper (the app's exit; tests)."""
    global _POOL
    with _LOCK:
        pool, _POOL = _POOL, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
