"""The Dashboard's bookings at risk of a no-show: the rest of today and tomorrow,
riskiest first, what is at stake, how well the risks did in their replay, and the
call list export.

Reads the latest stored no-show run on a worker (`storage.at_risk`), with the KPIs
each minute (the remaining part of today moves with the clock): the database picks the
two days' bookings out of the run's `noshow_risks` rows, so nothing large is read here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import text

from barberbi_desktop.metrics_doc import definition
from barberbi_desktop.storage.at_risk import (
    ENGINE,
    AtRisk,
    NoShowRun,
    bookings_at_risk,
    fetch_days,
    late_words,
    quality_words,
    read_noshow,
    risk_text,
    write_call_list,
)
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.settings import shop_zone
from barberbi_desktop.storage.users import User, audit
from barberbi_desktop.ui.table_model import DataFrameModel, Index, fit_to_contents
from barberbi_desktop.ui.tasks import TaskRunner
from barberbi_desktop.ui.theme import WrapLabel

COLUMNS = {
    "when": "When",
    "client": "Client",
    "barber": "Barber",
    "service": "Service",
    "risk": "No-show risk",
    "late": "Late-cancel risk",
    "reasons": "Why",
}
NO_RUN = (
    "No no-show risks yet. They are worked out in the background after the app opens "
    "and after each import (or run `barberbi run noshow`)."
)


def _hours(h: float) -> str:
    return f"{h:.1f} chair-hour{'' if round(h, 1) == 1 else 's'}"


def _late_text(value: float) -> str:
    """Unknown (an export without cancellation times) is a dash, not 0%."""
    return "—" if value != value else risk_text(value)


def stake_sentence(at_risk: AtRisk) -> str:
    """What the rest of today and tomorrow could lose to no-shows, in one sentence each."""
    parts = []
    for which, label in (("today", "Rest of today"),
                         ("tomorrow", f"Tomorrow ({at_risk.tomorrow:%a %d %b})")):  # fmt: skip
        s = at_risk.stake[which]
        n = int(s["bookings"])
        if not n:
            parts.append(f"{label}: no bookings.")
            continue
        said = (
            f"{label}: {n} booking{'s' if n != 1 else ''}, {int(s['at_risk'])} at risk; "
            f"expected {_hours(s['hours'])} and ${s['cents'] / 100:,.0f} lost to no-shows"
        )
        if s.get("late_priced"):
            said += f", and ${s['late_cents'] / 100:,.0f} to late cancellations"
        unknown = int(max(s["unknown_price"], s["unknown_minutes"]))
        if unknown:
            said += f" ({unknown} without a known price or length left out)"
        parts.append(said + ".")
    return " ".join(parts)


def table_frame(at_risk: AtRisk) -> pd.DataFrame:
    b = at_risk.bookings
    day = np.where(b["day"] == "today", "Today", "Tomorrow")
    return pd.DataFrame(
        {
            # First and hidden: the reasons stay the last column, stretched to the width
            # left (a hidden last column would have them sized to their whole text).
            "at_risk": b["at_risk"].astype(bool),
            "when": [f"{d} {t:%H:%M}" for d, t in zip(day, b["local"], strict=True)],
            "client": b["client"].fillna("(no name)").astype(str),
            "barber": b["barber"].fillna("").astype(str),
            "service": b["service"].fillna("").astype(str),
            "risk": b["risk"].astype(float),
            "late": b["late_cancel_risk"].astype(float),
            "reasons": b["reasons"].astype(str),
        }
    )


@dataclass(frozen=True)
class Shown:
    """What the worker hands the GUI thread: the bookings, the table and the sentences,
    ready (formatting 2,000 rows of a chain's two days took 60 ms on the GUI thread)."""

    at_risk: AtRisk
    table: pd.DataFrame
    stake: str
    quality: str

    @property
    def tomorrow_at_risk(self) -> bool:
        return bool(self.at_risk.day("tomorrow")["at_risk"].any())


class RiskModel(DataFrameModel):
    """Bookings at risk in bold: the ones to call."""

    def __init__(self) -> None:
        super().__init__(headers=COLUMNS, formatters={"risk": risk_text, "late": _late_text})
        self._bold = QFont()
        self._bold.setBold(True)
        self._flag = np.zeros(0, dtype=bool)

    def set_frame(self, frame: pd.DataFrame, tooltips: list[str | None] | None = None) -> None:
        self._flag = frame["at_risk"].to_numpy(dtype=bool)
        super().set_frame(frame, tooltips)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.FontRole and index.isValid():
            return self._bold if self._flag[int(self._rows[index.row()])] else None
        return super().data(index, role)


class AtRiskPanel(QWidget):
    def __init__(
        self,
        db: Database,
        runner: TaskRunner,
        user: User | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.db, self.runner, self.user = db, runner, user
        self.clock = clock or (lambda: datetime.now(UTC))
        self.at_risk: AtRisk | None = None
        # (run id, data version, shop day), the run and its two days' rows: see load().
        self._cache: tuple[tuple[Any, ...], NoShowRun, pd.DataFrame | None] | None = None
        self.title = QLabel("<b>Bookings at risk of a no-show</b>")
        self.summary = WrapLabel(NO_RUN)
        self.summary.setToolTip(definition("at_risk_bookings") or "")
        self.quality = WrapLabel("")
        self.quality.setToolTip(definition("noshow_quality_words") or "")
        self.model = RiskModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)  # one line a booking; the reason is also its tooltip
        self.table.horizontalHeader().setStretchLastSection(True)
        self.export = QPushButton("Export tomorrow's call list…")
        self.export.setToolTip(
            "Tomorrow's bookings at risk with the client's phone, the time, barber, service, "
            "risk and why, as CSV or Excel"
        )
        self.export.clicked.connect(self._choose_export)
        if user is not None and not user.may("exports"):
            self.export.setEnabled(False)
            self.export.setToolTip("Only the owner can export client lists")
        self.status = QLabel("")
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.status)
        head.addWidget(self.export)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.summary)
        layout.addWidget(self.quality)
        layout.addWidget(self.table, 1)
        self._show_table(False)

    def _show_table(self, shown: bool) -> None:
        self.table.setVisible(shown)
        self.export.setVisible(shown)
        self.quality.setVisible(shown)

    def refresh(self) -> None:
        """Read the bookings at risk alone (a new no-show run); the Dashboard's own
        refresh reads them with the KPIs, in one task."""
        self.runner.run(self.load, self.show_loaded, lambda exc: self.summary.setText(str(exc)))

    def load(self) -> Shown | NoShowRun | None:
        """On a worker: the latest run's small parts and the bookings of the rest of
        today and tomorrow. The two days' rows are read again only when the run, the
        data or the shop's day changes (a join over the run's rows); the minute's
        refresh only moves "now"."""
        with self.db.read() as conn:
            key = conn.execute(
                text(
                    "SELECT (SELECT MAX(id) FROM engine_runs WHERE engine = :e AND "
                    "status = 'ok'), (SELECT data_version FROM shop_state WHERE id = 1)"
                ),
                {"e": ENGINE},
            ).one()
        if key[0] is None:
            return None
        now = self.clock()
        day = now.astimezone(ZoneInfo(shop_zone(self.db))).date()
        cached = self._cache
        if cached is None or cached[0] != (*key, day):
            run = read_noshow(self.db, int(key[0]))
            if run is None:
                return None
            scope = self.user.location_scope if self.user is not None else None
            fetched = None if run.no_info else fetch_days(self.db, run, day, scope)
            cached = self._cache = ((*key, day), run, fetched)
        run, fetched = cached[1], cached[2]
        if run.no_info or fetched is None:
            return run
        at_risk = bookings_at_risk(self.db, run, now, fetched=fetched)
        return Shown(at_risk, table_frame(at_risk), stake_sentence(at_risk),
                     quality_words(run))  # fmt: skip

    def show_loaded(self, loaded: Shown | NoShowRun | Exception | None) -> None:
        if isinstance(loaded, Exception):
            self.summary.setText(f"The bookings at risk could not be read: {loaded}")
            self._show_table(False)
            return
        if loaded is None:
            self.at_risk = None
            self.summary.setText(NO_RUN)
            self._show_table(False)
            return
        if isinstance(loaded, NoShowRun):  # a shop whose exports say nothing of no-shows
            self.at_risk = None
            self.summary.setText(loaded.no_info or "")
            self._show_table(False)
            return
        self.at_risk = loaded.at_risk
        result, frame = loaded.at_risk.result, loaded.table
        self.title.setText(
            f"<b>Bookings at risk of a no-show</b> (bold: a risk of {result.at_risk_cut:.0%} "
            f"or more; risks as of {result.as_of:%a %d %b})"
        )
        self.summary.setText(loaded.stake)
        late = late_words(result) if result.late_known else ""
        self.quality.setText(f"{loaded.quality} {late}".strip())
        self.quality.setToolTip(
            "\n\n".join(t for t in (result.method_sentence, late_words(result),
                                    definition("noshow_quality_words"),
                                    definition("noshow_backtest")) if t)
        )  # fmt: skip
        self.model.set_frame(frame, tooltips=list(frame["reasons"]))
        self.table.setColumnHidden(0, True)  # at_risk: shown as bold
        # No late-cancellation column where the exports never say when a cancel came.
        self.table.setColumnHidden(list(COLUMNS).index("late") + 1, not result.late_known)
        fit_to_contents(self.table)
        self._show_table(True)
        self.export.setEnabled(
            bool(loaded.tomorrow_at_risk) and (self.user is None or self.user.may("exports"))
        )

    def export_call_list(self, path: Path, done: Callable[[int], None] | None = None) -> None:
        """Write tomorrow's call list on a worker and record the export."""
        at_risk, db = self.at_risk, self.db
        if at_risk is None:
            return
        user_id = self.user and self.user.user_id

        def work() -> int:
            count = write_call_list(at_risk, path)
            audit(db, user_id, "export", {"what": "no-show call list", "bookings": count,
                                          "path": str(path)})  # fmt: skip
            return count

        def written(count: int) -> None:
            self.status.setText(f"Exported {count} bookings to {path.name}.")
            if done:
                done(count)

        self.runner.run(work, written, lambda exc: self.status.setText(str(exc)))

    def _choose_export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Export tomorrow's call list", "no-show-call-list.csv",
            "CSV (*.csv);;Excel (*.xlsx)",
        )  # fmt: skip
        if name:
            self.export_call_list(Path(name))
