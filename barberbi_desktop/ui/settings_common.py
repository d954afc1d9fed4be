"""What every Settings page shares: its tables, cells, drop-downs and the save on a worker.

Split from ui/settings_tab.py so pages can live in modules of their own
(ui/settings_barbers.py) without importing the tab that holds them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QStyledItemDelegate,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from barberbi_desktop.events import DataChanged, EventHub
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.users import User
from barberbi_desktop.ui.table_model import FIT_ROWS
from barberbi_desktop.ui.tasks import TaskRunner
from barberbi_desktop.ui.theme import WrapLabel


class SettingsHost(Protocol):
    """What a page needs of the tab that holds it."""

    db: Database
    runner: TaskRunner
    user: User | None
    hub: EventHub | None

    def refresh(self, coverage: bool = True) -> None: ...


def table(headers: list[str]) -> QTableWidget:
    view = QTableWidget(0, len(headers))
    view.setHorizontalHeaderLabels(headers)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setResizeContentsPrecision(FIT_ROWS)  # a chain has 536 barbers: measure a sample
    view.verticalHeader().setVisible(False)
    return view


class ChoiceDelegate(QStyledItemDelegate):
    """Edits a cell with a drop-down of fixed choices. A combo box per row (a cell
    widget) cost a chain's 536-barber page a quarter of a second to show."""

    def __init__(self, choices: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices = choices

    def createEditor(self, parent: QWidget, option: Any, index: Any) -> QWidget:
        editor = QComboBox(parent)
        editor.addItems(self.choices)
        return editor

    def setEditorData(self, editor: QWidget, index: Any) -> None:
        assert isinstance(editor, QComboBox)
        editor.setCurrentText(str(index.data()))

    def setModelData(self, editor: QWidget, model: Any, index: Any) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentText())


def item(value: Any, editable: bool = True) -> QTableWidgetItem:
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    cell = QTableWidgetItem(text)
    if not editable:
        cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)
    return cell


class Section(QWidget):
    """A settings page: a message line and a Save button that runs off the GUI thread.

    A page whose values the engines read (barbers' hours and pay, the premium price)
    sets ``feeds_engines``: a save that changed something then tells the scheduler,
    so the KPIs and analyses are recomputed with it rather than at the next import.
    """

    feeds_engines = False

    def __init__(self, tab: SettingsHost, intro: str) -> None:
        super().__init__()
        self.tab = tab
        self.layout_ = QVBoxLayout(self)
        note = WrapLabel(intro)
        self.layout_.addWidget(note)
        self.message = WrapLabel("")
        self.save_button = QPushButton("Save")
        self.save_button.clicked.connect(self.save)

    def finish(self) -> None:
        row = QHBoxLayout()
        row.addWidget(self.message, 1)
        row.addWidget(self.save_button)
        self.layout_.addLayout(row)

    def save(self) -> None:  # overridden
        raise NotImplementedError

    def save_with(self, saver: Callable[[Database, Any, User | None], int], data: Any) -> None:
        """Save ``data`` with one of shop_config's savers, as the logged-in account."""
        db, user = self.tab.db, self.tab.user
        self.run_save(lambda: saver(db, data, user))

    def run_save(self, work: Callable[[], int]) -> None:
        self.save_button.setEnabled(False)
        self.message.setText("Saving…")

        hub = self.tab.hub if self.feeds_engines else None

        def job() -> int:
            changed = work()
            if changed and hub is not None:  # on the worker: subscribers may touch the database
                hub.publish(DataChanged("settings changed"))
            return changed

        def done(changed: int) -> None:
            self.save_button.setEnabled(True)
            self.message.setText(f"Saved ({changed} change{'s' if changed != 1 else ''}).")
            self.tab.refresh(coverage=bool(changed) and self.feeds_engines)

        def failed(exc: Exception) -> None:
            self.save_button.setEnabled(True)
            self.message.setText(f"Not saved: {exc}")

        self.tab.runner.run(job, done, failed)
