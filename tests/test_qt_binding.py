"""The Qt binding in use can paint charts for hours without corrupting Python.

PySide6 6.12.0 drops one reference to ``None`` on every ``QPainter.setRenderHint``
call, which pyqtgraph makes for every curve it paints. On Python 3.11 ``None`` is
an ordinary counted object, so after some thousands of repaints the process dies
with "Fatal Python error: none_dealloc" (seen in benchmarks/ui_responsiveness.py
after about a minute of live charts). pyproject.toml keeps that release out; this
test fails if a binding with the same fault is ever installed.
"""

from __future__ import annotations

import gc
import sys

import numpy as np
from pytestqt.qtbot import QtBot

from barberbi_desktop.ui.plots import themed_plot

REPAINTS = 200


def test_repainting_a_chart_keeps_references_to_none(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QWidget

    parent = QWidget()
    qtbot.addWidget(parent)
    plot = themed_plot(parent)
    qtbot.addWidget(plot)
    curve = plot.plot(np.arange(50), np.sin(np.arange(50) / 5))
    plot.resize(320, 200)
    plot.show()
    qtbot.waitExposed(plot)
    plot.grab()  # first paint: caches fill, references settle
    # A garbage collection inside the loop would free other tests' objects and with
    # them their references to None, which reads as a loss: the likely cause of one CI
    # run counting 1,677 (the same test passes alone and after the import tests).
    gc.collect()
    gc.disable()
    try:
        before = sys.getrefcount(None)
        for step in range(REPAINTS):
            curve.setData(np.arange(50), np.sin((np.arange(50) + step) / 5))
            plot.grab()
        lost = before - sys.getrefcount(None)
    finally:
        gc.enable()
    # Caches may hold a few references to None; a leak loses one per paint or more.
    assert lost < REPAINTS // 2, f"{lost} references to None lost in {REPAINTS} repaints"
