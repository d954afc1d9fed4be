"""Lazy pages: built when their tab is first opened, charts a step per turn."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from barberbi_desktop.jobs.runner import run_engine
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.results import latest_run
from barberbi_desktop.ui.lazy_page import BuiltInSteps, LazyPage
from barberbi_desktop.ui.main_window import MainWindow
from barberbi_desktop.ui.plots import ChartView


def _window(qtbot: QtBot, db: Database) -> MainWindow:
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=10_000)
    return window


def _charts(lazy: LazyPage) -> int:
    return len(lazy.findChildren(ChartView))


def test_a_chart_page_is_built_one_chart_per_turn_then_reads_its_results(
    qtbot: QtBot, shop: Database
) -> None:
    run_engine(shop, "methodology", date(2026, 11, 24))
    window = _window(qtbot, shop)
    lazy = window.tabs.widget(3)
    assert window.tabs.tabText(3) == "Six Figure" and isinstance(lazy, LazyPage)
    window.tabs.setCurrentIndex(3)
    seen = []  # charts made after each turn of the loop
    while window.built("Six Figure") is None and len(seen) < 50:
        QApplication.processEvents()
        seen.append(_charts(lazy))
    assert window.built("Six Figure") is not None
    assert seen[0] == 0  # the first turn makes the tables and layout only
    assert 1 in seen and seen[-1] == 2  # the radar first, on a turn of its own
    qtbot.waitUntil(lambda: window.six_figure.run is not None, timeout=10_000)
    overall = latest_run(shop, "methodology").metrics["overall"]
    assert f"{overall:.0f}/100" in window.six_figure.overall.text()
    assert window.six_figure.radar.isVisibleTo(window.six_figure)
    window.close()


def test_reading_a_page_while_it_is_being_built_finishes_it(
    qtbot: QtBot, shop: Database
) -> None:
    run_engine(shop, "revenue", date(2026, 11, 24))
    window = _window(qtbot, shop)
    window.tabs.setCurrentIndex(2)
    while not _charts(window.tabs.widget(2)):
        QApplication.processEvents()
    assert window.built("Revenue") is None  # charts begun, not finished
    revenue = window.revenue  # what a caller reading the tab gets: the whole page
    assert window.built("Revenue") is revenue
    assert revenue.image.scene() is revenue.heat.scene()
    for _ in range(20):  # the steps already queued must not run twice
        QApplication.processEvents()
    assert _charts(window.tabs.widget(2)) == 1
    qtbot.waitUntil(lambda: revenue.headline.text() != "", timeout=10_000)
    assert "ways to earn more" in revenue.headline.text()
    window.close()


def test_a_page_made_directly_is_whole_at_once(qtbot: QtBot) -> None:
    class Page(BuiltInSteps, QLabel):
        def __init__(self, in_steps: bool) -> None:
            super().__init__("quick part")
            self.parts: list[str] = []
            self.build_in_steps(self._rest(), now=not in_steps)

        def _rest(self) -> Iterator[None]:
            self.parts.append("one")
            yield
            self.parts.append("two")

    whole = Page(in_steps=False)
    qtbot.addWidget(whole)
    assert whole.parts == ["one", "two"] and not whole.build_step()
    stepped = Page(in_steps=True)
    qtbot.addWidget(stepped)
    assert stepped.parts == []
    assert stepped.build_step() and stepped.parts == ["one"]
    assert not stepped.build_step() and stepped.parts == ["one", "two"]


def test_pages_opened_together_are_built_one_step_per_turn_in_all(
    qtbot: QtBot, shop: Database
) -> None:
    window = _window(qtbot, shop)
    names = ("Clients", "Revenue", "Six Figure", "Imports", "Settings")
    lazies = {window.tabs.tabText(i): window.tabs.widget(i) for i in range(window.tabs.count())
              if window.tabs.tabText(i) in names}  # fmt: skip
    stepped: list[str] = []
    for name, lazy in lazies.items():
        def counted(lazy: LazyPage = lazy, name: str = name) -> bool:
            stepped.append(name)
            return LazyPage.advance(lazy)

        lazy.advance = counted  # type: ignore[method-assign]
    for index in range(window.tabs.count()):  # flick through every tab, as the benchmark does
        window.tabs.setCurrentIndex(index)
    turns = []  # the pages that took a step in each turn of the loop
    while any(window.built(n) is None for n in lazies) and len(turns) < 100:
        stepped.clear()
        QApplication.processEvents()
        turns.append(list(stepped))
    assert all(window.built(n) is not None for n in lazies)
    assert all(len(t) <= 1 for t in turns), turns  # never two pages' steps in one turn
    assert turns[0] == ["Settings"]  # the tab opened last goes first
    assert {"Revenue", "Six Figure"} <= {name for t in turns for name in t}
    window.close()

