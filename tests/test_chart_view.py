"""Charts show a kept picture of themselves after a tab switch, and never a stale one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from barberbi_desktop.ui.plots import ChartView, themed_plot
from barberbi_desktop.ui.theme import SteadyTabs
from tests.picture_helpers import change_while_hidden_is_shown, shown_image, true_image


class _CountingCurve(pg.PlotCurveItem):
    paints = 0

    def paint(self, painter: Any, *args: Any) -> None:
        _CountingCurve.paints += 1
        super().paint(painter, *args)


@pytest.fixture
def shown(qtbot: QtBot) -> tuple[SteadyTabs, ChartView, _CountingCurve]:
    tabs = SteadyTabs()
    qtbot.addWidget(tabs)
    page = QLabel("another page")
    chart = themed_plot(page, "Visits per week")
    assert isinstance(chart, ChartView)
    curve = _CountingCurve(np.arange(12.0), np.sin(np.arange(12.0)) * 10 + 20, pen="g")
    chart.addItem(curve)
    tabs.addTab(chart, "Dashboard")
    tabs.addTab(page, "Alerts")
    tabs.resize(640, 420)
    tabs.show()
    qtbot.waitExposed(tabs)
    qtbot.waitUntil(lambda: chart.pictures_taken >= 1)
    qtbot.wait(50)
    return tabs, chart, curve


def test_switching_back_draws_the_picture_without_painting_items(
    qtbot: QtBot, shown: tuple[SteadyTabs, ChartView, _CountingCurve]
) -> None:
    tabs, chart, _ = shown
    tabs.setCurrentIndex(1)  # pyqtgraph fits its axes after the first paint, a change
    qtbot.wait(30)
    tabs.setCurrentIndex(0)
    qtbot.waitUntil(lambda: chart._picture is not None)
    taken = chart.pictures_taken
    for _ in range(3):
        tabs.setCurrentIndex(1)
        qtbot.wait(30)
        _CountingCurve.paints = 0
        tabs.setCurrentIndex(0)
        qtbot.wait(50)
        assert _CountingCurve.paints == 0  # a plain PlotWidget paints every item again
    assert chart.pictures_taken == taken
    assert shown_image(chart) == true_image(chart)


def _new_data(chart: ChartView, curve: _CountingCurve) -> None:
    curve.setData(np.arange(12.0), np.cos(np.arange(12.0)) * 5 + 40)


def _zoom(chart: ChartView, curve: _CountingCurve) -> None:
    chart.setXRange(2, 6, padding=0)


def _background(chart: ChartView, curve: _CountingCurve) -> None:
    chart.setBackground(QColor(30, 32, 36))


def _new_item(chart: ChartView, curve: _CountingCurve) -> None:
    chart.addItem(pg.InfiniteLine(pos=5, angle=90, pen="r"))


def _title(chart: ChartView, curve: _CountingCurve) -> None:
    chart.setTitle("Visits per week, all barbers")


def _resize(chart: ChartView, curve: _CountingCurve) -> None:
    chart.window().resize(560, 380)


CHANGES: list[Callable[[ChartView, _CountingCurve], None]] = [
    _new_data, _zoom, _background, _new_item, _title, _resize,
]  # fmt: skip


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.__name__.strip("_"))
def test_a_change_made_while_hidden_is_shown(
    qtbot: QtBot,
    shown: tuple[SteadyTabs, ChartView, _CountingCurve],
    change: Callable[[ChartView, _CountingCurve], None],
) -> None:
    tabs, chart, curve = shown
    change_while_hidden_is_shown(qtbot, tabs, chart, lambda: change(chart, curve))


def test_new_data_in_the_same_turn_as_the_switch_is_shown(
    qtbot: QtBot, shown: tuple[SteadyTabs, ChartView, _CountingCurve]
) -> None:
    tabs, chart, curve = shown
    before = shown_image(chart)
    tabs.setCurrentIndex(1)
    qtbot.wait(30)
    _new_data(chart, curve)
    tabs.setCurrentIndex(0)  # no turn of the event loop between the data and the switch
    qtbot.wait(80)
    assert shown_image(chart) != before
    assert shown_image(chart) == true_image(chart)


def test_new_data_while_shown_is_shown(
    qtbot: QtBot, shown: tuple[SteadyTabs, ChartView, _CountingCurve]
) -> None:
    _, chart, curve = shown
    before = shown_image(chart)
    _new_data(chart, curve)
    qtbot.wait(80)
    assert shown_image(chart) != before
    assert shown_image(chart) == true_image(chart)
