"""Live updates in the app: another computer's change refreshes this one within 2 s.

The listening connection's socket is watched by a `QSocketNotifier` on the GUI
thread, so a notice is read the moment it arrives and reading never blocks
(`storage.live.Listener.drain`). Connecting can take seconds when the server is
away, so it runs on a short-lived thread and hands the connection back through
a queued signal. A lost connection is said in one sentence, retried with a
growing pause, and the app refreshes once when it is back (what changed in
between was never announced to it). An import this app makes in its helper
process is announced by the server too; that notice is dropped (`live.OwnWrites`),
since the helper's own event already refreshes the window. On SQLite there is
nothing to listen to.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal

from barberbi_desktop.events import AlertsRaised, DataChanged, EventHub, ResultsReady
from barberbi_desktop.storage import live
from barberbi_desktop.storage.db import Database

log = logging.getLogger(__name__)
BACKOFF_S = (0.5, 1, 2, 4, 8, 15, 30)
HOLD_MS = 50  # how often held notices look again whether this app's import has landed
REASON = "changed on another computer"


class LiveUpdates(QObject):
    """Turns the server's notices into the hub's events (DataChanged, ResultsReady,
    AlertsRaised), as if the change had been made here."""

    status = Signal(str)  # one sentence for the status bar
    connected = Signal()
    _ready = Signal(object, int)  # from the connecting thread: the listener, data version
    _failed = Signal(str)

    def __init__(
        self, db: Database, hub: EventHub, parent: QObject | None = None,
        backoff_s: tuple[float, ...] = BACKOFF_S,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.db, self.hub, self.backoff_s = db, hub, backoff_s
        self.own = live.OwnBackends(db.engine)
        self.own_writes = live.own_writes(db.engine.url)  # this app's imports in its helper
        self.listener: live.Listener | None = None
        self.version = 0
        self._held: list[int] = []  # data versions heard while an own import was landing
        self._hold = QTimer(self)
        self._hold.setSingleShot(True)
        self._hold.setInterval(HOLD_MS)
        self._hold.timeout.connect(self._settle)
        self._notifier: QSocketNotifier | None = None
        self._thread: threading.Thread | None = None
        self._failures = 0
        self._lost = False
        self._closed = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._connect)
        self._ready.connect(self._on_ready)
        self._failed.connect(self._on_failed)

    def start(self) -> None:
        self._connect()

    def _connect(self) -> None:
        if self._closed or (self._thread is not None and self._thread.is_alive()):
            return
        listener = live.Listener(self.db.engine.url, self.own)

        def work() -> None:
            try:
                version = listener.connect()
            except Exception as exc:  # unreachable, refused, timed out: retried
                if not self._closed:
                    self._failed.emit(str(exc).strip().splitlines()[0] if str(exc) else "")
                return
            if self._closed:
                listener.close()
            else:
                self._ready.emit(listener, version)

        self._thread = threading.Thread(target=work, name="barberbi-live-connect", daemon=True)
        self._thread.start()

    def _on_ready(self, listener: live.Listener, version: int) -> None:
        if self._closed:
            listener.close()
            return
        self.listener, self._failures = listener, 0
        self._notifier = QSocketNotifier(listener.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._readable)
        was_lost, self._lost = self._lost, False
        self.version = version
        self.connected.emit()
        if was_lost:  # what changed meanwhile was never announced here: refresh once
            self.status.emit(f"Connected again to {listener.place}; the figures are up to date.")
            self.hub.publish(DataChanged(reason="reconnected"))
        self._readable()  # a notice may have come with the connection itself

    def _on_failed(self, detail: str) -> None:
        log.info("live updates: cannot connect (%s)", detail)
        if not self._lost:
            self._lost = True
            self.status.emit(
                f"{live.pg.where(self.db.engine.url).first} cannot be reached, so changes "
                "from other computers do not show yet; BarberBI keeps trying."
            )
        self._retry()

    def _retry(self) -> None:
        pause = self.backoff_s[min(self._failures, len(self.backoff_s) - 1)]
        self._failures += 1
        self._timer.start(int(pause * 1000))

    def _readable(self) -> None:
        if self.listener is None:
            return
        try:
            notices = self.listener.drain()
        except live.LostConnection as exc:
            self._drop(str(exc))
            return
        self._deliver(notices)

    def _drop(self, detail: str) -> None:
        log.warning("live updates: the connection was lost (%s)", detail)
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
            self._notifier = None
        place = self.listener.place if self.listener is not None else ""
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        self._lost = True
        self.status.emit(
            f"The connection to {place} was lost (was the server restarted?); BarberBI "
            "is reconnecting and will refresh when it is back."
        )
        self._retry()

    def _deliver(self, notices: list[live.Notice]) -> None:
        for notice in notices:
            if notice.channel == live.DATA:
                self._held.append(_int(notice.payload, self.version))
            elif notice.channel == live.RESULTS:
                engine, _, run_id = notice.payload.partition(" ")
                if run_id.isdigit():
                    self.hub.publish(ResultsReady(engine, int(run_id)))
            elif notice.channel == live.ALERTS:
                ids = tuple(int(i) for i in notice.payload.split(",") if i.isdigit())
                if ids:
                    self.hub.publish(AlertsRaised(ids))
        self._settle()

    def _settle(self) -> None:
        """Publish one refresh for the data notices heard, unless they are all this
        app's own import (whose helper's event already refreshes it); while such an
        import is landing its version is not known yet, so they wait for it."""
        if not self._held or self._closed:
            return
        if self.own_writes.landing:
            self._hold.start()
            return
        heard, self._held = self._held, []
        others = [v for v in heard if not self.own_writes.take(v)]
        before, self.version = self.version, max(self.version, *heard)
        if others and max(others) > before:  # several notices in one read: one refresh
            self.hub.publish(DataChanged(reason=REASON))

    def close(self) -> None:
        self._closed = True
        self._timer.stop()
        self._hold.stop()
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier = None
        if self.listener is not None:
            self.listener.close()
            self.listener = None
        if self._thread is not None:
            self._thread.join(timeout=live.pg.CONNECT_TIMEOUT_S + 1)
        self.own.close()


def _int(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default
