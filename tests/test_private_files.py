"""Every file holding the shop's clients is owner-only, whatever the umask (POSIX).

Run under umask 022, the usual default, which leaves new files readable by every
account on the computer.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from barberbi_desktop.cli import main
from barberbi_desktop.ingest.importer import Importer
from barberbi_desktop.storage import frames
from barberbi_desktop.storage.backup import backups_dir, make_backup, restore_backup
from barberbi_desktop.storage.db import Database, open_database
from barberbi_desktop.storage.settings import set_setting
from tests.template_rows import write_template_rows

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Database]:
    db = open_database(tmp_path / "new" / "folder" / "shop.db")
    export = write_template_rows(tmp_path / "visits.csv", 300)
    (report,) = Importer(db).import_files([export])
    assert report.status == "landed"
    yield db
    db.dispose()


def test_the_database_its_wal_and_shm_and_new_folders_are_owner_only(
    shop: Database, tmp_path: Path
) -> None:
    assert shop.path is not None
    set_setting(shop, "marker", "x")  # a write, with the shop open: -wal and -shm exist
    for suffix in ("", "-wal", "-shm"):
        assert _mode(Path(f"{shop.path}{suffix}")) == 0o600, suffix
    assert _mode(tmp_path / "new") == _mode(tmp_path / "new" / "folder") == 0o700


def test_a_database_an_older_version_left_world_readable_is_narrowed(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    open_database(path).dispose()
    os.chmod(path, 0o644)
    open_database(path).dispose()
    assert _mode(path) == 0o600


def test_backups_restores_and_exports_are_owner_only(shop: Database, tmp_path: Path) -> None:
    assert shop.path is not None
    made = make_backup(shop)
    assert _mode(made) == 0o600 and _mode(backups_dir()) == 0o700
    assert main(["--db", str(shop.path), "backup", "--out", str(tmp_path / "b" / "x.db")]) == 0
    assert _mode(tmp_path / "b" / "x.db") == 0o600 and _mode(tmp_path / "b") == 0o700
    pdf = tmp_path / "reports" / "october.pdf"
    assert main(["--db", str(shop.path), "report", "--month", "2026-10", "--out", str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF") and _mode(pdf) == 0o600
    from barberbi_desktop.storage.export import write_table

    calls = tmp_path / "calls.csv"
    write_table(frames.read_query(shop, "SELECT display_name FROM clients"), calls)
    assert _mode(calls) == 0o600
    shop.dispose()
    restore_backup(shop.path, made)
    assert _mode(shop.path) == 0o600
    (kept,) = shop.path.parent.glob("shop.before-restore-*.db")
    assert _mode(kept) == 0o600


def test_the_frame_readers_scratch_files_are_owner_only_and_gone_after_the_load(
    shop: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, int, list[int]]] = []
    load = frames._load_arrow

    def spy(files: dict[str, str]) -> object:
        folder = Path(next(iter(files.values()))).parent
        seen.append((folder.name, _mode(folder), [_mode(Path(f)) for f in files.values()]))
        seen.append((str(folder), 0, []))
        return load(files)

    monkeypatch.setattr(frames, "_load_arrow", spy)
    data = frames.load_shop_data(shop)
    assert len(data.clients) > 0
    (name, folder_mode, file_modes), (where, _, _) = seen
    assert name.startswith(f"barberbi-frames-{os.getpid()}-")
    assert folder_mode == 0o700 and set(file_modes) == {0o600}
    assert not Path(where).exists()


def test_scratch_folders_of_dead_processes_are_removed_at_the_next_start(
    shop: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())
    dead = base / f"barberbi-frames-{gone.stdout.strip()}-left"
    alive = base / f"barberbi-frames-{os.getppid()}-working"
    for folder in (dead, alive):
        folder.mkdir(mode=0o700)
        (folder / "clients.arrow").write_bytes(b"names, emails, phones")
    try:
        monkeypatch.setattr(frames, "_SWEPT", set())  # as in a newly started process
        frames.load_shop_data(shop)
        assert not dead.exists()
        assert (alive / "clients.arrow").exists()  # a running process's files are its own
    finally:
        for folder in (dead, alive):
            shutil.rmtree(folder, ignore_errors=True)
