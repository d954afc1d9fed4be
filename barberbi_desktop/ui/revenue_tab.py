"""Revenue: the ranked roadmap, how full the chairs are by hour, prices and pay models,
all from the latest stored revenue run."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QTableView, QVBoxLayout, QWidget

from barberbi_desktop.engines.revenue_pay import PAY_MODEL_NAMES
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.results import RunInfo, latest_run
from barberbi_desktop.storage.summary import has_appointments
from barberbi_desktop.ui.empty_state import NO_VISITS, NO_VISITS_YET, EmptyNotice, NoVisits
from barberbi_desktop.ui.engine_progress import EngineProgress
from barberbi_desktop.ui.plots import themed_plot
from barberbi_desktop.ui.table_model import DataFrameModel, fit_one_per_turn
from barberbi_desktop.ui.tasks import TaskRunner
from barberbi_desktop.ui.theme import WrapLabel, big_font, page_tabs

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def money(cents: float | None) -> str:
    return "—" if cents is None else f"${cents / 100:,.0f}"


def base_note(metrics: dict[str, Any]) -> str:
    """The yearly base the amounts share with Six Figure's gaps (METRICS.md)."""
    base = metrics.get("money_base") or {}
    yearly = base.get("yearly_revenue_cents")
    if yearly is None:
        return ""
    return (f" · on yearly revenue of {money(yearly)} (last 90 days × 365/90); no idea above "
            f"{money(base['idea_ceiling_cents'])}, ideas in one area overlap")  # fmt: skip


def roadmap_frame(metrics: dict[str, Any]) -> pd.DataFrame:
    rows = [
        {
            "rank": r["rank"], "when": r["horizon"], "what": r["title"],
            "area": r.get("area", ""),
            "gain": money(r["gain_cents"]),
            "range": f"{money(r['gain_low_cents'])} to {money(r['gain_high_cents'])}",
            "confidence": f"{r['confidence']:.0%}", "risk": r["risk"], "why": r["detail"],
        }
        for r in metrics.get("roadmap", [])
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["rank", "when", "what", "area", "gain", "range",
                                       "confidence", "risk", "why"])


def elasticity_frame(metrics: dict[str, Any]) -> pd.DataFrame:
    rows = [
        {
            "service": e["name"], "price": money(e["price_cents"]),
            "per week": f"{e['weekly_visits']:.0f}", "elasticity": f"{e['estimate']:.2f}",
            "interval": f"{e['low']:.2f} to {e['high']:.2f}", "from": e["source"],
            "why": e["reason"],
        }
        for e in metrics.get("elasticities", [])
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["service", "price", "per week", "elasticity", "interval",
                                       "from", "why"])


def pay_frame(metrics: dict[str, Any]) -> pd.DataFrame:
    """Pay models per barber; a model whose figures are unknown (an hourly barber without
    a rate or hours) reads "unknown", and the note says what to set."""

    def shop(model: dict[str, Any] | None) -> str:
        return "unknown" if model is None else money(model["shop"])

    rows = []
    for p in metrics.get("pay", []):
        m = p["models"]
        row = {
            "barber": p["name"], "now": PAY_MODEL_NAMES.get(p["current_model"], "unknown"),
            "services a year": money(p["yearly_service_cents"]),
            "shop: commission": shop(m["commission"]),
            "shop: booth rent": shop(m["booth_rent"]),
            "shop: tiered": shop(m["tiered_commission"]),
            "barber: commission": money(m["commission"]["barber"]),
            "barber: booth rent": money(m["booth_rent"]["barber"]),
            "break-even volume": money(p["break_even_yearly_cents"]),
        }  # fmt: skip
        row["shop: hourly"] = shop(m["hourly"]) if "hourly" in m else ""  # hourly barbers only
        row["note"] = p.get("note") or ""
        rows.append(row)
    return pd.DataFrame(rows)


@cache
def viridis() -> np.ndarray:
    """pyqtgraph reads the colour map from a file each time it is asked for it."""
    return pg.colormap.get("viridis").getLookupTable(nPts=256)


