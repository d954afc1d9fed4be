"""Imports: bring in booking exports, see what each batch did, undo the last one.

A location manager sees the imports that landed at their location (and their own)
and may undo the last one only if it landed at their location alone.

Every import and undo runs on the task runner; the tab only starts them and
shows the one-sentence outcome, so a million-row file never freezes the window.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import text

from barberbi_desktop.errors import InputError
from barberbi_desktop.events import EventHub
from barberbi_desktop.ingest.importer import FileReport, undo_last_import
from barberbi_desktop.ingest.profiles import platform_title
from barberbi_desktop.ingest.sale_lines import money_sentence
from barberbi_desktop.ingest.template import write_template
from barberbi_desktop.jobs.imports import import_files as helper_import
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.settings import shop_zone
from barberbi_desktop.storage.shop_time import zone_words
from barberbi_desktop.ui.empty_state import NO_VISITS, export_guide
from barberbi_desktop.ui.import_dialog import ImportDialog
from barberbi_desktop.ui.table_model import DataFrameModel
from barberbi_desktop.ui.tasks import TaskRunner
from barberbi_desktop.ui.theme import WrapLabel

COLUMNS = {
    "id": "#",
    "when": "When",
    "file": "File",
    "platform": "Platform",
    "rows": "Rows",
    "new": "New",
    "updated": "Updated",
    "unchanged": "Unchanged",
    "skipped": "Skipped",
    "status": "Status",
    "lines": "Sale lines",
    "net": "Net sales",
}
FILTER = "Booking exports (*.csv *.txt *.tsv *.xlsx);;All files (*)"


def load_history(
    db: Database, location_id: int | None = None, user_id: int | None = None
) -> pd.DataFrame:
    """Every batch, newest first; ``location_id``: a location manager's view, the
    batches that landed at their location and their own (`jobs.import_scope`)."""
    net = (
        "CAST(money ->> 'net_cents' AS BIGINT)"
        if db.is_postgres
        else "json_extract(money, '$.net_cents')"
    )
    with db.read() as conn:
        rows = conn.execute(
            text(
                "SELECT id, started_utc, file_name, platform, rows_read, inserted, updated, "
                f"unchanged, rejected, status, lines, {net} "
                "FROM import_batches ORDER BY id DESC"
            )
        ).fetchall()
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    if location_id is None:
        undoable = bool((frame["status"] == "landed").any())
    else:
        from barberbi_desktop.jobs.import_scope import batches_at, may_undo

        frame = frame[frame["id"].isin(batches_at(db, location_id, user_id))]
        frame = frame.reset_index(drop=True)
        undoable = may_undo(db, location_id, user_id)
    zone = shop_zone(db)  # the shop's clock, as everywhere else (not the computer's)
    when = pd.to_datetime(frame["when"], unit="s", utc=True).dt.tz_convert(zone)
    frame["when"] = when.dt.strftime("%d %b %Y %H:%M")
    frame["platform"] = [platform_title(p) for p in frame["platform"]]
    frame.attrs["zone"] = zone
    frame.attrs["undoable"] = undoable  # the shop's last import, if this account may undo it
    # Batches from before money was read back have no figures: shown blank, not $0.
    frame["net"] = [None if pd.isna(v) else f"${v / 100:,.2f}" for v in frame["net"]]
    return frame


def describe(reports: list[FileReport]) -> str:
    """One line per file: what landed, or the sentence saying why not."""
    lines = []
    for r in reports:
        name = Path(r.file).name
        if r.status == "rejected":
            lines.append(f"✗ {r.reason}")
        else:
            lines.append(
                f"✓ {name} ({platform_title(r.platform)}): {r.inserted} new, {r.updated} updated, "
                f"{r.unchanged} unchanged, {r.rejected} skipped. {money_sentence(r.money)}".strip()
            )
    return "\n".join(lines)


def ask_for_exports(parent: QWidget) -> list[str]:
    names, _ = QFileDialog.getOpenFileNames(parent, "Import booking exports", "", FILTER)
    return names


class ImportsTab(QWidget):
    imported = Signal()

    def __init__(
        self,
        db: Database,
        runner: TaskRunner,
        hub: EventHub | None = None,
        user_id: int | None = None,
        location_id: int | None = None,
    ) -> None:
        super().__init__()
        self.db, self.runner, self.hub = db, runner, hub
        self.user_id = user_id  # who imports: stored on each batch and in the audit log
        self.location_id = location_id  # a location manager's: their location's imports
        self._said = False  # an import's outcome stays until the next one
        self.import_button = QPushButton("Import files…")
        self.import_button.clicked.connect(self.choose_files)
        self.undo_button = QPushButton("Undo last import")
        self.undo_button.clicked.connect(self.undo)
        self.template_button = QPushButton("Save the BarberBI template…")
        self.template_button.clicked.connect(self.save_template)
        bar = QHBoxLayout()
        for w in (self.import_button, self.undo_button):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.template_button)
        self.outcome = WrapLabel(
            "Import the exports you download from Square, Acuity, Fresha, Vagaro, Setmore, "
            "Booksy, Calendly or GlossGenius, or any system through the BarberBI template."
        )
        self.guide = WrapLabel(export_guide())  # shown while nothing was imported
        self.guide.setTextFormat(Qt.TextFormat.RichText)
        self.guide.setVisible(False)
        self.model = DataFrameModel(headers=COLUMNS)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()  # the batch number is the first column
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.outcome)
        layout.addWidget(self.guide)
        layout.addWidget(self.table, 1)
        self._filler = QWidget()  # holds the sentence and guide at the top while shown
        self._filler.setVisible(False)
        layout.addWidget(self._filler, 1)
        self.refresh()

    def refresh(self) -> None:
        db, location_id, user_id = self.db, self.location_id, self.user_id
        self.runner.run(lambda: load_history(db, location_id, user_id), self._show_history)

    def _show_history(self, frame: pd.DataFrame) -> None:
        zone = frame.attrs.get("zone")
        if zone:  # the zone named once, in the column's title
            self.model._headers["when"] = f"When ({zone_words(zone)})"
        self.model.set_frame(frame)
        self.table.resizeColumnsToContents()
        self.undo_button.setEnabled(bool(frame.attrs.get("undoable")))
        nothing = not len(frame)
        self.guide.setVisible(nothing)
        self._filler.setVisible(nothing)
        self.table.setVisible(not nothing)
        if nothing and not self._said:
            self.outcome.setText(NO_VISITS["imports"])

    def _busy(self, busy: bool, message: str = "") -> None:
        for w in (self.import_button, self.undo_button):
            w.setEnabled(not busy)
        if message:
            self.outcome.setText(message)
            self._said = True

    def import_paths(self, paths: list[Path], done: Callable[[], None] | None = None) -> None:
        """Import ``paths`` off the GUI thread and show the outcome."""
        self._busy(True, f"Importing {', '.join(p.name for p in paths)}…")

        def finished(reports: list[FileReport]) -> None:
            self._busy(False, describe(reports))
            self.refresh()
            self.imported.emit()
            if done:
                done()

        db, hub, user_id = self.db, self.hub, self.user_id
        self.runner.run(  # the worker only waits: the import runs in a helper process
            lambda: helper_import(db, paths, hub=hub, user_id=user_id), finished, self._failed
        )

    def _failed(self, exc: Exception) -> None:
        self._busy(False, str(exc) if isinstance(exc, InputError) else f"Import failed: {exc}")
        self.refresh()

    def choose_files(self) -> None:
        self.import_chosen(ask_for_exports(self))

    def import_chosen(self, names: list[str]) -> None:
        """One file opens the preview; several (Square's two) go in together."""
        if len(names) == 1:
            self.open_dialog(Path(names[0]))
        elif names:  # several files (e.g. Square's transactions and items) go in together
            self.import_paths([Path(n) for n in names])

    def open_dialog(self, path: Path) -> ImportDialog:
        """Preview one file, let the owner fix platform and columns, then import it."""
        dialog = ImportDialog(self.db, self.runner, path, self.hub, self)
        dialog.user_id = self.user_id
        dialog.finished_import.connect(lambda reports: (
            self.outcome.setText(describe(reports)), self.refresh(), self.imported.emit()))
        dialog.show()
        return dialog

    def undo(self, confirm: bool = True) -> None:
        if confirm:
            answer = QMessageBox.question(
                self, "Undo last import", "Take the most recent import back completely?"
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self._busy(True, "Undoing the last import…")

        def finished(result: dict[str, object]) -> None:
            self._busy(
                False,
                f"Undid import #{result['batch_id']} ({result['file']}): "
                f"{result['removed']} rows removed, {result['restored']} restored.",
            )
            self.refresh()

        db, hub, user_id, location_id = self.db, self.hub, self.user_id, self.location_id
        if location_id is None:
            work = lambda: undo_last_import(db, hub, user_id)  # noqa: E731
        else:  # a location manager: only an import that landed at their location alone
            from barberbi_desktop.jobs.import_scope import undo_last_import_at

            work = lambda: undo_last_import_at(db, location_id, hub, user_id)  # noqa: E731
        self.runner.run(work, finished, self._failed)

    def save_template(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Save the BarberBI template", "barberbi-template.csv", "CSV (*.csv)"
        )
        if name:
            path = write_template(Path(name))
            self.outcome.setText(f"Template saved to {path}. See docs/IMPORT.md for the columns.")
