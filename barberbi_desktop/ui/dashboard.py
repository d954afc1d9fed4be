"""Dashboard: KPI tiles against the prior 30 days and the target, health, today's band,
three live charts, the bookings at risk of a no-show and the alert feed.

Reads the latest stored KPI run (cheap) on a worker and updates the tiles in
place; the scheduler recomputes KPIs and the bridge tells this tab when. The
charts keep their plot items and call ``setData`` (pyqtgraph's live-plot
pattern), so a refresh every minute never rebuilds a widget.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from barberbi_desktop.alerts.store import list_alerts
from barberbi_desktop.engines.kpi import LOWER_IS_BETTER
from barberbi_desktop.metrics_doc import definition
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.results import RunInfo, kpi_values, latest_run
from barberbi_desktop.storage.summary import has_appointments
from barberbi_desktop.storage.users import User
from barberbi_desktop.ui.at_risk_panel import AtRiskPanel
from barberbi_desktop.ui.dashboard_charts import DashboardCharts
from barberbi_desktop.ui.empty_state import NO_VISITS, NO_VISITS_YET, EmptyNotice, NoVisits
from barberbi_desktop.ui.tasks import TaskRunner
from barberbi_desktop.ui.theme import WrapLabel, big_font

TILES = (
    ("revenue", "Revenue", "money"),
    ("visits", "Visits", "count"),
    ("avg_ticket", "Average ticket", "money"),
    ("utilisation", "Utilisation", "share"),
    ("rebooking_rate", "Rebooked at checkout", "share"),
    ("no_show_rate", "No-shows", "share"),
    ("new_clients", "New clients", "count"),
    ("retail_attachment", "Retail attachment", "share"),
    ("tip_rate", "Tip rate", "share"),
    # Per booked hour (Six Figure's "revenue per booked hour"); not per open hour.
    ("revenue_per_hour", "Revenue per booked hour", "money"),
    ("cancellation_rate", "Cancellations", "share"),
    ("returning_clients", "Returning clients", "count"),
)
GOOD, NEAR, BAD = "#2e7d32", "#b26a00", "#c62828"
Loaded = tuple[RunInfo, pd.DataFrame, pd.DataFrame] | NoVisits | None


def fmt(value: float | None, kind: str) -> str:
    if value is None or pd.isna(value):
        return "unknown"
    if kind == "money":
        return f"${value / 100:,.0f}"
    if kind == "share":
        return f"{value:.0%}"
    return f"{value:,.0f}"


def colour(kpi: str, value: float, target: float | None) -> str:
    if target is None or pd.isna(target) or pd.isna(value) or target == 0:
        return ""
    ratio = target / value if kpi in LOWER_IS_BETTER and value else value / target
    return GOOD if ratio >= 1 else NEAR if ratio >= 0.8 else BAD


def change_text(change: float) -> str:
    """A change against the prior 30 days; one that rounds to 0% is "no change", never
    "▼ -0%" (a fall too small to show is not a fall the owner can act on)."""
    if round(change * 100) == 0:
        return "no change vs prior 30 days"
    arrow = "▲" if change > 0 else "▼"
    return f"{arrow} {change:+.0%} vs prior 30 days"


class Tile(QFrame):
    def __init__(self, title: str) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        self.title = QLabel(title)
        self.value = QLabel("—")
        big_font(self.value, 22, QFont.Weight.DemiBold)
        self.change = WrapLabel("")  # wrapped, else six tiles in a row need a 1,500-pixel window
        for w in (self.title, self.value, self.change):
            layout.addWidget(w)
        self._colour = ""

    def set_colour(self, colour: str) -> None:
        """Only the text role is set, so the rest (and a plain value's colour) follows the
        window's palette when the system switches between light and dark."""
        if colour == self._colour:
            return
        self._colour = colour
        palette = QPalette()
        if colour:
            palette.setColor(QPalette.ColorRole.WindowText, QColor(colour))
        self.value.setPalette(palette)


# A location manager sees their location's figures and alerts alone.
MANAGER_ALERTS = ("These figures and alerts are your location's; the whole shop's alerts go "
                  "to the owner.")


class DashboardTab(QWidget):
    def __init__(
        self,
        db: Database,
        runner: TaskRunner,
        user: User | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        # A location manager's Dashboard shows their location's own run (None: whole shop).
        self.db, self.runner = db, runner
        self.location_id = user.location_scope if user is not None else None
        layout = QVBoxLayout(self)
        self.empty = WrapLabel(
            "No live KPIs yet. They are computed in the background within a minute of the "
            "app opening (or run `barberbi run kpi`)."
        )
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_visits = EmptyNotice(NO_VISITS["dashboard"])
        self.no_visits.setVisible(False)
        self.health = QLabel("")
        big_font(self.health, 28, QFont.Weight.Bold)
        self.band = WrapLabel("")
        grid = QGridLayout()
        self.tiles = {key: Tile(title) for key, title, _ in TILES}
        for key, tile in self.tiles.items():
            tile.setToolTip(definition(key) or "")
        self.health.setToolTip(definition("health") or "")
        self.band.setToolTip(definition("today_band") or "")
        for i, key in enumerate(self.tiles):
            grid.addWidget(self.tiles[key], i // 6, i % 6)
        self.charts = DashboardCharts(self)
        self.feed = QListWidget()
        self.feed.setToolTip("The newest alerts not yet acknowledged; see the Alerts tab")
        # Bookings at risk come from their own engine's run: shown even before any KPIs.
        self.at_risk = AtRiskPanel(db, runner, user, clock)
        bottom = QHBoxLayout()
        bottom.addWidget(self.at_risk, 3)
        bottom.addWidget(self.feed, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.no_visits, 1)
        layout.addWidget(self.health)
        layout.addWidget(self.band)
        layout.addLayout(grid)
        layout.addWidget(self.charts, 3)
        layout.addLayout(bottom, 2)
        self.run: RunInfo | None = None
        self._set_visible(False)
        self.refresh()

    def _set_visible(self, has_data: bool, no_visits: bool = False) -> None:
        self.empty.setVisible(not has_data and not no_visits)
        self.no_visits.setVisible(no_visits)
        for w in (self.health, self.band, *self.tiles.values(), self.charts, self.feed):
            w.setVisible(has_data)
        self.at_risk.setVisible(not no_visits)

    def refresh(self) -> None:
        """KPIs, alerts and the bookings at risk in one task (the minute's refresh)."""
        self.runner.run(self._load_all, self._show_all, lambda exc: self.empty.setText(f"{exc}"))

    def _load_all(self) -> tuple[Loaded, Any]:
        try:
            at_risk: Any = self.at_risk.load()
        except Exception as exc:  # the KPIs still show; the panel says what went wrong
            at_risk = exc
        return self._load(), at_risk

    def _show_all(self, loaded: tuple[Loaded, Any]) -> None:
        self._show(loaded[0])
        self.at_risk.show_loaded(loaded[1])

    def _load(self) -> Loaded:
        if not has_appointments(self.db):  # a KPI run of no visits is all zeros: not shown
            return NO_VISITS_YET
        run = latest_run(self.db, "kpi", location_id=self.location_id)
        if run is None:
            return None
        alerts = list_alerts(self.db, include_acknowledged=False, limit=5,
                             location_id=self.location_id)  # fmt: skip
        return run, kpi_values(self.db, run.run_id), alerts

    def _show(self, loaded: Loaded) -> None:
        if loaded is None or isinstance(loaded, NoVisits):
            self._set_visible(False, no_visits=loaded is not None)
            return
        self.run, values, alerts = loaded
        self.charts.show_data(self.run.metrics.get("charts", {}))
        self.feed.clear()
        for alert in alerts.itertuples():
            self.feed.addItem(f"[{alert.priority}] {alert.title}")
        if not len(alerts):
            self.feed.addItem("No open alerts.")
        if self.location_id is not None:
            self.feed.addItem(MANAGER_ALERTS)
        self._set_visible(True)
        metrics: dict[str, Any] = self.run.metrics
        health = metrics.get("health")
        left_out: dict[str, str] = metrics.get("health_unknown") or {}
        parts = len(metrics.get("health_parts") or {})
        if health is None:  # unknown is not zero: the run says why there is no score
            score = f"unknown ({metrics.get('health_reason') or 'no measure of it is known'})"
        else:
            score = f"{health:.0f}/100" + (
                f" (from {parts} of {parts + len(left_out)} measures)" if left_out else ""
            )
        self.health.setText(
            f"Business health: {score}   ·   as of {self.run.as_of:%a %d %b %Y}"
        )
        self.health.setToolTip(
            (definition("health") or "")
            + "".join(f"\nLeft out, {k.replace('_', ' ')}: {why}." for k, why in left_out.items())
        )
        # Why a KPI is unknown travels in the run's summary (kpi_values has no column for it).
        reasons = {
            row["kpi"]: row.get("reason")
            for row in metrics.get("kpis", [])
            if row.get("window") == "30d"
        }
        band = metrics.get("today_band", {})
        self.band.setText(
            f"Today: ${band['so_far'] / 100:,.0f} so far; a usual {band['weekday']} has "
            f"${band['expected_low'] / 100:,.0f} to ${band['expected_high'] / 100:,.0f} by now "
            f"({band['status']})."
            if band.get("available")
            else f"Today: {band.get('reason', 'no comparison yet')}."
        )
        thirty = values[values["window"] == "30d"].set_index("kpi")
        for key, _, kind in TILES:
            tile = self.tiles[key]
            if key not in thirty.index:
                continue
            row = thirty.loc[key]
            tile.value.setText(fmt(row["value"], kind))
            tile.set_colour(colour(key, row["value"], row["target"]))
            prior = row["prior"]
            if pd.isna(row["value"]):  # unknown, never 0: say why in the tile's small text
                tile.change.setText(reasons.get(key) or "not enough data in the last 30 days")
            elif prior is None or pd.isna(prior) or prior == 0:
                tile.change.setText("last 30 days")
            else:
                target = row["target"]
                tile.change.setText(
                    change_text(row["value"] / prior - 1)
                    + ("" if pd.isna(target) else f" · target {fmt(target, kind)}")
                )
