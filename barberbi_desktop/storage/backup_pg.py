"""Backups of a shop on a PostgreSQL server: ``pg_dump -Fc`` and ``pg_restore``.

A backup is PostgreSQL's own custom-format archive (``<database>-<stamp>.dump``),
written under a temporary name, checked with ``pg_restore --list`` and only then
renamed, like an SQLite backup. A restore first checks the archive (a BarberBI
schema this version knows), keeps the live database as a ``before-restore``
dump, then runs ``pg_restore --clean --if-exists --single-transaction`` into the
same database: a failure anywhere rolls the whole restore back, leaving the
database as it was. The whole-shop write lock is held meanwhile, so no computer
writes during it (pg_restore itself waits for other computers' open reads, as it
sets no lock timeout). Other computers stay connected; each sees the restored
data at its next refresh, since the data version only goes up.

The tools come from the computer's PostgreSQL client package (``postgresql-client``
on Debian); without them the backup is refused in one sentence.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from barberbi_desktop.errors import InputError
from barberbi_desktop.storage import pg
from barberbi_desktop.storage.files import private_dir, written_whole

DUMP_MAGIC = b"PGDMP"
SUFFIX = ".dump"
# Tables every BarberBI schema since the first has had (as storage.backup.CORE_TABLES).
CORE_TABLES = {"alembic_version", "locations", "clients", "appointments", "import_batches"}


def find_tool(name: str) -> Path | None:
    """``pg_dump`` / ``pg_restore`` on PATH, else the newest Debian cluster's."""
    found = shutil.which(name)
    if found:
        return Path(found)
    roots = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if p.parent.name.isdigit()),
        key=lambda p: int(p.parent.name),
    )
    for root in reversed(roots):
        if (root / name).exists():
            return root / name
    return None


def _tool(name: str, doing: str) -> Path:
    tool = find_tool(name)
    if tool is None:
        raise InputError(
            f"{doing} a shop on a PostgreSQL server needs PostgreSQL's {name}, which is not "
            "installed on this computer (Debian and Ubuntu: apt install postgresql-client)."
        )
    return tool


def _connection(url: str) -> tuple[str, dict[str, str]]:
    """A libpq address without the password, and the environment that carries it
    (a password on a command line is visible to every user of the computer)."""
    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    plain = u.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(cmd: list[str], env: dict[str, str], failed: str) -> subprocess.CompletedProcess[str]:
    """Run a tool; on failure, one sentence: ``failed`` with the tool's own first error in
    place of ``{detail}``, or after it in brackets."""
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = _first_error(done.stderr)
        if "{detail}" in failed:
            raise InputError(failed.replace("{detail}", detail))
        raise InputError(f"{failed} ({detail}).")
    return done


