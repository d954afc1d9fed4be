"""A page of a tab widget that is built the first time its tab is opened.

The main window builds five of its seven tabs this way, and the Alerts tab its
Rules page: a page nobody opens costs nothing (Clients reads every client's
scores, Settings every barber). An opened page is built whole on the next turn
of the event loop, so the click's repaint comes first.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget


class LazyPage(QWidget):
    """A tab's place until the tab is first opened; then it holds the real page."""

    def __init__(self, build: Callable[[], QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build = build
        self.page: QWidget | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._waiting = QLabel("Opening…")
        self._waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self._waiting)

    def ensure(self) -> QWidget:
        """The page, built now if it was not yet (reading a lazy tab builds it)."""
        if self.page is None:
            self.page = self._build()
            self._waiting.hide()
            self.layout().addWidget(self.page)
        return self.page


def build_when_opened(tabs: QTabWidget) -> None:
    """Opening a tab whose page is a `LazyPage` builds that page on the next turn."""

    def opened(index: int) -> None:
        page = tabs.widget(index)
        if isinstance(page, LazyPage) and page.page is None:
            QTimer.singleShot(0, page, page.ensure)

    tabs.currentChanged.connect(opened)
