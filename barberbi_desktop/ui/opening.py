"""Work that must finish before the window exists (opening the shop, which may upgrade
and back it up first; making the demo shop), done off the GUI thread behind a small
"please wait" dialog.

Before this, an upgrade of a chain's server (a ``pg_dump`` and the rewrite of its big
tables: 51 s on the chain) or the demo's first creation (about 10 s) ran with no
window at all: the owner saw nothing happen and started the app again. The dialog
appears only when the work takes longer than `SHOW_AFTER_MS`, so a normal start shows
nothing extra.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QProgressDialog

from barberbi_desktop.ui.tasks import TaskRunner

T = TypeVar("T")
SHOW_AFTER_MS = 400
OPENING = (
    "Opening the shop…\n\nIf this version of BarberBI needs to upgrade the shop's data, "
    "it makes a backup copy first; on a big shop that takes a minute or two."
)
CREATING_DEMO = "Creating the demo shop (once; about ten seconds)…"


def in_background(text: str, work: Callable[[], T]) -> T:
    """Run ``work`` on the app's task pool while a nested event loop keeps turning, and
    return its result (or raise its exception) here, on the GUI thread."""
    done: dict[str, Any] = {}
    loop = QEventLoop()

    def finished(key: str, value: object) -> None:
        done[key] = value
        loop.quit()

    dialog = QProgressDialog(text, "", 0, 0)
    dialog.setWindowTitle("BarberBI")
    dialog.setCancelButton(None)  # the work cannot be stopped half-way safely
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(0)
    dialog.reset()  # a new QProgressDialog shows itself; only a slow start should
    shown = QTimer(singleShot=True, interval=SHOW_AFTER_MS)
    shown.timeout.connect(dialog.show)
    runner = TaskRunner(max_threads=1)
    runner.run(work, lambda result: finished("result", result),
               lambda exc: finished("error", exc))  # fmt: skip
    shown.start()
    if not done:  # a callback can only come from the loop, but be sure
        loop.exec()
    shown.stop()
    dialog.close()
    dialog.deleteLater()
    runner.deleteLater()
    if "error" in done:
        raise done["error"]
    return done["result"]  # type: ignore[no-any-return]
