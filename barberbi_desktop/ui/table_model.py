"""A read-only Qt table model over a DataFrame: 200,000 rows, no widget per row.

Display text comes from per-column formatters; sorting uses the raw values
(Qt.UserRole) through a QSortFilterProxyModel, so money sorts as money, not
as text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QTableView

Index = QModelIndex | QPersistentModelIndex
FIT_ROWS = 40  # rows a view measures when sizing its columns to their contents
SORT_ROLE = Qt.ItemDataRole.UserRole


class DataFrameModel(QAbstractTableModel):
    def __init__(
        self,
        frame: pd.DataFrame | None = None,
        headers: dict[str, str] | None = None,
        formatters: dict[str, Callable[[Any], str]] | None = None,
        header_tips: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self._frame = pd.DataFrame() if frame is None else frame.reset_index(drop=True)
        self._columns = self._arrays(self._frame)
        self._names = [str(c) for c in self._frame.columns]
        self._headers = headers or {}
        self._formatters = formatters or {}
        self._tooltips: list[str | None] | None = None
        self._header_tips = header_tips or {}

    def set_frame(self, frame: pd.DataFrame, tooltips: list[str | None] | None = None) -> None:
        """Replace the rows; ``tooltips`` (one per row) explain what a row's number means."""
        self.beginResetModel()
        self._frame = frame.reset_index(drop=True)
        self._columns = self._arrays(self._frame)
        self._names = [str(c) for c in self._frame.columns]
        self._tooltips = tooltips
        self.endResetModel()

    @staticmethod
    def _arrays(frame: pd.DataFrame) -> list[Any]:
        """One numpy array per column: ``data()`` is called for every visible cell (and for
        every cell when a view sizes its columns), and indexing an array is a hundred times
        cheaper than ``DataFrame.iat``."""
        return [frame[c].to_numpy(dtype=object if frame[c].dtype == "str" else None)
                for c in frame.columns]  # fmt: skip

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the DataFrame itself: one vectorised sort, not a Python comparison per pair.

        A proxy sorting 200,000 rows through ``data()`` makes millions of Python calls
        on the GUI thread; pandas does it in milliseconds.
        """
        if not len(self._frame) or not 0 <= column < len(self._frame.columns):
            return
        name = self._frame.columns[column]
        self.layoutAboutToBeChanged.emit()
        order_idx = (
            self._frame[name]
            .sort_values(ascending=order == Qt.SortOrder.AscendingOrder, na_position="last",
                         kind="stable")
            .index.to_numpy()
        )  # fmt: skip
        self._frame = self._frame.iloc[order_idx].reset_index(drop=True)
        self._columns = self._arrays(self._frame)
        self._names = [str(c) for c in self._frame.columns]
        if self._tooltips is not None:
            self._tooltips = [self._tooltips[i] for i in order_idx]
        self.layoutChanged.emit()

    @property
    def frame(self) -> pd.DataFrame:
        return self._frame

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._frame)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._frame.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        column = self._names[index.column()]
        value = self._columns[index.column()][index.row()]
        missing = value is None or (not isinstance(value, str) and pd.isna(value))
        if role == Qt.ItemDataRole.DisplayRole:
            if missing:
                return ""
            fmt = self._formatters.get(column)
            return fmt(value) if fmt else str(value)
        if role == SORT_ROLE:
            if missing:
                return None
            return value.item() if hasattr(value, "item") else value
        if role == Qt.ItemDataRole.ToolTipRole and self._tooltips is not None:
            return self._tooltips[index.row()]
        if role == Qt.ItemDataRole.TextAlignmentRole and not isinstance(value, str):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return self._header_tips.get(str(self._frame.columns[section]))
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            name = str(self._frame.columns[section])
            return self._headers.get(name, name)
        return str(section + 1)


def fit_to_contents(view: QTableView, max_width: int = 320) -> None:
    """Size columns (and short tables' rows) to their text, measuring only the first
    rows: sizing a chain's 536-row table by every cell took a visible pause."""
    header = view.horizontalHeader()
    header.setResizeContentsPrecision(FIT_ROWS)
    view.resizeColumnsToContents()
    for col in range(header.count() - 1):
        header.resizeSection(col, min(header.sectionSize(col), max_width))
    if view.model() is not None and view.model().rowCount() <= FIT_ROWS:
        view.resizeRowsToContents()
