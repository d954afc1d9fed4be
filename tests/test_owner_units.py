"""Owner units: targets in dollars with their period and rates in percent on screen,
converted on save and load (storage keeps cents and shares), sentences in those units."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from barberbi_desktop.errors import InputError
from barberbi_desktop.storage import shop_config as config
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.settings import get_setting
from barberbi_desktop.storage.target_units import parse_target, show_target
from barberbi_desktop.storage.users import create_user


def test_targets_read_in_dollars_and_percent(empty_db: Database) -> None:
    targets = {t.key: t for t in config.load_targets(empty_db) if t.engine == "kpi"}
    revenue, no_show = targets["revenue"], targets["no_show_rate"]
    assert revenue.label == "Daily revenue target"
    assert show_target(revenue.value, revenue.unit) == "$1,500.00"
    assert no_show.label == "No-show rate target" and show_target(no_show.value, "share") == "5%"
    for t in config.load_targets(empty_db):  # no internal key reaches the screen
        assert "_" not in t.label, t.label


def test_saving_converts_back_and_keeps_storage_units(empty_db: Database) -> None:
    owner = create_user(empty_db, "Ola", "owner", "2580")
    changed = config.save_targets(
        empty_db, {("kpi", "revenue"): "$1,750", ("kpi", "no_show_rate"): "4%"}, owner
    )
    assert changed == 2
    assert get_setting(empty_db, "kpi.targets") == {"revenue": 175_000.0, "no_show_rate": 0.04}
    assert config.kpi_settings(empty_db).targets["revenue"] == 175_000
    shown = {t.key: show_target(t.value, t.unit) for t in config.load_targets(empty_db)}
    assert shown["revenue"] == "$1,750.00" and shown["no_show_rate"] == "4%"
    # Saving what is shown changes nothing (no rounding drift through the screen).
    again = {(t.engine, t.key): show_target(t.value, t.unit) for t in config.load_targets(empty_db)}
    assert config.save_targets(empty_db, again, owner) == 0


@pytest.mark.parametrize(
    ("raw", "unit", "sentence"),
    [
        ("abc", "cents", "Daily revenue target: enter an amount in dollars, such as $1,500.00"),
        ("0", "cents", "enter a target above zero, such as $1,500.00"),
        ("150%", "share", "enter a percent between 0% and 100%, not '150%'"),
        ("lots", "share", "enter a percent, such as 5%"),
        ("6", "rating", "ratings go up to 5 stars"),
    ],
)
def test_bad_targets_get_one_sentence_in_owner_units(raw: str, unit: str, sentence: str) -> None:
    with pytest.raises(InputError, match=sentence.replace("$", r"\$").replace("(", r"\(")):
        parse_target(raw, unit, "Daily revenue target")


def test_a_rejected_target_leaves_the_saved_ones(empty_db: Database) -> None:
    owner = create_user(empty_db, "Ola", "owner", "2580")
    config.save_targets(empty_db, {("kpi", "tip_rate"): "20%"}, owner)
    with pytest.raises(InputError, match="No-show rate target"):
        config.save_targets(
            empty_db, {("kpi", "tip_rate"): "25%", ("kpi", "no_show_rate"): "half"}, owner
        )
    assert get_setting(empty_db, "kpi.targets") == {"tip_rate": 0.2}


def test_the_targets_page_shows_owner_units(qtbot: QtBot, empty_db: Database) -> None:
    from barberbi_desktop.ui.main_window import MainWindow

    owner = create_user(empty_db, "Ola", "owner", "2580")
    window = MainWindow(empty_db, user=owner)
    qtbot.addWidget(window)
    page = window.settings_tab.targets
    qtbot.waitUntil(lambda: page.table.rowCount() > 0, timeout=10_000)
    rows = {page.table.item(r, 1).text(): page.table.item(r, 3).text()
            for r in range(page.table.rowCount())}  # fmt: skip
    assert rows["Daily revenue target"] == "$1,500.00"
    assert rows["No-show rate target"] == "5%"
