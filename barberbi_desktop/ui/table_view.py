"""A table view that shows a kept picture of its cells when nothing in them changed
(see `ui.kept_picture`): after a tab switch it draws one picture instead of
laying out, shaping and asking the model for every visible cell."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QItemSelectionModel
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QAbstractItemDelegate, QTableView, QWidget

from barberbi_desktop.ui.kept_picture import KeptPicture

_MODEL_SIGNALS = (
    "dataChanged", "headerDataChanged", "layoutChanged", "modelReset", "rowsInserted",
    "rowsRemoved", "rowsMoved", "columnsInserted", "columnsRemoved", "columnsMoved",
)  # fmt: skip


class TableView(KeptPicture, QTableView):
    """Drops its picture on the model's signals, the selection and current cell,
    scrolling, column and row sizes, and the setters that change how cells are drawn."""

    _watched: QItemSelectionModel | None = None  # the selection model whose signals we hear

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._keep_pictures()
        for bar in (self.horizontalScrollBar(), self.verticalScrollBar()):
            bar.valueChanged.connect(self.forget_picture)
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.sectionResized.connect(self.forget_picture)
            header.sectionMoved.connect(self.forget_picture)
            header.sectionCountChanged.connect(self.forget_picture)

    def setModel(self, model: QAbstractItemModel | None) -> None:  # type: ignore[override]
        old = self.model()
        if old is not None:
            for name in _MODEL_SIGNALS:
                getattr(old, name).disconnect(self.forget_picture)
        super().setModel(model)
        if model is not None:
            for name in _MODEL_SIGNALS:
                getattr(model, name).connect(self.forget_picture)
        self._watch_selection()
        self.forget_picture()

    def setSelectionModel(self, selection: QItemSelectionModel) -> None:  # type: ignore[override]
        super().setSelectionModel(selection)
        self._watch_selection()
        self.forget_picture()

    def _watch_selection(self) -> None:
        selection = self.selectionModel()
        if selection is not None and selection is not self._watched:
            selection.selectionChanged.connect(self.forget_picture)
            selection.currentChanged.connect(self.forget_picture)
            self._watched = selection

    def setItemDelegate(self, delegate: QAbstractItemDelegate) -> None:  # type: ignore[override]
        super().setItemDelegate(delegate)
        self.forget_picture()

    def setWordWrap(self, on: bool) -> None:  # type: ignore[override]
        super().setWordWrap(on)
        self.forget_picture()

    def setShowGrid(self, show: bool) -> None:  # type: ignore[override]
        super().setShowGrid(show)
        self.forget_picture()

    def setAlternatingRowColors(self, enable: bool) -> None:  # type: ignore[override]
        super().setAlternatingRowColors(enable)
        self.forget_picture()

    def paintEvent(self, event: QPaintEvent) -> None:
        self._paint_kept(event, super().paintEvent)
