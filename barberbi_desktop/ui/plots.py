"""One way to make a chart that matches the window: the palette's background and
text colours on the axes, and no pyqtgraph context menu (the charts are read,
not explored; the menu also cost a noticeable part of start-up)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QWidget


def themed_plot(parent: QWidget, title: str | None = None) -> pg.PlotWidget:
    palette = parent.palette()
    plot = pg.PlotWidget(background=palette.window().color(), enableMenu=False)
    pen = pg.mkPen(palette.windowText().color())
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        axis.setPen(pen)
        axis.setTextPen(pen)
    plot.setMenuEnabled(False)
    if title:
        plot.setTitle(title, color=palette.windowText().color(), size="10pt")
    return plot
