"""Wires storage and the UI together; the only module that knows both."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from barberbi_desktop.config import demo_db_path, resolve_db
from barberbi_desktop.storage.db import Database, open_database, sqlite_path

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from barberbi_desktop.ui.live import LiveUpdates
    from barberbi_desktop.ui.main_window import MainWindow
    from barberbi_desktop.ui.single_instance import SingleInstance

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication


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
    """The app, unless it is already open on this database (then that window comes
    forward and this start exits 0; see ui/single_instance.py)."""
    from PySide6.QtWidgets import QApplication

    from barberbi_desktop.ui.shell import set_identity
    from barberbi_desktop.ui.single_instance import SingleInstance, server_name

    if QApplication.instance() is None:  # Qt aborts, uncatchable, when no plugin loads
        from barberbi_desktop.errors import InputError
        from barberbi_desktop.platform import display_problem

        problem = display_problem()
        if problem is not None:
            raise InputError(problem)
    target: str | Path | None = demo_db_path() if demo else db_arg
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("BarberBI")
    app.setOrganizationName("BarberBI")
    set_identity(app)  # the icon on every window, dialogs too; barberbi.desktop on Linux
    # Before anything touches the shop: a second copy would sweep the first one's
    # running results as interrupted and run every job a second time.
    instance = SingleInstance(server_name(target))
    if not instance.claim():
        url = resolve_db(target)
        print(f"BarberBI is already open on {sqlite_path(url) or url}; "
              "brought its window forward.", file=sys.stderr)  # fmt: skip
        return 0
    from barberbi_desktop.ui.opening import CREATING_DEMO, in_background

    try:
        if demo:
            target = in_background(CREATING_DEMO, lambda: ensure_demo_db(demo_db_path()))
        return _run(app, instance, target, demo)
    finally:
        instance.close()


def _run(app: QApplication, instance: SingleInstance, target: str | Path | None,
         demo: bool) -> int:
    from barberbi_desktop.alerts.notify import DbusNotifier, NotificationManager
    from barberbi_desktop.events import EventHub
    from barberbi_desktop.jobs import imports as helper_imports
    from barberbi_desktop.jobs.scheduler import ShopScheduler
    from barberbi_desktop.storage.results import mark_interrupted_runs
    from barberbi_desktop.storage.shop_config import load_schedule
    from barberbi_desktop.ui.bridge import HubBridge
    from barberbi_desktop.ui.live import LiveUpdates
    from barberbi_desktop.ui.login import LoginDialog
    from barberbi_desktop.ui.main_window import MainWindow
    from barberbi_desktop.ui.opening import OPENING, in_background
    from barberbi_desktop.ui.theme import follow_system
    from barberbi_desktop.ui.tray import TraySink

    db: Database = in_background(OPENING, lambda: open_database(target))
    mark_interrupted_runs(db)  # what a killed or crashed run left "running"
    follow_system(app)  # light or dark, as the desktop is (BARBERBI_THEME overrides)
    login = LoginDialog(db)  # the owner's account on first start, then name and PIN
    if login.exec() != LoginDialog.DialogCode.Accepted or login.user is None:
        db.dispose()
        return 0
    hub = EventHub()
    bridge = HubBridge(hub)
    window = MainWindow(db, bridge=bridge, hub=hub, user=login.user)
    instance.window = window  # a later start brings this window forward
    # Desktop notifications: the tray where there is one, else the freedesktop service.
    sink = TraySink(window) if TraySink.available() else DbusNotifier()
    notifications = NotificationManager(  # from the owner's alert rules
        db, hub, [sink], location_id=login.user.location_scope
    )
    schedule = load_schedule(db)  # Settings > Schedules; a change applies at the next start
    scheduler = ShopScheduler(
        db,
        hub,
        kpi_every_s=schedule["kpi_every_s"],
        debounce_s=schedule["debounce_s"],
        nightly_hour=schedule["nightly_hour"],
        engines_in_process=True,
    )
    scheduler.start()
    scheduler.refresh_now()
    live = None
    if db.is_postgres:  # other computers' changes, results and alerts, within 2 s
        live = LiveUpdates(db, hub, window)
        live.status.connect(lambda sentence: _say_live(window, live, sentence))
        live.start()
    window.show()
    try:
        code = app.exec()
    finally:
        if live is not None:
            live.close()
        scheduler.shutdown()
        helper_imports.shutdown()
        notifications.close()
        bridge.close()
        path = db.path if db.path is not None else db.engine.url.render_as_string(False)
        db.dispose()
        if window.restore_path is not None:  # Settings > Backups
            _restore_after_close(path, window.restore_path)
    if window.open_demo and not demo:  # the welcome page's "Open the demo shop"
        return _reopen_on_demo(app)
    return code


def _say_live(window: MainWindow, live: LiveUpdates, sentence: str) -> None:
    """A lost server stays said until it is back; "connected again" goes after 10 s."""
    window.statusBar().showMessage(sentence, 0 if live.listener is None else 10_000)


def _reopen_on_demo(app: QApplication) -> int:
    """The same process opens the demo shop: no second program to find or start (a
    packaged app has no `python -m`), and this shop is already closed, untouched."""
    return run_app(None, demo=True)  # which makes the demo, once, off the GUI thread


def restore_after_close(path: Path | str, backup: Path) -> tuple[bool, str]:
    """Restore once this process has let go of the shop; returns whether it was restored
    and the one sentence to tell the owner.

    The frame reader is stopped first: the restore is refused while any program,
    this one's helpers included, still has the file open."""
    from barberbi_desktop.errors import InputError
    from barberbi_desktop.storage.backup import restore_backup
    from barberbi_desktop.storage.frames import shutdown_reader

    shutdown_reader()
    try:
        restored = restore_backup(path, backup)
    except InputError as exc:
        return False, str(exc)
    return True, f"Restored {backup} into {restored}; open BarberBI again."


def _restore_after_close(path: Path | str, backup: Path) -> None:
    from PySide6.QtWidgets import QMessageBox

    restored, message = restore_after_close(path, backup)
    print(message, file=sys.stdout if restored else sys.stderr)
    show = QMessageBox.information if restored else QMessageBox.warning
    show(None, "Restore a backup", message)
