"""Tables show a kept picture of their cells after a tab switch, and never a stale one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QHeaderView, QLabel, QLineEdit, QTableWidgetItem
from pytestqt.qtbot import QtBot

from barberbi_desktop.ui.kept_picture import KeptPicture
from barberbi_desktop.ui.table_model import DataFrameModel
from barberbi_desktop.ui.table_view import TableView, TableWidget
from barberbi_desktop.ui.theme import SteadyTabs
from tests.picture_helpers import change_while_hidden_is_shown, shown_image, true_image


class _CountingModel(DataFrameModel):
    def __init__(self, frame: pd.DataFrame) -> None:
        super().__init__(frame, formatters={"spend": lambda v: f"${v:,.2f}"})
        self.reads = 0

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        self.reads += 1
        return super().data(index, role)


def _frame(seed: int = 0, rows: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "client": [f"Client {i}" for i in rng.permutation(rows)],
        "segment": rng.choice(["VIP", "Regular", "At risk"], rows),
        "visits": rng.integers(1, 60, rows),
        "spend": rng.random(rows) * 5000,
    })  # fmt: skip


@pytest.fixture
def shown(qtbot: QtBot) -> tuple[SteadyTabs, TableView, _CountingModel]:
    tabs = SteadyTabs()
    qtbot.addWidget(tabs)
    model = _CountingModel(_frame())
    view = TableView()
    view.setModel(model)
    tabs.addTab(view, "Clients")
    tabs.addTab(QLabel("another page"), "Dashboard")
    tabs.resize(700, 450)
    tabs.show()
    qtbot.waitExposed(tabs)
    qtbot.waitUntil(lambda: view.pictures_taken == 1)
    return tabs, view, model


def test_switching_back_draws_the_picture_without_reading_cells(
    qtbot: QtBot, shown: tuple[SteadyTabs, TableView, _CountingModel]
) -> None:
    tabs, view, model = shown
    for _ in range(3):
        tabs.setCurrentIndex(1)
        qtbot.wait(30)
        model.reads = 0
        tabs.setCurrentIndex(0)
        qtbot.wait(50)
        assert model.reads == 0  # a plain QTableView asks again for every visible cell
    assert view.pictures_taken == 1
    assert shown_image(view) == true_image(view)


def _new_rows(view: TableView, model: DataFrameModel) -> None:
    model.set_frame(_frame(seed=7))


def _sort(view: TableView, model: DataFrameModel) -> None:
    model.sort(2, Qt.SortOrder.DescendingOrder)


def _filter(view: TableView, model: DataFrameModel) -> None:
    model.set_filter(lambda f: (f["segment"] == "VIP").to_numpy())


def _select(view: TableView, model: DataFrameModel) -> None:
    view.selectionModel().select(
        model.index(2, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )


def _scroll(view: TableView, model: DataFrameModel) -> None:
    view.verticalScrollBar().setValue(40)


def _widen(view: TableView, model: DataFrameModel) -> None:
    view.horizontalHeader().resizeSection(0, 260)


def _recolour(view: TableView, model: DataFrameModel) -> None:
    palette = view.palette()
    palette.setColor(QPalette.ColorRole.Base, QColor(40, 40, 60))
    palette.setColor(QPalette.ColorRole.Text, QColor(240, 240, 240))
    view.setPalette(palette)


def _hide_column(view: TableView, model: DataFrameModel) -> None:
    view.setColumnHidden(1, True)


def _grid(view: TableView, model: DataFrameModel) -> None:
    view.setShowGrid(False)


CHANGES: list[Callable[[TableView, DataFrameModel], None]] = [
    _new_rows, _sort, _filter, _select, _scroll, _widen, _recolour, _hide_column, _grid,
]  # fmt: skip


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.__name__.strip("_"))
def test_a_change_made_while_hidden_is_shown(
    qtbot: QtBot,
    shown: tuple[SteadyTabs, TableView, _CountingModel],
    change: Callable[[TableView, DataFrameModel], None],
) -> None:
    tabs, view, model = shown
    change_while_hidden_is_shown(qtbot, tabs, view, lambda: change(view, model))
    qtbot.waitUntil(lambda: view.pictures_taken == 2)  # and a new picture is kept
    assert shown_image(view) == true_image(view)


def test_a_change_while_shown_is_shown(
    qtbot: QtBot, shown: tuple[SteadyTabs, TableView, _CountingModel]
) -> None:
    _, view, model = shown
    before = shown_image(view)
    model.set_frame(_frame(seed=3))
    qtbot.wait(50)
    assert shown_image(view) != before
    assert shown_image(view) == true_image(view)


def _header_reads(model: _CountingModel) -> Callable[[], int]:
    """Counts the model's headerData calls from now on."""
    calls = [0]
    original = model.headerData

    def counting(*args: Any) -> Any:
        calls[0] += 1
        return original(*args)

    model.headerData = counting  # type: ignore[method-assign]
    return lambda: calls[0]


