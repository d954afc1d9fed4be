"""A progress bar for `barberbi run` on a terminal, and silence anywhere else.

The heavy engines take half a minute to more than a minute on a real shop; without a
bar the terminal looked hung. Output piped to a file or another program (a cron job, a
script reading ``--json``) gets no bar: its bytes would be noise there.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from barberbi_desktop.engines.data import RunState
from barberbi_desktop.jobs.runner import ENGINE_TITLES


class TerminalProgress:
    """One bar per engine, drawn only when ``stream`` is a terminal and ``quiet`` is off."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        self.stream = stream or sys.stdout
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = not quiet and callable(isatty) and bool(isatty())
        self._bars: Progress | None = None

    def __enter__(self) -> TerminalProgress:
        if self.enabled:
            self._bars = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
            )
            self._bars.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bars is not None:
            self._bars.stop()
            self._bars = None

    def state(self, engine: str) -> RunState:
        """The RunState to hand the engine; without a terminal it reports nowhere."""
        bars = self._bars
        if bars is None:
            return RunState()
        title = ENGINE_TITLES.get(engine, engine)
        task: TaskID = bars.add_task(f"{title}: loading the shop's data", total=1.0)

        def progress(fraction: float, message: str) -> None:
            bars.update(task, completed=fraction, description=f"{title}: {message}")

        return RunState(progress=progress)

    def finished(self, engine: str) -> None:
        if self._bars is None:
            return
        title = ENGINE_TITLES.get(engine, engine)
        for task in self._bars.tasks:
            if task.description.startswith(f"{title}:"):
                self._bars.update(task.id, completed=1.0, description=f"{title}: done")
