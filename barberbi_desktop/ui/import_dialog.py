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
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from barberbi_desktop.errors import InputError
from barberbi_desktop.events import EventHub
from barberbi_desktop.ingest.importer import FileReport, Preview, preview
from barberbi_desktop.ingest.profiles import FIELDS, Profile, profiles
from barberbi_desktop.ingest.sale_lines import money_sentence
from barberbi_desktop.ingest.saved_profiles import check_name, save_profile, saved_profiles
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
        self.saved: dict[str, Profile] = {}  # the shop's saved mappings, read with the preview
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
        # Offered once the owner changes a column: next month's export then needs no mapping.
        self.save_mapping = QCheckBox("Save this mapping as")
        self.profile_name = QLineEdit()
        self.profile_name.setPlaceholderText("e.g. my_salon_export")
        self.save_row = QWidget()
        save_layout = QHBoxLayout(self.save_row)
        save_layout.setContentsMargins(0, 0, 0, 0)
        save_layout.addWidget(self.save_mapping)
        save_layout.addWidget(self.profile_name, 1)
        self.save_row.hide()
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
        layout.addWidget(self.save_row)
        layout.addWidget(self.bar)
        layout.addWidget(self.outcome)
        layout.addWidget(self.buttons)
        self.load(None, {})

    # --- preview ---------------------------------------------------------------------

    def load(self, platform: str | None, mapping: dict[str, str]) -> None:
        self.import_button.setEnabled(False)
        db, path = self.db, self.path

        def read() -> Preview:
            self.saved = saved_profiles(db)
            return preview(path, platform, mapping, saved=self.saved)

        self.runner.run(read, self._show, self._refused)

    def _refused(self, exc: Exception) -> None:
        self.detected.setText(str(exc) if isinstance(exc, InputError) else f"Cannot read: {exc}")
        self.import_button.setEnabled(False)

    def _show(self, p: Preview) -> None:
        self.current = p
        for name, profile in self.saved.items():
            if self.platform.findData(name) < 0:
                self.platform.addItem(profile.title, name)
        self.platform.setCurrentIndex(self.platform.findData(p.platform))
        known = profiles() | self.saved
        others = ", ".join(  # by the platform's name (Square item sales), not its key
            f"{known[n].title if n in known else n} {c:.0%}" for n, c in p.candidates[1:3]
        )
        self.detected.setText(
            f"Looks like a {p.title} export (confidence {p.confidence:.0%}; next: {others}). "
            "Check which column holds each field; change any that are wrong."
        )
        while self.form.rowCount():
            self.form.removeRow(0)
        self.field_boxes = {}
        columns = (profiles() | self.saved)[p.platform].columns
        shown = [*columns, *(f for f in p.mapping if f not in columns)]
        for fld in dict.fromkeys(shown):
            box = QComboBox()
            box.addItem(NONE, "")
            for column in p.header:
                box.addItem(column, column)
            box.setCurrentIndex(max(box.findData(p.mapping.get(fld, "")), 0))
            box.setToolTip(FIELDS.get(fld, fld))
            box.currentIndexChanged.connect(self._mapping_changed)
            self.field_boxes[fld] = box
            self.form.addRow(fld.replace("_", " "), box)
        self.rows.set_frame(p.rows)
        self._mapping_changed()
        self.import_button.setEnabled(True)

    def chosen_mapping(self) -> dict[str, str]:
        """Every field as the user left it (an empty column un-maps the field)."""
        return {fld: box.currentData() or "" for fld, box in self.field_boxes.items()}

    def _mapping_changed(self) -> None:
        detected = self.current.mapping if self.current else {}
        chosen = {f: c for f, c in self.chosen_mapping().items() if c}
        self.save_row.setVisible(chosen != detected)

    # --- import ----------------------------------------------------------------------

    def start_import(self) -> None:
        if self.current is None:
            return
        platform, mapping = self.platform.currentData(), self.chosen_mapping()
        if self._saving():
            try:
                check_name(self.db, self.profile_name.text().strip())
            except InputError as exc:
                self.outcome.setText(str(exc))
                return
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
            if self._saving():
                self._save(r.platform or "", self.chosen_mapping())
        else:
            self.outcome.setText(r.reason or "The file was not imported.")
            self.import_button.setEnabled(True)
        self.finished_import.emit(reports)

    def _saving(self) -> bool:
        return not self.save_row.isHidden() and self.save_mapping.isChecked()

    def _save(self, platform: str, mapping: dict[str, str]) -> None:
        name, db, user_id = self.profile_name.text().strip(), self.db, self.user_id
        done = self.outcome.text()
        self.runner.run(
            lambda: save_profile(db, name, platform, mapping, user_id),
            lambda _p: self.outcome.setText(f"{done} Mapping saved as {name}."),
            lambda exc: self.outcome.setText(f"{done} {exc}"),
        )

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