class RevenueTab(QWidget):
    def __init__(self, db: Database, runner: TaskRunner) -> None:
        super().__init__()
        self.db, self.runner = db, runner
        self.empty = WrapLabel(
            "No revenue analysis yet. It runs in the background after the app opens and "
            "after imports (or run `barberbi run revenue`)."
        )
        self.no_visits = EmptyNotice(NO_VISITS["revenue"])
        self.no_visits.setVisible(False)
        self.progress = EngineProgress(db, runner, "revenue")
        self.headline = WrapLabel("")
        big_font(self.headline, 16, QFont.Weight.DemiBold)
        self.roadmap = DataFrameModel()
        self.prices = DataFrameModel()
        self.pay = DataFrameModel()
        self.details = page_tabs()
        self.views: list[QTableView] = []
        for model, title in ((self.roadmap, "Roadmap"), (self.prices, "Prices"),
                             (self.pay, "Pay models")):  # fmt: skip
            view = QTableView()
            view.setModel(model)
            view.setWordWrap(True)
            view.horizontalHeader().setStretchLastSection(True)
            view.verticalHeader().hide()
            self.views.append(view)
            self.details.addTab(view, title)
        self.heat = themed_plot(self)
        self.heat.setTitle(
            "Chair utilisation by weekday and hour, last 90 days "
            "(yellow: full · blue: quiet · blank: nobody working)"
        )
        self.image = pg.ImageItem()
        self.image.setLookupTable(viridis())
        self.heat.addItem(self.image)
        self.heat.getAxis("left").setTicks([[(i + 0.5, d) for i, d in enumerate(WEEKDAYS)]])
        self.heat.invertY(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.progress)
        layout.addWidget(self.no_visits, 1)
        layout.addWidget(self.headline)
        layout.addWidget(self.heat, 2)
        layout.addWidget(self.details, 3)
        self._has_data(False)
        self.refresh()

    def _has_data(self, has: bool, no_visits: bool = False) -> None:
        self.empty.setVisible(not has and not no_visits)
        self.no_visits.setVisible(no_visits)
        self.progress.watch(not has and not no_visits)
        for w in (self.headline, self.heat, self.details):
            w.setVisible(has)

    def refresh(self) -> None:
        self.runner.run(self._load, self._show, lambda exc: self.empty.setText(str(exc)))

    def _load(self) -> RunInfo | NoVisits | None:
        return latest_run(self.db, "revenue") if has_appointments(self.db) else NO_VISITS_YET

    def _show(self, run: RunInfo | NoVisits | None) -> None:
        if run is None or isinstance(run, NoVisits):
            self._has_data(False, no_visits=run is not None)
            return
        self._has_data(True)
        m = run.metrics
        road = m.get("roadmap", [])
        total = sum(r["gain_cents"] * r["confidence"] for r in road)
        cap = m.get("capacity", {})
        util = cap.get("utilisation")
        note = cap.get("note")
        chairs = (f" · chairs {util:.0%} full" if util is not None
                  else f" · chair utilisation unknown: {note}" if note else "")  # fmt: skip
        self.headline.setText(
            f"{len(road)} ways to earn more, worth about {money(total)} a year weighted by "
            f"confidence{chairs} · as of {run.as_of:%d %b %Y}{base_note(m)}"
        )
        self._heatmap(cap.get("slots", []))
        road_frame = roadmap_frame(m)
        self.roadmap.set_frame(road_frame, tooltips=list(road_frame["why"]))
        self.prices.set_frame(elasticity_frame(m))
        self.pay.set_frame(pay_frame(m))
        fit_one_per_turn(self.views)

    def _heatmap(self, slots: list[dict[str, Any]]) -> None:
        grid = np.full((24, 7), np.nan)
        for s in slots:
            grid[int(s["hour"]), int(s["weekday"])] = s["utilisation"]
        hours = np.flatnonzero(~np.isnan(grid).all(axis=1))
        self.heat.setVisible(bool(len(hours)))  # no utilisation known: no empty axes
        if not len(hours):
            self.image.clear()
            return
        lo, hi = int(hours.min()), int(hours.max()) + 1
        # Hours nobody works stay empty (NaN is drawn transparent), unlike a 0% hour.
        self.image.setImage(grid[lo:hi], levels=(0, 1))  # x = hour, y = weekday
        self.image.setRect(lo, 0, hi - lo, 7)
        self.heat.getAxis("bottom").setTicks([[(h + 0.5, f"{h:02d}") for h in range(lo, hi)]])
