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

    from barberbi_desktop.alerts.notify import DbusNotifier, NotificationManager
    from barberbi_desktop.events import EventHub
    from barberbi_desktop.jobs.scheduler import ShopScheduler
    from barberbi_desktop.ui.bridge import HubBridge
    from barberbi_desktop.ui.main_window import MainWindow
    from barberbi_desktop.ui.tray import TraySink

    target: str | Path | None = ensure_demo_db() if demo else db_arg
    db: Database = open_database(target)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("BarberBI")
    app.setOrganizationName("BarberBI")
    hub = EventHub()
    bridge = HubBridge(hub)
    window = MainWindow(db, bridge=bridge, hub=hub)
    # Desktop notifications: the tray where there is one, else the freedesktop service.
    sink = TraySink(window) if TraySink.available() else DbusNotifier()
    notifications = NotificationManager(db, hub, [sink], min_priority="high")
    scheduler = ShopScheduler(db, hub, engines_in_process=True)
    scheduler.start()
    scheduler.refresh_now()
    window.show()
    try:
        return app.exec()
    finally:
        scheduler.shutdown()
        notifications.close()
        bridge.close()
        db.dispose()
