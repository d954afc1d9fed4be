"""The welcome page: what a brand-new shop sees instead of tabs of zeros.

Shown by the main window while the shop has no visits, until the owner leaves it.
It offers the three ways in (import the first export, open the demo shop, connect
to the shop's server: not built yet, so shown disabled) and asks for the shop's
name, time zone and currency, saved as its first location so the first import
lands there and its local times are read in the right zone.
"""

from __future__ import annotations

from zoneinfo import available_timezones

import pandas as pd
from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from barberbi_desktop.errors import InputError
from barberbi_desktop.ingest.importer import local_zone
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.shop_config import load_locations, set_up_shop
from barberbi_desktop.storage.users import User
from barberbi_desktop.ui.empty_state import export_guide
from barberbi_desktop.ui.tasks import TaskRunner
from barberbi_desktop.ui.theme import WrapLabel, big_font


def default_currency() -> str:
    """The computer's currency (its locale), else USD: a guess the owner can change."""
    code = QLocale.system().currencySymbol(QLocale.CurrencySymbolFormat.CurrencyIsoCode)
    return code if len(code) == 3 and code.isalpha() else "USD"


class WelcomePage(QWidget):
    import_requested = Signal()
    demo_requested = Signal()
    left = Signal()  # the owner chose to look at the (empty) tabs
    shop_saved = Signal(int)  # the new location's id

    def __init__(self, db: Database, runner: TaskRunner, user: User | None = None) -> None:
        super().__init__()
        self.db, self.runner, self.user = db, runner, user
        title = WrapLabel("Welcome to BarberBI")
        big_font(title, 26, QFont.Weight.Bold)
        intro = WrapLabel(
            "This shop has no visits yet. Tell BarberBI about the shop, then bring in "
            "your booking system's export; every tab fills from it."
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 24)
        layout.addWidget(title)
        layout.addWidget(intro)
        row = QHBoxLayout()
        row.addWidget(self._shop_box(), 2)
        row.addWidget(self._choices_box(), 3)
        layout.addLayout(row)
        self.skip = QPushButton("Look around first: go to the tabs")
        self.skip.clicked.connect(self.left.emit)
        layout.addWidget(self.skip, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        self.runner.run(lambda: load_locations(db), self._show_locations)

    def _shop_box(self) -> QGroupBox:
        box = QGroupBox("1. Your shop")
        form = QFormLayout(box)
        self.shop_name = QLineEdit()
        self.shop_name.setPlaceholderText("e.g. Corner Cuts")
        self.location = QLineEdit()
        self.location.setPlaceholderText("optional: as your booking system names it")
        self.location.setToolTip(
            "Square and Fresha exports name the location of each visit; type that name "
            "so the first import lands here. Blank: the location takes the shop's name."
        )
        self.zone = QComboBox()
        self.zone.setEditable(True)
        self.zone.addItems(sorted(available_timezones()))
        self.zone.setCurrentText(local_zone())
        self.zone.setToolTip("Visit times in your exports are read in this zone")
        self.currency = QLineEdit(default_currency())
        self.currency.setMaxLength(3)
        self.currency.setToolTip("A three-letter code such as USD, EUR or GBP")
        self.save = QPushButton("Save the shop")
        self.save.clicked.connect(self.save_shop)
        self.message = WrapLabel("")
        for label, field in (("Shop name", self.shop_name), ("Location", self.location),
                             ("Time zone", self.zone), ("Currency", self.currency)):  # fmt: skip
            form.addRow(label, field)
        form.addRow(self.save)
        form.addRow(self.message)
        if self.user is not None and not self.user.may("settings"):
            self._form_enabled(False)
            self.message.setText("Only the owner can set up the shop.")
        return box

    def _choices_box(self) -> QGroupBox:
        box = QGroupBox("2. Your data")
        column = QVBoxLayout(box)
        self.import_button = QPushButton("Import your first export…")
        self.import_button.clicked.connect(self.import_requested.emit)
        guide = WrapLabel(export_guide())
        guide.setTextFormat(Qt.TextFormat.RichText)
        self.demo_button = QPushButton("Open the demo shop")
        self.demo_button.clicked.connect(self.demo_requested.emit)
        demo_note = WrapLabel(
            "A made-up shop with two years of visits, to see what each tab shows. "
            "BarberBI closes this shop (it stays as it is) and opens the demo."
        )
        self.server_button = QPushButton("Connect to the shop's server")
        self.server_button.setEnabled(False)
        server_note = WrapLabel("Coming with multi-location support.")
        for w in (self.import_button, guide, self.demo_button, demo_note,
                  self.server_button, server_note):  # fmt: skip
            column.addWidget(w)
        column.addStretch(1)
        return box

    def _form_enabled(self, enabled: bool) -> None:
        for w in (self.shop_name, self.location, self.zone, self.currency, self.save):
            w.setEnabled(enabled)

    def _show_locations(self, frame: pd.DataFrame) -> None:
        if not len(frame):
            return
        first = frame.iloc[0]
        self._form_enabled(False)
        more = f" and {len(frame) - 1} more" if len(frame) > 1 else ""
        self.shop_name.setText(str(first["name"]))
        self.zone.setCurrentText(str(first["timezone"]))
        self.currency.setText(str(first["currency"]))
        self.message.setText(
            f"Saved: {first['name']}{more}. Change it in Settings › Shop and locations."
        )

    def save_shop(self) -> None:
        values = (self.shop_name.text(), self.location.text(), self.zone.currentText(),
                  self.currency.text())  # fmt: skip
        db, user = self.db, self.user
        self.save.setEnabled(False)
        self.runner.run(lambda: set_up_shop(db, *values, user), self._saved, self._refused)

    def _saved(self, location_id: int) -> None:
        self.runner.run(lambda: load_locations(self.db), self._show_locations)
        self.shop_saved.emit(location_id)

    def _refused(self, exc: Exception) -> None:
        self.save.setEnabled(True)
        self.message.setText(
            str(exc) if isinstance(exc, InputError) else f"The shop was not saved: {exc}"
        )
