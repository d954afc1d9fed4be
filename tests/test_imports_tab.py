"""The Imports tab: imports run off the GUI thread, show the outcome, list and undo batches."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from barberbi_desktop.events import DataChanged, EventHub
from barberbi_desktop.storage.db import Database
from barberbi_desktop.ui.imports_tab import ImportsTab
from barberbi_desktop.ui.tasks import TaskRunner
from tests.import_helpers import FIXTURES, query


def _template_file(path: Path, rows: int) -> Path:
    """A BarberBI template export of ``rows`` one-off haircuts."""
    header = (FIXTURES / "template_week1.csv").read_text().splitlines()[0]
    lines = [f"Z{i},2026-10-0{1 + i % 9} 10:00,,,C{i},N{i},,,M,Cut,,20,,,,,,,Main"
             for i in range(rows)]  # fmt: skip
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


def test_import_list_and_undo(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    runner = TaskRunner()
    hub = EventHub()
    seen: list[DataChanged] = []
    hub.subscribe(DataChanged, seen.append)
    tab = ImportsTab(db, runner, hub)
    qtbot.addWidget(tab)
    qtbot.waitUntil(lambda: runner.pending == 0)
    assert tab.model.rowCount() == 0 and not tab.undo_button.isEnabled()

    bad = tmp_path / "receipt.csv"
    bad.write_bytes(b"%PDF-1.4")
    with qtbot.waitSignal(tab.imported, timeout=20_000):
        tab.import_paths([FIXTURES / "template_week1.csv", bad])
    assert "✓ template_week1.csv (BarberBI template): 4 new" in tab.outcome.text()
    assert "✗ receipt.csv is a PDF document" in tab.outcome.text()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=10_000)
    assert tab.model.frame.loc[0, "status"] == "landed" and tab.undo_button.isEnabled()
    assert [e.reason for e in seen] == ["import"]

    tab.undo(confirm=False)
    qtbot.waitUntil(lambda: "Undid import #1" in tab.outcome.text(), timeout=10_000)
    qtbot.waitUntil(lambda: runner.pending == 0)
    assert query(db, "SELECT COUNT(*) FROM appointments") == [(0,)]
    assert tab.model.frame.loc[0, "status"] == "undone"
    runner.wait()


def test_the_import_dialog_previews_remaps_and_imports(
    qtbot: QtBot, db: Database, tmp_path: Path
) -> None:
    runner = TaskRunner()
    tab = ImportsTab(db, runner)
    qtbot.addWidget(tab)
    # A Fresha export whose team-member column has a house name nobody would guess.
    text = (FIXTURES / "fresha.csv").read_text().replace("Team member", "Chair")
    path = tmp_path / "fresha-export.csv"
    path.write_text(text)
    dialog = tab.open_dialog(path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=10_000)
    assert dialog.platform.currentData() == "fresha"
    assert "Fresha appointment list" in dialog.detected.text()
    assert dialog.rows.rowCount() == 5  # the first rows, as the file has them
    barber = dialog.field_boxes["barber"]
    assert barber.currentData() == ""  # "Chair" is not a Fresha header
    barber.setCurrentIndex(barber.findData("Chair"))
    reported: list[int] = []
    dialog._progress.rows.connect(reported.append)
    with qtbot.waitSignal(dialog.finished_import, timeout=20_000) as signal:
        dialog.import_button.click()
    (report,) = signal.args[0]
    assert report.status == "landed" and report.inserted == 5
    assert reported == [5]  # the helper's rows-read report reached the dialog
    assert "Imported: 5 new" in dialog.outcome.text()
    assert sorted(r[0] for r in query(db, "SELECT name FROM barbers")) == [
        "Dee Jones", "Marco Diaz"
    ]  # fmt: skip
    qtbot.waitUntil(lambda: runner.pending == 0)
    runner.wait()


def test_cancel_stops_an_import_and_keeps_nothing(qtbot: QtBot, db: Database, tmp_path: Path
                                                   ) -> None:
    runner = TaskRunner()
    path = _template_file(tmp_path / "big.csv", 3000)
    tab = ImportsTab(db, runner)
    qtbot.addWidget(tab)
    dialog = tab.open_dialog(path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=10_000)
    with qtbot.waitSignal(dialog.finished_import, timeout=20_000) as signal:
        dialog.start_import()
        dialog.cancel()  # pressed at once: the helper stops before its first chunk
    (report,) = signal.args[0]
    assert report.status == "rejected" and "cancelled" in report.reason
    assert query(db, "SELECT COUNT(*) FROM appointments") == [(0,)]
    qtbot.waitUntil(lambda: runner.pending == 0)
    runner.wait()


def test_the_window_imports_in_a_helper_process_and_hears_of_it(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window's process only waits; the helper's DataChanged reaches the window's hub,
    and a brand-new shop gets the window's time zone even if the helper started elsewhere."""
    from barberbi_desktop.jobs import imports

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    hub = EventHub()
    seen: list[DataChanged] = []
    hub.subscribe(DataChanged, seen.append)
    [report] = imports.import_files(db, [FIXTURES / "template_week1.csv"], hub=hub)
    assert report.status == "landed" and report.inserted == 4
    assert seen == [DataChanged("import", report.batch_id)]
    assert imports._POOL is not None  # it went through the helper, not this process
    assert query(db, "SELECT timezone FROM locations") == [("Asia/Tokyo",)]
    assert query(db, "SELECT COUNT(*) FROM appointments") == [(4,)]


def test_a_cancel_during_the_import_stops_the_helper_and_keeps_nothing(
    db: Database, tmp_path: Path
) -> None:
    """Cancelled once the helper reports its first chunk (of three, 50,000 rows each):
    the helper stops at its next check, so the last chunk is never read, the batch is
    refused and not a row of the file is kept. (The report reaches this process a
    poll later, by when the helper may have begun the second chunk.)"""
    from barberbi_desktop.jobs import imports

    path = _template_file(tmp_path / "three-chunks.csv", 150_000)
    number, reported = imports.ticket(), []

    def progress(rows_read: int) -> None:
        reported.append(rows_read)
        imports.cancel(number)

    [report] = imports.import_files(db, [path], progress=progress, number=number)
    assert reported[0] == 50_000 and 150_000 not in reported
    assert report.status == "rejected" and "cancelled" in report.reason
    assert query(db, "SELECT COUNT(*) FROM appointments") == [(0,)]
    assert query(db, "SELECT COUNT(*) FROM clients") == [(0,)]
