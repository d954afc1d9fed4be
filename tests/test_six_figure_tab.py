"""The Six Figure tab shows the stored methodology run's numbers."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from barberbi_desktop.engines.methodology import PRINCIPLES
from barberbi_desktop.jobs.runner import run_engine
from barberbi_desktop.metrics_doc import definition
from barberbi_desktop.storage.db import Database, open_database
from barberbi_desktop.storage.results import RunInfo, latest_run
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
        next(p["score"] for p in summary["principles"] if p["key"] == k) for k in PRINCIPLES
    ]
    expected = [np.nan if e is None else e for e in expected]  # unscored: a gap
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
        (None, "share", "unknown"),
    ],
)
def test_metric_text(value: float | None, unit: str, text: str) -> None:
    assert metric_text(value, unit) == text


def test_an_unscored_principle_is_a_gap_in_the_radar_not_a_zero(
    qtbot: QtBot, empty_db: Database
) -> None:
    runner = TaskRunner()
    tab = SixFigureTab(empty_db, runner)
    qtbot.addWidget(tab)
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=10_000)
    principles = [
        {
            "key": key,
            "name": name,
            "score": None if key == "brand_building" else 60.0,
            "reason_if_null": "not enough data: no reviews recorded"
            if key == "brand_building"
            else None,
            "metrics": [
                {
                    "name": "review_count" if key == "brand_building" else "utilisation",
                    "label": "A metric",
                    "value": None if key == "brand_building" else 0.6,
                    "target": 0.75,
                    "score": None if key == "brand_building" else 60.0,
                    "unit": "share",
                    "higher_is_better": True,
                    "reason_if_null": "no reviews recorded" if key == "brand_building" else None,
                }
            ],
        }
        for key, name in PRINCIPLES.items()
    ]
    metrics = {"overall": 60.0, "principles": principles, "gaps": [], "pathway": []}
    tab._show(RunInfo(1, "methodology", date(2026, 11, 24), "ok", datetime.now(UTC), None,
                      None, metrics))  # fmt: skip
    x, y = tab.shape.getData()
    radii = np.hypot(x, y)[:-1]
    brand = list(PRINCIPLES).index("brand_building")
    assert np.isnan(radii[brand])  # was drawn at 0
    assert np.allclose(np.delete(radii, brand), 60.0)
    assert "Brand" in tab.radar.toolTip()
    rows = [
        [tab.scorecard.data(tab.scorecard.index(r, c)) for c in range(tab.scorecard.columnCount())]
        for r in range(tab.scorecard.rowCount())
    ]
    brand_rows = [row for row in rows if "no reviews recorded" in " ".join(map(str, row))]
    assert brand_rows and all("unknown" in row for row in brand_rows), brand_rows
    runner.wait()
