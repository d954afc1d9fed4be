"""Hub events as Qt signals on the GUI thread.

The hub calls subscribers on whatever thread published (a scheduler worker);
re-emitting from this QObject, which lives on the GUI thread, makes Qt queue
the call to connected slots there (DESIGN.md 8.6).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from barberbi_desktop.events import AlertsRaised, DataChanged, EventHub, ResultsReady


class HubBridge(QObject):
    results_ready = Signal(str, int)
    alerts_raised = Signal(object)  # tuple of alert ids
    data_changed = Signal(str)

    def __init__(self, hub: EventHub, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe = [
            hub.subscribe(ResultsReady, lambda e: self.results_ready.emit(e.engine, e.run_id)),
            hub.subscribe(AlertsRaised, lambda e: self.alerts_raised.emit(e.alert_ids)),
            hub.subscribe(DataChanged, lambda e: self.data_changed.emit(e.reason)),
        ]

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
