"""Settings (owner only): what the data can tell, shop and locations, barbers and pay,
services, targets, schedules, accounts, backups.

Every section loads and saves on a worker; a save checks all rows first and
writes all or nothing, says which row and field is wrong, and goes to the
audit log (storage/shop_config.py holds the rules).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from barberbi_desktop.events import EventHub
from barberbi_desktop.storage import shop_config as config
from barberbi_desktop.storage.backup import backups_dir, make_backup
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.premium import load_services
from barberbi_desktop.storage.settings import shop_zone
from barberbi_desktop.storage.shop_config import premium_threshold_cents
from barberbi_desktop.storage.shop_time import shop_clock, zone_words
from barberbi_desktop.storage.target_units import show_target
from barberbi_desktop.storage.users import User, audit, audit_log, create_user, list_users
from barberbi_desktop.ui.data_coverage import CoveragePage
from barberbi_desktop.ui.settings_barbers import BarbersPage, ServicesPage
from barberbi_desktop.ui.settings_common import ChoiceDelegate, Section, item, table
from barberbi_desktop.ui.tasks import TaskRunner, one_per_turn
from barberbi_desktop.ui.theme import page_tabs

__all__ = ["BarbersPage", "ChoiceDelegate", "CoveragePage", "ServicesPage", "SettingsTab"]


class LocationsPage(Section):
    feeds_engines = True  # time zones and opening hours

    def __init__(self, tab: SettingsTab) -> None:
        super().__init__(
            tab,
            "Each location's time zone (every visit is shown in it), currency "
            "and opening hours, for example 09:00-18:00 or closed (blank: not set yet).",
        )
        self.table = table(["Location", "Time zone", "Currency", *config.DAYS])
        self.layout_.addWidget(self.table)
        self.ids: list[int] = []
        self.finish()

    def show_data(self, frame: pd.DataFrame) -> None:
        self.ids = [int(i) for i in frame["id"]]
        with self.table.filling():
            self.table.setRowCount(len(frame))
            for r, row in enumerate(frame.itertuples(index=False)):
                days = (getattr(row, d) for d in config.DAYS)
                for c, value in enumerate([row.name, row.timezone, row.currency, *days]):
                    self.table.setItem(r, c, item(value, editable=c > 0))

    def rows(self) -> list[dict[str, Any]]:
        keys = ["name", "timezone", "currency", *config.DAYS]
        return [
            {"id": self.ids[r]} | {k: self.table.item(r, c).text() for c, k in enumerate(keys)}
            for r in range(self.table.rowCount())
        ]

    def save(self) -> None:
        self.save_with(config.save_locations, self.rows())


class TargetsPage(Section):
    def __init__(self, tab: SettingsTab) -> None:
        super().__init__(
            tab,
            "Targets the Dashboard colours its tiles by and the Six Figure "
            "scores measure against. Money in dollars, rates in percent.",
        )
        self.table = table(["Used by", "Target", "Default", "Yours"])
        self.layout_.addWidget(self.table)
        self.keys: list[tuple[str, str]] = []
        self.finish()

    def show_data(self, targets: list[config.Target]) -> None:
        self.keys = [(t.engine, t.key) for t in targets]
        with self.table.filling():
            self.table.setRowCount(len(targets))
            for r, t in enumerate(targets):
                used_by = "Dashboard" if t.engine == "kpi" else "Six Figure"
                shown = (used_by, t.label, show_target(t.default, t.unit),
                         show_target(t.value, t.unit))  # fmt: skip
                for c, value in enumerate(shown):
                    self.table.setItem(r, c, item(value, editable=c == 3))

    def save(self) -> None:
        values = {k: self.table.item(r, 3).text() for r, k in enumerate(self.keys)}
        self.save_with(config.save_targets, values)


class SchedulePage(Section):
    def __init__(self, tab: SettingsTab) -> None:
        super().__init__(
            tab,
            "When the engines run in the background (applied the next time "
            "BarberBI starts) and the folder it imports new exports from.",
        )
        form = QFormLayout()
        self.kpi = QSpinBox(minimum=15, maximum=3600, suffix=" s")
        self.nightly = QSpinBox(minimum=0, maximum=23, suffix=":00 (shop time)")
        self.debounce = QSpinBox(minimum=30, maximum=3600, suffix=" s")
        self.folder = QLineEdit()
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        form.addRow("Refresh KPIs every", self.kpi)
        form.addRow("Nightly analytics at", self.nightly)
        form.addRow("After an import, wait", self.debounce)
        form.addRow("Watch folder", folder_row)
        self.layout_.addLayout(form)
        self.layout_.addStretch(1)
        self.finish()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder to import exports from")
        if folder:
            self.folder.setText(folder)

    def show_data(self, schedule: dict[str, Any]) -> None:
        self.kpi.setValue(int(schedule["kpi_every_s"]))
        self.nightly.setValue(int(schedule["nightly_hour"]))
        zone = schedule.get("zone")
        if zone:  # the hour is on the shop's clock: name it
            self.nightly.setSuffix(f":00 ({zone_words(zone)})")
        self.debounce.setValue(int(schedule["debounce_s"]))
        self.folder.setText(str(schedule["watch_folder"]))

    def save(self) -> None:
        values = {
            "kpi_every_s": self.kpi.value(),
            "nightly_hour": self.nightly.value(),
            "debounce_s": self.debounce.value(),
            "watch_folder": self.folder.text(),
        }
        self.save_with(config.save_schedule, values)


class UsersPage(Section):
    def __init__(self, tab: SettingsTab) -> None:
        super().__init__(
            tab,
            "Accounts and what they did. Staff can import and see the "
            "Dashboard and Alerts, not client money, pay, settings or "
            "exports.",
        )
        self.users = QListWidget()
        self.log = table(["When (shop time)", "Who", "What", "Detail"])
        self.layout_.addWidget(self.users)
        self.layout_.addWidget(QLabel("Audit log (newest first)"))
        self.layout_.addWidget(self.log, 1)
        self.save_button.setText("Add a staff account…")
        self.finish()

    def show_data(self, data: tuple[list[User], pd.DataFrame, str]) -> None:
        users, log, zone = data
        self.log.setHorizontalHeaderItem(0, item(f"When ({zone_words(zone)})", editable=False))
        self.users.clear()
        self.users.addItems([f"{u.name} ({u.role})" for u in users])
        with self.log.filling():
            self.log.setRowCount(len(log))
            for r, row in enumerate(log.itertuples(index=False)):
                when = shop_clock(row.at_utc, zone, "%Y-%m-%d %H:%M")
                values = (when, row.who or "—", row.action, row.detail)
                for c, value in enumerate(values):
                    self.log.setItem(r, c, item(value, editable=False))

    def save(self) -> None:
        name, ok = QInputDialog.getText(self, "Add a staff account", "Name:")
        if not ok or not name.strip():
            return
        pin, ok = QInputDialog.getText(
            self,
            "Add a staff account",
            f"PIN for {name} (4 to 8 digits):",
            QLineEdit.EchoMode.Password,
        )
        if not ok:
            return
        db, user = self.tab.db, self.tab.user
        self.run_save(lambda: int(bool(create_user(db, name, "staff", pin, by=user))))


class BackupsPage(Section):
    def __init__(self, tab: SettingsTab) -> None:
        super().__init__(
            tab,
            "A backup is a complete copy of the shop's data, made with "
            "SQLite's online backup (a nightly one is kept for 14 days). "
            "Restoring closes BarberBI, puts the copy in place (keeping "
            "the current data beside it) and you open BarberBI again.",
        )
        self.list = QListWidget()
        self.layout_.addWidget(self.list, 1)
        self.restore_button = QPushButton("Restore the selected backup…")
        self.restore_button.clicked.connect(self.restore)
        self.layout_.addWidget(self.restore_button)
        self.save_button.setText("Make a backup now")
        self.finish()

    def show_data(self, paths: list[Path]) -> None:
        self.list.clear()
        self.list.addItems([str(p) for p in paths])

    def save(self) -> None:
        db, user = self.tab.db, self.tab.user

        def work() -> int:
            path = make_backup(db)
            audit(db, user and user.user_id, "backup", {"path": str(path)})
            return 1

        self.run_save(work)

    def restore(self) -> None:
        item = self.list.currentItem()
        if item is None:
            self.message.setText("Pick a backup in the list first.")
            return
        answer = QMessageBox.question(
            self, "Restore a backup", f"Close BarberBI and restore {item.text()}?"
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.tab.restore_requested(Path(item.text()))


class SettingsTab(QWidget):
    def __init__(
        self,
        db: Database,
        runner: TaskRunner,
        user: User | None,
        on_restore: Callable[[Path], None] | None = None,
        hub: EventHub | None = None,
    ) -> None:
        super().__init__()
        self.db, self.runner, self.user, self.hub = db, runner, user, hub
        self.on_restore = on_restore
        layout = QVBoxLayout(self)
        self.pages = page_tabs()
        self.coverage = CoveragePage(db, runner)
        self.locations = LocationsPage(self)
        self.barbers = BarbersPage(self)
        self.services = ServicesPage(self)
        self.targets = TargetsPage(self)
        self.schedule = SchedulePage(self)
        self.users = UsersPage(self)
        self.backups = BackupsPage(self)
        for page, name in (
            (self.coverage, "What your data can tell"),
            (self.locations, "Shop and locations"),
            (self.barbers, "Barbers and pay"),
            (self.services, "Services"),
            (self.targets, "Targets"),
            (self.schedule, "Schedules"),
            (self.users, "Accounts and audit"),
            (self.backups, "Backups"),
        ):
            self.pages.addTab(page, name)
        layout.addWidget(self.pages)
        self.refresh()

    def refresh(self, coverage: bool = True) -> None:
        """Read every page again; ``coverage`` too (seconds on a chain), unless the save
        that asks cannot have changed it (targets, schedules, accounts, backups)."""
        db = self.db
        if coverage:
            self.coverage.refresh()

        def load() -> dict[str, Any]:
            folder = backups_dir()
            return {
                "locations": config.load_locations(db),
                "barbers": config.load_barbers(db),
                "services": (premium_threshold_cents(db), load_services(db)),
                "targets": config.load_targets(db),
                "schedule": config.load_schedule(db) | {"zone": shop_zone(db)},
                "users": (list_users(db), audit_log(db, limit=200), shop_zone(db)),
                "backups": sorted(folder.glob("*.db"), reverse=True) if folder.is_dir() else [],
            }

        self.runner.run(load, self._show, self._failed)

    def _show(self, data: dict[str, Any]) -> None:
        # One page per event-loop turn: a chain's 536 barbers alone take tens of ms.
        one_per_turn(
            [
                lambda: self.locations.show_data(data["locations"]),
                lambda: self.barbers.show_data(data["barbers"]),
                lambda: self.services.show_data(data["services"]),
                lambda: self.targets.show_data(data["targets"]),
                lambda: self.schedule.show_data(data["schedule"]),
                lambda: self.users.show_data(data["users"]),
                lambda: self.backups.show_data(data["backups"]),
            ],
            self,
        )

    def _failed(self, exc: Exception) -> None:
        self.locations.message.setText(f"Settings could not be read: {exc}")

    def restore_requested(self, path: Path) -> None:
        db, user_id = self.db, self.user and self.user.user_id

        def restore(_: object) -> None:
            if self.on_restore is not None:
                self.on_restore(path)

        self.runner.run(
            lambda: audit(db, user_id, "restore_requested", {"path": str(path)}), restore
        )
