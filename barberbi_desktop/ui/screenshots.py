"""`barberbi screenshots`: the main window offscreen, one PNG per tab.

Reads stored results only (nothing is recomputed), waits for every tab's
background load, then grabs each tab as a shop owner would see it.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from barberbi_desktop.storage.db import open_database


def take_screenshots(
    db_arg: str | None, out: Path, size: tuple[int, int] = (1280, 860)
) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from barberbi_desktop.ui.lazy_page import LazyPage
    from barberbi_desktop.ui.main_window import MainWindow
    from barberbi_desktop.ui.theme import apply as apply_theme

    app = QApplication.instance() or QApplication(["barberbi"])
    apply_theme(app)  # light, or dark with BARBERBI_THEME=dark
    db = open_database(db_arg, create=False)
    out.mkdir(parents=True, exist_ok=True)
    window = MainWindow(db)
    window.resize(*size)
    window.show()
    saved = []
    try:
        window.runner.settle(60_000)
        app.processEvents()
        if window.welcome is not None:  # a shop with no visits opens on the welcome page
            window.runner.settle(60_000)
            for _ in range(25):
                app.processEvents()
                time.sleep(0.01)
            path = out / "00-welcome.png"
            window.grab().save(str(path))
            saved.append(path)
            window.leave_welcome()
        for index in range(window.tabs.count()):
            window.tabs.setCurrentIndex(index)
            page = window.tabs.widget(index)
            if isinstance(page, LazyPage):
                page.ensure()  # build it now, not on the next turn, and read its results
            window.runner.settle(60_000)
            for _ in range(25):  # tables are sized one per event-loop turn
                app.processEvents()
                time.sleep(0.01)
            name = re.sub(r"[^a-z0-9]+", "-", window.tabs.tabText(index).lower()).strip("-")
            name = re.sub(r"-\d+$", "", name)  # "alerts-3" -> "alerts"
            path = out / f"{index + 1:02d}-{name}.png"
            window.grab().save(str(path))
            saved.append(path)
    finally:
        window.close()
        window.runner.settle(10_000)
        db.dispose()
    return saved
