"""Word-wrapped labels remember their height per width, and never a stale one."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from barberbi_desktop.ui.theme import WrapLabel


def test_a_wrapping_label_answers_as_qt_would_after_new_text_and_font(qtbot: QtBot) -> None:
    label = WrapLabel("Today: $1,234 so far; a usual Tuesday has $900 to $1,500 by now.")
    qtbot.addWidget(label)
    short = label.heightForWidth(120)
    assert short == QLabel.heightForWidth(label, 120) and label.heightForWidth(120) == short
    label.setText(label.text() * 4)  # more lines at the same width
    assert label.heightForWidth(120) == QLabel.heightForWidth(label, 120) > short
    font = label.font()
    font.setPixelSize(30)
    label.setFont(font)
    assert label.heightForWidth(120) == QLabel.heightForWidth(label, 120)
    assert label.heightForWidth(600) == QLabel.heightForWidth(label, 600)
