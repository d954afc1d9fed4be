"""Wires storage and the UI together; the only module that knows both."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from barberbi_desktop.config import demo_db_path
from barberbi_desktop.storage.db import Database, open_database


def ensure_demo_db(path: Path | None = None) -> Path:
    """The demo shop in the data folder, generated on first use and then reused."""
    from barberbi_desktop.demo.simulate import DemoSpec
    from barberbi_desktop.demo.store import create_demo

    target = path or demo_db_path()
    if target.exists():
        db = open_database(target)
        try:
            from barberbi_desktop.storage.summary import shop_summary

            if not shop_summary(db).is_empty:
                return target
        finally:
            db.dispose()
    print(f"Creating the demo shop in {target} …", file=sys.stderr)
    create_demo(target, DemoSpec(size="shop", seed=7, end=date.today()))
    return target


def run_app(db_arg: str | None, demo: bool = False) -> int:
    from PySide6.QtWidgets import QApplication

    from barberbi_desktop.ui.main_window import MainWindow

    target: str | Path | None = ensure_demo_db() if demo else db_arg
    db: Database = open_database(target)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("BarberBI")
    app.setOrganizationName("BarberBI")
    window = MainWindow(db)
    window.show()
    try:
        return app.exec()
    finally:
        db.dispose()
