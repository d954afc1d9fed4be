"""Who is at the shop computer: the owner creates an account on first start, then
everyone logs in with a name and a PIN.

Hashing a PIN is deliberately slow (scrypt), so it runs on a worker like any
other task and the dialog stays responsive. After five wrong PINs the account
must wait (storage/accounts.py); the dialog counts the time left down in its
one sentence and keeps OK disabled until then.
"""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from barberbi_desktop.storage.accounts import LockedOut, change_pin, wait_text
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.users import User, create_user, has_users, list_users, log_in
from barberbi_desktop.ui.tasks import TaskRunner


def _pin_field() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMaxLength(8)
    field.setPlaceholderText("4 to 8 digits")
    return field


class LoginDialog(QDialog):
    """Creates the owner's account (first start) or logs an account in."""

    def __init__(self, db: Database, runner: TaskRunner | None = None) -> None:
        super().__init__()
        self.db = db
        self.runner = runner or TaskRunner(self)
        self.user: User | None = None
        self.first_start = not has_users(db)
        self.setWindowTitle(
            "BarberBI — " + ("create the owner account" if self.first_start else "log in")
        )
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.pin = _pin_field()
        if self.first_start:
            layout.addWidget(
                QLabel(
                    "Welcome. Create the owner's account: the owner sees everything and can "
                    "add staff accounts, who can import and see the Dashboard and Alerts."
                )
            )
            self.name: QLineEdit | QComboBox = QLineEdit()
            self.name.setPlaceholderText("Your name")
            self.confirm = _pin_field()
            form.addRow("Name", self.name)
            form.addRow("PIN", self.pin)
            form.addRow("PIN again", self.confirm)
        else:
            self.name = QComboBox()
            self.name.addItems([u.name for u in list_users(db)])
            form.addRow("Account", self.name)
            form.addRow("PIN", self.pin)
            # Staff never see Settings, so changing one's own PIN lives here.
            self.new_pin, self.new_again = _pin_field(), _pin_field()
            form.addRow("New PIN", self.new_pin)
            form.addRow("New PIN again", self.new_again)
            for field in (self.new_pin, self.new_again):
                form.setRowVisible(field, False)
        self.form = form
        layout.addLayout(form)
        # A newcomer types their name first: typed into the masked PIN box it came
        # back as "The two PINs differ". (Tab order needs the widgets in the dialog.)
        QWidget.setTabOrder(self.name, self.pin)
        if self.first_start:
            QWidget.setTabOrder(self.pin, self.confirm)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #c62828;")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        if not self.first_start:
            change = self.buttons.addButton(
                "Change my PIN…", QDialogButtonBox.ButtonRole.ActionRole
            )
            change.clicked.connect(self.show_change_pin)
        layout.addWidget(self.buttons)
        (self.name if self.first_start else self.pin).setFocus()
        self.locked_until = 0.0
        self.countdown = QTimer(self)
        self.countdown.setInterval(1000)
        self.countdown.timeout.connect(self._tick)
        self.locked_name = ""
        if isinstance(self.name, QComboBox):  # another account is not locked
            self.name.currentTextChanged.connect(self._other_account)

    def show_change_pin(self) -> None:
        """Ask for a new PIN as well: OK then checks the current one and changes it."""
        for field in (self.new_pin, self.new_again):
            self.form.setRowVisible(field, True)
        self.error.setText("Type your current PIN, then the new one twice.")
        self.pin.setFocus()

    def _changing(self) -> bool:
        return not self.first_start and self.form.isRowVisible(self.new_pin)

    def _name(self) -> str:
        return self.name.text() if isinstance(self.name, QLineEdit) else self.name.currentText()

    def submit(self) -> None:
        name, pin = self._name().strip(), self.pin.text()
        if self.first_start and pin != self.confirm.text():
            self.error.setText("The two PINs differ; type the same PIN twice.")
            return
        new = self.new_pin.text() if self._changing() else ""
        if self._changing() and new != self.new_again.text():
            self.error.setText("The two new PINs differ; type the same PIN twice.")
            return
        self.buttons.setEnabled(False)
        self.error.setText("Checking…")

        def work() -> User:
            if self.first_start:
                create_user(self.db, name, "owner", pin)
            if new:
                user = log_in(self.db, name, pin)
                change_pin(self.db, user, pin, new)
                return user
            return log_in(self.db, name, pin)

        self.runner.run(work, self._done, self._failed)

    def _done(self, user: User) -> None:
        self.user = user
        self.accept()

    def _failed(self, exc: Exception) -> None:
        self.buttons.setEnabled(True)
        self.pin.clear()
        self.error.setText(str(exc))
        if isinstance(exc, LockedOut):
            self.locked_name = self._name().strip()
            self.locked_until = time.monotonic() + exc.seconds
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
            self.countdown.start()

    def _other_account(self, name: str) -> None:
        if self.countdown.isActive() and name != self.locked_name:
            self.countdown.stop()
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)
            self.error.setText("")

    def _tick(self) -> None:
        """The time left, in the same sentence, until the account may try again."""
        left = self.locked_until - time.monotonic()
        if left <= 0:
            self.countdown.stop()
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)
            self.error.setText(f"{self.locked_name} can try a PIN again now.")
            return
        self.error.setText(
            f"Too many wrong PINs for {self.locked_name}: try again in "
            f"{wait_text(math.ceil(left))}."
        )
