"""Moving a shop up: its SQLite history copied into a PostgreSQL server (``barberbi migrate``).

A growing shop keeps its past when it becomes a chain (issue #22). Every table is
copied with its ids (`storage.copy.replace_rows`: ``COPY``, then each id sequence
moved past the copied ids), in one transaction under the whole-shop write lock,
and checked before it commits: each table's row count, the sum of its ids and
the sum of each money column (``*_cents``) must be the same on both sides, or
nothing is kept. The source is read in one read transaction, so a shop that is
importing meanwhile is copied as it was at one moment.

Running it again changes nothing: a server that already holds this very shop
(the same counts and sums; the audit log aside, since checking the owner's PIN
adds a line to the file's) is left as it is. A server holding anything else is
refused with one sentence: the copy never mixes two shops.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from barberbi_desktop.config import resolve_db
from barberbi_desktop.errors import InputError
from barberbi_desktop.storage import pg
from barberbi_desktop.storage.copy import replace_rows
from barberbi_desktop.storage.cursor import reason
from barberbi_desktop.storage.db import Database, environment_sentence, open_database
from barberbi_desktop.storage.models import Base

OUTCOME = "nothing was copied"
# Bookkeeping that may grow in the file after a migration without making it another shop.
NOT_COMPARED = ("audit_log",)
# What an empty shop database holds: the data version row every migrated database has.
EMPTY_STATE = {"rows": 1, "ids": 1}

Fingerprint = dict[str, dict[str, int]]


def fingerprint(conn: Connection) -> Fingerprint:
    """Per table: rows, the sum of the ids (single integer key) and of each money column."""
    out: Fingerprint = {}
    for table in Base.metadata.sorted_tables:
        parts = {"rows": "count(*)"}
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and pk[0].type.python_type is int:
            parts["ids"] = f'coalesce(sum("{pk[0].name}"), 0)'
        for col in table.columns:
            if col.name.endswith("_cents"):
                parts[col.name] = f'coalesce(sum("{col.name}"), 0)'
        row = conn.execute(
            text(f"SELECT {', '.join(parts.values())} FROM \"{table.name}\"")
        ).one()
        out[table.name] = {k: int(v) for k, v in zip(parts, row, strict=True)}
    return out


def _empty(found: Fingerprint) -> bool:
    state = {k: found["shop_state"][k] for k in EMPTY_STATE}
    return state == EMPTY_STATE and all(
        f["rows"] == 0 for name, f in found.items() if name != "shop_state"
    )


def _compared(found: Fingerprint) -> Fingerprint:
    return {k: v for k, v in found.items() if k not in NOT_COMPARED}


def _differences(a: Fingerprint, b: Fingerprint) -> list[str]:
    return [f"{t}.{k}" for t in a for k in a[t] if a[t][k] != b.get(t, {}).get(k)]


def check_arguments(source: str | Path, target: str) -> str:
    """Refuse a source that is not a file or a target that is not a server (before the
    owner is asked for a PIN); returns the target's URL."""
    if pg.is_postgres_url(str(source)):
        raise InputError("--from must be a shop file (SQLite), not a server database.")
    url = resolve_db(target)
    if not pg.is_postgres_url(url):
        raise InputError(
            f"--to must be a PostgreSQL database (postgresql+psycopg://user@host/name), "
            f"not {target}."
        )
    return url


def migrate(source: str | Path, target: str) -> dict[str, Any]:
    """Copy the shop file ``source`` into the server database ``target``; what happened.

    Refuses, with one sentence and nothing written, a source that is not a shop file,
    a target that is not a PostgreSQL database, and a target holding another shop."""
    url = check_arguments(source, target)
    started = time.perf_counter()
    src = open_database(source, create=False)
    try:
        dst = open_database(url)
        try:
            status, found = _copy(src, dst, str(source))
        finally:
            dst.dispose()
    finally:
        src.dispose()
    return {
        "command": "migrate",
        "from": str(source),
        "to": pg.where(url),
        "status": status,
        "seconds": round(time.perf_counter() - started, 2),
        "verified": True,
        "tables": {name: _figures(f) for name, f in found.items() if f["rows"]},
    }


def _figures(found: dict[str, int]) -> dict[str, int]:
    """What the report shows of a table: its rows and money totals (cents)."""
    return {k: v for k, v in found.items() if k == "rows" or k.endswith("_cents")}


def _copy(src: Database, dst: Database, source: str) -> tuple[str, Fingerprint]:
    place = pg.where(dst.engine.url)
    with src.read() as s, dst.write() as d:
        want = fingerprint(s)
        there = fingerprint(d)
        if _compared(there) == _compared(want):
            return "unchanged", there
        if not _empty(there):
            visits = there["appointments"]["rows"]
            raise InputError(
                f"{place.first} already holds a different shop ({visits:,} appointments); "
                f"barberbi migrate only copies into an empty database, so {OUTCOME}."
            )
        try:
            replace_rows(s, d)
        except Exception as exc:  # a row the server's column types refuse, or the network
            refusal = _refusal(exc, source, place)
            if refusal is None:
                raise
            raise refusal from exc
        got = fingerprint(d)
        if got != want:  # rolls the copy back with the transaction
            raise InputError(
                f"The copy of {source} in {place} did not match it "
                f"({', '.join(_differences(want, got)[:5])}), so {OUTCOME}."
            )
        return "copied", got


def _refusal(exc: Exception, source: str, place: pg.ServerPlace) -> InputError | None:
    """One sentence for a driver error while copying; None for anything else."""
    import psycopg

    if not isinstance(exc, psycopg.Error | DBAPIError):
        return None
    sentence = environment_sentence(exc, place, OUTCOME)
    if sentence is not None:
        return InputError(sentence)
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    diag = getattr(orig, "diag", None)
    where = f" ({diag.context.strip().splitlines()[0]})" if diag and diag.context else ""
    return InputError(
        f"{place.first} refused a row of {source}: {reason(exc)}{where}; {OUTCOME}."
    )
