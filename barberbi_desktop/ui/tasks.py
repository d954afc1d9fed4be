"""One way to run work off the GUI thread (Anki's QueryOp, napari's create_worker).

A task is a plain callable run on a thread pool; its result or exception is
handed back to a callback on the GUI thread through a queued signal. A task
never touches a widget, so nothing in it can block or corrupt the UI.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QObject,
    QRunnable,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
    Slot,
)

log = logging.getLogger(__name__)
SLOW_MS = 30.0  # a GUI callback longer than this is logged and kept in SLOW
SLOW: deque[tuple[float, float, str]] = deque(maxlen=200)  # (perf_counter, ms, name)


def _timed(fn: Callable[..., object], *args: object) -> None:
    """Run a GUI-thread callback; note it if it held the thread long enough to feel."""
    start = time.perf_counter()
    fn(*args)
    took = (time.perf_counter() - start) * 1000
    if took > SLOW_MS:
        name = getattr(fn, "__qualname__", repr(fn))
        SLOW.append((start, took, name))
        log.debug("GUI callback %s took %.0f ms", name, took)


class _Job(QRunnable):
    def __init__(self, task_id: int, fn: Callable[[], Any], finished: Any) -> None:
        super().__init__()
        self._task_id, self._fn, self._finished = task_id, fn, finished

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # handed to the failure callback on the GUI thread
            self._finished.emit(self._task_id, False, exc)
        else:
            self._finished.emit(self._task_id, True, result)


class TaskRunner(QObject):
    """Runs callables on a small pool and calls back on the thread that owns the runner."""

    _finished = Signal(int, bool, object)

    def __init__(self, parent: QObject | None = None, max_threads: int = 2) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[Callable[[Any], None], Callable[[Exception], None]]] = {}
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        # Results are handed over one per turn of the event loop: when several tabs'
        # data lands at once (start-up, an engine finishing), each rebuild is its own
        # step and input and paint events run in between, instead of one long stall.
        self._ready: deque[tuple[int, bool, object]] = deque()
        self._next = QTimer(self)
        self._next.setSingleShot(True)
        self._next.setInterval(1)
        self._next.timeout.connect(self._deliver_next)

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_failed: Callable[[Exception], None] | None = None,
    ) -> int:
        task_id = next(self._ids)
        self._callbacks[task_id] = (on_done, on_failed or _reraise)
        self._pool.start(_Job(task_id, fn, self._finished))
        return task_id

    @property
    def pending(self) -> int:
        return len(self._callbacks)

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until running tasks end (used on shutdown and in tests only)."""
        return self._pool.waitForDone(msecs)

    def settle(self, msecs: int = 30_000) -> bool:
        """Wait for the tasks and for their callbacks to run (screenshots, benchmarks)."""
        deadline = time.monotonic() + msecs / 1000
        self.wait(msecs)
        while self._callbacks and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.002)
        return not self._callbacks

    @Slot(int, bool, object)
    def _deliver(self, task_id: int, ok: bool, payload: object) -> None:
        self._ready.append((task_id, ok, payload))
        if not self._next.isActive():
            self._next.start()

    def _deliver_next(self) -> None:
        task_id, ok, payload = self._ready.popleft()
        if self._ready:
            self._next.start()
        on_done, on_failed = self._callbacks.pop(task_id)
        _timed(on_done if ok else on_failed, payload)


def _reraise(exc: Exception) -> None:
    raise exc


def one_per_turn(steps: list[Callable[[], object]], context: QObject) -> None:
    """Run GUI steps one per turn of the event loop, in order.

    Filling several widgets with a chain's results (536 barbers, three word-wrapped
    tables) took 50 to 120 ms in one go; as separate steps, input and paint events
    run in between. Each step is queued only after the previous one ran, and the
    rest are dropped if ``context`` is destroyed first.
    """
    pending = list(steps)

    def next_step() -> None:
        if pending:
            _timed(pending.pop(0))
        if pending:
            QTimer.singleShot(1, context, next_step)

    if pending:
        QTimer.singleShot(1, context, next_step)