def _first_error(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for line in lines:
        if "error" in line.lower() or "fatal" in line.lower():
            return re.sub(r"^(pg_dump|pg_restore): (error: )?", "", line)
    return lines[0] if lines else "no message"


def dump(url: str, target: Path, check: bool = True, failed: str | None = None) -> Path:
    """Write a checked ``pg_dump -Fc`` archive of the shop's database to ``target``
    (``check=False``: any database, unchecked, for tests of refusals; ``failed``: the
    refusal's sentence, as `_run` takes it)."""
    pg_dump = _tool("pg_dump", "Backing up")
    place = pg.where(url)
    address, env = _connection(url)
    with written_whole(target) as temp:
        _run(
            [str(pg_dump), "--format=custom", "--no-owner", "--no-privileges",
             f"--file={temp}", f"--dbname={address}"],
            env,
            failed or f"{place.first} could not be backed up; no backup was written",
        )  # fmt: skip
        if check:
            check_archive(temp, target)
    return target


def _listing(archive: Path, named: Path) -> str:
    pg_restore = _tool("pg_restore", "Restoring")
    return _run(
        [str(pg_restore), "--list", str(archive)],
        dict(os.environ),
        f"The backup {named} is damaged or not a PostgreSQL backup; nothing was restored",
    ).stdout


def check_archive(archive: Path, named: Path) -> str:
    """Refuse, naming ``named``, an archive that is not a BarberBI backup this version can
    restore; returns its schema revision."""
    if not archive.is_file():
        raise InputError(f"The backup {named} does not exist.")
    if archive.stat().st_size == 0:
        raise InputError(f"The backup {named} is empty (0 bytes), so there is nothing to restore.")
    with archive.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(b"SQLite format 3"):
        raise InputError(
            f"{named} is a backup of a shop file, not of a server database; move a shop file "
            "onto the server with barberbi migrate."
        )
    if not head.startswith(DUMP_MAGIC):
        raise InputError(f"{named} is not a BarberBI backup (it is not a PostgreSQL archive).")
    tables = set(re.findall(r"TABLE DATA \S+ (\S+)", _listing(archive, named)))
    if not tables >= CORE_TABLES:
        raise InputError(f"{named} is not a BarberBI backup (its tables are another program's).")
    revision = _revision(archive, named)
    from barberbi_desktop.storage.db import _known_revisions

    if revision not in _known_revisions():
        raise InputError(
            f"The backup {named} was written by a newer version of BarberBI (schema {revision}); "
            "install the latest version to restore it."
        )
    return revision


def _revision(archive: Path, named: Path) -> str:
    """The schema revision inside the archive: the one row of its alembic_version."""
    pg_restore = _tool("pg_restore", "Restoring")
    out = _run(
        [str(pg_restore), "--data-only", "--table=alembic_version", "--file=-", str(archive)],
        dict(os.environ),
        f"The backup {named} is damaged; nothing was restored",
    ).stdout
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and i + 1 < len(lines):
            value = lines[i + 1].strip()
            if value and value != "\\.":
                return value
    raise InputError(f"{named} is not a BarberBI backup (it has no schema revision).")


def restore(url: str, archive: Path, keep_in: Path, busy_timeout_ms: int = 30_000) -> Path:
    """Replace the server database's contents with ``archive``; returns where the
    contents it replaced were kept (a dump in ``keep_in``).

    The whole-shop write lock is held throughout, on a connection of its own, so no
    computer writes between the safety dump and the restore, nor during it."""
    import psycopg

    check_archive(archive, archive)
    pg_restore = _tool("pg_restore", "Restoring")
    place = pg.where(url)
    name = make_url(url).database or "shop"
    address, env = _connection(url)
    private_dir(keep_in)
    from barberbi_desktop.storage.backup import _stamp

    with psycopg.connect(address, password=env.get("PGPASSWORD")) as guard:
        guard.execute(f"SET lock_timeout = {int(busy_timeout_ms)}")
        try:
            guard.execute("SELECT pg_advisory_xact_lock(%s)", (pg.WRITE_LOCK_KEY,))
        except psycopg.errors.LockNotAvailable as exc:
            raise InputError(
                f"{place.first} is busy in another program, so nothing was restored; "
                "try again in a moment."
            ) from exc
        # Read on a connection of its own: a table the guard had read stays locked by it
        # until it commits, and pg_restore, waiting to drop that table, would never finish.
        with psycopg.connect(address, password=env.get("PGPASSWORD"), autocommit=True) as c:
            row = c.execute("SELECT data_version FROM shop_state WHERE id = 1").fetchone()
        before = int(row[0]) if row else 0
        kept = dump(url, keep_in / f"{name}.before-restore-{_stamp()}{SUFFIX}")
        _run(
            [str(pg_restore), "--clean", "--if-exists", "--no-owner", "--no-privileges",
             "--single-transaction", "--exit-on-error", f"--dbname={address}", str(archive)],
            env,
            f"{place.first} was not changed: the restore failed",
        )  # fmt: skip
        # After pg_restore has committed, so this names the restored table. Past both the
        # old and the restored version: every connected app's cache keyed
        # on the version sees a change, even when the backup's version is lower.
        guard.execute(
            "UPDATE shop_state SET data_version = GREATEST(data_version, %s) + 1", (before,)
        )
    return kept


def dump_before_upgrade(url: str, old: str, new: str) -> Path:
    """Back up a server database about to be upgraded from schema ``old`` to ``new``, as a
    shop file is copied before its upgrade; returns the checked archive.

    The archive goes to the backups folder (``<database>@<host>.before-upgrade-<stamp>``,
    never rotated away, like a file's copy beside it). Without pg_dump, or when it fails,
    the upgrade is refused in one sentence: an upgrade without a way back is the riskiest
    moment of an update, and the caller has changed nothing yet."""
    from barberbi_desktop.storage.backup import _server_stem, _stamp, backups_dir

    place = pg.where(url)
    held = (
        f"{place.first} was not upgraded from schema {old} to {new} and is unchanged: "
        "BarberBI backs a server database up before upgrading it"
    )
    if find_tool("pg_dump") is None:
        raise InputError(
            f"{held}, and PostgreSQL's pg_dump, which writes that backup, is not installed on "
            "this computer; install it (Debian and Ubuntu: apt install postgresql-client) and "
            "open the shop again."
        )
    target = backups_dir() / f"{_server_stem(url)}.before-upgrade-{_stamp()}{SUFFIX}"
    return dump(
        url, target,
        failed=f"{held}, and pg_dump could not write that backup ({{detail}}); fix that (a "
        "pg_dump older than the server must be updated) and open the shop again.",
    )  # fmt: skip
