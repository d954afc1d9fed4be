"""The first hour, as a new owner sees it: the welcome page on a shop with no visits
(never on the demo), its shop form, and tabs that say what they need instead of
showing zeros and empty axes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from barberbi_desktop.storage import shop_config as config
from barberbi_desktop.storage.db import Database
from barberbi_desktop.ui import imports_tab
from barberbi_desktop.ui.dashboard_charts import DashboardCharts
from barberbi_desktop.ui.empty_state import NO_VISITS
from barberbi_desktop.ui.main_window import MainWindow
from barberbi_desktop.ui.welcome import WelcomePage
from tests.import_helpers import FIXTURES, query

LEFT = Qt.MouseButton.LeftButton


def _window(qtbot: QtBot, db: Database) -> MainWindow:
    window = MainWindow(db)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.summary is not None, timeout=10_000)
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=10_000)
    return window


def _settle(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=10_000)


def test_the_welcome_page_opens_an_empty_shop_until_the_owner_leaves(
    qtbot: QtBot, empty_db: Database
) -> None:
    window = _window(qtbot, empty_db)
    assert isinstance(window.centralWidget(), WelcomePage)
    page = window.welcome
    assert page is not None and not page.server_button.isEnabled()
    assert page.import_button.isEnabled() and page.demo_button.isEnabled()
    qtbot.mouseClick(page.skip, LEFT)
    assert window.centralWidget() is window.tabs and window.welcome is None
    window.refresh_summary()  # still empty: the page stays left for this session
    _settle(qtbot, window)
    assert window.centralWidget() is window.tabs
    window.close()


def test_the_demo_opens_on_its_tabs(qtbot: QtBot, demo_db: Database) -> None:
    window = _window(qtbot, demo_db)
    assert window.welcome is None and window.centralWidget() is window.tabs
    window.close()


def test_the_shop_form_saves_the_first_location(qtbot: QtBot, empty_db: Database) -> None:
    window = _window(qtbot, empty_db)
    page = window.welcome
    assert page is not None
    page.shop_name.setText("Corner Cuts")
    page.zone.setCurrentText("America/Denver")
    page.currency.setText("cad")
    qtbot.mouseClick(page.save, LEFT)
    _settle(qtbot, window)
    assert query(empty_db, "SELECT name, timezone, currency FROM locations") == [
        ("Corner Cuts", "America/Denver", "CAD")
    ]
    assert page.message.text().startswith("Saved: Corner Cuts.")
    assert not page.save.isEnabled() and not page.shop_name.isEnabled()
    _settle(qtbot, window)
    assert window.summary is not None and window.summary.shop_name == "Corner Cuts"
    window.close()


@pytest.mark.parametrize(
    ("name", "zone", "currency", "sentence"),
    [
        ("", "UTC", "USD", "Type the shop's name first."),
        ("Cuts", "Mountain Time", "USD",
         "The location 'Cuts': 'Mountain Time' is not a time zone such as America/New_York."),
        ("Cuts", "UTC", "$", "The location 'Cuts': a currency is a three-letter code such as USD."),
    ],
)  # fmt: skip
def test_the_shop_form_refuses_bad_input_with_one_sentence(
    qtbot: QtBot, empty_db: Database, name: str, zone: str, currency: str, sentence: str
) -> None:
    window = _window(qtbot, empty_db)
    page = window.welcome
    assert page is not None
    page.shop_name.setText(name)
    page.zone.setCurrentText(zone)
    page.currency.setText(currency)
    qtbot.mouseClick(page.save, LEFT)
    _settle(qtbot, window)
    assert page.message.text() == sentence
    assert page.save.isEnabled()  # the owner can correct it and save again
    assert query(empty_db, "SELECT count(*) FROM locations") == [(0,)]
    window.close()


def test_the_welcome_import_opens_the_chosen_file_on_the_imports_tab(
    qtbot: QtBot, empty_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen: list[list[str]] = []
    monkeypatch.setattr(imports_tab, "ask_for_exports", lambda _parent: [])
    monkeypatch.setattr(imports_tab.ImportsTab, "import_chosen",
                        lambda _self, names: chosen.append(names))  # fmt: skip
    window = _window(qtbot, empty_db)
    assert window.welcome is not None
    qtbot.mouseClick(window.welcome.import_button, LEFT)
    assert window.welcome is not None and chosen == []  # cancelled: nothing moves
    fresha = str(FIXTURES / "fresha.csv")
    monkeypatch.setattr(imports_tab, "ask_for_exports", lambda _parent: [fresha])
    qtbot.mouseClick(window.welcome.import_button, LEFT)
    assert window.welcome is None and window.centralWidget() is window.tabs
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Imports"
    assert chosen == [[fresha]]
    window.close()


def test_empty_tabs_say_what_they_need_and_offer_the_import(
    qtbot: QtBot, empty_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[bool] = []
    monkeypatch.setattr(imports_tab, "ask_for_exports", lambda _p: asked.append(True) or [])
    window = _window(qtbot, empty_db)
    window.leave_welcome()
    window.show()
    dash = window.dashboard
    assert dash.no_visits.isVisibleTo(window) and not dash.empty.isVisibleTo(window)
    assert dash.no_visits.sentence.text() == NO_VISITS["dashboard"]
    assert not dash.health.isVisibleTo(window) and not dash.charts.isVisibleTo(window)
    assert "0/100" not in dash.health.text() and "$0" not in dash.tiles["revenue"].value.text()
    qtbot.mouseClick(dash.no_visits.button, LEFT)
    assert asked == [True]  # the button starts the import (the file dialog)
    for index, key in ((1, "clients"), (2, "revenue"), (3, "six_figure")):
        window.tabs.setCurrentIndex(index)
        qtbot.waitUntil(lambda i=index: window.built(window.tabs.tabText(i)) is not None)
        _settle(qtbot, window)
        tab = window.built(window.tabs.tabText(index))
        qtbot.waitUntil(lambda t=tab: t.no_visits.isVisibleTo(window), timeout=10_000)
        assert tab.no_visits.sentence.text() == NO_VISITS[key]
        assert not tab.empty.isVisibleTo(window)
        charts = [getattr(tab, n) for n in ("chart", "heat", "radar", "trend") if hasattr(tab, n)]
        assert charts and not any(c.isVisibleTo(window) for c in charts)
    alerts = window.alerts
    window.tabs.setCurrentIndex(4)
    assert alerts.no_visits.isVisibleTo(window) and not alerts.table.isVisibleTo(window)
    window.tabs.setCurrentIndex(5)
    imports = window.imports
    _settle(qtbot, window)
    assert imports.outcome.text() == NO_VISITS["imports"]
    assert imports.guide.isVisibleTo(window) and "Fresha" in imports.guide.text()
    assert not imports.table.isVisibleTo(window)
    window.close()


def test_charts_without_data_are_hidden_not_drawn_empty(qtbot: QtBot) -> None:
    charts = DashboardCharts()
    qtbot.addWidget(charts)
    charts.show()
    charts.show_data({"today": {"available": False, "reason": "no completed visits yet"},
                      "weeks": {"available": False, "reason": "fewer than five weeks"}})
    assert not any(p.isVisible() for p in (charts.today, charts.weeks, charts.barbers))
    assert charts.notes["today"].text() == "Today: no completed visits yet."
    assert charts.notes["weeks"].text() == "Weekly forecast: fewer than five weeks."
    idle = [{"name": "Marco Diaz", "visits": 0, "revenue": 0}]
    charts.show_data({"barbers": idle})
    assert not charts.barbers.isVisible()
    assert charts.notes["barbers"].text() == "Visits per barber: no visits in the last 7 days."
    charts.show_data({"barbers": [{"name": "Marco Diaz", "visits": 12, "revenue": 54_000}]})
    assert charts.barbers.isVisible() and not charts.today.isVisible()


def test_settings_adds_the_first_location(qtbot: QtBot, empty_db: Database) -> None:
    window = _window(qtbot, empty_db)
    window.leave_welcome()
    settings = window.settings_tab
    _settle(qtbot, window)
    page = settings.locations
    qtbot.waitUntil(lambda: "No location yet" in page.message.text(), timeout=10_000)
    page.new_name.setText("Main")
    page.new_zone.setCurrentText("Europe/Dublin")
    page.new_currency.setText("EUR")
    qtbot.mouseClick(page.add_button, LEFT)
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=10_000)
    assert config.load_locations(empty_db)[["name", "timezone", "currency"]].values.tolist() == [
        ["Main", "Europe/Dublin", "EUR"]
    ]
    qtbot.mouseClick(page.add_button, LEFT)  # the same name again: refused, one sentence
    qtbot.waitUntil(lambda: page.message.text().startswith("Not saved"), timeout=10_000)
    assert page.message.text() == (
        "Not saved: The location 'Main' already exists; choose another name."
    )
    window.close()



def test_open_the_demo_closes_this_shop_for_the_app_to_reopen(
    qtbot: QtBot, empty_db: Database
) -> None:
    window = _window(qtbot, empty_db)
    window.show()
    assert window.welcome is not None and not window.open_demo
    qtbot.mouseClick(window.welcome.demo_button, LEFT)
    assert window.open_demo and not window.isVisible()  # app.run_app opens the demo next
    assert query(empty_db, "SELECT count(*) FROM locations") == [(0,)]  # left untouched
