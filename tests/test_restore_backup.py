"""Restores and backups that lose nothing: checked first, swapped whole, refused while in use.

Each refusal must leave the live database byte for byte as it was; each success
keeps the previous file beside it and leaves no temporary file behind.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from barberbi_desktop.cli import main
from barberbi_desktop.errors import InputError
from barberbi_desktop.storage import db as db_module
from barberbi_desktop.storage.backup import make_backup, restore_backup
from barberbi_desktop.storage.db import open_database
from barberbi_desktop.storage.settings import get_setting, set_setting

# A second program writing to the shop: one row every 10 ms, connection held open.
WRITER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL")
for i in range(int(sys.argv[2])):
    conn.execute("INSERT INTO audit_log (at_utc, user_id, action, detail) "
                 "VALUES (?, NULL, 'writer', '{}')", (i,))
    if i == 0:
        print("ready", flush=True)
    time.sleep(0.01)
conn.close()
"""


def _shop(path: Path, marker: str, rows: int = 0) -> Path:
    """A BarberBI database saying ``marker``, with ``rows`` audit rows to fill pages."""
    db = open_database(path)
    set_setting(db, "marker", marker)
    if rows:
        with db.write() as conn:
            conn.execute(
                text(
                    "WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n "
                    "WHERE v < :n) INSERT INTO audit_log (at_utc, user_id, action, detail) "
                    "SELECT v, NULL, 'filler', hex(randomblob(100)) FROM n"
                ),
                {"n": rows},
            )
    db.dispose()
    return path


def _marker(path: Path) -> str:
    db = open_database(path, create=False)
    try:
        return get_setting(db, "marker")
    finally:
        db.dispose()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


@pytest.fixture
def live_and_backup(tmp_path: Path) -> tuple[Path, Path]:
    backup = _shop(tmp_path / "old" / "shop.db", "from the backup")
    live = _shop(tmp_path / "live" / "shop.db", "live")
    return live, backup


