"""The import dialog: see what BarberBI made of a file, fix it, import it, watch it go.

Detection and the preview run on the task runner; the import itself runs in
the import helper process (`jobs.imports`), so its pandas work never holds the
window's GIL. The runner's thread only waits and passes the helper's rows-read
reports on through a Qt signal (thread-safe); Cancel stops the import at its
next chunk, leaving the database untouched.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from barberbi_desktop.errors import InputError
from barberbi_desktop.events import EventHub
from barberbi_desktop.ingest.importer import FileReport, Preview, preview
from barberbi_desktop.ingest.profiles import FIELDS, profiles
from barberbi_desktop.ingest.sale_lines import money_sentence
from barberbi_desktop.jobs import imports
from barberbi_desktop.storage.db import Database
from barberbi_desktop.ui.table_model import DataFrameModel
from barberbi_desktop.ui.tasks import TaskRunner

NONE = "(not in this file)"


class _Progress(QObject):
    rows = Signal(int)


class ImportDialog(QDialog):
    finished_import = Signal(object)  # list[FileReport]

    def __init__(self, db: Database, runner: TaskRunner, path: Path,
                 hub: EventHub | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.runner, self.path, self.hub = db, runner, path, hub
        self.user_id: int | None = None  # set by the Imports tab: who is importing
        self.setWindowTitle(f"Import {path.name}")
        self.resize(1000, 640)
        self.current: Preview | None = None
        self._ticket: int | None = None  # the running import's, for Cancel
        self._progress = _Progress()
        self._progress.rows.connect(self._rows_read)
        self.platform = QComboBox()
        for name, profile in profiles().items():
            self.platform.addItem(profile.title, name)
        self.platform.activated.connect(lambda _i: self.load(self.platform.currentData(), {}))
        self.detected = QLabel("Reading the file…")
        self.detected.setWordWrap(True)
        self.form = QFormLayout()
        self.field_boxes: dict[str, QComboBox] = {}
        self.rows = DataFrameModel()
        table = QTableView()
        table.setModel(self.rows)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.hide()
        self.outcome = QLabel("")
        self.outcome.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.import_button = QPushButton("Import")
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.start_import)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        top = QHBoxLayout()
        top.addWidget(QLabel("Platform:"))
        top.addWidget(self.platform, 1)
        mapping = QWidget()
        mapping.setLayout(self.form)
        body = QHBoxLayout()
        body.addWidget(mapping, 1)
        body.addWidget(table, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.detected)
        layout.addLayout(body, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.outcome)
        layout.addWidget(self.buttons)
        self.load(None, {})

    # --- preview ---------------------------------------------------------------------

    def load(self, platform: str | None, mapping: dict[str, str]) -> None:
        self.import_button.setEnabled(False)
        self.runner.run(lambda: preview(self.path, platform, mapping), self._show, self._refused)

    def _refused(self, exc: Exception) -> None:
        self.detected.setText(str(exc) if isinstance(exc, InputError) else f"Cannot read: {exc}")
        self.import_button.setEnabled(False)

    def _show(self, p: Preview) -> None:
        self.current = p
        self.platform.setCurrentIndex(self.platform.findData(p.platform))
        others = ", ".join(f"{n} {c:.0%}" for n, c in p.candidates[1:3])
        self.detected.setText(
            f"Looks like a {p.title} export (confidence {p.confidence:.0%}; next: {others}). "
            "Check which column holds each field; change any that are wrong."
        )
        while self.form.rowCount():
            self.form.removeRow(0)
        self.field_boxes = {}
        shown = [f for f in profiles()[p.platform].columns] + [
            f for f in p.mapping if f not in profiles()[p.platform].columns]
        for fld in dict.fromkeys(shown):
            box = QComboBox()
            box.addItem(NONE, "")
            for column in p.header:
                box.addItem(column, column)
            box.setCurrentIndex(max(box.findData(p.mapping.get(fld, "")), 0))
            box.setToolTip(FIELDS.get(fld, fld))
            self.field_boxes[fld] = box
            self.form.addRow(fld.replace("_", " "), box)
        self.rows.set_frame(p.rows)
        self.import_button.setEnabled(True)

    def chosen_mapping(self) -> dict[str, str]:
        """Every field as the user left it (an empty column un-maps the field)."""
        return {fld: box.currentData() or "" for fld, box in self.field_boxes.items()}

    # --- import ----------------------------------------------------------------------

    def start_import(self) -> None:
        if self.current is None:
            return
        platform, mapping = self.platform.currentData(), self.chosen_mapping()
        self._ticket = number = imports.ticket()
        self.import_button.setEnabled(False)
        self.bar.show()
        self.outcome.setText("Importing…")
        db, hub, user_id, path, rows = self.db, self.hub, self.user_id, self.path, self._progress
        self.runner.run(  # the worker only waits: the import runs in the helper process
            lambda: imports.import_files(db, [path], hub=hub, user_id=user_id,
                                         platform=platform, mapping=mapping,
                                         progress=rows.rows.emit, number=number),
            self._done, self._failed,
        )  # fmt: skip

    def _rows_read(self, rows: int) -> None:
        self.outcome.setText(f"Importing… {rows:,} rows read")

    def _done(self, reports: list[FileReport]) -> None:
        self._ticket = None
        self.bar.hide()
        r = reports[0]
        if r.status == "landed":
            self.outcome.setText(
                f"Imported: {r.inserted} new, {r.updated} updated, {r.unchanged} unchanged, "
                f"{r.rejected} skipped. {money_sentence(r.money)}"
                + ("" if not r.problems else f" {r.problems[0]}"))
            self.cancel_button.setText("Close")
        else:
            self.outcome.setText(r.reason or "The file was not imported.")
            self.import_button.setEnabled(True)
        self.finished_import.emit(reports)

    def _failed(self, exc: Exception) -> None:
        self._ticket = None
        self.bar.hide()
        self.outcome.setText(str(exc))
        self.import_button.setEnabled(True)

    def cancel(self) -> None:
        """Stop a running import at its next chunk (nothing is written), or close."""
        if self._ticket is not None:
            imports.cancel(self._ticket)
            self.outcome.setText("Cancelling… nothing from this file will be kept.")
            return
        self.reject()
