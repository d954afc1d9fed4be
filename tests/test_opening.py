"""Opening the shop before the window: off the GUI thread, behind a dialog only when slow."""

from __future__ import annotations

import itertools
import threading
import time

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QProgressDialog
from pytestqt.qtbot import QtBot

from barberbi_desktop.errors import InputError
from barberbi_desktop.ui import opening


def _dialogs() -> list[QProgressDialog]:
    return [w for w in QApplication.topLevelWidgets()
            if isinstance(w, QProgressDialog) and w.isVisible()]  # fmt: skip


def test_slow_work_shows_the_dialog_and_the_event_loop_keeps_turning(qtbot: QtBot) -> None:
    ticks: list[float] = []
    seen: list[int] = []
    clock = QTimer(interval=20)
    clock.timeout.connect(lambda: (ticks.append(time.monotonic()), seen.append(len(_dialogs()))))
    clock.start()
    gui = threading.get_ident()

    def work() -> int:
        time.sleep(0.9)
        return threading.get_ident()

    worker = opening.in_background(opening.OPENING, work)
    clock.stop()
    assert worker != gui  # the work ran on a thread of its own
    # A blocked GUI thread would show one gap of the whole 0.9 s; a busy CI box may
    # delay a tick, never hold it that long.
    assert len(ticks) > 10 and max(b - a for a, b in itertools.pairwise(ticks)) < 0.5
    assert max(seen) == 1 and seen[0] == 0  # shown only once it was slow
    assert _dialogs() == []  # and gone afterwards


def test_quick_work_shows_nothing_and_errors_reach_the_caller(qtbot: QtBot) -> None:
    seen: list[int] = []
    probe = QTimer(interval=10)
    probe.timeout.connect(lambda: seen.append(len(_dialogs())))
    probe.start()
    assert opening.in_background(opening.OPENING, lambda: 42) == 42
    probe.stop()
    assert not any(seen)

    def refuse() -> None:
        raise InputError("shop.db is newer than this BarberBI.")

    with pytest.raises(InputError, match="newer than this BarberBI"):
        opening.in_background(opening.OPENING, refuse)
    assert _dialogs() == []
