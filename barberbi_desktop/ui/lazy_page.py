"""A page of a tab widget that is built the first time its tab is opened, a step per
turn of the event loop.

The main window builds five of its seven tabs this way, and the Alerts tab its
Rules page: a page nobody opens costs nothing, and one that is opened is built
on the next turn of the event loop, so the click, the build and the page's first
paint are separate steps rather than one long one. A page with charts goes
further (`BuiltInSteps`): each pyqtgraph chart costs 11-25 ms to make, so the
Revenue and Six Figure pages took 90-105 ms to build in one go on an idle
machine, twice that under load, and the GUI thread stalled for all of it. They
now make their charts one per turn and read their results last.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget


class BuiltInSteps:
    """Mixed into a page whose ``__init__`` builds the quick part and hands the rest to
    `build_in_steps` as a generator that yields between slow parts."""

    _steps: Iterator[None] | None = None

    def build_in_steps(self, steps: Iterator[None], *, now: bool) -> None:
        """``now``: finish at once (a page made directly, as in tests); else the
        `LazyPage` holding it runs one step per turn."""
        self._steps = steps
        if now:
            self.finish_building()

    @property
    def building(self) -> bool:
        """Parts are still to be made."""
        return self._steps is not None

    def build_step(self) -> bool:
        """Run the next step; False once the page is whole."""
        if self._steps is None:
            return False
        try:
            next(self._steps)
        except StopIteration:
            self._steps = None
            return False
        return True

    def finish_building(self) -> None:
        while self.build_step():
            pass


class LazyPage(QWidget):
    """A tab's place until the tab is first opened; then it holds the real page.

    ``build(in_steps)`` makes the page; with ``in_steps`` a `BuiltInSteps` page
    leaves its slow parts to be stepped. ``page`` is set once the page is whole, so
    nobody refreshes a page whose charts are not made yet (its last step reads)."""

    def __init__(self, build: Callable[[bool], QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build = build
        self.page: QWidget | None = None
        self._building: QWidget | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._waiting = QLabel("Opening…")
        self._waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self._waiting)

    def ensure(self) -> QWidget:
        """The page, built (or finished) now if it was not yet (reading a lazy tab
        builds it)."""
        if self.page is None:
            if self._building is None:
                self._start(in_steps=False)
            widget = self._building
            if isinstance(widget, BuiltInSteps):
                widget.finish_building()
            self.page = widget
        return self.page  # type: ignore[return-value]

    def _start(self, *, in_steps: bool) -> None:
        self._building = self._build(in_steps)
        self._waiting.hide()
        self.layout().addWidget(self._building)

    def advance(self) -> bool:
        """Build the next part; False once the page is whole."""
        if self.page is not None:
            return False
        if self._building is None:
            self._start(in_steps=True)
            more = isinstance(self._building, BuiltInSteps) and self._building.building
        else:
            more = isinstance(self._building, BuiltInSteps) and self._building.build_step()
        if not more:
            self.page = self._building
        return more


class _Builder(QObject):
    """Builds the lazy pages of one tab widget, one step per turn of the event loop in
    all: a zero timer fires once per pass of the loop, whereas a step per page posted
    on its own ran every page's step in the same pass. Switching quickly through the
    tabs had so put four pages' steps (40-100 ms) between two heartbeats. The tab just
    opened goes first."""

    def __init__(self, tabs: QTabWidget) -> None:
        super().__init__(tabs)
        self._queue: deque[LazyPage] = deque()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._step)

    def opened(self, page: LazyPage) -> None:
        if page.page is not None:
            return
        if page in self._queue:
            self._queue.remove(page)
        self._queue.appendleft(page)
        self._timer.start()

    def _step(self) -> None:
        page = self._queue.popleft()  # the timer runs only while pages wait
        if page.advance():
            self._queue.append(page)  # the others take their turns
        if self._queue:
            self._timer.start()


def build_when_opened(tabs: QTabWidget) -> None:
    """Opening a tab whose page is a `LazyPage` builds that page from the next turn."""
    builder = _Builder(tabs)

    def opened(index: int) -> None:
        page = tabs.widget(index)
        if isinstance(page, LazyPage):
            builder.opened(page)

    tabs.currentChanged.connect(opened)
