"""A read-only Qt table model over a DataFrame: 200,000 rows, no widget per row.

Display text comes from per-column formatters; sorting and filtering are done
here, vectorised, on an array of row positions. A QSortFilterProxyModel would
call Python once per row to filter (1.5 s for a chain's 209,000 clients) and
twice per comparison to sort; here the columns are never copied or converted,
a sort is one argsort and a filter one boolean mask.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QTableView

from barberbi_desktop.ui.tasks import one_per_turn

Index = QModelIndex | QPersistentModelIndex
FIT_ROWS = 40  # rows a view measures when sizing its columns to their contents
_FITTED = "barberbi_fitted_columns"  # the columns a view was last sized for
SMALL = 5_000  # rows up to which string columns are converted to Python objects
CELL_CACHE = 20_000  # cells whose shown text is kept (a screenful is a few hundred)
SORT_ROLE = Qt.ItemDataRole.UserRole
RowFilter = Callable[[pd.DataFrame], np.ndarray]
_ROLES = frozenset(
    {Qt.ItemDataRole.DisplayRole, SORT_ROLE, Qt.ItemDataRole.ToolTipRole,
     Qt.ItemDataRole.TextAlignmentRole}
)  # fmt: skip
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class DataFrameModel(QAbstractTableModel):
    def __init__(
        self,
        frame: pd.DataFrame | None = None,
        headers: dict[str, str] | None = None,
        formatters: dict[str, Callable[[Any], str]] | None = None,
        header_tips: dict[str, str] | None = None,
        sort_keys: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self._headers = headers or {}
        # A text column sorted by the number it shows ("22% (8-45%)" by the 22%).
        self._sort_keys = sort_keys or {}
        self._formatters = formatters or {}
        self._header_tips = header_tips or {}
        self._filter: RowFilter | None = None
        self._load(pd.DataFrame() if frame is None else frame, None)

    def _load(self, frame: pd.DataFrame, tooltips: list[str | None] | None) -> None:
        plain = frame.index.equals(pd.RangeIndex(len(frame)))
        self._frame = frame if plain else frame.reset_index(drop=True)  # a copy: 9 ms at 200k
        self._columns = [self._array(self._frame[c]) for c in self._frame.columns]
        self._names = [str(c) for c in self._frame.columns]
        self._tooltips = tooltips
        self._order = np.arange(len(self._frame))  # row positions in display order
        self._cells: dict[int, tuple[str, int | None]] = {}  # shown text and alignment
        self._mask: np.ndarray | None = None  # which positions pass the filter
        self._apply_filter()

    @staticmethod
    def _array(column: pd.Series) -> Any:
        """What ``data()`` indexes once per visible cell. A big table keeps the column's
        own storage (converting 200,000 strings to Python objects costs tens of
        milliseconds per column); a small one becomes a numpy array of objects, since an
        Arrow-backed column costs about 17 µs a cell, a few milliseconds a paint."""
        if isinstance(column.dtype, np.dtype):
            return column.to_numpy()
        if len(column) <= SMALL:
            return column.to_numpy(dtype=object, na_value=None)
        return column.array

    def _apply_filter(self) -> None:
        if self._filter is None or not len(self._frame):
            self._mask = None
            self._rows = self._order
        else:
            if self._mask is None:
                self._mask = np.asarray(self._filter(self._frame), dtype=bool)
            self._rows = self._order[self._mask[self._order]]

    def set_frame(self, frame: pd.DataFrame, tooltips: list[str | None] | None = None) -> None:
        """Replace the rows; ``tooltips`` (one per row) explain what a row's number means."""
        self.beginResetModel()
        self._load(frame, tooltips)
        self.endResetModel()

    def set_filter(self, keep: RowFilter | None) -> None:
        """Show only the rows for which ``keep(frame)`` is true (one vectorised call)."""
        self.beginResetModel()
        self._filter, self._mask = keep, None
        self._apply_filter()
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """One stable argsort of the column; selections follow their rows."""
        if not len(self._frame) or not 0 <= column < len(self._frame.columns):
            return
        self.layoutAboutToBeChanged.emit()
        before = self._rows
        name = self._frame.columns[column]
        self._order = (
            self._frame[self._sort_keys.get(str(name), name)]
            .sort_values(ascending=order == Qt.SortOrder.AscendingOrder, na_position="last",
                         kind="stable")
            .index.to_numpy()
        )  # fmt: skip
        self._apply_filter()
        where = np.empty(len(self._frame), dtype=np.int64)
        where[self._rows] = np.arange(len(self._rows))
        old = self.persistentIndexList()
        self.changePersistentIndexList(
            old, [self.index(int(where[before[i.row()]]), i.column()) for i in old]
        )
        self.layoutChanged.emit()

    @property
    def frame(self) -> pd.DataFrame:
        """The rows as shown (sorted and filtered): a copy, for exports and tests."""
        return self._frame.iloc[self._rows].reset_index(drop=True)

    @property
    def total_rows(self) -> int:
        """Rows before the filter ("12 of 40 shown")."""
        return len(self._frame)

    def row(self, row: int) -> pd.Series:
        """One shown row with every column, hidden ones included."""
        return self._frame.iloc[int(self._rows[row])]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._frame.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Qt asks for a dozen roles per visible cell on every paint; most are answered
        # here before any value is looked up.
        if role not in _ROLES or not index.isValid():
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if self._tooltips is None:
                return None
            return self._tooltips[int(self._rows[index.row()])]
        column = index.column()
        position = int(self._rows[index.row()])
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cell(position, column)[0]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self._cell(position, column)[1]
        value = self._columns[column][position]
        if _missing(value):  # the sort role
            return None
        return value.item() if hasattr(value, "item") else value

    def _cell(self, position: int, column: int) -> tuple[str, int | None]:
        """A cell's text and alignment, worked out once: every paint of a visible cell
        asked again, and a tab switch repaints them all (an Arrow-backed cell costs
        about 17 µs to read, a formatter more)."""
        key = position * len(self._columns) + column
        hit = self._cells.get(key)
        if hit is None:
            value = self._columns[column][position]
            fmt = self._formatters.get(self._names[column])
            text = "" if _missing(value) else fmt(value) if fmt else str(value)
            hit = (text, None if isinstance(value, str) else _RIGHT)
            if len(self._cells) >= CELL_CACHE:
                self._cells.clear()
            self._cells[key] = hit
        return hit

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


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def fit_to_contents(view: QTableView, max_width: int = 320) -> None:
    """Size columns to their text once a table first has rows, and short tables' rows
    every time.

    Columns are measured on their first rows only (sizing a chain's 536-row
    table by every cell took a visible pause), and only again when the table's
    columns change: a refit after every engine run cost the Six Figure and
    Revenue tabs about 30 ms a refresh and threw away widths the owner had
    dragged. Rows of a short, word-wrapped table follow their new text.
    """
    model = view.model()
    header = view.horizontalHeader()
    rows = model.rowCount() if model is not None else 0
    columns = [str(model.headerData(c, Qt.Orientation.Horizontal)) for c in range(header.count())]
    shape = "\x1f".join(columns)
    if not rows or view.property(_FITTED) != shape:
        header.setResizeContentsPrecision(FIT_ROWS)
        # A stretched last column is left to the stretch: sizing it to its text too
        # turns the stretch off, leaving a narrow column and blank space beside it.
        fitted = header.count() - (1 if header.stretchLastSection() else 0)
        for col in range(fitted):
            view.resizeColumnToContents(col)
        for col in range(header.count() - 1):
            header.resizeSection(col, min(header.sectionSize(col), max_width))
        view.setProperty(_FITTED, shape if rows else None)
    if 0 < rows <= FIT_ROWS:
        view.resizeRowsToContents()


def fit_one_per_turn(views: list[QTableView], max_width: int = 320) -> None:
    """Size word-wrapped tables one per event-loop turn (each lays out every visible cell)."""
    if views:
        one_per_turn([lambda v=v: fit_to_contents(v, max_width) for v in views], views[0])
