"""The main window: the tab bar, honest empty states and a status line.

Only the Dashboard and Alerts are built at start-up; every other tab is built
(and reads its results) the first time it is opened, so the window appears
quickly and opening it does not run seven queries at once on a busy machine.
Nothing here queries the database on the GUI thread: the status line is
filled by a task.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QVBoxLayout,
    QWidget,
)

from barberbi_desktop.events import EventHub
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.summary import ShopSummary, shop_summary
from barberbi_desktop.storage.users import User, audit
from barberbi_desktop.ui.alerts_tab import AlertsTab
from barberbi_desktop.ui.bridge import HubBridge
from barberbi_desktop.ui.dashboard import DashboardTab
from barberbi_desktop.ui.lazy_page import LazyPage, build_when_opened
from barberbi_desktop.ui.shell import build_menus
from barberbi_desktop.ui.tasks import TaskRunner
from barberbi_desktop.ui.theme import SteadyTabs, WrapLabel

if TYPE_CHECKING:
    from barberbi_desktop.ui.clients_tab import ClientsTab
    from barberbi_desktop.ui.imports_tab import ImportsTab
    from barberbi_desktop.ui.revenue_tab import RevenueTab
    from barberbi_desktop.ui.settings_tab import SettingsTab
    from barberbi_desktop.ui.six_figure_tab import SixFigureTab
    from barberbi_desktop.ui.welcome import WelcomePage

TABS: tuple[tuple[str, str, str], ...] = (
    ("Dashboard", "Live KPIs and business health", ""),
    ("Clients", "Client value, churn risk and segments", ""),
    ("Revenue", "Capacity, pricing, upsell and pay models", ""),
    ("Six Figure", "Six Figure Barber methodology", ""),
    ("Alerts", "Alerts and notifications", ""),
    ("Imports", "Booking-export imports", ""),
    ("Settings", "What your data can tell, shop, barbers, targets and backups", ""),
)
# Tab -> the area a staff account may not open (storage.users.OWNER_ONLY).
AREAS = {"Clients": "clients", "Revenue": "revenue", "Six Figure": "six_figure",
         "Settings": "settings"}  # fmt: skip


class EmptyState(QWidget):
    """What a tab shows when it has nothing real to show, and why."""

    def __init__(self, title: str, message: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        heading = QLabel(f"<h2>{title}</h2>")
        body = WrapLabel(message)
        for label in (heading, body):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(label)
        layout.addStretch(2)
        self.message = message


# Tabs built when first opened: (module in barberbi_desktop.ui, class).
LAZY_TABS = {
    "Clients": ("clients_tab", "ClientsTab"),
    "Revenue": ("revenue_tab", "RevenueTab"),
    "Six Figure": ("six_figure_tab", "SixFigureTab"),
    "Imports": ("imports_tab", "ImportsTab"),
    "Settings": ("settings_tab", "SettingsTab"),
}


def warm_up() -> None:
    """Import the code of the tabs not yet opened, on a worker, once the window is up.

    Importing them at start-up would delay the window; importing them when a tab is
    first clicked made that click stall (tens of milliseconds, more while the import
    lock is held by a loader importing the same modules). Afterwards the window calls
    ``gc.freeze()``: the ~150,000 objects of the imported libraries then sit outside
    the collector, whose full collections otherwise took 85-130 ms with the GIL held
    (a stall of the GUI thread, whichever thread triggered it); now they take under 1 ms.
    """
    for module, _ in LAZY_TABS.values():
        importlib.import_module(f"barberbi_desktop.ui.{module}")
    importlib.import_module("barberbi_desktop.storage.frames")  # client scores read as Arrow


class MainWindow(QMainWindow):
    def __init__(
        self,
        db: Database,
        runner: TaskRunner | None = None,
        bridge: HubBridge | None = None,
        settings: QSettings | None = None,
        hub: EventHub | None = None,
        user: User | None = None,
    ) -> None:
        super().__init__()
        self.db, self.hub = db, hub
        # None: no login (screenshots, tests); the app always logs someone in first.
        self.user = user
        self.restore_path: Path | None = None
        self.open_demo = False  # the welcome page asked for the demo shop (see app.py)
        self.welcome: WelcomePage | None = None
        self.welcome_left = False
        self.runner = runner or TaskRunner(self)
        self.summary: ShopSummary | None = None
        self.setWindowTitle("BarberBI")
        self.resize(1200, 800)
        self.tabs = SteadyTabs()
        self.tabs.setDocumentMode(True)
        self.dashboard = DashboardTab(db, self.runner, user)
        self.alerts = AlertsTab(db, self.runner, user)
        # Restricted views are never built for staff: their data is not even read.
        self._lazy = {
            name: LazyPage(lambda name=name: self._build(name))
            for name in LAZY_TABS
            if name not in AREAS or self.may(AREAS[name])
        }
        pages: dict[str, QWidget] = {"Dashboard": self.dashboard, "Alerts": self.alerts}
        for name, title, _ in TABS:
            page = pages.get(name, self._lazy.get(name))
            if page is None:  # a view this account may not open
                page = EmptyState(
                    title,
                    "Only the owner can open this view (it shows client money, pay or shop "
                    "settings). Log in with the owner's account to see it.",
                )
            self.tabs.addTab(page, name)  # View > name, Ctrl+1.. (ui/shell.py)
        build_when_opened(self.tabs)
        self.alerts.unacknowledged.connect(self._badge)
        self.settings = settings or QSettings("BarberBI", "BarberBI")
        self._restore_view()
        if bridge is not None:
            bridge.results_ready.connect(self._results_ready)
            bridge.alerts_raised.connect(self._alerts_raised)
        self.setCentralWidget(self.tabs)
        self._build_toolbar()
        self.menus = build_menus(self, tuple(name for name, _, _ in TABS), AREAS)
        self.status = QLabel("Opening the shop…")
        self.statusBar().addWidget(self.status, 1)
        self.refresh_summary()

    def may(self, area: str) -> bool:
        return self.user is None or self.user.may(area)

    # The lazily built tabs: reading one builds it (None when this user may not open it).
    @property
    def clients(self) -> ClientsTab | None:
        return self._page("Clients")

    @property
    def revenue(self) -> RevenueTab | None:
        return self._page("Revenue")

    @property
    def six_figure(self) -> SixFigureTab | None:
        return self._page("Six Figure")

    @property
    def settings_tab(self) -> SettingsTab | None:
        return self._page("Settings")

    @property
    def imports(self) -> ImportsTab:
        page = self._page("Imports")
        assert page is not None  # every account may import
        return page

    def _page(self, name: str) -> Any:
        lazy = self._lazy.get(name)
        return None if lazy is None else lazy.ensure()

    def built(self, name: str) -> Any:
        """The tab if it has been opened, without building it."""
        lazy = self._lazy.get(name)
        return None if lazy is None else lazy.page

    def _build(self, name: str) -> QWidget:
        module, cls = LAZY_TABS[name]
        tab_class = getattr(importlib.import_module(f"barberbi_desktop.ui.{module}"), cls)
        if name == "Clients":
            tab = tab_class(self.db, self.runner, self.user)
            tab.segment.setCurrentText(str(self.settings.value("clients/segment", "All segments")))
            tab.search.setText(str(self.settings.value("clients/search", "")))
            return tab
        if name == "Imports":
            tab = tab_class(self.db, self.runner, self.hub,
                            user_id=self.user and self.user.user_id,
                            location_id=self.user and self.user.location_scope)  # fmt: skip
            tab.imported.connect(self.refresh_summary)  # the status line (and welcome page)
            return tab
        if name == "Settings":
            return tab_class(self.db, self.runner, self.user, self.request_restore, self.hub)
        return tab_class(self.db, self.runner)  # Revenue, Six Figure

    def request_restore(self, path: Path) -> None:
        """Close the window; the app restores once the database is closed (see app.py)."""
        self.restore_path = path
        self.close()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def _badge(self, count: int) -> None:
        index = self.tabs.indexOf(self.alerts)
        self.tabs.setTabText(index, f"Alerts ({count})" if count else "Alerts")

    def _results_ready(self, engine: str, _run_id: int) -> None:
        """Refresh the tab that shows this engine; a tab not yet opened reads it when opened."""
        if engine == "kpi":
            self.dashboard.refresh()
            return
        if engine == "noshow":  # the Dashboard's bookings at risk, the Clients' reliability
            self.dashboard.at_risk.refresh()
            clients = self.built("Clients")
            if clients is not None:
                clients.refresh()
            return
        tab = self.built({"ltv": "Clients", "methodology": "Six Figure",
                          "revenue": "Revenue"}.get(engine, ""))  # fmt: skip
        if tab is not None:
            tab.refresh()

    def _alerts_raised(self, alert_ids: tuple[int, ...]) -> None:
        """The in-app toast: always shown, whatever the desktop offers (a location
        manager's: only for their location's alerts)."""
        self.alerts.refresh()
        scope = self.user.location_scope if self.user is not None else None
        if scope is None:
            self._toast(alert_ids)
            return
        from barberbi_desktop.alerts.store import alerts_at

        db = self.db
        self.runner.run(lambda: alerts_at(db, alert_ids, scope), self._toast)

    def _toast(self, alert_ids: Sequence[int]) -> None:
        if alert_ids:
            self.statusBar().showMessage(
                f"{len(alert_ids)} new alert{'s' if len(alert_ids) > 1 else ''}: see Alerts",
                15_000,
            )

    def _build_toolbar(self) -> None:
        bar = self.addToolBar("Shop")
        bar.setObjectName("shop-toolbar")
        bar.setMovable(False)
        self.report_action = bar.addAction("Owner report…")
        self.report_action.setToolTip("Write the monthly owner report as a PDF")
        self.report_action.triggered.connect(self.ask_for_report)
        if not self.may("report"):
            self.report_action.setEnabled(False)
            self.report_action.setToolTip("Only the owner can write the owner report")
        who = QLabel(f"  {self.user.name} ({self.user.role_name})  " if self.user else "")
        bar.addWidget(who)

    def ask_for_report(self) -> None:
        last_month = (pd.Timestamp.today().to_period("M") - 1).strftime("%Y-%m")
        month, ok = QInputDialog.getText(self, "Owner report", "Month (YYYY-MM):",
                                         text=last_month)  # fmt: skip
        if not ok or not month:
            return
        name, _ = QFileDialog.getSaveFileName(
            self, "Save the owner report", f"barberbi-report-{month}.pdf", "PDF (*.pdf)"
        )
        if name:
            self.write_report(month.strip(), Path(name))

    def write_report(self, month: str, out: Path) -> None:
        """Write the report off the GUI thread and say where it went (or why not)."""
        from barberbi_desktop.ui.report import write_report

        if not self.may("report"):
            return
        self.status.setText(f"Writing the owner report for {month}…")
        db, user_id = self.db, self.user and self.user.user_id

        def work() -> dict[str, object]:
            result = write_report(db, month, out)
            audit(db, user_id, "export", {"what": "owner report", "month": month,
                                          "path": str(out)})  # fmt: skip
            return result

        self.runner.run(
            work,
            lambda r: self.status.setText(f"Owner report for {month} saved to {r['path']}."),
            lambda exc: self.status.setText(f"The owner report could not be written: {exc}"),
        )

    def refresh_summary(self) -> None:
        self.runner.run(lambda: shop_summary(self.db), self._show_summary, self._summary_failed)

    def _show_summary(self, summary: ShopSummary) -> None:
        if self.summary is None:  # start-up is done: prepare the other tabs' code
            self.runner.run(warm_up, lambda _: gc.freeze())
        self.summary = summary
        if summary.is_empty:
            # The one place that chooses the welcome page over the tabs: a shop with no
            # visits, until the owner leaves the page (for this session).
            if self.welcome is None and not self.welcome_left:
                self.show_welcome()
            self.status.setText(f"{self.db_name()} · no visits yet: import a booking export")
            return
        if self.welcome is not None:  # the first import landed
            self.leave_welcome()
        name = summary.shop_name or "Shop"
        if summary.locations > 1:
            name += f" and {summary.locations - 1} more locations"
        span = ""
        if summary.first_visit and summary.last_visit:
            span = f" · visits {summary.first_visit:%d %b %Y} to {summary.last_visit:%d %b %Y}"
        self.status.setText(
            f"{name} · {summary.barbers:,} barbers · {summary.clients:,} clients · "
            f"{summary.appointments:,} appointments{span}"
        )
        self.setWindowTitle(f"BarberBI — {summary.shop_name or 'Shop'}")

    def db_name(self) -> str:
        """The database's file name: an owner knows files, not SQLAlchemy URLs."""
        return self.db.path.name if self.db.path is not None else str(self.db.url)

    def show_welcome(self) -> None:
        from barberbi_desktop.ui.welcome import WelcomePage

        self.welcome = WelcomePage(self.db, self.runner, self.user)
        self.welcome.import_requested.connect(self.start_import)
        self.welcome.demo_requested.connect(self.switch_to_demo)
        self.welcome.left.connect(self.leave_welcome)
        self.welcome.shop_saved.connect(lambda _id: self.refresh_summary())
        self.takeCentralWidget()  # the tabs, kept (not deleted) for when the page is left
        self.setCentralWidget(self.welcome)

    def leave_welcome(self) -> None:
        if self.welcome is None:
            return
        self.welcome_left = True
        self.takeCentralWidget()
        self.welcome.deleteLater()
        self.welcome = None
        self.setCentralWidget(self.tabs)

    def start_import(self) -> None:
        """The import the empty tabs and the welcome page offer: choose the files, then the
        Imports tab previews one file or imports several (nothing chosen: nothing moves)."""
        from barberbi_desktop.ui.imports_tab import ask_for_exports

        names = ask_for_exports(self)
        if not names:
            return
        self.leave_welcome()
        self.tabs.setCurrentWidget(self._lazy["Imports"])
        self.imports.import_chosen(names)

    def switch_to_demo(self) -> None:
        """Close this shop; the app opens the demo shop once it is closed (see app.py)."""
        self.open_demo = True
        self.close()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def _summary_failed(self, exc: Exception) -> None:
        self.status.setText(f"Could not read the shop: {exc}")

    def _restore_view(self) -> None:
        """Window geometry, the last tab and the Clients and Alerts filters, as left."""
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        self.alerts.priority.setCurrentText(
            str(self.settings.value("alerts/priority", "All priorities"))
        )
        self.alerts.rule.setCurrentIndex(
            max(0, self.alerts.rule.findData(str(self.settings.value("alerts/rule", ""))))
        )
        # Opening the last tab builds it, with the Clients filters (see _build).
        self.tabs.setCurrentIndex(int(self.settings.value("window/tab", 0)))

    def save_view(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/tab", self.tabs.currentIndex())
        self.settings.setValue("alerts/priority", self.alerts.priority.currentText())
        self.settings.setValue("alerts/rule", self.alerts.rule.currentData() or "")
        clients = self.built("Clients")
        if clients is not None:  # never opened: the stored filters stay as they were
            self.settings.setValue("clients/segment", clients.segment.currentText())
            self.settings.setValue("clients/search", clients.search.text())
        self.settings.sync()

    def changeEvent(self, event: QEvent) -> None:
        """The system switched light/dark: charts take the new background."""
        if event.type() == QEvent.Type.PaletteChange:
            for plot in self.findChildren(pg.PlotWidget):
                plot.setBackground(self.palette().window().color())
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_view()
        self.runner.settle(10_000)  # finish tasks and hand over their results
        super().closeEvent(event)
