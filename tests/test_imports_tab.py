"""The Imports tab: imports run off the GUI thread, show the outcome, list and undo batches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from barberbi_desktop.events import DataChanged, EventHub
from barberbi_desktop.storage.db import Database, open_database
from barberbi_desktop.ui.imports_tab import ImportsTab
from barberbi_desktop.ui.tasks import TaskRunner
from tests.import_helpers import FIXTURES, query


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("TZ", "America/New_York")
    database = open_database(tmp_path / "shop.db")
    yield database
    database.dispose()


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
    assert "✓ template_week1.csv (barberbi): 4 new" in tab.outcome.text()
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
