"""The watch folder: paused writers, late changes, a broken workbook, links outside."""

from __future__ import annotations

import io
import threading
import time
import zipfile
from pathlib import Path

from openpyxl import Workbook

from barberbi_desktop.alerts.store import list_alerts
from barberbi_desktop.events import AlertsRaised, EventHub
from barberbi_desktop.ingest.watch import WatchFolder
from barberbi_desktop.storage.db import Database, open_database
from barberbi_desktop.storage.settings import set_setting
from tests.import_helpers import FIXTURES, query

HEADER = (FIXTURES / "template_week1.csv").read_text().splitlines()[0]


def _row(i: int) -> str:
    """One completed visit in the BarberBI template layout (invented people)."""
    day = 1 + i % 28
    hour = 9 + i % 9
    return (
        f"W{i},2026-10-{day:02d} {hour:02d}:00,2026-10-{day:02d} {hour:02d}:30,completed,"
        f"C{i % 400},Client {i % 400},client{i % 400}@example.com,,Marco,Skin Fade,cut,"
        f"$35.00,,,,card,online,,Main"
    )


def _scan_until(watcher: WatchFolder, done, timeout: float, every: float = 0.3) -> list:
    reports = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reports += watcher.scan()
        if done():
            return reports
        time.sleep(every)
    raise AssertionError(f"gave up after {timeout} s; reports so far: {reports}")


def test_a_writer_that_pauses_lands_whole_exactly_once(db: Database, tmp_path: Path) -> None:
    """A file taken during a writer's pause landed a fifth of its rows and never the rest."""
    folder = tmp_path / "drop"
    folder.mkdir()
    set_setting(db, "watch.settle_seconds", 1)
    watcher = WatchFolder(db, folder)
    target = folder / "bookings.csv"
    rows = [_row(i) for i in range(3000)]

    def write() -> None:
        with target.open("w") as fh:
            fh.write(HEADER + "\n")
            for part in (rows[:600], rows[600:1800], rows[1800:]):
                fh.write("\n".join(part) + "\n")
                fh.flush()
                time.sleep(0.7)  # the writer pauses for more than two scans

    writer = threading.Thread(target=write)
    writer.start()
    try:
        reports = _scan_until(watcher, (folder / "imported" / "bookings.csv").exists, 20)
    finally:
        writer.join()
    for _ in range(5):  # the folder keeps being scanned: nothing more happens
        reports += watcher.scan()
        time.sleep(0.3)
    assert [(r.status, r.rows_read, r.inserted) for r in reports] == [("landed", 3000, 3000)]
    assert query(db, "SELECT COUNT(*) FROM appointments") == [(3000,)]
    assert query(db, "SELECT COUNT(*) FROM import_batches") == [(1,)]
    assert [p.name for p in (folder / "imported").glob("*.csv")] == ["bookings.csv"]


def test_a_file_that_changes_after_it_landed_is_imported_again(
    db: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    watcher = WatchFolder(db, folder, settle_seconds=0.5)
    (folder / "day.csv").write_text("\n".join([HEADER, _row(1), _row(2)]) + "\n")
    landed = folder / "imported" / "day.csv"
    _scan_until(watcher, landed.exists, timeout=10)
    assert query(db, "SELECT COUNT(*) FROM appointments") == [(2,)]
    with landed.open("a") as fh:  # its writer still had it open when it was moved
        fh.write(_row(3) + "\n")
    reports = _scan_until(watcher, lambda: query(db, "SELECT COUNT(*) FROM import_batches")
                          == [(2,)], timeout=10)  # fmt: skip
    (again,) = reports
    assert (again.status, again.inserted, again.unchanged) == ("landed", 1, 2)
    assert "changed after it was imported" in again.problems[0]
    report_text = (folder / "imported" / "day.csv.report.txt").read_text()
    assert "changed after it was imported" in report_text
    assert query(db, "SELECT COUNT(*) FROM appointments") == [(3,)]
    for _ in range(3):
        assert watcher.scan() == []  # once, not at every scan


def _broken_workbook() -> bytes:
    """A workbook whose sheet XML stops mid-element (a truncated download, say)."""
    book = Workbook()
    sheet = book.active
    for line in [HEADER, _row(1)]:
        sheet.append(line.split(","))
    buf = io.BytesIO()
    book.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: data.index(b"</sheetData>")] + b'<row r="3"><c r="A3" t="s"><v>'
            dst.writestr(item, data)
    return out.getvalue()


def test_a_broken_workbook_is_rejected_and_the_files_after_it_still_land(
    db: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "a-report.xlsx").write_bytes(_broken_workbook())
    (folder / "b-week.csv").write_text("\n".join([HEADER, _row(1), _row(2)]) + "\n")
    hub = EventHub()
    raised: list[AlertsRaised] = []
    hub.subscribe(AlertsRaised, raised.append)
    watcher = WatchFolder(db, folder, hub=hub, settle_seconds=0)
    assert watcher.scan() == []  # seen once
    reports = watcher.scan()
    assert [(Path(r.file).name, r.status) for r in reports] == [
        ("a-report.xlsx", "rejected"), ("b-week.csv", "landed")]  # fmt: skip
    assert (folder / "rejected" / "a-report.xlsx").exists()
    assert (folder / "imported" / "b-week.csv").exists()
    reason = reports[0].reason or ""
    assert reason.startswith("a-report.xlsx ") and reason.count(". ") == 0
    assert "Traceback" not in reason and "unexpected" not in reason
    [alert] = list_alerts(db).itertuples()
    assert alert.rule == "import_rejected" and raised == [AlertsRaised((alert.id,))]
    assert watcher.scan() == []


def test_a_link_to_a_file_outside_the_folder_is_not_read(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    private = tmp_path / "private"
    private.mkdir()
    good = private / "other-shop.csv"
    good.write_text("\n".join([HEADER, _row(1)]) + "\n")
    secret = private / "notes.csv"
    secret.write_text("\n".join([HEADER, _row(2).replace("2026-10-03", "PIN-4321-TOPSECRET")]))
    (folder / "week.csv").symlink_to(good)
    (folder / "notes.csv").symlink_to(secret)
    watcher = WatchFolder(db, folder, settle_seconds=0)
    reports = watcher.scan() + watcher.scan()
    assert sorted((Path(r.file).name, r.status) for r in reports) == [
        ("notes.csv", "rejected"), ("week.csv", "rejected")]  # fmt: skip
    assert query(db, "SELECT COUNT(*) FROM appointments") == [(0,)]
    written = " ".join(p.read_text() for p in (folder / "rejected").glob("*.report.*"))
    alerts = " ".join(list_alerts(db)["message"])
    assert "outside the watch folder" in written and "outside the watch folder" in alerts
    assert "TOPSECRET" not in written + alerts + repr(reports)
    assert (folder / "rejected" / "week.csv").is_symlink()  # the link moved, not its target
    assert good.read_text().count("\n") == 2 and secret.exists()
    assert watcher.scan() == []


def test_watch_once_from_the_command_line_waits_for_the_settle_time(tmp_path: Path) -> None:
    from barberbi_desktop.cli import main

    shop = tmp_path / "cli.db"
    database = open_database(shop)
    set_setting(database, "watch.settle_seconds", 0.3)
    database.dispose()
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "day.csv").write_text("\n".join([HEADER, _row(1), _row(2)]) + "\n")
    assert main(["--db", str(shop), "watch", str(folder), "--once"]) == 0
    assert (folder / "imported" / "day.csv").exists()
