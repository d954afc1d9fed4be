"""The window's frame: the app icon, the menu bar and the Help dialogs.

Every menu entry reuses what the window already does (the toolbar's report action,
the Imports tab's file picker, the Backups page's "Make a backup now"), so a menu
and its twin cannot drift apart. An account sees only the entries it may use
(`User.may`): a staff account's menus have no Owner report, Back up or owner-only
views, rather than entries that refuse when chosen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import (
    QAction,
    QGuiApplication,
    QIcon,
    QKeySequence,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QMessageBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from barberbi_desktop import __version__
from barberbi_desktop.config import data_dir

if TYPE_CHECKING:
    from barberbi_desktop.ui.main_window import MainWindow

ICON_SIZES = (16, 32, 48, 64, 128, 256)
# The guide's pictures live beside it in a source checkout; an installed app has none.
DOCS = Path(__file__).resolve().parents[2] / "docs"
GUIDE_PICTURE_WIDTH = 720
_IMAGE = re.compile(r"^!\[[^\]]*\]\(([^)]+)\)\s*$")


def app_icon() -> QIcon:
    """The barber-pole icon at every packaged size (Qt picks the nearest per use)."""
    folder = resources.files("barberbi_desktop.resources") / "icons"
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addFile(str(folder / f"barberbi-{size}.png"), QSize(size, size))
    return icon


def set_identity(app: QApplication) -> None:
    """Give every window (dialogs too) the icon, and tie the windows to barberbi.desktop
    so a Linux desktop shows the installed launcher's icon and name in its task list."""
    app.setWindowIcon(app_icon())
    QGuiApplication.setDesktopFileName("barberbi")


@dataclass
class Menus:
    """The menu bar's actions, kept so tests and the shortcuts list can reach them."""

    import_action: QAction
    report_action: QAction | None  # None: this account may not write the report
    backup_action: QAction | None  # None: this account may not open Settings
    quit_action: QAction
    view_actions: dict[str, QAction] = field(default_factory=dict)
    guide_action: QAction | None = None
    shortcuts_action: QAction | None = None
    about_action: QAction | None = None
    guide: GuideDialog | None = None  # made on the first F1, then shown again


def build_menus(window: MainWindow, tabs: tuple[str, ...], areas: dict[str, str]) -> Menus:
    """File, View and Help; ``tabs`` are the tab names in order, ``areas`` the
    owner-only ones (an entry for them only when the account may open them)."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    import_action = file_menu.addAction("&Import…")
    import_action.setToolTip("Import booking exports (the Imports tab's Import files…)")
    import_action.triggered.connect(lambda: choose_import(window))
    report_action = backup_action = None
    if window.may("report"):
        report_action = window.report_action  # the toolbar's own action
        file_menu.addAction(report_action)
    if window.may("settings"):
        backup_action = file_menu.addAction("&Back up…")
        backup_action.triggered.connect(lambda: back_up(window))
    file_menu.addSeparator()
    quit_action = file_menu.addAction("&Quit")
    quit_action.setShortcut(QKeySequence("Ctrl+Q"))  # the standard key is empty on Windows
    quit_action.setMenuRole(QAction.MenuRole.QuitRole)
    quit_action.triggered.connect(lambda: quit_app(window))
    menus = Menus(import_action, report_action, backup_action, quit_action)

    view_menu = bar.addMenu("&View")
    for index, name in enumerate(tabs):
        if name in areas and not window.may(areas[name]):
            continue  # the tab stays (it says why it is closed); the menu offers only what opens
        action = view_menu.addAction(name)
        action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
        action.triggered.connect(lambda _=False, i=index: window.tabs.setCurrentIndex(i))
        menus.view_actions[name] = action

    help_menu = bar.addMenu("&Help")
    menus.guide_action = help_menu.addAction("&User guide")
    menus.guide_action.setShortcut(QKeySequence("F1"))
    menus.guide_action.triggered.connect(lambda: show_guide(window))
    menus.shortcuts_action = help_menu.addAction("&Keyboard shortcuts")
    menus.shortcuts_action.triggered.connect(lambda: show_shortcuts(window))
    help_menu.addSeparator()
    menus.about_action = help_menu.addAction("&About BarberBI")
    menus.about_action.setMenuRole(QAction.MenuRole.AboutRole)
    menus.about_action.triggered.connect(lambda: show_about(window))
    return menus


def choose_import(window: MainWindow) -> None:
    """What the Imports tab's Import files… does, with that tab in front for the result."""
    imports = window.imports
    window.tabs.setCurrentIndex(window.tabs.indexOf(_tab_page(window, "Imports")))
    imports.choose_files()


