"""Dashboard tiles, the Alerts tab and the table model, on real stored results."""

from __future__ import annotations

from datetime import date

import pandas as pd
from pytestqt.qtbot import QtBot

from barberbi_desktop.alerts import rules
from barberbi_desktop.alerts.store import list_alerts, raise_alerts
from barberbi_desktop.events import AlertsRaised, EventHub, ResultsReady
from barberbi_desktop.jobs.runner import run_engine
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.results import kpi_values, latest_run
from barberbi_desktop.ui.bridge import HubBridge
from barberbi_desktop.ui.main_window import MainWindow
from barberbi_desktop.ui.table_model import SORT_ROLE, DataFrameModel


def _window(qtbot: QtBot, db: Database, bridge: HubBridge | None = None) -> MainWindow:
    window = MainWindow(db, bridge=bridge)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=10_000)
    return window


def test_dashboard_says_what_is_missing_before_any_kpi_run(qtbot: QtBot, shop: Database) -> None:
    window = _window(qtbot, shop)
    assert window.dashboard.run is None
    assert "No live KPIs yet" in window.dashboard.empty.text()
    assert window.dashboard.empty.isVisibleTo(window)
    window.close()


def test_dashboard_tiles_show_the_stored_kpis(qtbot: QtBot, shop: Database) -> None:
    run_engine(shop, "kpi", date(2026, 11, 20))
    window = _window(qtbot, shop)
    run = latest_run(shop, "kpi")
    values = kpi_values(shop, run.run_id).set_index(["window", "kpi"])
    revenue = values.loc[("30d", "revenue"), "value"]
    assert window.dashboard.tiles["revenue"].value.text() == f"${revenue / 100:,.0f}"
    visits = values.loc[("30d", "visits"), "value"]
    assert window.dashboard.tiles["visits"].value.text() == f"{visits:,.0f}"
    no_show = values.loc[("30d", "no_show_rate"), "value"]
    assert window.dashboard.tiles["no_show_rate"].value.text() == f"{no_show:.0%}"
    assert f"{run.metrics['health']:.0f}/100" in window.dashboard.health.text()
    assert "vs prior 30 days" in window.dashboard.tiles["revenue"].change.text()
    window.close()


def test_tile_values_are_coloured_against_their_target_and_follow_the_theme(
    qtbot: QtBot, shop: Database
) -> None:
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    from barberbi_desktop.ui import theme
    from barberbi_desktop.ui.dashboard import TILES, colour

    run_engine(shop, "kpi", date(2026, 11, 20))
    window = _window(qtbot, shop)
    values = kpi_values(shop, latest_run(shop, "kpi").run_id)
    thirty = values[values["window"] == "30d"].set_index("kpi")
    text = QPalette.ColorRole.WindowText
    plain = []
    coloured = 0
    for key, _, _ in TILES:
        wanted = colour(key, thirty.loc[key, "value"], thirty.loc[key, "target"])
        shown = window.dashboard.tiles[key].value.palette().color(text)
        if wanted:
            coloured += 1
            assert shown == QColor(wanted), key
        else:
            plain.append(key)
            assert shown == window.palette().color(text), key
    assert coloured and plain  # some KPIs have targets on the demo shop, some have none
    app = QApplication.instance()
    before = app.palette()
    try:
        app.setPalette(theme.dark_palette())  # widgets hear of it on the next turn
        qtbot.waitUntil(lambda: window.palette().color(text) == QColor(230, 230, 230))
        for key in plain:
            assert window.dashboard.tiles[key].value.palette().color(text) == QColor(230, 230, 230)
        for key, _, _ in TILES:
            if key not in plain:
                wanted = colour(key, thirty.loc[key, "value"], thirty.loc[key, "target"])
                assert window.dashboard.tiles[key].value.palette().color(text) == QColor(wanted)
    finally:
        app.setPalette(before)
    window.close()


def test_results_and_alerts_from_the_scheduler_reach_the_window(
    qtbot: QtBot, shop: Database
) -> None:
    hub = EventHub()
    bridge = HubBridge(hub)
    window = _window(qtbot, shop, bridge)
    outcome = run_engine(shop, "kpi", date(2026, 11, 20))
    ids = raise_alerts(
        shop, [rules.import_rejected("tx.csv", "Row 3: no date.", rules.AlertSettings())]
    )
    hub.publish(ResultsReady("kpi", outcome.run_id))
    hub.publish(AlertsRaised(tuple(ids)))
    qtbot.waitUntil(lambda: window.dashboard.run is not None, timeout=10_000)
    qtbot.waitUntil(
        lambda: window.tabs.tabText(window.tabs.indexOf(window.alerts)) == "Alerts (1)",
        timeout=10_000,
    )
    assert "new alert" in window.statusBar().currentMessage()
    window.close()
    bridge.close()