def test_headers_keep_a_picture_too(
    qtbot: QtBot, shown: tuple[SteadyTabs, TableView, _CountingModel]
) -> None:
    tabs, view, model = shown
    header = view.horizontalHeader()
    assert isinstance(header, KeptPicture)
    qtbot.waitUntil(lambda: header.pictures_taken == 1)
    reads = _header_reads(model)
    for _ in range(3):
        tabs.setCurrentIndex(1)
        qtbot.wait(30)
        before = reads()
        tabs.setCurrentIndex(0)
        qtbot.wait(50)
        assert reads() == before  # a plain header asks again for every section
    tall = view.horizontalHeader().font()
    tall.setPixelSize(30)
    view.horizontalHeader().setFont(tall)  # a bigger font: a taller header
    assert header.sizeHint().height() > 30 and header.sizeHint() == QHeaderView.sizeHint(header)
    assert shown_image(header) == true_image(header)


def _rename(view: TableView, model: DataFrameModel) -> None:
    model._headers["client"] = "Who"
    model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 0)


def _indicate_sort(view: TableView, model: DataFrameModel) -> None:
    header = view.horizontalHeader()
    header.blockSignals(True)  # as the Clients tab shows a sort the worker already did
    header.setSortIndicator(2, Qt.SortOrder.DescendingOrder)
    header.blockSignals(False)


def _select_column(view: TableView, model: DataFrameModel) -> None:
    view.selectColumn(1)  # the header highlights the section of a selected column


def _bold_header(view: TableView, model: DataFrameModel) -> None:
    font = view.horizontalHeader().font()
    font.setBold(True)
    view.horizontalHeader().setFont(font)


def _new_columns(view: TableView, model: DataFrameModel) -> None:
    model.set_frame(_frame(seed=7).rename(columns={"client": "name", "spend": "spent"}))


def _recolour_header(view: TableView, model: DataFrameModel) -> None:
    palette = view.palette()  # a header is drawn in the button roles
    palette.setColor(QPalette.ColorRole.Button, QColor(40, 40, 60))
    palette.setColor(QPalette.ColorRole.ButtonText, QColor(240, 240, 240))
    view.setPalette(palette)


def _align_header(view: TableView, model: DataFrameModel) -> None:
    view.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignRight)


HEADER_CHANGES: list[Callable[[TableView, DataFrameModel], None]] = [
    _new_columns, _rename, _indicate_sort, _select_column, _widen, _hide_column,
    _bold_header, _align_header, _recolour_header,
]  # fmt: skip


