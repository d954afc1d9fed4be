"""Clients: segments, every scored client, why they are where they are, and call lists.

Reads the latest stored LTV run on a worker; the table is model/view over a
DataFrame (search and segment filter through a proxy), the segment chart is
created once and updated in place.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from barberbi_desktop.engines.segments import SEGMENT_ORDER
from barberbi_desktop.metrics_doc import definition
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.results import RunInfo, client_scores, latest_run
from barberbi_desktop.storage.users import User, audit
from barberbi_desktop.ui.plots import themed_plot
from barberbi_desktop.ui.table_model import SORT_ROLE, DataFrameModel
from barberbi_desktop.ui.tasks import TaskRunner

COLUMNS = {
    "display_name": "Client",
    "segment": "Segment",
    "visits": "Visits",
    "days_since_last": "Days since visit",
    "monetary_cents": "Avg spend",
    "p_alive": "Still a client",
    "expected_visits": "Visits next 90d",
    "predicted_spend_cents": "Spend next 90d",
    "ltv_cents": "12-month value",
    "churn_risk": "Churn risk",
    "overdue_text": "Overdue",
}
MONEY = ("monetary_cents", "predicted_spend_cents", "ltv_cents")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _money(v: Any) -> str:
    return f"${float(v) / 100:,.0f}"


FORMATTERS = {
    **{c: _money for c in MONEY},
    "p_alive": lambda v: f"{float(v):.0%}",
    "churn_risk": lambda v: f"{float(v):.0%}",
    "expected_visits": lambda v: f"{float(v):.1f}",
    "days_since_last": lambda v: f"{float(v):.0f}",
    "visits": lambda v: f"{int(v)}",
}


def safe_cell(value: Any) -> Any:
    """Neutralise spreadsheet formula injection: a cell that would start a formula is
    prefixed with an apostrophe, so Excel and LibreOffice show it as text."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class ClientFilter(QSortFilterProxyModel):
    def __init__(self) -> None:
        super().__init__()
        self.text, self.segment = "", ""
        self._cache_key: tuple[object, ...] | None = None
        self._keep = np.ones(0, dtype=bool)
        self.setSortRole(SORT_ROLE)

    def set(self, text: str | None = None, segment: str | None = None) -> None:
        modern = hasattr(self, "beginFilterChange")  # Qt 6.10+; invalidateFilter before
        if modern:
            self.beginFilterChange()
        self.text = (self.text if text is None else text).strip().lower()
        self.segment = self.segment if segment is None else segment
        if modern:
            self.endFilterChange()
        else:
            self.invalidateFilter()

    def _mask(self) -> np.ndarray:
        """Which rows pass the filter, computed with pandas once per frame and filter."""
        frame = self.sourceModel().frame
        key = (id(frame), len(frame), self.text, self.segment)
        if self._cache_key != key:
            keep = np.ones(len(frame), dtype=bool)
            if self.segment and "segment" in frame:
                keep &= (frame["segment"] == self.segment).to_numpy(dtype=bool)
            if self.text:
                cols = [c for c in ("display_name", "email", "phone") if c in frame]
                haystack = frame[cols[0]].astype(str)
                for c in cols[1:]:
                    haystack = haystack + " " + frame[c].astype(str)
                keep &= haystack.str.lower().str.contains(self.text, regex=False).to_numpy(
                    dtype=bool)
            self._cache_key, self._keep = key, keep
        return self._keep

    def filterAcceptsRow(self, row: int, parent: Any) -> bool:
        mask = self._mask()
        return bool(mask[row]) if row < len(mask) else True