def test_acknowledging_an_alert_clears_the_badge(qtbot: QtBot, shop: Database) -> None:
    raise_alerts(shop, [rules.engine_failed("ltv", "boom.", rules.AlertSettings())])
    window = _window(qtbot, shop)
    tab = window.alerts
    assert window.tabs.tabText(window.tabs.indexOf(tab)) == "Alerts (1)"
    assert tab.model.rowCount() == 1
    assert tab.model.data(tab.model.index(0, 2)) == "The ltv analysis failed"
    tab.table.selectRow(0)
    tab.acknowledge_selected()
    qtbot.waitUntil(
        lambda: window.tabs.tabText(window.tabs.indexOf(tab)) == "Alerts", timeout=10_000
    )
    assert list_alerts(shop, include_acknowledged=False).empty
    assert tab.model.rowCount() == 0
    window.close()


def test_the_dataframe_model_passes_qt_model_tests(qtmodeltester) -> None:
    frame = pd.DataFrame(
        {
            "name": ["Ana", "Ben", None],
            "ltv_cents": [12_000, 3_500, 900],
            "p_alive": [0.9, float("nan"), 0.2],
        }
    )
    model = DataFrameModel(
        frame,
        headers={"ltv_cents": "12-month value"},
        formatters={"ltv_cents": lambda v: f"${v / 100:,.0f}"},
    )
    qtmodeltester.check(model)
    assert (
        model.headerData(1, __import__("PySide6.QtCore").QtCore.Qt.Orientation.Horizontal)
        == "12-month value"
    )
    assert model.data(model.index(0, 1)) == "$120"
    assert model.data(model.index(0, 1), SORT_ROLE) == 12_000
    assert model.data(model.index(1, 2)) == "" and model.data(model.index(2, 0)) == ""


