"""Settings > Barbers and pay, and Settings > Services: what no export carries.

Working hours, pay models and which services are premium are the owner's
knowledge; without them utilisation, capacity, the pay comparison and the
premium metrics stay unknown. The week is edited for one barber at a time
below the list (one editor, not seven widgets per row: a chain has 536
barbers), kept per barber until Save, and saved with the pay in one go.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from PySide6.QtCore import QSignalBlocker, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from barberbi_desktop.storage import shop_config as config
from barberbi_desktop.storage.shop_config import premium_threshold_cents, save_premium_threshold
from barberbi_desktop.storage.working_hours import DAY_MINUTES, DAYS, Week, week_text
from barberbi_desktop.ui.settings_common import (
    ChoiceDelegate,
    Section,
    SettingsHost,
    item,
    table,
)
from barberbi_desktop.ui.theme import WrapLabel

# What the owner reads in the pay-model column, and what is stored.
PAY_LABELS = {"commission": "commission", "booth_rent": "booth rent", "hourly": "hourly"}
_PAY_CODES = {label: code for code, label in PAY_LABELS.items()}
HOURS_COLUMN = 7


def _minutes(time: QTime) -> int:
    return time.hour() * 60 + time.minute()


def _time(minutes: int) -> QTime:
    return QTime(minutes // 60 % 24, minutes % 60)


class WeekEditor(QWidget):
    """One barber's week, Monday first: a "Day off" box and a start and an end per day.

    The times are local to the barber's location; an end of 00:00 means midnight.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for row, text in enumerate(("", "Day off", "Starts", "Ends")):
            grid.addWidget(QLabel(text), row, 0)
        self.off: list[QCheckBox] = []
        self.starts: list[QTimeEdit] = []
        self.ends: list[QTimeEdit] = []
        for day, name in enumerate(DAYS, start=1):
            grid.addWidget(QLabel(name), 0, day, Qt.AlignmentFlag.AlignHCenter)
            off = QCheckBox()
            start, end = QTimeEdit(QTime(9, 0)), QTimeEdit(QTime(18, 0))
            for edit in (start, end):
                edit.setDisplayFormat("HH:mm")
                edit.timeChanged.connect(self.changed)
            end.setToolTip("An end of 00:00 means midnight.")
            off.toggled.connect(self._toggled)
            grid.addWidget(off, 1, day, Qt.AlignmentFlag.AlignHCenter)
            grid.addWidget(start, 2, day)
            grid.addWidget(end, 3, day)
            self.off.append(off)
            self.starts.append(start)
            self.ends.append(end)
        grid.setColumnStretch(len(DAYS) + 1, 1)

    def _toggled(self) -> None:
        self._enable()
        self.changed.emit()

    def _enable(self) -> None:
        for off, start, end in zip(self.off, self.starts, self.ends, strict=True):
            start.setEnabled(not off.isChecked())
            end.setEnabled(not off.isChecked())

    def set_week(self, week: Week) -> None:
        """Show ``week`` without emitting ``changed`` (a day off keeps the times shown)."""
        blockers = [QSignalBlocker(w) for w in (*self.off, *self.starts, *self.ends)]
        for day in range(len(DAYS)):
            span = week.get(str(day))
            self.off[day].setChecked(span is None)
            if span is not None:
                self.starts[day].setTime(_time(span[0]))
                self.ends[day].setTime(_time(span[1]))
        for blocker in blockers:
            blocker.unblock()
        self._enable()

    def week(self) -> Week:
        """As stored: {"0": [540, 1080], ...}; a day off is left out. Not validated here:
        a day that ends before it starts is refused, with its name, when saved."""
        out: Week = {}
        for day in range(len(DAYS)):
            if self.off[day].isChecked():
                continue
            start, end = _minutes(self.starts[day].time()), _minutes(self.ends[day].time())
            out[str(day)] = [start, end or DAY_MINUTES]
        return out