@pytest.mark.parametrize("change", HEADER_CHANGES, ids=lambda c: c.__name__.strip("_"))
def test_a_header_change_made_while_hidden_is_shown(
    qtbot: QtBot,
    shown: tuple[SteadyTabs, TableView, _CountingModel],
    change: Callable[[TableView, DataFrameModel], None],
) -> None:
    tabs, view, model = shown
    header = view.horizontalHeader()
    header.setSortIndicatorShown(True)  # as on the Clients tab
    qtbot.waitUntil(lambda: header.pictures_taken == 1)
    change_while_hidden_is_shown(qtbot, tabs, header, lambda: change(view, model))
    assert shown_image(header) == true_image(header)
    assert header.sizeHint() == QHeaderView.sizeHint(header)  # the kept hint is Qt's own


@pytest.fixture
def widget_shown(qtbot: QtBot) -> tuple[SteadyTabs, TableWidget]:
    tabs = SteadyTabs()
    qtbot.addWidget(tabs)
    table = TableWidget(0, 3)
    table.setHorizontalHeaderLabels(["Barber", "Location", "Pay model"])
    table.setRowCount(12)
    for r in range(12):
        for c, value in enumerate((f"Barber {r}", "Main St", "commission")):
            table.setItem(r, c, QTableWidgetItem(value))
    tabs.addTab(table, "Settings")
    tabs.addTab(QLabel("another page"), "Dashboard")
    tabs.resize(600, 400)
    tabs.show()
    qtbot.waitExposed(tabs)
    qtbot.waitUntil(lambda: table.pictures_taken == 1)
    return tabs, table


def test_an_item_table_draws_its_picture_on_a_switch_back(
    qtbot: QtBot, widget_shown: tuple[SteadyTabs, TableWidget]
) -> None:
    tabs, table = widget_shown
    for _ in range(2):
        tabs.setCurrentIndex(1)
        qtbot.wait(30)
        tabs.setCurrentIndex(0)
        qtbot.wait(50)
    assert table.pictures_taken == 1  # never dropped, so never painted anew
    assert shown_image(table) == true_image(table)


ITEM_CHANGES: list[Callable[[TableWidget], None]] = [
    lambda t: t.item(1, 2).setText("booth rent"),
    lambda t: t.setRowCount(4),
    lambda t: t.insertRow(0),
    lambda t: t.sortItems(0, Qt.SortOrder.DescendingOrder),
    lambda t: t.item(3, 0).setBackground(QColor(200, 40, 40)),
]


@pytest.mark.parametrize("change", ITEM_CHANGES, ids=["text", "rows", "insert", "sort", "colour"])
def test_an_item_change_made_while_hidden_is_shown(
    qtbot: QtBot,
    widget_shown: tuple[SteadyTabs, TableWidget],
    change: Callable[[TableWidget], None],
) -> None:
    tabs, table = widget_shown
    change_while_hidden_is_shown(qtbot, tabs, table, lambda: change(table))


def test_an_edit_typed_into_a_cell_is_shown(
    qtbot: QtBot, widget_shown: tuple[SteadyTabs, TableWidget]
) -> None:
    tabs, table = widget_shown
    before = shown_image(table)
    table.setCurrentCell(2, 1)
    table.editItem(table.item(2, 1))
    editor = table.viewport().focusWidget() or QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    editor.setText("Harbour Rd")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.wait(50)
    assert table.item(2, 1).text() == "Harbour Rd"
    tabs.setCurrentIndex(1)
    qtbot.wait(30)
    tabs.setCurrentIndex(0)
    qtbot.wait(50)
    assert shown_image(table) != before
    assert shown_image(table) == true_image(table)


def test_a_fill_while_hidden_is_shown_and_later_edits_still_drop_the_picture(
    qtbot: QtBot, widget_shown: tuple[SteadyTabs, TableWidget]
) -> None:
    tabs, table = widget_shown

    def refill() -> None:
        with table.filling():
            table.setRowCount(20)
            for r in range(20):
                table.setItem(r, 0, QTableWidgetItem(f"Barber {100 + r}"))

    change_while_hidden_is_shown(qtbot, tabs, table, refill)
    qtbot.waitUntil(lambda: table._picture is not None)
    change_while_hidden_is_shown(qtbot, tabs, table, lambda: table.item(0, 1).setText("Elm"))
