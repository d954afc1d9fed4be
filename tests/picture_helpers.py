"""What a view with a kept picture shows, and what Qt alone would show."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QTabWidget
from pytestqt.qtbot import QtBot

from barberbi_desktop.ui.kept_picture import KeptPicture


def shown_image(view: KeptPicture) -> QImage:
    """What a paint of the whole view puts on screen (the kept picture, if any)."""
    return view.viewport().grab().toImage()  # type: ignore[attr-defined]


def true_image(view: KeptPicture) -> QImage:
    """The contents painted for real, as Qt alone would show them."""
    view._taking = True
    try:
        return view.viewport().grab().toImage()  # type: ignore[attr-defined]
    finally:
        view._taking = False


def change_while_hidden_is_shown(
    qtbot: QtBot, tabs: QTabWidget, view: KeptPicture, change: Callable[[], None]
) -> None:
    """Switch away, make the change (as when results land), switch back: the view must
    show it, and show what Qt alone would."""
    before = shown_image(view)
    tabs.setCurrentIndex(1)
    qtbot.wait(30)
    change()
    tabs.setCurrentIndex(0)
    qtbot.wait(80)
    after = shown_image(view)
    assert after != before  # the change is visible, so a stale picture would fail here
    assert after == true_image(view)
