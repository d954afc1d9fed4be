"""The Revenue tab shows the latest stored run, and says so plainly when there is none."""

from __future__ import annotations

import shutil
from pathlib import Path

from pytestqt.qtbot import QtBot

from barberbi_desktop.cli import main
from barberbi_desktop.storage.db import open_database
from barberbi_desktop.ui.revenue_tab import RevenueTab
from barberbi_desktop.ui.tasks import TaskRunner


def test_empty_then_filled(qtbot: QtBot, demo_db_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    shutil.copyfile(demo_db_file, path)
    db = open_database(path, create=False)
    runner = TaskRunner()
    try:
        tab = RevenueTab(db, runner)
        qtbot.addWidget(tab)
        qtbot.waitUntil(lambda: runner.pending == 0)
        assert not tab.empty.isHidden() and tab.details.isHidden()
        assert "No revenue analysis yet" in tab.empty.text()
        assert main(["--db", str(path), "run", "revenue", "--as-of", "2026-11-24"]) == 0
        tab.refresh()
        qtbot.waitUntil(lambda: tab.roadmap.rowCount() > 0, timeout=10_000)
        assert tab.empty.isHidden()
        assert "ways to earn more" in tab.headline.text()
        assert tab.prices.rowCount() == 12  # every service, estimated or with the prior
        assert tab.image.image is not None and tab.image.image.shape[1] == 7
        runner.wait()
    finally:
        db.dispose()
