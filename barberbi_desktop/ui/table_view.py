"""A table view that shows a kept picture of its cells when nothing in them changed.

Qt lays out and shapes the text of every visible cell on every paint, and asks
the model (Python) for each cell's roles; a tab switch repaints every table on
the new page. Profiling the chain demo under load put a third of the GUI
thread's time in table paints, most of it spent redrawing tables whose cells had
not changed since the owner last looked.

So after a full paint the view takes a picture of its viewport (on the next turn
of the event loop, off the paint that showed it), and the next full paint draws
that picture instead, until something that can change a cell's look happens:
the model's data, rows or layout; the selection or current cell; scrolling;
column or row sizes; the palette, style, font or focus; the mouse over the
cells; or a partial repaint (Qt repaints part of a view only when that part
changed). A picture costs four bytes a pixel of the table's visible area.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QEvent, QItemSelectionModel, QPoint, QTimer
from PySide6.QtGui import QPainter, QPaintEvent, QPixmap, QRegion
from PySide6.QtWidgets import QAbstractItemDelegate, QTableView, QWidget

_MODEL_SIGNALS = (
    "dataChanged", "headerDataChanged", "layoutChanged", "modelReset", "rowsInserted",
    "rowsRemoved", "rowsMoved", "columnsInserted", "columnsRemoved", "columnsMoved",
)  # fmt: skip
_POINTER_EVENTS = frozenset({
    QEvent.Type.Enter, QEvent.Type.Leave, QEvent.Type.HoverEnter, QEvent.Type.HoverLeave,
    QEvent.Type.HoverMove, QEvent.Type.MouseMove, QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick, QEvent.Type.Wheel,
    QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.DragLeave, QEvent.Type.Drop,
    QEvent.Type.Resize,
})  # fmt: skip


class TableView(QTableView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._picture: QPixmap | None = None
        self._taking = False  # painting into the picture: paint the cells for real
        self.pictures_taken = 0  # for tests and benchmarks
        self._take = QTimer(self)
        self._take.setSingleShot(True)
        self._take.setInterval(0)
        self._take.timeout.connect(self._take_picture)
        for bar in (self.horizontalScrollBar(), self.verticalScrollBar()):
            bar.valueChanged.connect(self.forget_picture)
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.sectionResized.connect(self.forget_picture)
            header.sectionMoved.connect(self.forget_picture)
            header.sectionCountChanged.connect(self.forget_picture)

    def forget_picture(self, *_: object) -> None:
        """The cells may look different now: the next paint draws them anew."""
        self._picture = None
        self._take.stop()

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
        if selection is not None and not selection.property("barberbi_watched"):
            selection.selectionChanged.connect(self.forget_picture)
            selection.currentChanged.connect(self.forget_picture)
            selection.setProperty("barberbi_watched", True)

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

    def changeEvent(self, event: QEvent) -> None:  # palette, style, font, enabled, active
        self.forget_picture()
        super().changeEvent(event)

    def focusInEvent(self, event: QEvent) -> None:  # type: ignore[override]
        self.forget_picture()
        super().focusInEvent(event)

    def focusOutEvent(self, event: QEvent) -> None:  # type: ignore[override]
        self.forget_picture()
        super().focusOutEvent(event)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() in _POINTER_EVENTS:
            self.forget_picture()
        return super().viewportEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        viewport = self.viewport()
        whole = event.rect() == viewport.rect()
        if self._taking:
            super().paintEvent(event)
            return
        picture = self._picture
        if whole and picture is not None and picture.deviceIndependentSize() == viewport.size():
            painter = QPainter(viewport)
            painter.drawPixmap(0, 0, picture)
            painter.end()
            return
        if not whole:  # Qt repaints part of a view when that part changed
            self.forget_picture()
        super().paintEvent(event)
        if whole:
            self._take.start()

    def _take_picture(self) -> None:
        viewport = self.viewport()
        if self._picture is not None or viewport.width() <= 0 or viewport.height() <= 0:
            return
        ratio = viewport.devicePixelRatioF()
        picture = QPixmap(viewport.size() * ratio)
        picture.setDevicePixelRatio(ratio)
        self._taking = True
        try:
            viewport.render(picture, QPoint(), QRegion(), QWidget.RenderFlag.DrawWindowBackground)
        finally:
            self._taking = False
        self._picture = picture
        self.pictures_taken += 1
