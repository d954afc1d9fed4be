"""Every number the app shows has its definition in METRICS.md, shown as its tooltip."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from barberbi_desktop.engines.kpi import KPIS
from barberbi_desktop.engines.method_metrics import SPECS
from barberbi_desktop.metrics_doc import definition, definitions
from barberbi_desktop.storage.db import Database
from barberbi_desktop.ui.dashboard import TILES, DashboardTab
from barberbi_desktop.ui.tasks import TaskRunner


def test_every_kpi_and_methodology_metric_is_defined() -> None:
    defined = definitions()
    missing = [k for k in (*KPIS, "health", "today_band") if k not in defined]
    missing += [spec.key for spec, _ in SPECS if spec.key not in defined]
    missing += [k for k in ("p_alive", "churn_risk", "ltv", "model_quality") if k not in defined]
    assert missing == []
    assert "Mean of (service revenue − discounts) per visit" in defined["avg_service_ticket"]
    assert "**" not in defined["avg_service_ticket"] and "`" not in defined["health"]


def test_docs_metrics_is_the_packaged_file() -> None:
    docs = Path(__file__).resolve().parents[1] / "docs" / "METRICS.md"
    packaged = Path(__file__).resolve().parents[1] / "barberbi_desktop" / "resources" / "METRICS.md"
    assert docs.read_text(encoding="utf-8") == packaged.read_text(encoding="utf-8")


def test_dashboard_tiles_carry_their_definitions(qtbot: QtBot, empty_db: Database) -> None:
    runner = TaskRunner()
    tab = DashboardTab(empty_db, runner)
    qtbot.addWidget(tab)
    for key, _, _ in TILES:
        assert tab.tiles[key].toolTip() == definition(key)
    assert tab.health.toolTip().startswith("Business health score")
    runner.wait()
