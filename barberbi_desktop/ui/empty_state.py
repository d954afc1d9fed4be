"""What a tab shows on a shop with no visits yet: what it needs, and the button that
starts the import.

A brand-new shop used to get "Business health: 0/100", a red `$0` and empty axes:
numbers that looked measured but described nothing. UNKNOWN IS NOT ZERO, so a tab
of a shop without visits shows no figure at all, only the sentence and the action.
The button finds the import through its window (`start_import` on the main window),
so a tab needs no wiring to the Imports tab and works alone in tests.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget

from barberbi_desktop.ui.theme import WrapLabel

# One sentence per tab: what is missing and what to do about it.
NO_VISITS: Final = {
    "dashboard": "No visits yet: import a booking export to see today's pace, your "
    "revenue and your busiest barbers here.",
    "clients": "No visits yet: import a booking export to see your clients, who is "
    "worth the most and who is drifting away.",
    "revenue": "No visits yet: import a booking export to see how full your chairs are "
    "and where the shop can earn more.",
    "six_figure": "No visits yet: import a booking export to score the shop on the Six "
    "Figure Barber principles.",
    "alerts": "No alerts: they watch your visits, so import a booking export first. "
    "Their rules are on the Rules page.",
    "imports": "Nothing imported yet: download your booking system's appointments (or "
    "sales) export as CSV and import it here.",
}
ACTION = "Import a booking export…"
# Where each platform's export is downloaded. Square, Fresha and Acuity paths are from
# their help pages; for the others no menu path could be checked, so the guide names
# the button, not a path it would have to guess.
WHERE_TO_EXPORT: Final = (
    ("Square", "Reports › Sales › Transactions, and Item Sales › Export CSV "
     "(import both files together)"),
    ("Fresha", "Reports › Appointments list › Export CSV"),
    ("Acuity", "Reports › Import/Export › Export appointments"),
    ("Vagaro, Booksy, Calendly, Setmore, GlossGenius",
     "the appointments report's Export button (CSV or Excel)"),
    ("Anything else", "fill in the BarberBI template (Imports › Save the BarberBI template)"),
)  # fmt: skip


def export_guide() -> str:
    """The guide as rich text; every word is ours (nothing imported is shown as markup)."""
    rows = "".join(f"<li><b>{name}</b>: {where}</li>" for name, where in WHERE_TO_EXPORT)
    return f"Where to download the export:<ul>{rows}</ul>"


class NoVisits:
    """What a tab's loader returns when the shop has no visit at all (see has_appointments)."""


NO_VISITS_YET: Final = NoVisits()


class EmptyNotice(QWidget):
    def __init__(self, sentence: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.sentence = WrapLabel(sentence)
        self.sentence.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.button = QPushButton(ACTION)
        self.button.setToolTip("Choose the CSV or Excel file your booking system exported")
        self.button.clicked.connect(lambda: request_import(self))
        layout.addWidget(self.sentence)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)


def request_import(widget: QWidget) -> bool:
    """Ask the window holding ``widget`` to start the import; False if it cannot."""
    start = getattr(widget.window(), "start_import", None)
    if not callable(start):
        return False
    start()
    return True
