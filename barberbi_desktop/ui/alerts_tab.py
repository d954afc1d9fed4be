"""Alerts: the history (newest first) with filters and acknowledge, the rules with their
thresholds, and the unacknowledged count for the tab's badge. A location manager
sees the alerts about their location only (`alerts.location_id`).

Times are shown in the shop's own time zone (they are stored in UTC). The rules page
is built the first time it is opened; only the owner may change a threshold.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from barberbi_desktop.alerts.rules import (
    COOLDOWN,
    DOLLARS,
    PRIORITIES,
    RULES,
    AlertSettings,
    cooldown_hours,
)
from barberbi_desktop.alerts.store import acknowledge, list_alerts
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.settings import shop_zone
from barberbi_desktop.storage.summary import has_appointments
from barberbi_desktop.storage.users import User
from barberbi_desktop.ui.empty_state import NO_VISITS, EmptyNotice
from barberbi_desktop.ui.lazy_page import LazyPage, build_when_opened
from barberbi_desktop.ui.table_model import DataFrameModel
from barberbi_desktop.ui.tasks import TaskRunner
from barberbi_desktop.ui.theme import WrapLabel, page_tabs

# What a location manager's Alerts tab says once, above the list.
MANAGER_SCOPE = ("These are your location's alerts; alerts about the whole shop (backups, "
                 "refused imports, failed analyses, the whole shop's figures) go to the owner.")
COLUMNS = {
    "priority": "Priority",
    "created": "When",
    "title": "Alert",
    "message": "Details",
    "status": "Status",
}


def history_frame(alerts: pd.DataFrame, zone: str) -> pd.DataFrame:
    """The alerts as the table shows them; ``rule`` is kept (hidden) for the rule filter."""
    created = alerts.get("created_utc", pd.Series(dtype="datetime64[ns, UTC]"))
    acked = alerts.get("acknowledged_utc", pd.Series(dtype="datetime64[ns, UTC]"))
    return pd.DataFrame(
        {
            "priority": alerts.get("priority", pd.Series(dtype=str)),
            "created": created.dt.tz_convert(zone).dt.strftime("%d %b %Y %H:%M").fillna(""),
            "title": alerts.get("title", pd.Series(dtype=str)),
            "message": alerts.get("message", pd.Series(dtype=str)),
            "status": np.where(acked.notna(), "acknowledged", "open"),
            "rule": alerts.get("rule", pd.Series(dtype=str)),
        }
    )


class AlertsTab(QWidget):
    unacknowledged = Signal(int)

    def __init__(self, db: Database, runner: TaskRunner, user: User | None = None) -> None:
        super().__init__()
        self.db, self.runner, self.user = db, runner, user
        self.model = DataFrameModel(headers=COLUMNS)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.priority = QComboBox()
        self.priority.addItems(["All priorities", *(p.capitalize() for p in PRIORITIES)])
        self.priority.setToolTip("Show alerts of one priority only")
        self.rule = QComboBox()
        self.rule.addItem("All rules", "")
        for r in RULES:
            self.rule.addItem(r.label, r.key)
        self.rule.setToolTip("Show the alerts one rule raised")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search alerts…")
        self.search.setClearButtonEnabled(True)
        self.show_all = QCheckBox("Show acknowledged")
        self.show_all.toggled.connect(self.refresh)
        for combo in (self.priority, self.rule):
            combo.currentIndexChanged.connect(self._filter)
        self.search.textChanged.connect(self._filter)
        self.ack = QPushButton("Acknowledge")
        self.ack.setToolTip("Mark the selected alerts as seen; they leave the open count")
        self.ack.clicked.connect(self.acknowledge_selected)
        self.shown = QLabel("")
        bar = QHBoxLayout()
        for w in (self.priority, self.rule, self.search, self.show_all):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.shown)
        bar.addWidget(self.ack)
        history = QWidget()
        box = QVBoxLayout(history)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(bar)
        box.addWidget(self.table)
        self.no_visits = EmptyNotice(NO_VISITS["alerts"])
        self.no_visits.setVisible(False)
        box.addWidget(self.no_visits, 1)
        self.scope = user.location_scope if user is not None else None
        if self.scope is not None:
            box.insertWidget(0, WrapLabel(MANAGER_SCOPE))
        self._bar = bar
        self.pages = page_tabs()
        self.pages.addTab(history, "History")
        self._rules = LazyPage(lambda: RulesPage(db, runner, user))
        self.pages.addTab(self._rules, "Rules")
        build_when_opened(self.pages)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        self._sized = False
        self.refresh()

    def refresh(self) -> None:
        include = self.show_all.isChecked()
        db = self.db

        scope = self.scope

        def load() -> tuple[pd.DataFrame, int, bool]:
            # A location manager: their location's alerts alone.
            alerts = list_alerts(db, include_acknowledged=True, location_id=scope)
            ever = bool(len(alerts))
            open_count = int(alerts["acknowledged_utc"].isna().sum()) if len(alerts) else 0
            if not include and len(alerts):
                alerts = alerts[alerts["acknowledged_utc"].isna()]
            frame = history_frame(alerts, shop_zone(db))
            frame["id"] = alerts["id"].to_numpy() if len(alerts) else []
            return frame, open_count, ever or has_appointments(db)

        self.runner.run(load, self._show)

    def _show(self, loaded: tuple[pd.DataFrame, int, bool]) -> None:
        frame, open_count, anything = loaded
        # A shop with no visits has no alerts to list: say why instead of an empty table.
        self.no_visits.setVisible(not anything)
        self.table.setVisible(anything)
        for i in range(self._bar.count()):
            widget = self._bar.itemAt(i).widget()
            if widget is not None:
                widget.setVisible(anything)
        self.model.set_frame(frame)
        for col in range(len(COLUMNS), self.model.columnCount()):  # rule and id
            self.table.setColumnHidden(col, True)
        self._filter()
        if not self._sized and len(frame):
            self.table.resizeColumnsToContents()
            self._sized = True
        self.unacknowledged.emit(open_count)

    def _filter(self) -> None:
        priority = self.priority.currentText().lower()
        rule = self.rule.currentData()
        words = self.search.text().strip().lower()
        if priority.startswith("all") and not rule and not words:
            self.model.set_filter(None)
        else:

            def keep(f: pd.DataFrame) -> np.ndarray:
                mask = np.ones(len(f), dtype=bool)
                if not priority.startswith("all"):
                    mask &= (f["priority"] == priority).to_numpy()
                if rule:
                    mask &= (f["rule"] == rule).to_numpy()
                if words:
                    text = (f["title"].astype(str) + " " + f["message"].astype(str)).str.lower()
                    mask &= text.str.contains(words, regex=False).to_numpy()
                return mask

            self.model.set_filter(keep)
        self.shown.setText(f"{self.model.rowCount()} of {self.model.total_rows} shown")

    def acknowledge_selected(self) -> None:
        rows = {i.row() for i in self.table.selectionModel().selectedRows()}
        chosen = [int(self.model.row(r)["id"]) for r in sorted(rows)]
        if not chosen:
            return
        db, user_id = self.db, self.user and self.user.user_id

        def work() -> None:
            for alert_id in chosen:
                acknowledge(db, alert_id, user_id)

        self.runner.run(work, lambda _: self.refresh())

    @property
    def rules(self) -> RulesPage:
        """The Rules page (reading it builds it, as opening its tab does)."""
        return self._rules.ensure()  # type: ignore[return-value]


class RulesPage(QWidget):
    """Each rule, what raises it, its priority, its thresholds and its cool-down."""

    def __init__(self, db: Database, runner: TaskRunner, user: User | None) -> None:
        super().__init__()
        self.db, self.runner = db, runner
        self.user = user
        self.editable = user is None or user.may("settings")
        self.fields: dict[str, QDoubleSpinBox] = {}
        grid = QGridLayout()
        for col, title in enumerate(("Rule", "Priority", "Raised when", "Threshold",
                                     "Cool-down")):  # fmt: skip
            grid.addWidget(QLabel(f"<b>{title}</b>"), 0, col)
        for row, rule in enumerate(RULES, start=1):
            grid.addWidget(QLabel(rule.label), row, 0)
            grid.addWidget(QLabel(rule.priority), row, 1)
            when = QLabel(rule.when)
            when.setWordWrap(True)
            # Wrap in whatever width is left; never widen the window.
            when.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            grid.addWidget(when, row, 2)
            limits = QHBoxLayout()
            for name, meaning in rule.thresholds:
                spin = (
                    self._spin(1.0, 100_000.0, "", f"Raised when {meaning} this amount",
                               prefix="$ ")
                    if name in DOLLARS
                    else self._spin(0.1, 100.0, " %", f"Raised when {meaning} this share")
                )  # fmt: skip
                self.fields[name] = spin
                limits.addWidget(spin)
            if not rule.thresholds:
                limits.addWidget(QLabel("—"))
            grid.addLayout(limits, row, 3)
            cool = self._spin(0, 24 * 365, " h", "The same alert is not raised again within "
                              "this many hours (0: every time)")  # fmt: skip
            self.fields[COOLDOWN + rule.key] = cool
            grid.addWidget(cool, row, 4)
        grid.setColumnStretch(2, 1)
        grid.setColumnMinimumWidth(2, 240)
        self.notify_at = QComboBox()
        self.notify_at.addItems(list(PRIORITIES))
        self.notify_at.setToolTip("Alerts at or above this priority also pop up on the desktop")
        self.notify_at.setEnabled(self.editable)
        pop = QHBoxLayout()
        pop.addWidget(QLabel("Desktop pop-ups for alerts at or above:"))
        pop.addWidget(self.notify_at)
        pop.addStretch(1)
        self.save = QPushButton("Save rules")
        self.save.setEnabled(self.editable)
        self.save.clicked.connect(lambda: self.save_rules())
        self.status = WrapLabel("" if self.editable else "Only the owner can change the rules.")
        actions = QHBoxLayout()
        actions.addWidget(self.save)
        actions.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(pop)
        layout.addLayout(grid)
        layout.addLayout(actions)
        layout.addStretch(1)
        self.load()

    def _spin(
        self, low: float, high: float, suffix: str, tip: str, prefix: str = ""
    ) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(low, high)
        spin.setDecimals(0 if prefix else 1)
        spin.setSuffix(suffix)
        spin.setPrefix(prefix)
        spin.setToolTip(tip)
        spin.setEnabled(self.editable)
        spin.setMaximumWidth(110)
        return spin

    def load(self) -> None:
        from barberbi_desktop.storage.shop_config import alert_settings  # engines: not at start-up

        db = self.db
        self.runner.run(lambda: alert_settings(db), self._show,
                        lambda exc: self.status.setText(str(exc)))  # fmt: skip

    def _show(self, s: AlertSettings) -> None:
        for key, spin in self.fields.items():
            if key.startswith(COOLDOWN):
                spin.setValue(cooldown_hours(s.cooldowns[key.removeprefix(COOLDOWN)]))
            elif key in DOLLARS:
                spin.setValue(getattr(s, key))
            else:
                spin.setValue(getattr(s, key) * 100)
        self.notify_at.setCurrentText(s.notify_at)

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            key: spin.value()
            if key.startswith(COOLDOWN) or key in DOLLARS
            else round(spin.value() / 100, 4)
            for key, spin in self.fields.items()
        }
        out["notify_at"] = self.notify_at.currentText()
        return out

    def save_rules(self, done: Callable[[int], None] | None = None) -> None:
        from barberbi_desktop.storage.shop_config import save_alert_settings

        if not self.editable:
            return
        db, values, user = self.db, self.values(), self.user

        def saved(count: int) -> None:
            self.status.setText(f"Saved: {count} change{'s' if count != 1 else ''}. "
                                "New alerts use these rules.")  # fmt: skip
            if done:
                done(count)

        self.runner.run(lambda: save_alert_settings(db, values, user), saved,
                        lambda exc: self.status.setText(str(exc)))  # fmt: skip
