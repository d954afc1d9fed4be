"""The Six Figure tab shows the stored methodology run's numbers."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from barberbi_desktop.engines.methodology import PRINCIPLES
from barberbi_desktop.jobs.runner import run_engine
from barberbi_desktop.metrics_doc import definition
from barberbi_desktop.storage.db import open_database
from barberbi_desktop.storage.results import latest_run
from barberbi_desktop.ui.six_figure_tab import SixFigureTab, metric_text
from barberbi_desktop.ui.tasks import TaskRunner


def test_the_tab_shows_scores_gaps_and_pathways(
    qtbot: QtBot, demo_db_file: Path, tmp_path: Path
) -> None:
    path = tmp_path / "shop.db"
    shutil.copyfile(demo_db_file, path)
    db = open_database(path, create=False)
    runner = TaskRunner()
    tab = SixFigureTab(db, runner)
    qtbot.addWidget(tab)
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=10_000)
    assert tab.empty.isVisibleTo(tab) and "barberbi run methodology" in tab.empty.text()
    run_engine(db, "methodology", date(2026, 11, 24))
    tab.refresh()
    qtbot.waitUntil(lambda: tab.run is not None, timeout=10_000)
    summary = latest_run(db, "methodology").metrics
    assert f"{summary['overall']:.0f}/100" in tab.overall.text()
    x, y = tab.shape.getData()
    radii = np.hypot(x, y)[:-1]
    expected = [
        next(p["score"] for p in summary["principles"] if p["key"] == k) or 0 for k in PRINCIPLES
    ]
    np.testing.assert_allclose(radii, expected, rtol=1e-6)
    assert len(tab.trend_line.getData()[0]) == len(summary["trajectory"])
    assert tab.gaps.rowCount() == len(summary["gaps"])
    assert tab.pathway.rowCount() == len(summary["pathway"])
    assert tab.scorecard.rowCount() == 6 + sum(len(p["metrics"]) for p in summary["principles"])
    first_metric = summary["principles"][0]["metrics"][0]["name"]
    tip = tab.scorecard.data(tab.scorecard.index(1, 1), Qt.ItemDataRole.ToolTipRole)
    assert tip == definition(first_metric) and tip
    runner.wait()
    db.dispose()


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (5670.0, "cents", "$56.70"),
        (0.214, "share", "21%"),
        (4.61, "rating", "4.61"),
        (6.08, "visits", "6.1"),
        (None, "share", "—"),
    ],
)
def test_metric_text(value: float | None, unit: str, text: str) -> None:
    assert metric_text(value, unit) == text
