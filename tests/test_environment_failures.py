"""What the computer does to a write, told in one sentence: a full disk, a lock another
program holds too long, a read-only folder. Never "internal error", never a report
that disagrees with the database, never a landed import without its audit entry.

The full disk is a real one: a tmpfs of a few megabytes mounted for the test (root on
Linux; skipped with the reason elsewhere).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from barberbi_desktop.cli import main
from barberbi_desktop.ingest.importer import Importer
from barberbi_desktop.storage.db import open_database
from tests.template_rows import write_template_rows

# Another program that takes the write lock and keeps it.
HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


def _mount(where: Path, options: str) -> None:
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root on Linux")
    where.mkdir(exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"a tmpfs cannot be mounted here: {done.stderr.strip()}")


def _umount(where: Path) -> None:
    subprocess.run(["umount", str(where)], capture_output=True, check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "disk"
    _mount(where, "size=4m,mode=0700")
    yield where
    _umount(where)


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A read-only mount as root (root writes through folder modes), else a 0555 folder."""
    where = tmp_path / "ro"
    if os.name == "posix" and os.geteuid() != 0:
        where.mkdir()
        where.chmod(0o555)
        yield where
        where.chmod(0o755)
        return
    _mount(where, "size=1m,mode=0755")
    subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
    yield where
    _umount(where)


def _count(path: Path, sql: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def test_a_full_disk_is_one_sentence_and_the_report_agrees_with_the_database(
    small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = write_template_rows(tmp_path / "visits.csv", 1500)  # about 0.7 MB in the shop
    outcomes = set()
    for leave_kb in (48, 300, 500, 600, 700, 800, 1600):
        for old in small_disk.iterdir():
            old.unlink()
        shop = small_disk / "shop.db"
        open_database(shop).dispose()
        filler = small_disk / "filler"
        free = shutil.disk_usage(small_disk).free
        filler.write_bytes(b"\0" * max(free - leave_kb * 1024, 0))

        code = main(["--db", str(shop), "import", str(export)])
        out, err = capsys.readouterr()
        filler.unlink()  # room again, to look at what is in the shop

        assert code in (0, 2), err
        assert "internal error" not in err
        landed = _count(shop, "SELECT count(*) FROM import_batches WHERE status = 'landed'")
        audited = _count(shop, "SELECT count(*) FROM audit_log WHERE action = 'import'")
        visits = _count(shop, "SELECT count(*) FROM appointments")
        assert audited == landed, f"{landed} landed imports but {audited} audit entries"
        if code == 0:
            assert "imported" in out and landed == 1 and visits == 1500
        else:
            assert err.strip().count("\n") == 0, err
            assert "is full; nothing was imported" in err, err
            assert landed == 0 and visits == 0
        conn = sqlite3.connect(shop)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.close()
        outcomes.add(code)
    assert outcomes == {0, 2}  # the sweep met both a disk too full and one with room


def test_a_lock_held_longer_than_the_busy_timeout_is_one_sentence_and_loses_nothing(
    tmp_path: Path,
) -> None:
    export = write_template_rows(tmp_path / "visits.csv", 200)
    shop = tmp_path / "shop.db"
    open_database(shop).dispose()
    db = open_database(shop, busy_timeout_ms=300)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(shop), "2"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        (report,) = Importer(db).import_files([export])
        assert report.status == "rejected"
        assert report.reason is not None and "is busy in another program" in report.reason
        assert "nothing was imported; try again" in report.reason
    finally:
        holder.wait(timeout=30)
    assert _count(shop, "SELECT count(*) FROM import_batches") == 0
    (again,) = Importer(db).import_files([export])  # once the other program lets go
    db.dispose()
    assert again.status == "landed" and again.inserted == 200
    assert _count(shop, "SELECT count(*) FROM audit_log WHERE action = 'import'") == 1


def test_a_backup_into_a_read_only_folder_is_one_sentence(
    read_only_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shop = tmp_path / "shop.db"
    open_database(shop).dispose()
    assert main(["--db", str(shop), "backup", "--out", str(read_only_folder / "b.db")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "internal error" not in err
    assert "is read-only" in err and "no backup was written" in err, err
    assert list(read_only_folder.iterdir()) == []


def test_a_backup_onto_a_full_disk_leaves_nothing(
    small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shop = tmp_path / "shop.db"
    db = open_database(shop)
    with db.write() as conn:
        conn.exec_driver_sql(
            "WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 30000) "
            "INSERT INTO audit_log (at_utc, user_id, action, detail) "
            "SELECT v, NULL, 'filler', hex(randomblob(100)) FROM n"
        )
    db.dispose()
    assert shop.stat().st_size > 4 * 1024 * 1024  # more than the whole small disk
    assert main(["--db", str(shop), "backup", "--out", str(small_disk / "b.db")]) == 2
    err = capsys.readouterr().err.strip()
    assert "is full; no backup was written" in err, err
    assert list(small_disk.iterdir()) == []
