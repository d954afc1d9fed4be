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
from zoneinfo import available_timezones

import pandas as pd
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
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
from barberbi_desktop.ingest.importer import local_zone
from barberbi_desktop.storage import shop_config as config
from barberbi_desktop.storage.accounts import list_accounts
from barberbi_desktop.storage.backup import list_backups, make_backup
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.premium import load_services
from barberbi_desktop.storage.settings import shop_zone
from barberbi_desktop.storage.shop_config import premium_threshold_cents
from barberbi_desktop.storage.shop_time import zone_words
from barberbi_desktop.storage.target_units import show_target
from barberbi_desktop.storage.users import User, audit, audit_log
from barberbi_desktop.ui.data_coverage import CoveragePage
from barberbi_desktop.ui.settings_barbers import BarbersPage, ServicesPage
from barberbi_desktop.ui.settings_common import ChoiceDelegate, Section, item, table
from barberbi_desktop.ui.settings_users import UsersPage
from barberbi_desktop.ui.tasks import TaskRunner, one_per_turn
from barberbi_desktop.ui.theme import page_tabs
from barberbi_desktop.ui.welcome import default_currency

__all__ = [
    "BarbersPage",
    "ChoiceDelegate",
    "CoveragePage",
    "ServicesPage",
    "SettingsTab",
    "UsersPage",
]


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
        self.layout_.addLayout(self._add_row())

    def _add_row(self) -> QHBoxLayout:
        """A new location (the shop's first, before any import, or one more)."""
        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("New location's name")
        self.new_zone = QComboBox()
        self.new_zone.setEditable(True)
        self.new_zone.addItems(sorted(available_timezones()))
        self.new_zone.setCurrentText(local_zone())
        self.new_currency = QLineEdit(default_currency())
        self.new_currency.setMaxLength(3)
        self.new_currency.setFixedWidth(60)
        self.add_button = QPushButton("Add location")
        self.add_button.clicked.connect(self.add)
        row = QHBoxLayout()
        for w in (QLabel("Add:"), self.new_name, self.new_zone, self.new_currency,
                  self.add_button):  # fmt: skip
            row.addWidget(w)
        return row

    def add(self) -> None:
        db, user = self.tab.db, self.tab.user
        values = (self.new_name.text(), self.new_zone.currentText(), self.new_currency.text())

        def work() -> int:
            config.add_location(db, *values, user)
            return 1

        self.run_save(work)

    def show_data(self, frame: pd.DataFrame) -> None:
        self.ids = [int(i) for i in frame["id"]]
        if len(frame):  # a further location is most likely in the shop's own zone
            self.new_zone.setCurrentText(str(frame["timezone"].iloc[0]))
            self.new_currency.setText(str(frame["currency"].iloc[0]))
        else:
            self.message.setText("No location yet: add the shop's first one below, so the "
                                 "first import lands there in its time zone.")  # fmt: skip
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
            return {
                "locations": config.load_locations(db),
                "barbers": config.load_barbers(db),
                "services": (premium_threshold_cents(db), load_services(db)),
                "targets": config.load_targets(db),
                "schedule": config.load_schedule(db) | {"zone": shop_zone(db)},
                "users": (list_accounts(db), audit_log(db, limit=200)),
                "backups": list_backups(db),
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
