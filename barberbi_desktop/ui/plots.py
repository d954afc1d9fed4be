"""One way to make a chart that matches the window: the palette's background and
text colours on the axes, and no pyqtgraph context menu (the charts are read,
not explored; the menu also cost a noticeable part of start-up)."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QWidget

from barberbi_desktop.ui.kept_picture import KeptPicture


class _Inactive(QObject):
    """Keeps a chart's scene from hearing that its view was shown or hidden.

    Qt tells a scene its view's window became active or inactive each time the view
    is shown or hidden, and the scene then marks every top-level item for repainting
    (for palettes that differ when inactive). pyqtgraph draws with its own pens, so
    nothing looks different, but the scene would report a change on every tab
    switch and a kept picture would never be used. The charts are read, not typed
    into, so no item needs the scene's keyboard focus, which is all else it governs.
    """

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        return event.type() in (QEvent.Type.WindowActivate, QEvent.Type.WindowDeactivate)


class ChartView(KeptPicture, pg.PlotWidget):
    """A plot that shows a kept picture of itself when nothing in it changed (see
    `ui.kept_picture`). pyqtgraph items redraw through their scene, so the picture
    is dropped when the scene reports a change (Qt handles that report before it
    repaints the view) or a new scene rect, when the view's transform follows a
    new range, and when the background changes."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._keep_pictures()
        scene = self.scene()
        self._inactive = _Inactive(self)
        scene.installEventFilter(self._inactive)
        scene.changed.connect(self.forget_picture)
        scene.sceneRectChanged.connect(self.forget_picture)

    def updateMatrix(self, propagate: bool = True) -> None:
        self.forget_picture()
        super().updateMatrix(propagate)

    def setBackgroundBrush(self, brush: QBrush) -> None:  # type: ignore[override]
        self.forget_picture()
        super().setBackgroundBrush(brush)


def themed_plot(parent: QWidget, title: str | None = None) -> pg.PlotWidget:
    palette = parent.palette()
    plot = ChartView(background=palette.window().color(), enableMenu=False)
    pen = pg.mkPen(palette.windowText().color())
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        axis.setPen(pen)
        axis.setTextPen(pen)
    plot.setMenuEnabled(False)
    if title:
        plot.setTitle(title, color=palette.windowText().color(), size="10pt")
    return plot
