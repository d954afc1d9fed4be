"""Settings > What your data can tell: the fields the imports carry and what each unlocks.

Read on a worker (storage.coverage runs a grouped pass over the visits and the
sale lines, seconds on a chain); the GUI thread only fills a 16-row table. It
is read again when Settings saves something (working hours are one of the
fields) and, when the page is shown, if the data changed since the last read.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QTableView, QVBoxLayout, QWidget

from barberbi_desktop.storage.coverage import Coverage, FieldCoverage, data_coverage, share_text
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.results import data_version
from barberbi_desktop.ui.table_model import DataFrameModel, fit_to_contents
from barberbi_desktop.ui.tasks import TaskRunner
from barberbi_desktop.ui.theme import WrapLabel

HEADERS = {
    "label": "Field",
    "state": "State",
    "coverage": "Coverage",
    "sources": "From",
    "detail": "What it means",
}
COUNTED = ("reviews", "training")  # the owner's own records: a count, not a share


def coverage_text(field: FieldCoverage) -> str:
    if field.key in COUNTED:
        return f"{field.have:,} {field.unit}"
    if not field.base:
        return f"no {field.unit}"
    if field.unit == "active barbers":
        return f"{field.have} of {field.base} {field.unit}"
    return f"{share_text(field.have, field.base)} of {field.base:,} {field.unit}"


def coverage_frame(coverage: Coverage) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "label": f.label,
                "state": f.state,
                "coverage": coverage_text(f),
                "sources": "; ".join(f.sources) or "—",
                "detail": f.detail,
            }
            for f in coverage.fields
        ],
        columns=list(HEADERS),
    )


class CoveragePage(QWidget):
    def __init__(self, db: Database, runner: TaskRunner) -> None:
        super().__init__()
        self.db, self.runner = db, runner
        self.coverage: Coverage | None = None
        self._reading = False
        layout = QVBoxLayout(self)
        layout.addWidget(
            WrapLabel(
                "What your imported exports carry, field by field, and what each lets "
                "BarberBI tell you. An analysis that needs a field your exports never had "
                "is shown as unknown, never as zero. Hover a row for the whole sentence."
            )
        )
        self.summary = WrapLabel("Reading what your data holds…")
        layout.addWidget(self.summary)
        self.model = DataFrameModel(headers=HEADERS)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setWordWrap(True)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.verticalHeader().hide()
        layout.addWidget(self.view, 1)
        row = QHBoxLayout()
        self.message = WrapLabel("")
        self.again = QPushButton("Check again")
        self.again.clicked.connect(self.refresh)
        row.addWidget(self.message, 1)
        row.addWidget(self.again)
        layout.addLayout(row)

    def refresh(self) -> None:
        """Read the coverage on a worker (one read at a time)."""
        if self._reading:
            return
        self._reading = True
        self.again.setEnabled(False)
        db = self.db
        self.runner.run(lambda: data_coverage(db), self.show_data, self._failed)

    def showEvent(self, event: QShowEvent) -> None:
        """Shown again after an import: read again if the data version moved."""
        super().showEvent(event)
        if self.coverage is None or self._reading:
            return
        db, seen = self.db, self.coverage.data_version
        self.runner.run(lambda: data_version(db), lambda now: self._changed(now != seen))

    def _changed(self, changed: bool) -> None:
        if changed:
            self.refresh()

    def show_data(self, coverage: Coverage) -> None:
        self._reading = False
        self.again.setEnabled(True)
        self.coverage = coverage
        counts = {s: sum(f.state == s for f in coverage.fields) for s in
                  ("present", "partly", "missing")}  # fmt: skip
        files = f"{coverage.files:,} imported file{'s' if coverage.files != 1 else ''}"
        origin = ("the demo shop" + (f" and {files}" if coverage.files else "")) if coverage.demo \
            else files  # fmt: skip
        self.summary.setText(
            f"{coverage.visits:,} visits, from {origin}: {counts['present']} fields present, "
            f"{counts['partly']} partly, {counts['missing']} missing."
        )
        self.model.set_frame(coverage_frame(coverage), [f.sentence for f in coverage.fields])
        fit_to_contents(self.view, max_width=260)

    def _failed(self, exc: Exception) -> None:
        self._reading = False
        self.again.setEnabled(True)
        self.message.setText(f"What your data holds could not be read: {exc}")

    def rows(self) -> list[dict[str, Any]]:
        """The table as shown (tests)."""
        return list(self.model.frame.to_dict(orient="records"))
