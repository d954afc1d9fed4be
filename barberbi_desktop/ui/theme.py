"""Light and dark palettes that follow the system (or ``BARBERBI_THEME``).

Qt reports the desktop's colour scheme and signals when it changes; a dark
scheme gets the Fusion style with a dark palette, since not every platform
style darkens itself. Widgets read colours from the palette (``palette(text)``
in style sheets), and the main window recolours its charts when the palette
changes, so switching the system theme needs no restart.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QTabWidget, QWidget


def wanted_scheme(app: QGuiApplication) -> str:
    """'dark' or 'light': the override if set, else the system's choice."""
    override = os.environ.get("BARBERBI_THEME", "").strip().lower()
    if override in ("dark", "light"):
        return override
    return "dark" if app.styleHints().colorScheme() == Qt.ColorScheme.Dark else "light"


def dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor(30, 32, 36), QColor(43, 45, 50), QColor(230, 230, 230)
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: window,
        QPalette.ColorRole.ToolTipBase: QColor(60, 63, 70),
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: window,
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.Highlight: QColor(92, 107, 192),
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Link: QColor(121, 134, 203),
        QPalette.ColorRole.PlaceholderText: QColor(150, 150, 150),
    }
    for role, colour in roles.items():
        p.setColor(role, colour)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText,
                 QPalette.ColorRole.WindowText):  # fmt: skip
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 120, 120))
    return p


def apply(app: QApplication, scheme: str | None = None) -> str:
    scheme = scheme or wanted_scheme(app)
    app.setStyle("Fusion")
    app.setPalette(dark_palette() if scheme == "dark" else app.style().standardPalette())
    return scheme


def follow_system(app: QApplication) -> None:
    """Apply the scheme now and again whenever the desktop switches."""
    apply(app)
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: apply(app))


class SteadyTabs(QTabWidget):
    """A tab widget that paints a switched-to page once and skips idle layout passes.

    Two things made a tab switch on the chain demo repaint the window four times
    over six turns of the event loop (Six Figure: 38-42 ms of the GUI thread,
    now 15 ms). `_paint_once` is one. The other: Qt's tab widget answers every
    LayoutRequest by laying out its bar and pane, repainting itself whole and
    telling its parent its size may have changed, which does the same to the
    tab widget around it; showing a page sets this going. A request is passed on
    only when something that layout depends on differs from the last pass (the
    tabs, the bar's size hint, the widget's size hints); a hidden one is left to
    Qt, and resizes and new tabs are laid out by Qt directly, not through it.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._laid_out: tuple[object, ...] | None = None
        self.currentChanged.connect(_paint_once)

    def event(self, ev: QEvent) -> bool:
        if ev.type() == QEvent.Type.LayoutRequest:
            if not self.isVisible():  # Qt only marks a hidden one for later
                return super().event(ev)
            state = (self.count(), self.tabBar().sizeHint(), self.sizeHint(),
                     self.minimumSizeHint())  # fmt: skip
            if state == self._laid_out:
                return True
            self._laid_out = state
        return super().event(ev)


def _paint_once(_index: int) -> None:
    """Hand in the new page's repaint requests now, so the switch paints it once.

    Each widget Qt shows posts itself an "update later" event. On a page with a
    chart they arrived after the repaint the hidden page had already queued, so
    the page was painted twice, the second time a turn later (8-10 ms on the Six
    Figure tab). Delivered here, they join the repaint that is already queued.
    """
    QCoreApplication.sendPostedEvents(None, QEvent.Type.UpdateLater)


def page_tabs() -> QTabWidget:
    """Tabs inside a tab, drawn flat (document mode).

    Fusion strokes the frame around a framed tab pane antialiased, which took 7-10 ms
    per paint of a tab-sized pane in this Qt build (perf: QFusionStyle::drawPrimitive ->
    QRasterPaintEngine::drawRects); a tab switch paints it two or three times. Flat
    panes cut the Six Figure tab's switch from about 62 to 39 ms.
    """
    tabs = SteadyTabs()
    tabs.setDocumentMode(True)
    return tabs


def big_font(widget: QWidget, pixels: int, weight: QFont.Weight) -> None:
    """A font rather than a style sheet: a style sheet is re-parsed and re-polished on
    every set (the Dashboard's tiles were re-styled on each refresh, relaying out the
    tab), and a widget with one is painted through the slower style-sheet style."""
    font = widget.font()
    font.setPixelSize(pixels)
    font.setWeight(weight)
    widget.setFont(font)


class WrapLabel(QLabel):
    """A word-wrapped label: the app's sentences are long and its windows narrow."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)
