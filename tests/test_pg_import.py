"""Imports into a PostgreSQL server: two computers at once, and a connection lost midway.

Each import stages its file on its own connection, then lands in one transaction that
starts with the whole-shop advisory lock, so the two land one after the other: both
land, the visits they share are written once, and the money in the database is the
money in the files, to the cent.
"""

from __future__ import annotations

import csv
import multiprocessing as mp
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from barberbi_desktop.ingest import sale_lines
from barberbi_desktop.ingest.importer import Importer
from barberbi_desktop.storage.db import open_database
from tests.import_helpers import NOW, query
from tests.pg_server import PgServer
from tests.square_rows import totals, write_square_items

pytestmark = pytest.mark.pg


def _import_at_once(url: str, path: str, start: Any, out: Any) -> None:
    """One computer: open the shop, wait for the other, import one file, say what happened."""
    db = open_database(url, create=False)
    try:
        start.wait(timeout=60)
        began = time.monotonic()
        (report,) = Importer(db, now=NOW).import_files([Path(path)])
        out.put((path, report.as_dict(), began, time.monotonic()))
    finally:
        db.dispose()


def _rows(*paths: Path) -> list[list[str]]:
    rows: list[list[str]] = []
    for path in paths:
        with path.open(newline="", encoding="utf-8") as fh:
            rows.extend(list(csv.reader(fh))[1:])
    return rows


def test_two_processes_importing_overlapping_files_both_land_once(
    pg_url: str, tmp_path: Path
) -> None:
    # Two overlapping months of one till, exported on two computers: 800 transactions
    # (1,066 item rows) are in both files.
    first = write_square_items(tmp_path / "items-jan-jul.csv", 1, 2000)
    second = write_square_items(tmp_path / "items-may-nov.csv", 1201, 3200)
    expected = totals(_rows(first, second))
    in_both = totals(_rows(first)).lines + totals(_rows(second)).lines - expected.lines
    ctx = mp.get_context("spawn")
    start, out = ctx.Barrier(2), ctx.Queue()
    workers = [ctx.Process(target=_import_at_once, args=(pg_url, str(p), start, out))
               for p in (first, second)]  # fmt: skip
    for w in workers:
        w.start()
    results = [out.get(timeout=240) for _ in workers]
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    reports = {Path(path).name: report for path, report, _, _ in results}
    assert [r["status"] for r in reports.values()] == ["landed", "landed"], reports
    # They ran at once (each began before the other finished), so the lock had work to do.
    (_, _, a0, a1), (_, _, b0, b1) = results
    assert a0 < b1 and b0 < a1

    db = open_database(pg_url, create=False)
    try:
        ((visits, lines, gross, discounts, tax),) = query(
            db,
            "SELECT (SELECT count(*) FROM appointments), count(*), "
            "sum(quantity * unit_price_cents), sum(discount_cents), sum(tax_cents) "
            "FROM sale_items",
        )
        assert (visits, lines) == (expected.visits, expected.lines) == (3200, 4266)
        assert (gross, discounts, tax) == (expected.gross, expected.discounts, expected.tax)
        # Every line came in once: what both files hold was inserted by one, unchanged by
        # the other.
        inserted = sum(r["inserted"] for r in reports.values())
        unchanged = sum(r["unchanged"] for r in reports.values())
        assert (inserted, unchanged) == (expected.lines, in_both) == (4266, 1066)
        assert query(db, "SELECT count(*) FROM import_batches WHERE status = 'landed'") == [
            (2,)
        ]
        versions = query(db, "SELECT data_version FROM import_batches ORDER BY data_version")
        assert versions == [(1,), (2,)]  # one after the other, never both on one version

        # Reading both again changes nothing: still idempotent after the race.
        again = Importer(db, now=NOW).import_files([first, second])
        assert [(r.status, r.inserted, r.updated) for r in again] == [("landed", 0, 0)] * 2
        assert query(db, "SELECT count(*) FROM sale_items") == [(expected.lines,)]
    finally:
        db.dispose()


@pytest.mark.parametrize("when", ["staging", "landing"])
def test_a_lost_connection_rolls_the_import_back_and_says_so(
    pg_url: str, pg_server: PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    when: str,
) -> None:
    """The server drops the importing connection (a restart, a network cut): nothing of the
    file is kept, the report says so in one sentence, and the next import just works."""
    path = write_square_items(tmp_path / "items.csv", 1, 300)
    db = open_database(pg_url, create=False)
    name = make_url(pg_url).database

    def cut() -> None:
        with pg_server.admin() as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = %s AND pid != pg_backend_pid()", (name,))  # fmt: skip

    if when == "landing":  # after the visits are written, before their sale lines
        real = sale_lines.extras

        def extras_then_cut(cur: Any) -> None:
            cut()
            real(cur)

        monkeypatch.setattr(sale_lines, "extras", extras_then_cut)
        importer = Importer(db, now=NOW)
    else:
        importer = Importer(db, now=NOW, progress=lambda rows: cut())
    try:
        (report,) = importer.import_files([path])
        assert report.status == "rejected"
        assert report.reason == (
            f"The connection to the database {name} on 127.0.0.1:{make_url(pg_url).port} was "
            "lost, so nothing was imported; check the network and the server, then try again."
        )
        assert query(db, "SELECT count(*) FROM appointments") == [(0,)]
        assert query(db, "SELECT count(*) FROM import_batches") == [(0,)]
        monkeypatch.undo()
        (again,) = Importer(db, now=NOW).import_files([path])
        assert (again.status, again.inserted) == ("landed", 400)
    finally:
        db.dispose()
