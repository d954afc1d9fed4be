"""Lazy pages: built whole the first time their tab is opened, on the next turn."""

from __future__ import annotations

from datetime import date

import pyqtgraph as pg
from PySide6.QtWidgets import QApplication, QLabel, QTabWidget
from pytestqt.qtbot import QtBot

from barberbi_desktop.jobs.runner import run_engine
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.results import latest_run
from barberbi_desktop.ui.lazy_page import LazyPage, build_when_opened
from barberbi_desktop.ui.main_window import MainWindow


def _window(qtbot: QtBot, db: Database) -> MainWindow:
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=10_000)
    return window


def test_an_opened_page_is_built_whole_on_the_next_turn_and_shows_its_results(
    qtbot: QtBot, shop: Database
) -> None:
    run_engine(shop, "methodology", date(2026, 11, 24))
    window = _window(qtbot, shop)
    lazy = window.tabs.widget(3)
    assert window.tabs.tabText(3) == "Six Figure" and isinstance(lazy, LazyPage)
    assert window.built("Six Figure") is None  # not opened yet: not built
    window.tabs.setCurrentIndex(3)
    assert window.built("Six Figure") is None  # the click's own turn only repaints
    QApplication.processEvents()
    page = window.built("Six Figure")
    assert page is not None and len(lazy.findChildren(pg.PlotWidget)) == 2  # whole at once
    qtbot.waitUntil(lambda: page.run is not None, timeout=10_000)
    overall = latest_run(shop, "methodology").metrics["overall"]
    assert f"{overall:.0f}/100" in page.overall.text()
    assert page.radar.isVisibleTo(page)
    window.close()


def test_reading_a_page_builds_it_once(qtbot: QtBot, shop: Database) -> None:
    run_engine(shop, "revenue", date(2026, 11, 24))
    window = _window(qtbot, shop)
    window.tabs.setCurrentIndex(2)  # its build is queued for the next turn
    revenue = window.revenue  # a caller reading the tab gets the whole page now
    assert window.built("Revenue") is revenue
    for _ in range(5):  # the queued build must not build it again
        QApplication.processEvents()
    assert window.built("Revenue") is revenue
    assert len(window.tabs.widget(2).findChildren(pg.PlotWidget)) == 1
    qtbot.waitUntil(lambda: revenue.headline.text() != "", timeout=10_000)
    assert "ways to earn more" in revenue.headline.text()
    window.close()


def test_flicking_through_tabs_builds_each_opened_page_once(qtbot: QtBot) -> None:
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    builds: list[str] = []

    def page(name: str) -> LazyPage:
        def build() -> QLabel:
            builds.append(name)
            return QLabel(f"{name} page")

        return LazyPage(build)

    tabs.addTab(QLabel("start"), "Start")
    for name in ("One", "Two", "Three"):
        tabs.addTab(page(name), name)
    build_when_opened(tabs)
    tabs.show()
    for index in (1, 2, 1, 0):  # Three is never opened
        tabs.setCurrentIndex(index)
    assert builds == []
    qtbot.wait(20)
    assert sorted(builds) == ["One", "Two"]
    assert tabs.widget(1).page.text() == "One page"
    assert tabs.widget(3).page is None