def _money(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else f"{float(value):.2f}"


def _percent(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else f"{float(value):g}"


class BarbersPage(Section):
    feeds_engines = True

    def __init__(self, tab: SettingsHost) -> None:
        super().__init__(
            tab,
            "Who works here, how each barber is paid (commission as a % of service "
            "revenue, weekly booth rent in $, or an hourly rate in $) and the hours each "
            "works. No export carries these: utilisation, capacity and the Revenue tab's "
            "pay comparison use what you set here.",
        )
        self.table = table(["Barber", "Location", "Active", "Pay model", "Commission %",
                            "Booth rent $/week", "Hourly $/h", "Working hours"])  # fmt: skip
        self.table.setItemDelegateForColumn(3, ChoiceDelegate(list(PAY_LABELS.values()), self))
        self.table.currentCellChanged.connect(lambda row, *_: self._show_week(row))
        self.layout_.addWidget(self.table, 1)
        self.box = QGroupBox("Working hours")
        box = QVBoxLayout(self.box)
        self.who = QLabel("Choose a barber in the list.")
        self.editor = WeekEditor()
        self.editor.changed.connect(self._week_edited)
        self.same_as_shop = QPushButton("Same as the shop's opening hours")
        self.same_as_shop.clicked.connect(self.use_opening_hours)
        self.copy_all = QPushButton("Copy to all barbers")
        self.copy_all.clicked.connect(self.copy_to_all)
        buttons = QHBoxLayout()
        buttons.addWidget(self.same_as_shop)
        buttons.addWidget(self.copy_all)
        buttons.addStretch(1)
        box.addWidget(self.who)
        box.addWidget(self.editor)
        box.addLayout(buttons)
        self.layout_.addWidget(self.box)
        self.box.setEnabled(False)
        self.ids: list[int] = []
        self.weeks: dict[int, Week] = {}  # as edited, saved with the pay on Save
        self.frame = pd.DataFrame()
        self.finish()

    def show_data(self, frame: pd.DataFrame) -> None:
        keep = self.current_id()
        self.frame = frame.set_index("id", drop=False)
        self.ids = [int(i) for i in frame["id"]]
        self.weeks = {int(i): dict(w) for i, w in zip(frame["id"], frame["working_hours"],
                                                      strict=True)}  # fmt: skip
        self.table.setRowCount(len(frame))
        for r, row in enumerate(frame.itertuples(index=False)):
            self.table.setItem(r, 0, item(row.name, False))
            self.table.setItem(r, 1, item(row.location, False))
            active = item("", False)
            active.setFlags(active.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = Qt.CheckState.Checked if row.active else Qt.CheckState.Unchecked
            active.setCheckState(checked)
            self.table.setItem(r, 2, active)
            label = PAY_LABELS.get(row.pay_model, row.pay_model)
            self.table.setItem(r, 3, item(label))  # edited with a drop-down
            self.table.setItem(r, 4, item(_percent(row.commission_pct)))
            self.table.setItem(r, 5, item(_money(row.booth_rent)))
            self.table.setItem(r, 6, item(_money(row.hourly)))
            self.table.setItem(r, HOURS_COLUMN, item(week_text(row.working_hours), False))
        if self.ids:
            row = self.ids.index(keep) if keep in self.ids else 0
            self.table.setCurrentCell(row, 0)
            self._show_week(row)
        else:
            self._show_week(-1)

    def current_id(self) -> int | None:
        row = self.table.currentRow()
        return self.ids[row] if 0 <= row < len(self.ids) else None

    def _show_week(self, row: int) -> None:
        self.box.setEnabled(0 <= row < len(self.ids))
        if not 0 <= row < len(self.ids):
            self.who.setText("Choose a barber in the list.")
            return
        barber = self.frame.loc[self.ids[row]]
        hint = (
            "Tick Day off for the days they do not work."
            if self.weeks[self.ids[row]]
            else "No hours set yet: untick Day off for each day they work, or use the shop's "
            "opening hours."
        )
        self.who.setText(
            f"{barber['name']} at {barber['location']}, in the location's local time "
            f"({barber['timezone']}). {hint}"
        )
        self.editor.set_week(self.weeks[self.ids[row]])

    def _week_edited(self) -> None:
        barber = self.current_id()
        if barber is None:
            return
        self.weeks[barber] = self.editor.week()
        self.table.item(self.ids.index(barber), HOURS_COLUMN).setText(
            week_text(self.weeks[barber])
        )

    def use_opening_hours(self) -> None:
        barber = self.current_id()
        if barber is None:
            return
        hours = self.frame.loc[barber, "opening_hours"]
        if not hours:
            location = self.frame.loc[barber, "location"]
            self.message.setText(
                f"{location} has no opening hours yet: set them in Shop and locations first."
            )
            return
        self.editor.set_week(hours)
        self._week_edited()
        self.message.setText("Press Save to keep these hours.")

    def copy_to_all(self) -> None:
        barber = self.current_id()
        if barber is None:
            return
        week = self.editor.week()
        text = week_text(week)
        # One change signal for the column, not one per barber: each had the header size
        # its columns again (1.4 s of the GUI thread for a chain's 534 barbers).
        model = self.table.model()
        blocker = QSignalBlocker(model)
        for row, other in enumerate(self.ids):
            self.weeks[other] = dict(week)
            self.table.item(row, HOURS_COLUMN).setText(text)
        blocker.unblock()
        if self.ids:
            model.dataChanged.emit(model.index(0, HOURS_COLUMN),
                                   model.index(len(self.ids) - 1, HOURS_COLUMN))  # fmt: skip
        name = self.frame.loc[barber, "name"]
        self.message.setText(
            f"{name}'s hours copied to all {len(self.ids)} barbers: press Save to keep them."
        )

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for r in range(self.table.rowCount()):
            model = self.table.item(r, 3).text()
            out.append(
                {
                    "id": self.ids[r],
                    "name": self.table.item(r, 0).text(),
                    "active": self.table.item(r, 2).checkState() == Qt.CheckState.Checked,
                    "pay_model": _PAY_CODES.get(model, model),
                    "commission_pct": self.table.item(r, 4).text() or None,
                    "booth_rent": self.table.item(r, 5).text() or None,
                    "hourly": self.table.item(r, 6).text() or None,
                    "working_hours": self.weeks[self.ids[r]],
                }
            )
        return out

    def save(self) -> None:
        self.save_with(config.save_barbers, self.rows())


class ServicesPage(Section):
    feeds_engines = True

    def __init__(self, tab: SettingsHost) -> None:
        super().__init__(
            tab,
            "Which services count as premium: those priced at or above the amount below "
            "(the list price, or for a service only seen in bookings, the average it sold "
            "for). The Six Figure premium measures use it. A service's duration (from a "
            "service list) is how long its visits last where an export has no end time.",
        )
        form = QFormLayout()
        self.threshold = QDoubleSpinBox(prefix="$", decimals=2, minimum=0.01, maximum=10_000,
                                        singleStep=5)  # fmt: skip
        self.threshold.setMaximumWidth(160)
        form.addRow("A service is premium from", self.threshold)
        self.layout_.addLayout(form)
        self.unmarked = WrapLabel("")
        self.layout_.addWidget(self.unmarked)
        self.table = table(["Service", "Category", "List price", "Average sold", "Minutes",
                            "Premium"])  # fmt: skip
        self.layout_.addWidget(self.table, 1)
        self.finish()

    def show_data(self, data: tuple[int, pd.DataFrame]) -> None:
        cents, frame = data
        self.threshold.setValue(cents / 100)
        self.table.setRowCount(len(frame))
        for r, row in enumerate(frame.itertuples(index=False)):
            values = (
                row.name,
                row.category,
                _dollars(row.list_price_cents),
                _dollars(row.sold_cents),
                "—" if pd.isna(row.duration_min) else f"{int(row.duration_min)}",
                "premium" if row.premium else "",
            )
            for c, value in enumerate(values):
                self.table.setItem(r, c, item(value, editable=False))
        # Flags set before any threshold (the demo's, or a service list's) may disagree.
        by_price = frame["basis_cents"].fillna(-1).to_numpy() >= cents
        stale = int((by_price != frame["premium"].to_numpy(dtype=bool)).sum())
        self.unmarked.setText(
            f"{stale} service{'s are' if stale != 1 else ' is'} not yet marked by this "
            "amount: press Save to apply it."
            if stale
            else ""
        )

    def save(self) -> None:
        db, user = self.tab.db, self.tab.user
        cents = round(self.threshold.value() * 100)

        def work() -> int:
            before = premium_threshold_cents(db)
            flipped = save_premium_threshold(db, cents, user and user.user_id)
            return int(before != cents) + int(flipped or 0)

        self.run_save(work)


def _dollars(cents: Any) -> str:
    return "—" if cents is None or pd.isna(cents) else f"${float(cents) / 100:,.2f}"