class ClientsTab(QWidget):
    def __init__(self, db: Database, runner: TaskRunner, user: User | None = None) -> None:
        super().__init__()
        self.db, self.runner = db, runner
        self.user = user  # exports go to the audit log under this account
        self.scores = pd.DataFrame()
        self.run: RunInfo | None = None
        self.empty = QLabel(
            "No client scores yet. They are computed in the background after "
            "the app opens (or run `barberbi run ltv`)."
        )
        self.empty.setWordWrap(True)
        self.quality = QLabel("")
        self.quality.setWordWrap(True)
        self.chart = themed_plot(self)
        self.chart.setMaximumHeight(180)
        self.chart.getAxis("bottom").setTicks([list(enumerate(SEGMENT_ORDER))])
        self.chart.setLabel("left", "clients")
        self.bars = pg.BarGraphItem(
            x=np.arange(len(SEGMENT_ORDER)), height=np.zeros(6), width=0.6, brush="#5c6bc0"
        )
        self.chart.addItem(self.bars)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search name, email or phone")
        self.segment = QComboBox()
        self.segment.addItems(["All segments", *SEGMENT_ORDER])
        self.export = QPushButton("Export call list…")
        self.export.setToolTip(
            "At-Risk Premium VIP and High Value clients with their phone numbers, as CSV or Excel"
        )
        self.export.clicked.connect(self._choose_export)
        tips = {
            col: definition(key) or ""
            for col, key in (
                ("p_alive", "p_alive"),
                ("expected_visits", "expected_visits"),
                ("predicted_spend_cents", "predicted_spend"),
                ("ltv_cents", "ltv"),
                ("churn_risk", "churn_risk"),
                ("overdue_text", "overdue"),
            )
        }
        self.model = DataFrameModel(headers=COLUMNS, formatters=FORMATTERS, header_tips=tips)
        self.proxy = ClientFilter()
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        # Sorting is done by the DataFrame model (vectorised), not by the proxy, which
        # would call data() twice per comparison: minutes for 200,000 rows.
        header = self.table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.sortIndicatorChanged.connect(self.model.sort)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.detail = QLabel("Select a client to see why they are in their segment.")
        self.detail.setWordWrap(True)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.search.textChanged.connect(lambda t: self.proxy.set(text=t))
        self.segment.currentTextChanged.connect(
            lambda s: self.proxy.set(segment="" if s == "All segments" else s)
        )
        self.table.selectionModel().selectionChanged.connect(self._show_detail)
        bar = QHBoxLayout()
        for w in (self.search, self.segment, self.export):
            bar.addWidget(w)
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        for w in (self.empty, self.quality, self.chart):
            layout.addWidget(w)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        self._has_data(False)
        self.refresh()

    def _has_data(self, has: bool) -> None:
        self.empty.setVisible(not has)
        for w in (
            self.quality,
            self.chart,
            self.search,
            self.segment,
            self.export,
            self.table,
            self.detail,
        ):
            w.setVisible(has)

    def refresh(self) -> None:
        self.runner.run(self._load, self._show, lambda exc: self.empty.setText(str(exc)))

    def _load(self) -> tuple[RunInfo, pd.DataFrame] | None:
        run = latest_run(self.db, "ltv")
        return None if run is None else (run, client_scores(self.db, run.run_id))

    def _show(self, loaded: tuple[RunInfo, pd.DataFrame] | None) -> None:
        if loaded is None:
            self._has_data(False)
            return
        self.run, scores = loaded
        self.scores = scores.assign(visits=scores["frequency"] + 1)  # first visit + repeats
        self._has_data(True)
        counts = self.scores["segment"].value_counts().reindex(SEGMENT_ORDER, fill_value=0)
        self.bars.setOpts(height=counts.to_numpy(dtype=float))
        self.chart.setYRange(0, max(float(counts.max()), 1.0) * 1.1)
        bt = self.run.metrics.get("backtest", {})
        if bt.get("available"):
            spend = bt["spend"]
            self.quality.setText(
                f"{len(self.scores):,} clients scored as of {self.run.as_of:%d %b %Y}. Model "
                f"quality, measured on the last {bt['horizon_days']} days held out: mean error "
                f"per client ${spend['ensemble']['mae']:.2f} (a naive estimate: "
                f"${spend['naive_baseline']['mae']:.2f}); churn ROC AUC "
                f"{bt['churn']['blend']['roc_auc']:.2f}."
            )
        else:
            self.quality.setText(
                f"{len(self.scores):,} clients scored; no back-test yet: "
                f"{bt.get('reason', 'too little history')}."
            )
        self.model.set_frame(
            self.scores[list(COLUMNS)].assign(
                **{
                    c: self.scores[c]
                    for c in ("email", "phone", "segment_rule", "action", "value_tier", "client_id")
                }
            )
        )
        for i in range(len(COLUMNS), self.model.columnCount()):
            self.table.setColumnHidden(i, True)
        # Widths from the headers and a sample, never from all rows (200,000 would stall).
        metrics = self.table.fontMetrics()
        for i, (column, title) in enumerate(COLUMNS.items()):
            sample = (
                self.scores[column]
                .head(200)
                .map(lambda v, c=column: FORMATTERS.get(c, str)(v) if pd.notna(v) else "")
            )
            widest = max(
                [metrics.horizontalAdvance(title), *map(metrics.horizontalAdvance, sample)]
            )
            self.table.setColumnWidth(i, min(widest + 24, 360))
        self.table.horizontalHeader().setSortIndicator(
            list(COLUMNS).index("ltv_cents"), Qt.SortOrder.DescendingOrder
        )  # sorts the model through sortIndicatorChanged

    def _show_detail(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        r = self.model.frame.iloc[self.proxy.mapToSource(rows[0]).row()]
        tier = f" (value: {r['value_tier']})" if r.get("value_tier") else ""
        contact = " · ".join(
            str(v) for v in (r.get("phone"), r.get("email")) if isinstance(v, str) and v
        )
        self.detail.setText(
            f"<b>{r['display_name']}</b><br>{contact}<br><br><b>{r['segment']}</b>{tier}: "
            f"{r['segment_rule']}<br><br><b>What to do:</b> {r['action']}"
        )

    def call_list(self) -> pd.DataFrame:
        s = self.scores
        chosen = s[
            (s["segment"] == "At-Risk") & s["value_tier"].isin(["Premium VIP", "High Value"])
        ]
        return pd.DataFrame(
            {
                "Client": chosen["display_name"],
                "Phone": chosen["phone"],
                "Email": chosen["email"],
                "Value tier": chosen["value_tier"],
                "12-month value": chosen["ltv_cents"] / 100,
                "Why": chosen["segment_rule"],
                "What to do": chosen["action"],
            }
        ).sort_values("12-month value", ascending=False)

    def export_call_list(self, path: Path) -> int:
        """Write the call list as .csv or .xlsx; returns the number of clients."""
        frame = self.call_list().map(safe_cell)
        if path.suffix.lower() == ".xlsx":
            frame.to_excel(path, index=False, sheet_name="Call list")
        else:
            frame.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL)
        return len(frame)

    def _choose_export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Export call list", "call-list.csv", "CSV (*.csv);;Excel (*.xlsx)"
        )
        if name:
            count = self.export_call_list(Path(name))
            self.detail.setText(f"Exported {count} clients to {name}.")
            user_id, db = self.user and self.user.user_id, self.db
            detail = {"what": "call list", "clients": count, "path": name}
            self.runner.run(lambda: audit(db, user_id, "export", detail), lambda _: None)
