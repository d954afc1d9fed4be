"""What a tab waiting for an engine shows: which analysis is running, how far it has
got and about how long is left.

After a first import the Clients, Six Figure and Revenue tabs waited 36-48 s on a
sentence that never changed, so the app looked stuck. The engine runs in a helper
process and keeps its progress on its run's row (`storage.results.record_progress`);
this widget reads that row once a second, off the GUI thread, while its tab waits.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from barberbi_desktop.jobs.runner import ENGINE_TITLES
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.results import RunProgress, describe_left, running_progress
from barberbi_desktop.ui.tasks import TaskRunner

POLL_MS = 1000


class EngineProgress(QWidget):
    """Hidden unless its tab waits (`watch(True)`) and the engine is running."""

    def __init__(self, db: Database, runner: TaskRunner, engine: str) -> None:
        super().__init__()
        self.db, self.runner, self.engine = db, runner, engine
        self.label = QLabel("")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)
        self._asking = False
        self.setVisible(False)

    def watch(self, waiting: bool) -> None:
        """Start reading the engine's progress while the tab has no results to show."""
        if waiting:
            if not self._timer.isActive():
                self._timer.start()
                self.poll()
        else:
            self._timer.stop()
            self.setVisible(False)

    def poll(self) -> None:
        parent = self.parentWidget()
        if self._asking or parent is None or not parent.isVisible():
            return  # the last read has not come back yet, or nobody is looking
        self._asking = True
        self.runner.run(
            lambda: running_progress(self.db, self.engine), self.show_progress, self._failed
        )

    def _failed(self, _exc: Exception) -> None:
        self._asking = False  # a busy database: try again on the next tick

    def show_progress(self, progress: RunProgress | None) -> None:
        self._asking = False
        if progress is None or not self._timer.isActive():
            self.setVisible(False)
            return
        title = ENGINE_TITLES.get(self.engine, self.engine)
        self.label.setText(
            f"Running now: {title} — {progress.message} "
            f"({progress.fraction:.0%}, {describe_left(progress.left_s)})"
        )
        self.bar.setValue(round(progress.fraction * 1000))
        self.setVisible(True)
