"""The Revenue tab shows the latest stored run, and says so plainly when there is none."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

from pytestqt.qtbot import QtBot

from barberbi_desktop.cli import main
from barberbi_desktop.storage.db import Database, open_database
from barberbi_desktop.storage.results import RunInfo
from barberbi_desktop.ui.revenue_tab import RevenueTab, pay_frame
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


def test_unknown_utilisation_and_hourly_pay_say_why(qtbot: QtBot, empty_db: Database) -> None:
    hourly = {
        "barber_id": 1, "name": "Ola", "current_model": "hourly",
        "yearly_service_cents": 5_000_000.0, "break_even_yearly_cents": 2_000_000.0,
        "models": {
            "commission": {"shop": 2_750_000.0, "barber": 2_250_000.0},
            "booth_rent": {"shop": 1_300_000.0, "barber": 3_700_000.0},
            "tiered_commission": {"shop": 3_000_000.0, "barber": 2_000_000.0},
            "hourly": None,
        },
        "note": "paid by the hour, but Ola's hourly rate are not set",
    }  # fmt: skip
    frame = pay_frame({"pay": [hourly]})
    assert frame.loc[0, "now"] == "Hourly" and frame.loc[0, "shop: hourly"] == "unknown"
    assert "hourly rate" in frame.loc[0, "note"]
    runner = TaskRunner()
    tab = RevenueTab(empty_db, runner)
    qtbot.addWidget(tab)
    qtbot.waitUntil(lambda: runner.pending == 0)
    note = "no working hours set for Ola: set them in Settings > Barbers"
    metrics = {"roadmap": [], "capacity": {"utilisation": None, "note": note, "slots": []},
               "pay": [hourly]}  # fmt: skip
    tab._show(RunInfo(1, "revenue", date(2026, 11, 24), "ok", datetime.now(UTC), None, None,
                      metrics))  # fmt: skip
    assert f"chair utilisation unknown: {note}" in tab.headline.text()
    assert tab.pay.rowCount() == 1
    runner.wait()
