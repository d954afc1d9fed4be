"""Tab widgets paint a switched-to page once and still follow real layout changes."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QLabel, QTableView, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from barberbi_desktop.ui.plots import themed_plot
from barberbi_desktop.ui.theme import SteadyTabs, page_tabs


class _Paints(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:
        if ev.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def _page() -> tuple[QWidget, QTableView]:
    """A page like the Six Figure tab's: a chart above tabs holding a table."""
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.addWidget(themed_plot(page))
    inner = page_tabs()  # tabs inside a tab, as the Six Figure and Revenue tabs have
    table = QTableView()
    inner.addTab(table, "Scorecard")
    inner.addTab(QLabel("gaps"), "Gaps")
    layout.addWidget(QLabel("Overall 72 of 100"))
    layout.addWidget(inner)
    return page, table


def test_switching_paints_the_new_page_once(qtbot: QtBot) -> None:
    tabs = SteadyTabs()
    qtbot.addWidget(tabs)
    first, _ = _page()
    second, table = _page()
    tabs.addTab(first, "Dashboard")
    tabs.addTab(second, "Six Figure")
    tabs.resize(800, 600)
    tabs.show()
    qtbot.waitExposed(tabs)
    paints = _Paints()
    tabs.setCurrentIndex(1)  # the first visit lays the page out
    qtbot.wait(100)
    for _ in range(3):
        tabs.setCurrentIndex(0)
        qtbot.wait(100)
        table.viewport().installEventFilter(paints)
        paints.count = 0
        tabs.setCurrentIndex(1)
        qtbot.wait(200)  # every turn of the event loop the switch sets off
        table.viewport().removeEventFilter(paints)
        assert paints.count == 1  # Qt alone paints it twice, the second a turn later


def test_a_longer_tab_title_still_widens_the_bar(qtbot: QtBot) -> None:
    tabs = SteadyTabs()
    qtbot.addWidget(tabs)
    tabs.addTab(QLabel("a"), "Alerts")
    tabs.addTab(QLabel("b"), "Imports")
    tabs.resize(900, 300)
    tabs.show()
    qtbot.waitExposed(tabs)
    qtbot.wait(50)
    before = tabs.tabBar().width()
    tabs.setTabText(0, "Alerts (2,814 not yet acknowledged)")
    qtbot.waitUntil(lambda: tabs.tabBar().width() > before + 100, timeout=2000)
    wider = tabs.tabBar().width()
    tabs.hide()  # changed while hidden: laid out when shown again
    tabs.setTabText(1, "Imports (3 files refused in the watch folder)")
    qtbot.wait(50)
    tabs.show()
    qtbot.waitUntil(lambda: tabs.tabBar().width() > wider + 100, timeout=2000)


def test_a_page_that_grows_still_raises_the_minimum_size(qtbot: QtBot) -> None:
    outer = QWidget()
    qtbot.addWidget(outer)
    tabs = SteadyTabs()
    QVBoxLayout(outer).addWidget(tabs)
    page = QWidget()
    page_layout = QVBoxLayout(page)
    tabs.addTab(page, "Dashboard")
    outer.show()
    qtbot.waitExposed(outer)
    qtbot.wait(50)
    before = outer.minimumSizeHint().width()
    wide = QLabel("x" * 300)
    page_layout.addWidget(wide)
    qtbot.waitUntil(lambda: outer.minimumSizeHint().width() > before + 500, timeout=2000)
