"""What a view with a kept picture shows, and what Qt alone would show."""

from __future__ import annotations

from PySide6.QtGui import QImage

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
