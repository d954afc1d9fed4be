"""Views that show a kept picture of their contents when nothing in them changed.

Qt repaints a table by laying out and shaping the text of every visible cell and
asking the model (Python) for each one, and a chart by walking its scene and
calling each pyqtgraph item's Python ``paint``. A tab switch repaints every view
on the new page. Profiling the chain demo under load put a third of the GUI
thread's time in table paints and a sixth in chart paints, nearly all of it
redrawing views whose contents had not changed since the owner last looked.

So after a whole repaint a view takes a picture of its viewport (on the next
turn of the event loop, off the paint that showed it), and the next whole
repaint draws that picture instead, until something that can change the view's
look drops it: each view names its own signals (a table its model, selection,
scroll bars and headers; a chart its scene), and every view drops it for a
change of palette, style, font, focus or enabled state, for the pointer over it,
and for a partial repaint (Qt repaints part of a view only when that part
changed). A picture costs four bytes a pixel of the view's visible area.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QTimer
from PySide6.QtGui import QFocusEvent, QPainter, QPaintEvent, QPixmap, QRegion
from PySide6.QtWidgets import QWidget

_VIEWPORT_CHANGES = frozenset({  # the pointer over the view, and a new size
    QEvent.Type.Enter, QEvent.Type.Leave, QEvent.Type.HoverEnter, QEvent.Type.HoverLeave,
    QEvent.Type.HoverMove, QEvent.Type.MouseMove, QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick, QEvent.Type.Wheel,
    QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.DragLeave, QEvent.Type.Drop,
    QEvent.Type.Resize,
})  # fmt: skip


class KeptPicture:
    """Mixed in before a QAbstractScrollArea class (a table view, a graphics view)."""

    # Class defaults: Qt may deliver a change event while the Qt base is still being
    # built, before `_keep_pictures` runs (and pyqtgraph's PlotWidget forwards unknown
    # attributes to its plot item, which does not exist yet then).
    _picture: QPixmap | None = None
    _taking = False  # painting into the picture: paint the contents for real
    _take: QTimer | None = None
    pictures_taken = 0  # for tests and benchmarks

    def _keep_pictures(self) -> None:
        self._take = QTimer(self)  # type: ignore[arg-type]
        self._take.setSingleShot(True)
        self._take.setInterval(0)
        self._take.timeout.connect(self._take_picture)

    def forget_picture(self, *_: object) -> None:
        """The contents may look different now: the next paint draws them anew."""
        self._picture = None
        if self._take is not None:
            self._take.stop()

    def changeEvent(self, event: QEvent) -> None:  # palette, style, font, enabled, active
        self.forget_picture()
        super().changeEvent(event)  # type: ignore[misc]

    def focusInEvent(self, event: QFocusEvent) -> None:
        self.forget_picture()
        super().focusInEvent(event)  # type: ignore[misc]

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.forget_picture()
        super().focusOutEvent(event)  # type: ignore[misc]

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() in _VIEWPORT_CHANGES:
            self.forget_picture()
        return super().viewportEvent(event)  # type: ignore[misc]

    def paintEvent(self, event: QPaintEvent) -> None:
        paint = super().paintEvent  # type: ignore[misc]  # the Qt base draws for real
        viewport: QWidget = self.viewport()  # type: ignore[attr-defined]
        whole = event.rect() == viewport.rect()
        if self._taking:
            paint(event)
            return
        picture = self._picture
        if whole and picture is not None and picture.deviceIndependentSize() == viewport.size():
            painter = QPainter(viewport)
            painter.drawPixmap(0, 0, picture)
            painter.end()
            return
        if not whole:  # Qt repaints part of a view when that part changed
            self.forget_picture()
        paint(event)
        if whole and self._take is not None:
            self._take.start()

    def _take_picture(self) -> None:
        viewport: QWidget = self.viewport()  # type: ignore[attr-defined]
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
