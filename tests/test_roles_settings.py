"""Accounts, PINs, what staff may see, the audit log, and the Settings tab."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from barberbi_desktop.errors import InputError
from barberbi_desktop.ingest.importer import Importer
from barberbi_desktop.storage import shop_config as config
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.users import (
    audit_log,
    create_user,
    has_users,
    hash_pin,
    log_in,
    pin_matches,
)
from barberbi_desktop.ui.login import LoginDialog
from barberbi_desktop.ui.main_window import EmptyState, MainWindow

FIXTURES = Path(__file__).parent / "data" / "imports"


def _actions(db: Database) -> list[str]:
    return list(audit_log(db)["action"])[::-1]  # oldest first


def test_pins_are_salted_scrypt_hashes() -> None:
    first, second = hash_pin("4821"), hash_pin("4821")
    assert first != second and first.startswith("scrypt$16384$8$1$")
    assert "4821" not in first
    assert pin_matches("4821", first) and pin_matches("4821", second)
    assert not pin_matches("4822", first)
    assert not pin_matches("4821", "plain$4821")


def test_the_owner_comes_first_and_only_the_owner_adds_staff(empty_db: Database) -> None:
    assert not has_users(empty_db)
    with pytest.raises(InputError, match="first account is the owner"):
        create_user(empty_db, "Sam", "staff", "1234")
    with pytest.raises(InputError, match="4 to 8 digits"):
        create_user(empty_db, "Ola", "owner", "12a4")
    owner = create_user(empty_db, "Ola", "owner", "2580")
    with pytest.raises(InputError, match="Only the owner"):
        create_user(empty_db, "Sam", "staff", "1234")
    staff = create_user(empty_db, "Sam", "staff", "1234", by=owner)
    with pytest.raises(InputError, match="Only the owner"):
        create_user(empty_db, "Kim", "staff", "1234", by=staff)
    with pytest.raises(InputError, match="already an account"):
        create_user(empty_db, "Sam", "staff", "9999", by=owner)
    assert log_in(empty_db, "Sam", "1234").role == "staff"
    with pytest.raises(InputError, match="do not match"):
        log_in(empty_db, "Sam", "4321")
    log = audit_log(empty_db)
    assert list(log["action"])[:2] == ["login_failed", "login"]
    assert list(log["who"])[:2] == ["Sam", "Sam"]


def test_first_start_creates_the_owner_then_logs_in(qtbot: QtBot, empty_db: Database) -> None:
    dialog = LoginDialog(empty_db)
    qtbot.addWidget(dialog)
    assert dialog.first_start
    dialog.name.setText("Ola")
    dialog.pin.setText("2580")
    dialog.confirm.setText("2581")
    dialog.submit()
    assert "differ" in dialog.error.text() and not has_users(empty_db)
    dialog.confirm.setText("2580")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.user is not None, timeout=5000)
    assert (dialog.user.name, dialog.user.role) == ("Ola", "owner")

    again = LoginDialog(empty_db)
    qtbot.addWidget(again)
    assert not again.first_start and again.name.currentText() == "Ola"
    again.pin.setText("0000")
    again.submit()
    qtbot.waitUntil(lambda: "do not match" in again.error.text(), timeout=5000)
    assert again.user is None and again.pin.text() == ""
    again.pin.setText("2580")
    again.submit()
    qtbot.waitUntil(lambda: again.user is not None, timeout=5000)
    assert _actions(empty_db) == ["user_created", "login", "login_failed", "login"]


def test_staff_cannot_reach_the_restricted_views(qtbot: QtBot, shop: Database) -> None:
    owner = create_user(shop, "Ola", "owner", "2580")
    staff = create_user(shop, "Sam", "staff", "1234", by=owner)
    window = MainWindow(shop, user=staff)
    qtbot.addWidget(window)
    names = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    for name in ("Clients", "Revenue", "Six Figure", "Settings"):
        page = window.tabs.widget(names.index(name))
        assert isinstance(page, EmptyState) and "Only the owner" in page.message
    assert window.clients is None and window.revenue is None and window.settings_tab is None
    assert window.six_figure is None
    assert not window.report_action.isEnabled()
    assert window.tabs.widget(names.index("Dashboard")) is window.dashboard
    assert window.tabs.widget(names.index("Imports")).page is None  # built when opened
    assert window.tabs.widget(names.index("Imports")).ensure() is window.imports
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=10_000)
    window.close()

    boss = MainWindow(shop, user=owner)
    qtbot.addWidget(boss)
    assert boss.clients is not None and boss.settings_tab is not None
    assert boss.report_action.isEnabled()
    qtbot.waitUntil(lambda: boss.runner.pending == 0, timeout=10_000)
    boss.close()


def test_imports_and_settings_changes_are_audited(shop: Database) -> None:
    owner = create_user(shop, "Ola", "owner", "2580")
    staff = create_user(shop, "Sam", "staff", "1234", by=owner)
    (report,) = Importer(shop, user_id=staff.user_id).import_files(
        [FIXTURES / "template_week1.csv"]
    )
    assert report.status == "landed"
    entry = audit_log(shop).iloc[0]
    assert (entry["who"], entry["action"]) == ("Sam", "import")
    assert json.loads(entry["detail"])["batch_id"] == report.batch_id

    barbers = config.load_barbers(shop)
    rows = barbers.to_dict(orient="records")
    rows[0] |= {"pay_model": "booth_rent", "booth_rent": "250"}
    assert config.save_barbers(shop, rows, owner) == 2
    saved = config.load_barbers(shop).set_index("id").loc[rows[0]["id"]]
    assert (saved["pay_model"], saved["booth_rent"]) == ("booth_rent", 250.0)
    entry = audit_log(shop).iloc[0]
    assert (entry["who"], entry["action"]) == ("Ola", "settings_changed")
    assert json.loads(entry["detail"])[f"row {rows[0]['id']} pay_model"][1] == "booth_rent"

    # A bad row names itself and nothing is written, not even the good rows before it.
    rows = config.load_barbers(shop).to_dict(orient="records")
    rows[0]["commission_pct"] = "35"
    rows[-1] |= {"pay_model": "hourly", "hourly": "lots"}
    before = config.load_barbers(shop)
    with pytest.raises(InputError, match=rf"Barber row {len(rows)} .*hourly rate"):
        config.save_barbers(shop, rows, owner)
    assert config.load_barbers(shop).equals(before)

    locations = config.load_locations(shop).to_dict(orient="records")
    locations[0] |= {"timezone": "Mars/Olympus"}
    with pytest.raises(InputError, match=r"Location row 1 .*not a time zone"):
        config.save_locations(shop, locations, owner)
    locations[0] |= {"timezone": "America/Chicago", "Sun": "10:00-16:00", "Mon": "closed"}
    config.save_locations(shop, locations, owner)
    with shop.read() as conn:
        zone, hours = conn.execute(
            text("SELECT timezone, opening_hours FROM locations ORDER BY id LIMIT 1")
        ).one()
    hours = json.loads(hours)
    assert zone == "America/Chicago" and hours["6"] == [600, 960] and "0" not in hours


def test_saved_targets_reach_the_engines(shop: Database) -> None:
    from barberbi_desktop.jobs.runner import run_engine
    from barberbi_desktop.storage.results import kpi_values

    owner = create_user(shop, "Ola", "owner", "2580")
    config.save_targets(shop, {("kpi", "utilisation"): "90%", ("methodology",
                        "utilisation"): "80"}, owner)  # fmt: skip
    assert config.kpi_settings(shop).targets["utilisation"] == 0.9
    assert config.methodology_settings(shop).targets == {"utilisation": 0.8}
    run = run_engine(shop, "kpi")
    values = kpi_values(shop, run.run_id)
    assert set(values.loc[values["kpi"] == "utilisation", "target"]) == {0.9}
    with pytest.raises(InputError, match="above zero"):
        config.save_targets(shop, {("kpi", "revenue"): "0"}, owner)


def test_settings_tab_saves_a_barber_and_lists_the_audit(qtbot: QtBot, shop: Database) -> None:
    from PySide6.QtWidgets import QComboBox

    owner = create_user(shop, "Ola", "owner", "2580")
    window = MainWindow(shop, user=owner)
    qtbot.addWidget(window)
    page = window.settings_tab.barbers
    qtbot.waitUntil(lambda: page.table.rowCount() > 0, timeout=10_000)
    # The pay model is chosen from a drop-down the column's delegate opens for editing.
    index = page.table.model().index(0, 3)
    page.table.edit(index)
    editor = page.table.findChild(QComboBox)
    assert editor is not None and editor.count() == 3
    editor.setCurrentText("hourly")
    page.table.itemDelegateForColumn(3).setModelData(editor, page.table.model(), index)
    assert page.table.item(0, 3).text() == "hourly"
    page.table.item(0, 6).setText("28.50")
    page.save()
    qtbot.waitUntil(lambda: page.message.text().startswith("Saved"), timeout=10_000)
    first = config.load_barbers(shop).set_index("id").loc[page.ids[0]]
    assert (first["pay_model"], first["hourly"]) == ("hourly", 28.5)
    users = window.settings_tab.users
    # The log may first show what it read before the save (its page is built as the
    # tab is): wait for the newest entry to be the change.
    def newest() -> str:
        item = users.log.item(0, 1) if users.log.rowCount() else None
        return item.text() if item is not None else ""

    qtbot.waitUntil(lambda: newest().startswith("Ola changed the barbers settings: "),
                    timeout=10_000)  # fmt: skip
    assert "{" not in newest()

    page.table.item(0, 6).setText("")  # an hourly barber without a rate
    page.save()
    qtbot.waitUntil(lambda: page.message.text().startswith("Not saved"), timeout=10_000)
    assert "needs its amount" in page.message.text()
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=10_000)
    window.close()


def test_dark_palette_follows_the_scheme_and_recolours_charts(
    qtbot: QtBot, shop: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    from barberbi_desktop.ui import theme

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    window = MainWindow(shop)
    qtbot.addWidget(window)
    try:
        monkeypatch.setenv("BARBERBI_THEME", "dark")
        assert theme.apply(app) == "dark"
        assert app.palette().window().color().lightness() < 80
        qtbot.waitUntil(
            lambda: all(
                p.backgroundBrush().color().lightness() < 80
                for p in window.findChildren(pg.PlotWidget)
            ),
            timeout=5000,
        )
        monkeypatch.setenv("BARBERBI_THEME", "light")
        assert theme.apply(app) == "light"
        assert app.palette().window().color().lightness() > 180
    finally:
        theme.apply(app, "light")
        qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=10_000)
        window.close()
