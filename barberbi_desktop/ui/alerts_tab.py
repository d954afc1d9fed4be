"""Alerts: history newest first, acknowledge, and the unacknowledged count for the badge."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from barberbi_desktop.alerts.store import acknowledge, list_alerts
from barberbi_desktop.storage.db import Database
from barberbi_desktop.ui.table_model import DataFrameModel
from barberbi_desktop.ui.tasks import TaskRunner

LOCAL = datetime.now().astimezone().tzinfo  # the shop computer's own clock
COLUMNS = {
    "priority": "Priority",
    "created": "When",
    "title": "Alert",
    "message": "Details",
    "status": "Status",
}


class AlertsTab(QWidget):
    unacknowledged = Signal(int)

    def __init__(self, db: Database, runner: TaskRunner) -> None:
        super().__init__()
        self.db, self.runner = db, runner
        self.model = DataFrameModel(headers=COLUMNS)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.show_all = QCheckBox("Show acknowledged")
        self.show_all.toggled.connect(self.refresh)
        self.ack = QPushButton("Acknowledge")
        self.ack.clicked.connect(self.acknowledge_selected)
        bar = QHBoxLayout()
        bar.addWidget(self.show_all)
        bar.addStretch(1)
        bar.addWidget(self.ack)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        self.ids: list[int] = []
        self.refresh()

    def refresh(self) -> None:
        include = self.show_all.isChecked()
        self.runner.run(
            lambda: (list_alerts(self.db, include_acknowledged=True), include), self._show
        )

    def _show(self, loaded: tuple[pd.DataFrame, bool]) -> None:
        frame, include = loaded
        open_count = int(frame["acknowledged_utc"].isna().sum()) if len(frame) else 0
        if not include and len(frame):
            frame = frame[frame["acknowledged_utc"].isna()]
        self.ids = [int(i) for i in frame["id"]] if len(frame) else []
        view = pd.DataFrame(
            {
                "priority": frame.get("priority", pd.Series(dtype=str)),
                "created": frame.get("created_utc", pd.Series(dtype=object)).map(
                    lambda t: t.tz_convert(None).strftime("%d %b %H:%M") if pd.notna(t) else ""
                ),
                "title": frame.get("title", pd.Series(dtype=str)),
                "message": frame.get("message", pd.Series(dtype=str)),
                "status": frame.get("acknowledged_utc", pd.Series(dtype=object)).map(
                    lambda t: "acknowledged" if pd.notna(t) else "open"
                ),
            }
        )
        self.model.set_frame(view)
        self.table.resizeColumnsToContents()
        self.unacknowledged.emit(open_count)

    def acknowledge_selected(self) -> None:
        rows = {i.row() for i in self.table.selectionModel().selectedRows()}
        chosen = [self.ids[r] for r in sorted(rows) if r < len(self.ids)]
        if not chosen:
            return

        def work() -> None:
            for alert_id in chosen:
                acknowledge(self.db, alert_id)

        self.runner.run(work, lambda _: self.refresh())
