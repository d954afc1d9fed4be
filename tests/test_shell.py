"""The window's frame: menus and keys (each entry reuses its twin), Help, the icon."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from barberbi_desktop import __version__
from barberbi_desktop.config import data_dir
from barberbi_desktop.storage.backup import backups_dir
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.users import audit_log, create_user
from barberbi_desktop.ui import shell
from barberbi_desktop.ui.imports_tab import ImportsTab
from barberbi_desktop.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[1]


def _menu(window: MainWindow, title: str) -> list[str]:
    for action in window.menuBar().actions():
        if action.text().replace("&", "") == title and action.menu() is not None:
            return [a.text().replace("&", "") for a in action.menu().actions() if a.text()]
    raise AssertionError(f"no {title} menu")


def _active(qtbot: QtBot, window: MainWindow) -> None:
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)


def test_the_owner_has_file_view_and_help_with_their_keys(
    qtbot: QtBot, empty_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = create_user(empty_db, "Ola", "owner", "2580")
    window = MainWindow(empty_db, user=owner)
    qtbot.addWidget(window)
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert titles == ["File", "View", "Help"]
    assert _menu(window, "File") == ["Import…", "Owner report…", "Back up…", "Quit"]
    assert window.menus.report_action is window.report_action  # the toolbar's own action
    assert _menu(window, "View") == [
        "Dashboard", "Clients", "Revenue", "Six Figure", "Alerts", "Imports", "Settings"
    ]  # fmt: skip
    assert _menu(window, "Help") == ["User guide", "Keyboard shortcuts", "About BarberBI"]
    rows = dict(shell.shortcut_rows(window))
    assert rows["File › Quit"] == "Ctrl+Q" and rows["Help › User guide"] == "F1"
    assert rows["View › Revenue"] == "Ctrl+3" and rows["View › Settings"] == "Ctrl+7"

    _active(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_6, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Imports"
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=5000)

    quits: list[bool] = []
    monkeypatch.setattr(QApplication, "quit", lambda: quits.append(True))
    qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert quits == [True] and not window.isVisible()


def test_staff_menus_offer_only_what_staff_may_open(qtbot: QtBot, empty_db: Database) -> None:
    owner = create_user(empty_db, "Ola", "owner", "2580")
    staff = create_user(empty_db, "Sam", "staff", "1234", by=owner)
    window = MainWindow(empty_db, user=staff)
    qtbot.addWidget(window)
    assert _menu(window, "File") == ["Import…", "Quit"]
    assert window.menus.report_action is None and window.menus.backup_action is None
    assert _menu(window, "View") == ["Dashboard", "Alerts", "Imports"]
    rows = dict(shell.shortcut_rows(window))
    assert rows["View › Alerts"] == "Ctrl+5" and "View › Clients" not in rows
    _active(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 4
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 4  # no key into an owner-only view
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=5000)
    window.close()


def test_import_opens_the_imports_tabs_own_file_picker(
    qtbot: QtBot, empty_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    picked: list[ImportsTab] = []
    monkeypatch.setattr(ImportsTab, "choose_files", lambda tab: picked.append(tab))
    window = MainWindow(empty_db)
    qtbot.addWidget(window)
    window.menus.import_action.trigger()
    assert picked == [window.imports]
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Imports"
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=5000)
    window.close()


def test_back_up_makes_a_backup_on_the_backups_page(qtbot: QtBot, empty_db: Database) -> None:
    owner = create_user(empty_db, "Ola", "owner", "2580")
    window = MainWindow(empty_db, user=owner)
    qtbot.addWidget(window)
    assert window.menus.backup_action is not None
    window.menus.backup_action.trigger()
    settings = window.settings_tab
    assert settings is not None and settings.pages.currentWidget() is settings.backups
    qtbot.waitUntil(lambda: settings.backups.message.text().startswith("Saved"), timeout=10_000)
    made = sorted(backups_dir().glob("*.db"))
    assert len(made) == 1
    assert sorted(audit_log(empty_db).action) == ["backup", "user_created"]
    qtbot.waitUntil(lambda: settings.backups.list.count() == 1, timeout=10_000)
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=5000)
    window.close()


def test_f1_shows_the_user_guide_and_about_says_version_and_folders(
    qtbot: QtBot, empty_db: Database
) -> None:
    window = MainWindow(empty_db)
    qtbot.addWidget(window)
    _active(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_F1)
    guide = window.menus.guide
    assert guide is not None and guide.isVisible()
    text = guide.browser.toPlainText()
    assert text.startswith("BarberBI user guide") and "Owner report" in text
    assert "# " not in text  # rendered as Markdown, not shown as source
    document = guide.browser.document()
    assert shell.fit_pictures(document, shell.GUIDE_PICTURE_WIDTH) == 0  # already fitted
    assert shell.fit_pictures(document, 500) == shell.guide_markdown().count("![")
    about = shell.about_text(window)
    assert __version__ in about and str(empty_db.path) in about and str(data_dir()) in about
    guide.close()
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=5000)
    window.close()


def test_the_packaged_guide_is_docs_user_guide() -> None:
    docs = (ROOT / "docs" / "USER_GUIDE.md").read_text(encoding="utf-8")
    packaged = ROOT / "barberbi_desktop" / "resources" / "USER_GUIDE.md"
    assert packaged.read_text(encoding="utf-8") == docs, (
        "copy docs/USER_GUIDE.md to barberbi_desktop/resources/USER_GUIDE.md"
    )


def test_an_installed_guide_drops_pictures_it_does_not_have(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert "![Dashboard](screenshots/01-dashboard.png)" in shell.guide_markdown()
    monkeypatch.setattr(shell, "DOCS", tmp_path)  # no docs folder beside the package
    text = shell.guide_markdown()
    assert "![" not in text and "## Dashboard" in text


def test_every_window_gets_the_icon_and_the_desktop_file_name(qtbot: QtBot) -> None:
    icon = shell.app_icon()
    assert not icon.isNull()
    assert {s.width() for s in icon.availableSizes()} == set(shell.ICON_SIZES)
    assert icon.pixmap(QSize(48, 48)).width() == 48
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    shell.set_identity(app)
    assert not app.windowIcon().isNull()
    assert QGuiApplication.desktopFileName() == "barberbi"
