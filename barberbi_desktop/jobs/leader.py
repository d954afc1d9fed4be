"""One run per server: a background job runs on one computer of a chain, not on each.

Every computer connected to a PostgreSQL server runs the same schedule. Before a
run, the job takes a session-level advisory lock of its own
(``pg_try_advisory_lock``); a computer that does not get it skips that run
(logged, not an error), since another computer is running it right now. Holding
the lock, it reads the job's last *slot* from ``server_jobs`` in the shop
database: a slot names one firing of the job, the same on every computer (the
minute of an every-minute job, the scheduled instant of a daily one, the data
version a change-driven run is for), so a computer whose clock fired a moment
later does not run again what another has just done. The slot is recorded when
the run ends; a computer that dies mid-run leaves the slot open and loses the lock
with its connection, so another may still do it. On SQLite (one computer per file)
every run is this computer's.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text

from barberbi_desktop.storage.db import Database

log = logging.getLogger(__name__)
# The first key of the two-key advisory lock form, so job locks never meet the
# one-key whole-shop write lock (storage.pg); "BB" in ASCII.
JOB_LOCK_CLASS = 0x4242


def job_key(job: str) -> int:
    """A stable 32-bit key for a job name (Python's hash() differs between processes)."""
    return zlib.crc32(job.encode()) - (1 << 31)


def who() -> str:
    return f"{socket.gethostname()} (pid {os.getpid()})"


def last_slot(db: Database, job: str) -> int | None:
    with db.read() as conn:
        slot = conn.execute(text("SELECT slot FROM server_jobs WHERE job = :j"), {"j": job})
        value = slot.scalar()
    return None if value is None else int(value)


class Turn:
    """Whether this computer runs the slot (truthy), and whether the run counts as done:
    a run that failed leaves the slot open, so the next firing for it tries again, as a
    single computer on a file would."""

    def __init__(self, mine: bool) -> None:
        self.mine = mine
        self.done = True

    def __bool__(self) -> bool:
        return self.mine


@contextmanager
def once_per_server(db: Database, job: str, slot: Callable[[], int]) -> Iterator[Turn]:
    """A true `Turn`: run the job here now. False: another computer runs or ran this slot.

    ``slot`` is called once the lock is held (a data version read then is the one the
    run will see)."""
    if not db.is_postgres:
        yield Turn(True)
        return
    params = {"c": JOB_LOCK_CLASS, "k": job_key(job)}
    with db.engine.connect() as conn:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:c, :k)"), params).scalar_one()
        conn.commit()
        if not got:
            log.info("%s skipped here: another computer on the server is running it", job)
            yield Turn(False)
            return
        try:
            this = int(slot())
            done = conn.execute(
                text("SELECT slot FROM server_jobs WHERE job = :j"), {"j": job}
            ).scalar()
            conn.commit()
            if done is not None and int(done) >= this:
                log.info("%s skipped here: another computer already ran it (slot %s)", job, this)
                yield Turn(False)
                return
            started = int(time.time())
            turn = Turn(True)
            yield turn
            if not turn.done:
                return
            conn.execute(
                text(
                    "INSERT INTO server_jobs (job, slot, ran_by, started_utc, finished_utc) "
                    "VALUES (:j, :s, :w, :t0, :t1) ON CONFLICT (job) DO UPDATE SET "
                    "slot = excluded.slot, ran_by = excluded.ran_by, "
                    "started_utc = excluded.started_utc, finished_utc = excluded.finished_utc"
                ),
                {"j": job, "s": this, "w": who(), "t0": started, "t1": int(time.time())},
            )
            conn.commit()
        finally:
            _unlock(conn, params)


def _unlock(conn: Connection, params: dict[str, int]) -> None:
    """Release the job's lock; a connection that died took the lock with it."""
    try:
        conn.rollback()
        conn.execute(text("SELECT pg_advisory_unlock(:c, :k)"), params)
        conn.commit()
    except Exception:
        log.debug("the job lock went with its connection", exc_info=True)