def _refused(capsys: pytest.CaptureFixture[str], live: Path, backup: Path, words: str) -> None:
    before, names = _digest(live), _siblings(live)
    assert main(["--db", str(live), "restore", str(backup)]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and err.count("\n") == 0, err
    assert _digest(live) == before and _siblings(live) == names


def test_restore_is_refused_while_another_process_writes_and_nothing_is_lost(
    live_and_backup: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    live, backup = live_and_backup
    writes = 150
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(live), str(writes)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        assert main(["--db", str(live), "restore", str(backup)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0
        assert "is open in another program" in err and f"process {writer.pid}" in err, err
    finally:
        assert writer.wait(timeout=30) == 0
    assert not list(live.parent.glob("*.before-restore-*"))
    assert _marker(live) == "live"
    db = open_database(live, create=False)
    with db.read() as conn:
        count = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'writer'"))
        assert count.scalar_one() == writes
    db.dispose()


def test_an_empty_backup_is_refused_and_the_live_file_is_untouched(
    live_and_backup: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    live, backup = live_and_backup
    backup.write_bytes(b"")
    _refused(capsys, live, backup, "is empty (0 bytes)")
    assert backup.read_bytes() == b""  # not turned into a database either


def test_a_backup_with_overwritten_pages_is_refused_and_the_live_file_is_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live = _shop(tmp_path / "live" / "shop.db", "live")
    backup = _shop(tmp_path / "old" / "shop.db", "from the backup", rows=4000)
    data = bytearray(backup.read_bytes())
    page = 4096
    middle = len(data) // page // 2
    for n in range(middle, middle + 4):  # four pages of the audit table's b-tree
        data[n * page : (n + 1) * page] = bytes([0xA5]) * page
    backup.write_bytes(bytes(data))
    _refused(capsys, live, backup, "is damaged")


def test_a_backup_of_another_program_or_a_newer_version_is_refused(
    live_and_backup: tuple[Path, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import sqlite3

    live, backup = live_and_backup
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE notes (x)")
    conn.close()
    _refused(capsys, live, foreign, "is not a BarberBI backup")
    conn = sqlite3.connect(backup)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.close()
    _refused(capsys, live, backup, "newer version of BarberBI")


def test_a_restore_swaps_the_checked_copy_in_and_keeps_the_previous_file(
    live_and_backup: tuple[Path, Path],
) -> None:
    live, backup = live_and_backup
    backup_bytes = _digest(backup)
    restore_backup(live, backup)
    assert _marker(live) == "from the backup"
    kept = list(live.parent.glob("shop.before-restore-*.db"))
    assert len(kept) == 1 and _marker(kept[0]) == "live"
    assert _digest(backup) == backup_bytes  # the backup itself is never opened for writing
    assert not [n for n in _siblings(live) if "partial" in n]


def test_an_older_backup_is_restored_as_it_is_and_never_migrated_in_place(
    tmp_path: Path,
) -> None:
    import sqlite3

    from alembic import command

    backup = tmp_path / "old.db"
    engine = db_module.create_engine(f"sqlite:///{backup}")
    cfg = db_module._alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0007")
    engine.dispose()
    before = _digest(backup)
    live = _shop(tmp_path / "live" / "shop.db", "live")
    restore_backup(live, backup)
    assert _digest(backup) == before
    with sqlite3.connect(live) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0007",)
    db = open_database(live, create=False)  # the ordinary open upgrades it, after a copy
    db.dispose()
    assert list(live.parent.glob("shop.before-upgrade-*.db"))


def test_a_failed_backup_leaves_nothing_and_rotation_counts_only_checked_backups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = _shop(tmp_path / "shop.db", "live")
    db = open_database(live, create=False)
    try:
        made = [make_backup(db, keep=3) for _ in range(3)]
        folder = made[0].parent
        assert sorted(folder.iterdir()) == sorted(made)
        with monkeypatch.context() as patch, pytest.raises(InputError, match="failed its check"):
            patch.setattr(db_module, "integrity_problem", lambda _path: "page 7 is damaged")
            make_backup(db, keep=3)
        assert sorted(folder.iterdir()) == sorted(made)  # nothing new, nothing rotated away
        # What a crashed writer leaves: a temporary file with its journal (process 999999 is
        # not running), and a backup an older version was writing in place when it died.
        dead = [folder / ".shop-x.db.999999.partial", folder / ".shop-x.db.999999.partial-journal"]
        cut = folder / "shop-20990101T000000000000Z.db"
        cut = [cut, Path(f"{cut}-journal")]
        orphan = [folder / "shop-20200101T000000000000Z.db-journal"]
        for path in dead + cut + orphan:
            path.write_bytes(b"half")
        newest = make_backup(db, keep=3)
    finally:
        db.dispose()
    assert sorted(folder.iterdir()) == sorted([*made[1:], newest])


def test_a_scheduled_backup_that_fails_raises_an_alert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from barberbi_desktop.alerts.store import list_alerts
    from barberbi_desktop.events import EventHub
    from barberbi_desktop.jobs import scheduler

    db = open_database(_shop(tmp_path / "shop.db", "live"), create=False)
    hub = EventHub()
    url = db.engine.url.render_as_string(hide_password=False)
    (tmp_path / "xdg-data").mkdir(exist_ok=True)
    (tmp_path / "xdg-data" / "BarberBI").write_text("a file where the folder should be")
    monkeypatch.setitem(scheduler._RUNTIME, url, (db, hub))
    try:
        scheduler.backup_job(url)  # must not raise: a job never takes the app down
        alerts = list_alerts(db)
    finally:
        db.dispose()
    assert list(alerts["rule"]) == ["backup_failed"]
    assert "backup" in alerts["title"].iloc[0].lower()


def test_rotation_alone_sweeps_a_dead_writers_leftovers(tmp_path: Path) -> None:
    from barberbi_desktop.storage.backup import rotate

    (tmp_path / f".shop-1.db.{os.getpid()}.partial").write_bytes(b"mine, still writing")
    (tmp_path / ".shop-1.db.999999.partial").write_bytes(b"a dead writer's")
    rotate(tmp_path, "shop")
    assert _siblings(tmp_path / "x") == [f".shop-1.db.{os.getpid()}.partial"]


def test_the_apps_restore_after_closing_says_why_it_refused(
    live_and_backup: tuple[Path, Path],
) -> None:
    from barberbi_desktop.app import restore_after_close

    live, backup = live_and_backup
    good = backup.read_bytes()
    backup.write_bytes(b"")
    before = _digest(live)
    restored, message = restore_after_close(live, backup)
    assert not restored and "is empty" in message and _digest(live) == before
    backup.write_bytes(good)
    restored, message = restore_after_close(live, backup)
    assert restored and "open BarberBI again" in message
    assert _marker(live) == "from the backup"
