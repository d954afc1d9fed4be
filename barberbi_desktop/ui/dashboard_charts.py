"""The Dashboard's three live charts: today against the usual band, twelve weeks with
a forecast band, and visits per barber this week.

Each plot item is made once and updated with ``setData``/``setOpts`` when a new
KPI run lands; nothing is rebuilt. The series come ready-made from the KPI run
(engines/kpi_charts.py), so drawing costs nothing on the GUI thread.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from barberbi_desktop.metrics_doc import definition
from barberbi_desktop.ui.plots import themed_plot
from barberbi_desktop.ui.theme import WrapLabel

ACCENT, FORECAST, BAND = "#5c6bc0", "#ef6c00", (92, 107, 192, 60)


def _plot(parent: QWidget, title: str) -> pg.PlotWidget:
    plot = themed_plot(parent, title)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.setMinimumHeight(180)
    return plot


def _dollars(values: list[float] | np.ndarray) -> np.ndarray:
    return np.asarray([np.nan if v is None else v / 100 for v in values], dtype=float)


def _band(plot: pg.PlotWidget) -> tuple[pg.PlotDataItem, pg.PlotDataItem]:
    low = plot.plot([], [], pen=pg.mkPen(None))
    high = plot.plot([], [], pen=pg.mkPen(None))
    plot.addItem(pg.FillBetweenItem(low, high, brush=pg.mkBrush(*BAND)))
    return low, high


class DashboardCharts(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.today = _plot(self, "Today so far vs a usual day ($)")
        self.today_low, self.today_high = _band(self.today)
        self.today_mid = self.today.plot([], [], pen=pg.mkPen(ACCENT, style=Qt.PenStyle.DashLine))
        self.today_line = self.today.plot([], [], pen=pg.mkPen(FORECAST, width=3))
        self.today.setToolTip(definition("today_band") or "")

        self.weeks = _plot(self, "Last 12 weeks and the next 4 ($)")
        self.week_low, self.week_high = _band(self.weeks)
        self.week_line = self.weeks.plot(
            [], [], pen=pg.mkPen(ACCENT, width=2), symbol="o", symbolSize=5
        )
        self.week_forecast = self.weeks.plot(
            [], [], pen=pg.mkPen(FORECAST, width=2, style=Qt.PenStyle.DashLine)
        )
        self.weeks.setToolTip(definition("weekly_forecast") or "")

        self.barbers = _plot(self, "Visits per barber, last 7 days")
        self.barber_bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=ACCENT)
        self.barbers.addItem(self.barber_bars)
        self.barbers.setToolTip(definition("barber_visits") or "")

        self.notes = {name: WrapLabel("") for name in ("today", "weeks", "barbers")}
        for plot, name in ((self.today, "today"), (self.weeks, "weeks"), (self.barbers, "barbers")):
            column = QVBoxLayout()
            column.addWidget(plot, 1)
            column.addWidget(self.notes[name])
            row.addLayout(column, 1)

    def show_data(self, charts: dict[str, Any]) -> None:
        self._today(charts.get("today") or {})
        self._weeks(charts.get("weeks") or {})
        self._barbers(charts.get("barbers") or [])

    def _today(self, c: dict[str, Any]) -> None:
        if not c.get("available"):
            for item in (self.today_low, self.today_high, self.today_mid, self.today_line):
                item.setData([], [])
            self.today.setVisible(False)  # no empty axes: the note says why
            why = str(c.get("reason", "no visits today yet")).rstrip(".")
            self.notes["today"].setText(f"Today: {why}.")
            return
        self.today.setVisible(True)
        hours = np.asarray(c["hours"], dtype=float)
        self.today_low.setData(hours, _dollars(c["low"]))
        self.today_high.setData(hours, _dollars(c["high"]))
        self.today_mid.setData(hours, _dollars(c["mid"]))
        today = _dollars(c["today"])
        seen = ~np.isnan(today)
        self.today_line.setData(hours[seen], today[seen])
        self.today.getAxis("bottom").setTicks([[(h, f"{int(h):02d}") for h in hours[::2]]])
        self.notes["today"].setText(
            "Line: today. Band: 10th-90th percentile of the same "
            "weekday over the last 8 weeks; dashes: the median."
        )

    def _weeks(self, c: dict[str, Any]) -> None:
        if not c.get("available"):
            for item in (self.week_low, self.week_high, self.week_line, self.week_forecast):
                item.setData([], [])
            self.weeks.setVisible(False)
            why = str(c.get("reason", "not enough weeks yet")).rstrip(".")
            self.notes["weeks"].setText(f"Weekly forecast: {why}.")
            return
        self.weeks.setVisible(True)
        weeks, ahead = c["weeks"], c["forecast"]
        x = np.arange(len(weeks), dtype=float)
        self.week_line.setData(x, _dollars([w["revenue"] for w in weeks]))
        fx = np.arange(len(weeks) - 1, len(weeks) + len(ahead), dtype=float)
        last = weeks[-1]["revenue"]
        self.week_forecast.setData(fx, _dollars([last, *(a["mid"] for a in ahead)]))
        banded = [a for a in ahead if "low" in a]
        bx = fx[1 : 1 + len(banded)]
        self.week_low.setData(bx, _dollars([a["low"] for a in banded]))
        self.week_high.setData(bx, _dollars([a["high"] for a in banded]))
        starts = [w["start"] for w in weeks] + [a["start"] for a in ahead]
        labels = [date.fromisoformat(s).strftime("%d %b") for s in starts]
        self.weeks.getAxis("bottom").setTicks([[(i, labels[i]) for i in range(0, len(labels), 3)]])
        hit = c.get("band_hit_rate")
        self.notes["weeks"].setText(
            "Dashes: forecast (mean of the last 4 weeks). Band: its own past errors"
            + (f", which held {hit:.0%} of {c['band_replays']} replayed weeks." if hit else ".")
        )

    def _barbers(self, rows: list[dict[str, Any]]) -> None:
        if not rows or not any(r["visits"] for r in rows):  # bars of 0 draw empty axes
            self.barber_bars.setOpts(x=[], height=[])
            self.barbers.setVisible(False)
            self.notes["barbers"].setText(
                "Visits per barber: no visits in the last 7 days."
                if rows else "Visits per barber: no active barbers."
            )
            return
        self.barbers.setVisible(True)
        x = np.arange(len(rows), dtype=float)
        self.barber_bars.setOpts(x=x, height=[r["visits"] for r in rows], width=0.7)
        axis = self.barbers.getAxis("bottom")
        axis.setTicks([[(i, r["name"].split()[0]) for i, r in enumerate(rows)]])
        self.barbers.setXRange(-0.6, len(rows) - 0.4, padding=0)
        self.barbers.setYRange(0, max(max(r["visits"] for r in rows), 1) * 1.1, padding=0)
        busiest = rows[0]
        self.notes["barbers"].setText(
            f"Busiest: {busiest['name']}, {busiest['visits']} visits "
            f"(${busiest['revenue'] / 100:,.0f})."
        )
