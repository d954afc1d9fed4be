"""Owner-only files, written whole or not at all, and what a crashed process left behind.

The shop file, its backups, its exports and the frame reader's scratch files
hold every client's name, email and phone, so each is created mode 0600 in
folders BarberBI creates 0700, whatever the umask: a shared shop computer's
other accounts must not read them. A file that may be half written when the
power goes (a backup, an export) is written under a temporary name that
carries the writer's process id, checked, flushed and renamed into place, so
the name only ever holds a whole file and a later start can tell a crashed
writer's leftovers from a live writer's work.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
PARTIAL = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.partial(?P<suffix>-journal|-wal|-shm)?$")
POSIX = os.name == "posix"


def private_dir(folder: Path) -> Path:
    """Create ``folder`` and any missing parents owner-only; folders that exist are the
    owner's choice and are left as they are."""
    missing = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=PRIVATE_DIR)
            if POSIX:
                os.chmod(path, PRIVATE_DIR)  # mkdir's mode is cut by the umask
    return folder


def create_private(path: Path) -> Path:
    """Create an empty owner-only file; refuses to reuse a name that exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        if POSIX:
            os.fchmod(fd, PRIVATE_FILE)  # os.open's mode is cut by the umask, never widened
    finally:
        os.close(fd)
    return path


def make_private(path: Path) -> None:
    """Narrow an existing file to owner-only (files written by earlier versions were not)."""
    if not POSIX:
        return
    with contextlib.suppress(OSError):  # not ours, or a read-only medium: leave it
        if path.exists() and path.stat().st_mode & 0o077:
            os.chmod(path, PRIVATE_FILE)


def partial_name(target: Path) -> Path:
    """Where ``target`` is written before it is whole (hidden, with this process's id)."""
    return target.with_name(f".{target.name}.{os.getpid()}.partial")


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR)  # Windows flushes only a handle open for writing
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` survive a power cut (POSIX; Windows has no such call)."""
    if not POSIX:
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_partial(temp: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(str(temp) + suffix).unlink(missing_ok=True)


@contextmanager
def written_whole(target: Path) -> Iterator[Path]:
    """Yield an owner-only temporary file beside ``target``; once the block ends without
    an error it is flushed and renamed over ``target``, else removed."""
    private_dir(target.parent)
    temp = partial_name(target)
    remove_partial(temp)  # this very process crashed here before? (a reused pid)
    create_private(temp)
    try:
        yield temp
        fsync_file(temp)
        os.replace(temp, target)
        fsync_dir(target.parent)
    except BaseException:
        remove_partial(temp)
        raise


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this computer."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if not POSIX:  # no cheap portable check: assume it may be running
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another account's process
        return True
    return True


def process_started(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def process_name(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() or None
    except OSError:
        return None


def remove_dead_partials(folder: Path) -> list[Path]:
    """Remove temporary files in ``folder`` whose writer is no longer running."""
    removed = []
    with contextlib.suppress(OSError):
        for path in folder.iterdir():
            found = PARTIAL.match(path.name)
            if found and not pid_alive(int(found["pid"])):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(path)
    return removed


def remove_dead_folders(base: Path, prefix: str) -> list[Path]:
    """Remove ``base/<prefix><pid>-*`` folders whose process is gone (and unnamed ones,
    ``<prefix><random>``, over a day old: earlier versions did not name them)."""
    removed = []
    for folder in base.glob(f"{prefix}*"):
        owner = folder.name[len(prefix) :].split("-", 1)[0]
        try:
            stale = (
                not pid_alive(int(owner))
                if owner.isdigit()
                else time.time() - folder.stat().st_mtime > 86_400
            )
        except OSError:
            continue
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def lock_holder(path: Path, start: int, length: int) -> int | None:
    """The id of another process holding a POSIX lock on ``path``'s byte range, if any.

    Reads the lock table only (F_GETLK) and takes no lock. Closing a descriptor drops
    every POSIX lock this process holds on the file, so never call it while this
    process has the file open in SQLite."""
    if sys.platform != "linux":
        return None
    import fcntl
    import struct

    layout = "hhqqi"  # struct flock on Linux: type, whence, start, len, pid (+ padding)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        query = struct.pack(layout, fcntl.F_WRLCK, os.SEEK_SET, start, length, 0)
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, query.ljust(32, b"\0"))
        kind, _, _, _, pid = struct.unpack(layout, answer[: struct.calcsize(layout)])
    except OSError:
        return None
    finally:
        os.close(fd)
    return None if kind == fcntl.F_UNLCK else pid


def no_space(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def copy_private(source: Path, target: Path) -> Path:
    """Copy ``source`` to a new owner-only ``target``."""
    create_private(target)
    with source.open("rb") as src, target.open("r+b") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    return target