def back_up(window: MainWindow) -> None:
    """Settings > Backups' "Make a backup now", with that page in front: the new
    backup appears in its list and its message says it was saved (or why not)."""
    settings = window.settings_tab
    if settings is None:  # never offered to this account; a stray trigger does nothing
        return
    window.tabs.setCurrentIndex(window.tabs.indexOf(_tab_page(window, "Settings")))
    settings.pages.setCurrentWidget(settings.backups)
    settings.backups.save()


def _tab_page(window: MainWindow, name: str) -> QWidget:
    """The widget in the tab bar for ``name`` (a lazy page's holder, not the page)."""
    for index in range(window.tabs.count()):
        if window.tabs.tabText(index).split(" (")[0] == name:
            return window.tabs.widget(index)
    raise KeyError(name)


def quit_app(window: MainWindow) -> None:
    """Close the window (it saves the view and finishes its tasks), then leave the app,
    even if a Help window is still open."""
    window.close()
    QApplication.quit()


def guide_markdown() -> str:
    """The user guide as shipped in the package (the same text as docs/USER_GUIDE.md).

    A picture stays only where its file is at hand (a source checkout); an installed
    app drops the picture lines rather than showing broken images."""
    text = (resources.files("barberbi_desktop.resources") / "USER_GUIDE.md").read_text(
        encoding="utf-8"
    )
    lines = []
    for line in text.splitlines():
        match = _IMAGE.match(line)
        if match and not (DOCS / match.group(1)).is_file():
            continue
        lines.append(line)
    return "\n".join(lines) + "\n"


def fit_pictures(document: QTextDocument, width: int) -> int:
    """Shrink every picture to ``width`` px (the screenshots are 1280 px wide; at that
    size the guide scrolls sideways). Returns how many were resized."""
    resized = 0
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            image = fragment.charFormat().toImageFormat()
            if fragment.charFormat().isImageFormat() and image.width() != width:
                image.setWidth(width)  # the height follows, keeping the aspect ratio
                cursor = QTextCursor(document)
                cursor.setPosition(fragment.position())
                cursor.setPosition(
                    fragment.position() + fragment.length(), QTextCursor.MoveMode.KeepAnchor
                )
                cursor.setCharFormat(image)
                resized += 1
            it += 1
        block = block.next()
    return resized


class GuideDialog(QDialog):
    """The user guide, rendered; non-modal so it can stay open beside the window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("BarberBI user guide")
        self.resize(820, 700)
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setSearchPaths([str(DOCS)])
        self.browser.setMarkdown(guide_markdown())
        fit_pictures(self.browser.document(), GUIDE_PICTURE_WIDTH)
        layout.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)


def show_guide(window: MainWindow) -> GuideDialog:
    dialog = window.menus.guide
    if dialog is None:
        dialog = window.menus.guide = GuideDialog(window)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def shortcut_rows(window: MainWindow) -> list[tuple[str, str]]:
    """(what, keys) for every menu entry with a key, read from the menus themselves,
    so the list cannot disagree with what the keys do."""
    rows = []
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        if menu is None:
            continue
        for action in menu.actions():
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if keys and action.isVisible():
                what = action.text().replace("&", "").rstrip("…")
                rows.append((f"{menu_action.text().replace('&', '')} › {what}", keys))
    return rows


def show_shortcuts(window: MainWindow) -> QMessageBox:
    rows = "".join(
        f"<tr><td>{escape(what)}</td><td>&nbsp;&nbsp;<b>{escape(keys)}</b></td></tr>"
        for what, keys in shortcut_rows(window)
    )
    box = QMessageBox(
        QMessageBox.Icon.NoIcon,
        "Keyboard shortcuts",
        f"<table>{rows}</table>",
        QMessageBox.StandardButton.Close,
        window,
    )
    box.open()
    return box


def about_text(window: MainWindow) -> str:
    db = window.db.path or window.db.url
    return (
        f"<h3>BarberBI {escape(__version__)}</h3>"
        "<p>Business intelligence for barbershops, on your own computer.</p>"
        f"<p>Database: {escape(str(db))}<br>Data folder (backups, demo shop): "
        f"{escape(str(data_dir()))}</p>"
    )


def show_about(window: MainWindow) -> QMessageBox:
    box = QMessageBox(
        QMessageBox.Icon.NoIcon,
        "About BarberBI",
        about_text(window),
        QMessageBox.StandardButton.Close,
        window,
    )
    box.setIconPixmap(app_icon().pixmap(64, 64))
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # copy the path
    box.open()
    return box
