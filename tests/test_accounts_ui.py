"""The login dialog's focus and lock-out countdown, and the Settings accounts page."""

from __future__ import annotations

import time

import pytest
from pytestqt.qtbot import QtBot

from barberbi_desktop.errors import InputError
from barberbi_desktop.storage.accounts import list_accounts, locked_for
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.users import audit_log, create_user, log_in
from barberbi_desktop.ui.login import LoginDialog
from barberbi_desktop.ui.settings_tab import SettingsTab
from barberbi_desktop.ui.tasks import TaskRunner


def test_first_start_puts_the_cursor_in_the_name_box(qtbot: QtBot, empty_db: Database) -> None:
    dialog = LoginDialog(empty_db)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.focusWidget() is dialog.name, timeout=3000)
    dialog.focusNextChild()  # Tab
    qtbot.waitUntil(lambda: dialog.focusWidget() is dialog.pin, timeout=3000)
    dialog.focusNextChild()
    qtbot.waitUntil(lambda: dialog.focusWidget() is dialog.confirm, timeout=3000)
    dialog.close()


def test_a_locked_account_sees_the_time_left_and_cannot_press_ok(
    qtbot: QtBot, empty_db: Database
) -> None:
    owner = create_user(empty_db, "Ola", "owner", "2580")
    create_user(empty_db, "Sam", "staff", "1234", by=owner)
    for _ in range(4):
        with pytest.raises(InputError):
            log_in(empty_db, "Sam", "0000")
    dialog = LoginDialog(empty_db)
    qtbot.addWidget(dialog)
    dialog.name.setCurrentText("Sam")
    dialog.pin.setText("0000")
    dialog.submit()  # the fifth wrong PIN
    qtbot.waitUntil(lambda: dialog.countdown.isActive(), timeout=5000)
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert not ok.isEnabled() and "try again in 30 seconds" in dialog.error.text()
    dialog.locked_until = time.monotonic() + 4.2  # as if 26 seconds had passed
    dialog._tick()
    assert dialog.error.text() == "Too many wrong PINs for Sam: try again in 5 seconds."
    dialog.name.setCurrentText("Ola")  # another account is not locked
    assert ok.isEnabled() and not dialog.countdown.isActive()
    assert locked_for(empty_db, "Sam") > 20
    qtbot.waitUntil(lambda: dialog.runner.pending == 0, timeout=5000)


def _tab(qtbot: QtBot, db: Database, user: object) -> SettingsTab:
    runner = TaskRunner()
    tab = SettingsTab(db, runner, user)  # type: ignore[arg-type]
    qtbot.addWidget(tab)
    qtbot.waitUntil(lambda: tab.users.users.count() > 0, timeout=10_000)
    return tab


def _saved(qtbot: QtBot, tab: SettingsTab) -> str:
    page = tab.users
    qtbot.waitUntil(lambda: page.message.text() not in ("", "Saving…"), timeout=10_000)
    said = page.message.text()
    page.message.setText("")
    return said


def test_the_owner_manages_accounts_from_settings(qtbot: QtBot, shop: Database) -> None:
    owner = create_user(shop, "Ola", "owner", "2580")
    tab = _tab(qtbot, shop, owner)
    page = tab.users
    page.add_staff("Sam", "1234")
    assert _saved(qtbot, tab).startswith("Saved")
    qtbot.waitUntil(lambda: page.users.count() == 2, timeout=10_000)
    sam = next(u for u in list_accounts(shop) if u.name == "Sam")

    page.users.setCurrentRow(0)  # the owner: no reset of one's own PIN
    assert page.selected().name == "Ola" and not page.reset_button.isEnabled()
    page.users.setCurrentRow(1)
    assert page.reset_button.isEnabled() and page.active_button.text() == "Disable"

    page.reset_pin(sam, "4321")
    assert _saved(qtbot, tab).startswith("Saved")
    assert log_in(shop, "Sam", "4321").name == "Sam"

    page.set_active(sam, False)
    assert _saved(qtbot, tab).startswith("Saved")
    qtbot.waitUntil(lambda: page.users.item(1).text() == "Sam (staff, disabled)", timeout=10_000)
    page.users.setCurrentRow(1)
    assert page.active_button.text() == "Enable"

    page.set_active(owner, False)
    said = _saved(qtbot, tab)
    assert said.startswith("Not saved: Ola is the only owner")

    page.change_pin("1111", "7777")
    assert "do not match" in _saved(qtbot, tab)
    page.change_pin("2580", "7777")
    assert _saved(qtbot, tab).startswith("Saved")
    assert log_in(shop, "Ola", "7777").is_owner

    page.remove(sam)
    assert _saved(qtbot, tab).startswith("Saved")
    qtbot.waitUntil(lambda: page.users.count() == 1, timeout=10_000)
    qtbot.waitUntil(lambda: page.log.rowCount() >= 8, timeout=10_000)
    log = [page.log.item(r, 1).text() for r in range(page.log.rowCount())]
    assert log[0] == "Ola removed the account Sam."
    assert "Ola reset the PIN of Sam." in log and "Ola changed their PIN." in log
    assert all("{" not in said for said in log)
    assert set(audit_log(shop)["action"]) >= {"pin_reset", "user_disabled", "pin_changed"}
    qtbot.waitUntil(lambda: tab.runner.pending == 0, timeout=10_000)


def test_staff_may_change_only_their_own_pin(qtbot: QtBot, empty_db: Database) -> None:
    owner = create_user(empty_db, "Ola", "owner", "2580")
    sam = create_user(empty_db, "Sam", "staff", "1234", by=owner)
    tab = _tab(qtbot, empty_db, sam)
    page = tab.users
    page.users.setCurrentRow(0)
    assert page.change_button.isEnabled()
    assert not any(
        b.isEnabled()
        for b in (page.save_button, page.reset_button, page.active_button, page.remove_button)
    )
    page.set_active(owner, False)  # even if called, the storage refuses
    assert "Only the owner" in _saved(qtbot, tab)
    qtbot.waitUntil(lambda: tab.runner.pending == 0, timeout=10_000)


def test_staff_change_their_pin_at_login(qtbot: QtBot, empty_db: Database) -> None:
    owner = create_user(empty_db, "Ola", "owner", "2580")
    create_user(empty_db, "Sam", "staff", "1234", by=owner)
    dialog = LoginDialog(empty_db)
    qtbot.addWidget(dialog)
    assert not dialog.form.isRowVisible(dialog.new_pin)
    dialog.show_change_pin()
    dialog.name.setCurrentText("Sam")
    dialog.pin.setText("1234")
    dialog.new_pin.setText("5678")
    dialog.new_again.setText("5679")
    dialog.submit()
    assert "new PINs differ" in dialog.error.text()
    dialog.new_again.setText("5678")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.user is not None, timeout=5000)
    assert dialog.user.name == "Sam"
    assert log_in(empty_db, "Sam", "5678").name == "Sam"
    with pytest.raises(InputError, match="do not match"):
        log_in(empty_db, "Sam", "1234")
    assert "pin_changed" in set(audit_log(empty_db)["action"])
