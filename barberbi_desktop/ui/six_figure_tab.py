"""Six Figure: the principle radar, the monthly trajectory, the scorecard, the ranked gaps
and each barber's path to $100,000, all from the latest stored methodology run."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QTableView, QVBoxLayout, QWidget

from barberbi_desktop.engines.methodology import PRINCIPLES
from barberbi_desktop.metrics_doc import definition
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.results import RunInfo, latest_run
from barberbi_desktop.storage.summary import has_appointments
from barberbi_desktop.ui.empty_state import NO_VISITS, NO_VISITS_YET, EmptyNotice, NoVisits
from barberbi_desktop.ui.engine_progress import EngineProgress
from barberbi_desktop.ui.plots import themed_plot
from barberbi_desktop.ui.table_model import DataFrameModel, fit_one_per_turn
from barberbi_desktop.ui.tasks import TaskRunner
from barberbi_desktop.ui.theme import WrapLabel, big_font, page_tabs

PRINCIPLES_ORDER = {key: i for i, key in enumerate(PRINCIPLES)}
SHORT = {
    "premium_positioning": "Premium",
    "value_pricing": "Pricing",
    "client_relationships": "Clients",
    "brand_building": "Brand",
    "business_efficiency": "Efficiency",
    "skill_development": "Skills",
}


def metric_text(value: float | None, unit: str) -> str:
    if value is None:
        return "unknown"  # the Note column says why
    if unit == "cents":
        return f"${value / 100:,.2f}"
    if unit == "share":
        return f"{value:.0%}"
    if unit == "rating":
        return f"{value:.2f}"
    return f"{value:,.1f}"


class SixFigureTab(QWidget):
    def __init__(self, db: Database, runner: TaskRunner) -> None:
        super().__init__()
        self.db, self.runner = db, runner
        self.run: RunInfo | None = None
        self.empty = WrapLabel(
            "No methodology scores yet. They are computed in the background "
            "after the app opens (or run `barberbi run methodology`)."
        )
        self.no_visits = EmptyNotice(NO_VISITS["six_figure"])
        self.no_visits.setVisible(False)
        self.progress = EngineProgress(db, runner, "methodology")
        self.overall = QLabel("")
        big_font(self.overall, 24, QFont.Weight.Bold)
        self.scorecard = DataFrameModel()
        self.gaps = DataFrameModel()
        self.pathway = DataFrameModel()
        self.details = page_tabs()
        self.views: list[QTableView] = []
        for model, title in (
            (self.scorecard, "Scorecard"),
            (self.gaps, "Gaps to close"),
            (self.pathway, "Path to $100k"),
        ):
            view = QTableView()
            self.views.append(view)
            view.setModel(model)
            view.horizontalHeader().setStretchLastSection(True)
            view.setWordWrap(True)
            self.details.addTab(view, title)
        self._make_charts()
        self.charts = QHBoxLayout()
        self.charts.addWidget(self.radar, 1)
        self.charts.addWidget(self.trend, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.progress)
        layout.addWidget(self.no_visits, 1)
        layout.addWidget(self.overall)
        layout.addLayout(self.charts, 2)
        layout.addWidget(self.details, 3)
        self._has_data(False)
        self.refresh()

    def _make_charts(self) -> None:
        """The principle radar and the overall score's trajectory, still empty."""
        self.radar = themed_plot(self)
        self.radar.setAspectLocked(True)
        self.radar.hideAxis("left")
        self.radar.hideAxis("bottom")
        angles = np.linspace(np.pi / 2, np.pi / 2 - 2 * np.pi, len(PRINCIPLES), endpoint=False)
        self.angles = angles
        for radius in (25, 50, 75, 100):  # the grid, drawn once
            ring = np.append(angles, angles[0])
            self.radar.plot(
                radius * np.cos(ring),
                radius * np.sin(ring),
                pen=pg.mkPen((150, 150, 150), width=0.5),
            )
        for angle, key in zip(angles, PRINCIPLES, strict=True):
            label = pg.TextItem(
                SHORT[key], anchor=(0.5, 0.5), color=self.palette().windowText().color()
            )
            label.setPos(118 * np.cos(angle), 118 * np.sin(angle))
            self.radar.addItem(label)
        self.shape = self.radar.plot(
            [], [], pen=pg.mkPen("#5c6bc0", width=2), fillLevel=None, symbol="o", symbolSize=6
        )
        self.radar.setRange(xRange=(-135, 135), yRange=(-125, 125))
        self.trend = themed_plot(self)
        self.trend.setAxisItems({"bottom": pg.DateAxisItem()})
        self.trend.setLabel("left", "overall score")
        self.trend.setYRange(0, 100)
        self.trend_line = self.trend.plot(
            [], [], pen=pg.mkPen("#2e7d32", width=2), symbol="o", symbolSize=4
        )

    def _has_data(self, has: bool, no_visits: bool = False) -> None:
        self.empty.setVisible(not has and not no_visits)
        self.no_visits.setVisible(no_visits)
        self.progress.watch(not has and not no_visits)
        for w in (self.overall, self.radar, self.trend, self.details):
            w.setVisible(has)

    def refresh(self) -> None:
        self.runner.run(
            self._load,
            self._show,
            lambda exc: self.empty.setText(str(exc)),
        )

    def _load(self) -> RunInfo | NoVisits | None:
        return latest_run(self.db, "methodology") if has_appointments(self.db) else NO_VISITS_YET

    def _show(self, run: RunInfo | NoVisits | None) -> None:
        if run is None or isinstance(run, NoVisits):
            self._has_data(False, no_visits=run is not None)
            return
        self.run = run
        self._has_data(True)
        m: dict[str, Any] = run.metrics
        overall = m.get("overall")
        self.overall.setText(
            "Six Figure Barber score: "
            + ("not enough data" if overall is None else f"{overall:.0f}/100")
            + f"   ·   as of {run.as_of:%d %b %Y}"
        )
        scores = {p["key"]: p["score"] for p in m["principles"]}
        # A principle without a score is a gap in the outline, never a point at 0.
        r = np.array([np.nan if scores.get(k) is None else scores[k] for k in PRINCIPLES])
        ring = np.append(self.angles, self.angles[0])
        rr = np.append(r, r[0])
        self.shape.setData(rr * np.cos(ring), rr * np.sin(ring), connect="finite")
        unknown = [SHORT[k] for k in PRINCIPLES if np.isnan(r[PRINCIPLES_ORDER[k]])]
        self.radar.setToolTip(
            "Not scored (not enough data): " + ", ".join(unknown) + ". See the scorecard."
            if unknown
            else ""
        )
        months = [row for row in m.get("trajectory", []) if row.get("overall") is not None]
        if months:
            x = [pd.Timestamp(row["month"] + "-15").timestamp() for row in months]
            self.trend_line.setData(x, [row["overall"] for row in months])
        self.trend.setVisible(bool(months))  # no scored month: no empty axes
        rows, tips = [], []
        for p in m["principles"]:
            tips.append(None)
            tips.extend(definition(x["name"]) for x in p["metrics"])
            rows.append(
                {
                    "Principle": p["name"],
                    "Metric": "(principle)",
                    "Value": "",
                    "Target": "",
                    "Score": "unknown" if p["score"] is None else f"{p['score']:.0f}",
                    "Note": p["reason_if_null"] or "",
                }
            )
            rows.extend(
                {
                    "Principle": "",
                    "Metric": x["label"],
                    "Value": metric_text(x["value"], x["unit"]),
                    "Target": ("≥ " if x["higher_is_better"] else "≤ ")
                    + metric_text(x["target"], x["unit"]),
                    "Score": "unknown" if x["score"] is None else f"{x['score']:.0f}",
                    "Note": x["reason_if_null"] or "",
                }
                for x in p["metrics"]
            )
        self.scorecard.set_frame(pd.DataFrame(rows), tooltips=tips)
        self.gaps.set_frame(
            pd.DataFrame(
                [
                    {
                        "#": g["rank"],
                        "Metric": g["label"],
                        "Score": f"{g['score']:.0f}",
                        "Yearly revenue at stake": "—"
                        if g["revenue_at_stake_yearly"] is None
                        else f"${g['revenue_at_stake_yearly']:,.0f}"
                        + (" (capped)" if g.get("capped") else ""),
                        "Overlaps with": ", ".join(g.get("overlaps_with", [])) or "—",
                        "What to do": g["recommendation"],
                    }
                    for g in m.get("gaps", [])
                ]
            )
        )
        self.pathway.set_frame(
            pd.DataFrame(
                [
                    {
                        "Barber": p["name"],
                        "Annualised (last 90 days)": f"${p['annualised']:,.0f}",
                        "Gap to $100k": f"${p['gap']:,.0f}",
                        "Weekly trend": f"{p['weekly_trend']:+,.0f} $/week",
                        "Projected": "there now"
                        if p["already_there"]
                        else (p["projected_crossing"] or "not on the current trend"),
                        "Chance within 12 months": f"{p['p_cross_12m']:.0%}",
                    }
                    for p in m.get("pathway", [])
                ]
            )
        )
        fit_one_per_turn(self.views, max_width=10_000)
