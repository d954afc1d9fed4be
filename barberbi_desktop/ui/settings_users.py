"""Settings > Accounts and audit: the accounts, what the owner can do with them, and the
audit log in sentences.

Everyone may change their own PIN (the current one is asked for); the owner adds
staff, resets a forgotten PIN, disables an account or removes it. A removed
account's row stays so its history still names it (storage/accounts.py). Every
change runs on a worker through the page's save, like the other Settings pages.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
)
from sqlalchemy import text

from barberbi_desktop.storage import accounts
from barberbi_desktop.storage.audit_text import sentence
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.users import User, create_user
from barberbi_desktop.ui.settings_common import Section, SettingsHost, item, table

MANAGER_OF = "Location manager of "


def location_names(db: Database) -> list[str]:
    with db.read() as conn:
        return [str(r[0]) for r in conn.execute(text("SELECT name FROM locations ORDER BY id"))]


def audit_rows(log: pd.DataFrame) -> list[tuple[str, str]]:
    """(when, what happened) for each entry, newest first."""
    rows = []
    for row in log.itertuples(index=False):
        try:
            detail: Any = json.loads(row.detail)
        except (TypeError, ValueError):
            detail = {}
        rows.append((f"{row.at_utc:%Y-%m-%d %H:%M}", sentence(row.action, row.who, detail)))
    return rows


class UsersPage(Section):
    def __init__(self, tab: SettingsHost) -> None:
        super().__init__(
            tab,
            "Accounts and what they did. Staff can import and see the "
            "Dashboard and Alerts, not client money, pay, settings or "
            "exports. A removed account stays in the audit log under its name.",
        )
        self.users = QListWidget()
        self.log = table(["When (UTC)", "What happened"])
        self.layout_.addWidget(self.users)
        actions = QHBoxLayout()
        self.change_button = QPushButton("Change my PIN…")
        self.reset_button = QPushButton("Reset PIN…")
        self.active_button = QPushButton("Disable")
        self.remove_button = QPushButton("Remove…")
        for button, slot in (
            (self.change_button, self._ask_change),
            (self.reset_button, self._ask_reset),
            (self.active_button, self._toggle),
            (self.remove_button, self._ask_remove),
        ):
            button.clicked.connect(slot)
            actions.addWidget(button)
        actions.addStretch(1)
        self.layout_.addLayout(actions)
        self.users.currentItemChanged.connect(lambda *_: self._selection_changed())
        self.layout_.addWidget(QLabel("Audit log (newest first)"))
        self.layout_.addWidget(self.log, 1)
        self.save_button.setText("Add a staff account…")
        self.finish()
        self._selection_changed()

    def show_data(self, data: tuple[list[User], pd.DataFrame]) -> None:
        users, log = data
        self.users.clear()
        for u in users:
            shown = QListWidgetItem(
                f"{u.name} ({u.role_name}{'' if u.active else ', disabled'})"
            )
            shown.setData(Qt.ItemDataRole.UserRole, u)
            self.users.addItem(shown)
        rows = audit_rows(log)
        self.log.setRowCount(len(rows))
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                self.log.setItem(r, c, item(value, editable=False))
        self._selection_changed()

    def selected(self) -> User | None:
        current = self.users.currentItem()
        return None if current is None else current.data(Qt.ItemDataRole.UserRole)

    def _selection_changed(self) -> None:
        me, chosen = self.tab.user, self.selected()
        owner = me is not None and me.is_owner
        other = chosen is not None and me is not None and chosen.user_id != me.user_id
        self.change_button.setEnabled(me is not None)
        self.save_button.setEnabled(owner)
        self.reset_button.setEnabled(owner and other)
        self.active_button.setEnabled(owner and chosen is not None)
        self.remove_button.setEnabled(owner and chosen is not None)
        self.active_button.setText("Enable" if chosen is not None and not chosen.active
                                   else "Disable")  # fmt: skip

    # What each button does, given its answers (the tests call these directly).

    def add_staff(self, name: str, pin: str, location: str | None = None) -> None:
        """A staff account, or with ``location`` that location's manager."""
        db, user = self.tab.db, self.tab.user
        role = "staff" if location is None else "manager"
        self.run_save(lambda: int(bool(create_user(db, name, role, pin, by=user,
                                                   location=location))))  # fmt: skip

    def change_pin(self, current: str, new: str) -> None:
        db, user = self.tab.db, self.tab.user
        if user is None:
            self.message.setText("Log in to change a PIN.")
            return

        def work() -> int:
            accounts.change_pin(db, user, current, new)
            return 1

        self.run_save(work)

    def reset_pin(self, target: User, new: str) -> None:
        db, user = self.tab.db, self.tab.user

        def work() -> int:
            accounts.reset_pin(db, user, target.user_id, new)
            return 1

        self.run_save(work)

    def set_active(self, target: User, active: bool) -> None:
        db, user = self.tab.db, self.tab.user

        def work() -> int:
            accounts.set_active(db, user, target.user_id, active)
            return 1

        self.run_save(work)

    def remove(self, target: User) -> None:
        db, user = self.tab.db, self.tab.user

        def work() -> int:
            accounts.remove_user(db, user, target.user_id)
            return 1

        self.run_save(work)

    # The buttons: ask, then do.

    def _pin(self, title: str, label: str) -> str | None:
        pin, ok = QInputDialog.getText(self, title, label, QLineEdit.EchoMode.Password)
        return pin if ok else None

    def save(self) -> None:
        name, ok = QInputDialog.getText(self, "Add a staff account", "Name:")
        if not ok or not name.strip():
            return
        location = None
        places = location_names(self.tab.db)
        if len(places) > 1:  # a chain: staff of every location, or one location's manager
            kinds = ["Staff (every location)", *(f"{MANAGER_OF}{p}" for p in places)]
            kind, ok = QInputDialog.getItem(self, "Add a staff account", "Account:", kinds, 0,
                                            False)  # fmt: skip
            if not ok:
                return
            location = kind.removeprefix(MANAGER_OF) if kind.startswith(MANAGER_OF) else None
        pin = self._pin("Add a staff account", f"PIN for {name} (4 to 8 digits):")
        if pin is not None:
            self.add_staff(name, pin, location)

    def _ask_change(self) -> None:
        current = self._pin("Change my PIN", "Your current PIN:")
        if current is None:
            return
        new = self._pin("Change my PIN", "New PIN (4 to 8 digits):")
        if new is None:
            return
        if self._pin("Change my PIN", "New PIN again:") != new:
            self.message.setText("Not saved: the two new PINs differ; type the same PIN twice.")
            return
        self.change_pin(current, new)

    def _ask_reset(self) -> None:
        target = self.selected()
        if target is None:
            return
        new = self._pin("Reset PIN", f"New PIN for {target.name} (4 to 8 digits):")
        if new is not None:
            self.reset_pin(target, new)

    def _toggle(self) -> None:
        target = self.selected()
        if target is not None:
            self.set_active(target, not target.active)

    def _ask_remove(self) -> None:
        target = self.selected()
        if target is None:
            return
        answer = QMessageBox.question(
            self,
            "Remove an account",
            f"Remove {target.name}'s account? They can no longer log in; the audit log "
            "keeps what they did.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.remove(target)