def test_the_model_holds_200000_rows_without_a_widget_per_row(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QTableView

    frame = pd.DataFrame({"client": range(200_000), "ltv_cents": range(200_000)})
    model = DataFrameModel(frame)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.show()
    assert model.rowCount() == 200_000
    assert model.data(model.index(199_999, 1)) == "199999"


def test_the_model_sorts_and_filters_itself_and_selection_follows(qtmodeltester) -> None:
    from PySide6.QtCore import QPersistentModelIndex, Qt

    frame = pd.DataFrame(
        {"name": ["Ana", "Ben", "Cy", "Di", None], "ltv_cents": [300, 100, 500, 200, 400]}
    )
    model = DataFrameModel(frame)
    ben = QPersistentModelIndex(model.index(1, 0))  # a selection sits on Ben's row
    model.sort(1, Qt.SortOrder.DescendingOrder)
    assert [model.data(model.index(r, 1), SORT_ROLE) for r in range(5)] == [500, 400, 300, 200, 100]
    assert ben.row() == 4 and model.data(model.index(ben.row(), 0)) == "Ben"
    model.set_filter(lambda f: (f["ltv_cents"] >= 300).to_numpy())
    assert model.rowCount() == 3
    assert [model.data(model.index(r, 0)) for r in range(3)] == ["Cy", "", "Ana"]
    assert model.row(2)["name"] == "Ana" and list(model.frame["ltv_cents"]) == [500, 400, 300]
    model.set_frame(frame.assign(ltv_cents=[900, 100, 100, 100, 100]))  # the filter stays
    assert model.rowCount() == 1 and model.data(model.index(0, 0)) == "Ana"
    model.set_filter(None)
    assert model.rowCount() == 5
    qtmodeltester.check(model)


def test_one_per_turn_runs_steps_in_order_and_drops_them_with_their_owner(qtbot: QtBot) -> None:
    from PySide6.QtCore import QObject
    from shiboken6 import Shiboken

    from barberbi_desktop.ui.tasks import one_per_turn

    ran: list[int] = []
    owner = QObject()
    one_per_turn([lambda: ran.append(1), lambda: ran.append(2), lambda: ran.append(3)], owner)
    assert ran == []  # nothing runs until the event loop turns
    qtbot.waitUntil(lambda: ran == [1, 2, 3], timeout=2000)

    gone = QObject()
    later: list[int] = []
    one_per_turn([lambda: later.append(1)], gone)
    Shiboken.delete(gone)
    qtbot.wait(50)
    assert later == []


def test_columns_are_fitted_on_first_rows_and_keep_the_owners_widths(qtbot: QtBot) -> None:
    """A new run with the same columns keeps widths (also any the owner dragged); rows of
    a short word-wrapped table follow their new text; new columns are fitted again."""
    from PySide6.QtWidgets import QTableView

    from barberbi_desktop.ui.table_model import fit_to_contents

    model = DataFrameModel(pd.DataFrame({"what": pd.Series([], dtype=object), "n": []}))
    view = QTableView()
    view.setWordWrap(True)
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(400, 300)
    view.show()
    fit_to_contents(view)  # empty: sized to the headers, not yet fitted
    model.set_frame(pd.DataFrame({"what": ["Raise the price of a fade by $3"], "n": [1]}))
    fit_to_contents(view)
    header = view.horizontalHeader()
    fitted = header.sectionSize(0)
    assert fitted > 100  # now sized to the text, wider than the header "what"
    header.resizeSection(0, 80)  # the owner narrows it
    one_line = view.rowHeight(0)
    model.set_frame(pd.DataFrame({"what": ["Raise the price of a skin fade with beard "
                                           "trim by $3 on Saturdays"], "n": [2]}))  # fmt: skip
    fit_to_contents(view)
    assert header.sectionSize(0) == 80  # the owner's width stays
    assert view.rowHeight(0) > one_line  # the longer text wraps onto more lines
    model.set_frame(pd.DataFrame({"why": ["a different table now"], "n": [3]}))
    fit_to_contents(view)
    assert header.sectionSize(0) > 80  # new columns: fitted again


def test_a_stretched_last_column_still_fills_the_table_after_fitting(qtbot: QtBot) -> None:
    """The Six Figure scorecard's "Note" column was left narrow beside blank space."""
    from PySide6.QtWidgets import QTableView

    from barberbi_desktop.ui.table_model import fit_to_contents

    model = DataFrameModel(pd.DataFrame({"Metric": pd.Series([], dtype=object), "Note": []}))
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.horizontalHeader().setStretchLastSection(True)
    view.resize(900, 300)
    view.show()
    fit_to_contents(view)
    model.set_frame(pd.DataFrame({"Metric": ["Average service ticket"] * 5, "Note": [""] * 5}))
    fit_to_contents(view)
    header = view.horizontalHeader()
    assert header.sectionSize(0) < 300  # fitted to its text
    assert header.sectionSize(0) + header.sectionSize(1) == view.viewport().width()


def test_a_callback_that_holds_the_gui_thread_is_noted_by_name(qtbot: QtBot) -> None:
    import time

    from barberbi_desktop.ui import tasks

    runner = tasks.TaskRunner()
    done: list[int] = []

    def slow_refresh(value: int) -> None:
        time.sleep(0.05)
        done.append(value)

    runner.run(lambda: 7, slow_refresh)
    runner.run(lambda: 8, done.append)  # a quick one is not noted
    qtbot.waitUntil(lambda: len(done) == 2, timeout=5000)
    noted = [(ms, name) for _, ms, name in tasks.SLOW if "slow_refresh" in name]
    assert noted and noted[-1][0] >= 45
    assert not any(name.endswith("append") for _, _, name in tasks.SLOW)
    runner.wait()


def test_shown_text_is_remembered_per_row_and_forgotten_with_new_data() -> None:
    from PySide6.QtCore import Qt

    calls: list[int] = []

    def dollars(cents: int) -> str:
        calls.append(cents)
        return f"${cents / 100:,.2f}"

    frame = pd.DataFrame({"name": ["Ana", "Ben"], "ltv_cents": [30_000, 10_000]})
    model = DataFrameModel(frame, formatters={"ltv_cents": dollars})
    for _ in range(3):  # three paints of the same cells format each once
        assert [model.data(model.index(r, 1)) for r in range(2)] == ["$300.00", "$100.00"]
    assert calls == [30_000, 10_000]
    model.sort(1, Qt.SortOrder.AscendingOrder)  # remembered by row, so sorting keeps it
    assert [model.data(model.index(r, 1)) for r in range(2)] == ["$100.00", "$300.00"]
    assert model.data(model.index(0, 0)) == "Ben" and len(calls) == 2
    model.set_frame(frame.assign(ltv_cents=[45_000, 5_000]))  # a new run: worked out anew
    assert [model.data(model.index(r, 1)) for r in range(2)] == ["$450.00", "$50.00"]
    assert model.data(model.index(0, 1), Qt.ItemDataRole.TextAlignmentRole) is not None


def test_a_month_without_visits_shows_an_unknown_health_with_its_reason(
    qtbot: QtBot, shop: Database
) -> None:
    from barberbi_desktop.engines.kpi_health import NO_VISITS_30D

    run_engine(shop, "kpi", date(2027, 2, 1))  # the demo's visits end in November
    assert latest_run(shop, "kpi").metrics["health"] is None
    window = _window(qtbot, shop)
    said = window.dashboard.health.text()
    assert f"Business health: unknown ({NO_VISITS_30D})" in said and "/100" not in said
    window.close()
