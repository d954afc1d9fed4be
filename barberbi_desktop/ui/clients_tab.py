"""Clients: segments, every scored client, why they are where they are, how reliably
they turn up (the no-show run), and call lists.

Reads the latest stored LTV run and prepares the table (order, search text,
segment counts) on a worker; the GUI thread only swaps the model's frame. The
table is model/view over a DataFrame with vectorised search and segment
filters, and the segment chart is created once and updated in place.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from barberbi_desktop.engines.ltv_backtest import describe, describe_churn
from barberbi_desktop.engines.segments import SEGMENT_ORDER
from barberbi_desktop.metrics_doc import definition
from barberbi_desktop.storage.at_risk import (
    NoShowRun,
    quality_words,
    read_noshow,
    reliability_frame,
    reliability_sentence,
    risk_text,
)
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.export import safe_cell as safe_cell  # tests import it here
from barberbi_desktop.storage.export import write_table
from barberbi_desktop.storage.results import RunInfo, client_scores, latest_run
from barberbi_desktop.storage.settings import shop_zone
from barberbi_desktop.storage.summary import has_appointments
from barberbi_desktop.storage.users import User, audit
from barberbi_desktop.ui.empty_state import NO_VISITS, NO_VISITS_YET, EmptyNotice, NoVisits
from barberbi_desktop.ui.engine_progress import EngineProgress
from barberbi_desktop.ui.plots import themed_plot
from barberbi_desktop.ui.table_model import DataFrameModel
from barberbi_desktop.ui.tasks import TaskRunner
from barberbi_desktop.ui.theme import WrapLabel

COLUMNS = {
    "display_name": "Client",
    "segment": "Segment",
    "visits": "Visits",
    "reliability": "Missed (likely rate)",
    "next_risk": "Next booking",
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


def _money(v: Any) -> str:
    return f"${float(v) / 100:,.0f}"


FORMATTERS = {
    **{c: _money for c in MONEY},
    "p_alive": lambda v: f"{float(v):.0%}",
    "churn_risk": lambda v: f"{float(v):.0%}",
    "expected_visits": lambda v: f"{float(v):.1f}",
    "days_since_last": lambda v: f"{float(v):.0f}",
    "visits": lambda v: f"{int(v)}",
    "next_risk": risk_text,
}


HIDDEN = ("email", "phone", "segment_rule", "action", "value_tier", "client_id", "own_rate",
          "missed", "booked", "rate_low", "rate_high", "next_start", "next_reasons",
          "next_late_risk", "late_cancels", "late_booked")  # fmt: skip
NO_RELIABILITY = ("missed", "booked", "own_rate", "rate_low", "rate_high", "next_risk",
                  "next_start", "next_reasons", "next_late_risk", "late_cancels",
                  "late_booked")  # fmt: skip


def reliability_text(frame: pd.DataFrame) -> pd.Series:
    """ "2 of 9 · 8-45%": bookings missed and the likely range of the client's own rate;
    blank (unknown) for a client with no booking in files that record no-shows, never
    "0 of 0"."""
    known = (frame["booked"].fillna(0).to_numpy() > 0) & frame["rate_low"].notna().to_numpy()
    text = (
        frame["missed"].fillna(0).astype(int).astype(str) + " of "
        + frame["booked"].fillna(0).astype(int).astype(str) + " · "
        + (frame["rate_low"].fillna(0) * 100).round().astype(int).astype(str) + "–"
        + (frame["rate_high"].fillna(0) * 100).round().astype(int).astype(str) + "%"
    )  # fmt: skip
    return text.where(known, "")


def with_reliability(scores: pd.DataFrame, reliability: pd.DataFrame | None) -> pd.DataFrame:
    """The LTV scores with each client's no-show record (`storage.at_risk`) beside them;
    every reliability column is empty (unknown) without a no-show run."""
    if reliability is None or reliability.empty:
        empty = {c: pd.Series(np.nan, index=scores.index) for c in NO_RELIABILITY}
        out = scores.assign(**empty)
    else:
        out = scores.merge(reliability, on="client_id", how="left")
    return out.assign(reliability=reliability_text(out))


class Prepared:
    """What the worker hands the GUI thread: the run, all scores, and the table ready to
    show (most valuable first, with one lower-case search string per client)."""

    def __init__(
        self,
        run: RunInfo,
        scores: pd.DataFrame,
        noshow: NoShowRun | None = None,
        reliability: pd.DataFrame | None = None,
        zone: str = "UTC",
    ) -> None:
        self.run, self.noshow, self.zone = run, noshow, zone
        scores = with_reliability(scores, reliability)
        self.scores = scores.assign(visits=scores["frequency"] + 1)  # first visit + repeats
        self.counts = self.scores["segment"].value_counts().reindex(SEGMENT_ORDER, fill_value=0)
        table = self.scores[[*COLUMNS, *HIDDEN]]
        table = table.sort_values("ltv_cents", ascending=False, kind="stable")
        haystack = table["display_name"].fillna("")
        for column in ("email", "phone"):
            haystack = haystack + " " + table[column].fillna("")
        self.table = table.assign(search=haystack.str.lower()).reset_index(drop=True)
        # The text each column's width is measured from: the header's and a sample's.
        self.samples = {
            column: [
                FORMATTERS.get(column, str)(v) if pd.notna(v) else ""
                for v in self.scores[column].head(200)
            ]
            for column in COLUMNS
        }


class ClientFilter:
    """The search box and segment choice as one vectorised row filter."""

    def __init__(self, text: str = "", segment: str = "") -> None:
        self.text, self.segment = text.strip().lower(), segment

    def __call__(self, frame: pd.DataFrame) -> np.ndarray:
        keep = np.ones(len(frame), dtype=bool)
        if self.segment:
            keep &= (frame["segment"] == self.segment).to_numpy(dtype=bool)
        if self.text:
            found = frame["search"].str.contains(self.text, regex=False)
            keep &= found.fillna(False).to_numpy(dtype=bool)
        return keep


class ClientsTab(QWidget):
    def __init__(self, db: Database, runner: TaskRunner, user: User | None = None) -> None:
        super().__init__()
        self.db, self.runner = db, runner
        self.user = user  # exports go to the audit log under this account
        self.scores = pd.DataFrame()
        self.run: RunInfo | None = None
        self.noshow: NoShowRun | None = None
        self.zone = "UTC"
        self.empty = WrapLabel(
            "No client scores yet. They are computed in the background after "
            "the app opens (or run `barberbi run ltv`)."
        )
        self.no_visits = EmptyNotice(NO_VISITS["clients"])
        self.progress = EngineProgress(db, runner, "ltv")
        self.quality = WrapLabel("")
        self.quality.setToolTip(definition("model_quality") or "")
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
        tips["reliability"] = definition("client_reliability") or ""
        tips["next_risk"] = definition("noshow_risk") or ""
        self.model = DataFrameModel(headers=COLUMNS, formatters=FORMATTERS, header_tips=tips,
                                    sort_keys={"reliability": "own_rate"})  # fmt: skip
        self.table = QTableView()
        self.table.setModel(self.model)
        header = self.table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.sortIndicatorChanged.connect(self.model.sort)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # No row numbers: after a sort or filter they number nothing, and sizing the
        # header for 209,000 of them asked the model for 200 sections' text each visit.
        self.table.verticalHeader().hide()
        self.detail = WrapLabel("Select a client to see why they are in their segment.")
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.search.textChanged.connect(self._filter)
        self.segment.currentTextChanged.connect(self._filter)
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
        for w in (self.empty, self.progress, self.quality):
            layout.addWidget(w)
        layout.addWidget(self.no_visits, 1)
        self.chart = themed_plot(self)
        self.chart.setMaximumHeight(180)
        self.chart.getAxis("bottom").setTicks([list(enumerate(SEGMENT_ORDER))])
        self.chart.setLabel("left", "clients")
        self.bars = pg.BarGraphItem(
            x=np.arange(len(SEGMENT_ORDER)), height=np.zeros(6), width=0.6, brush="#5c6bc0"
        )
        self.chart.addItem(self.bars)
        layout.addWidget(self.chart)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        self._data_widgets: list[QWidget] = [
            self.quality, self.search, self.segment, self.export, self.table, self.detail,
            self.chart,
        ]  # fmt: skip
        self._has_data(False)
        self.refresh()

    def _has_data(self, has: bool, no_visits: bool = False) -> None:
        self.empty.setVisible(not has and not no_visits)
        self.no_visits.setVisible(no_visits)
        self.progress.watch(not has and not no_visits)
        for w in self._data_widgets:
            w.setVisible(has)

    def refresh(self) -> None:
        self.runner.run(self._load, self._show, lambda exc: self.empty.setText(str(exc)))

    def _filter(self) -> None:
        segment = self.segment.currentText()
        self.model.set_filter(
            ClientFilter(self.search.text(), "" if segment == "All segments" else segment)
        )

    def _load(self) -> Prepared | NoVisits | None:
        if not has_appointments(self.db):
            return NO_VISITS_YET
        run = latest_run(self.db, "ltv")
        if run is None:
            return None
        noshow = read_noshow(self.db)
        reliability = None if noshow is None or noshow.no_info else (
            reliability_frame(self.db, noshow))  # fmt: skip
        scores = client_scores(self.db, run.run_id)
        return Prepared(run, scores, noshow, reliability, shop_zone(self.db))

    def _show(self, loaded: Prepared | NoVisits | None) -> None:
        if loaded is None or isinstance(loaded, NoVisits):
            self._has_data(False, no_visits=loaded is not None)
            return
        self.run, self.scores, counts = loaded.run, loaded.scores, loaded.counts
        self.noshow, self.zone = loaded.noshow, loaded.zone
        self._has_data(True)
        self.bars.setOpts(height=counts.to_numpy(dtype=float))
        self.chart.setVisible(bool(counts.sum()))  # no scored client: no empty axes
        self.chart.setYRange(0, max(float(counts.max()), 1.0) * 1.1)
        bt = self.run.metrics.get("backtest", {})
        said = " ".join(part for part in (describe(bt), describe_churn(bt)) if part)
        self.quality.setText(
            f"{len(self.scores):,} clients scored as of {self.run.as_of:%d %b %Y}. {said}"
            + (f" No-shows: {quality_words(self.noshow)}" if self.noshow else "")
        )
        self.model.set_frame(loaded.table)  # the search and segment filter stay applied
        for i in range(len(COLUMNS), self.model.columnCount()):
            self.table.setColumnHidden(i, True)
        # Widths from the headers and a sample, never from all rows (200,000 would stall).
        metrics = self.table.fontMetrics()
        for i, (column, title) in enumerate(COLUMNS.items()):
            sample = loaded.samples[column]
            widest = max(
                [metrics.horizontalAdvance(title), *map(metrics.horizontalAdvance, sample)]
            )
            self.table.setColumnWidth(i, min(widest + 24, 360))
        header = self.table.horizontalHeader()
        header.blockSignals(True)  # the worker already sorted by value: only show it
        header.setSortIndicator(list(COLUMNS).index("ltv_cents"), Qt.SortOrder.DescendingOrder)
        header.blockSignals(False)

    def _show_detail(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        r = self.model.row(rows[0].row())

        def say(column: str) -> str:  # names come from imports: shown as text, never markup
            value = r.get(column)
            return html.escape(value) if isinstance(value, str) else ""

        tier = f" (value: {say('value_tier')})" if say("value_tier") else ""
        contact = " · ".join(v for v in (say("phone"), say("email")) if v)
        if self.noshow is None:
            record = "No no-show risks yet."
        elif self.noshow.no_info:
            record = self.noshow.no_info
        else:
            record = reliability_sentence(r, self.zone)
        self.detail.setText(
            f"<b>{say('display_name')}</b><br>{contact}<br><br><b>{say('segment')}</b>{tier}: "
            f"{say('segment_rule')}<br><br><b>What to do:</b> {say('action') or 'nothing yet'}"
            f"<br><br><b>Reliability:</b> {html.escape(record)}"
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
        """Write the call list as .csv or .xlsx (formula-safe, owner-only); returns the
        number of clients."""
        return write_table(self.call_list(), path, sheet="Call list")

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
