"""A small, Qt-free event hub: typed events, synchronous delivery, isolated failures.

Jobs publish from worker threads; the UI subscribes and re-emits on the GUI
thread with queued signals (DESIGN.md 8.5-8.6). A subscriber that raises is
logged and does not stop the others or the publisher.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DataChanged:
    """Shop data was written (an import landed, a record was edited)."""

    reason: str
    batch_id: int | None = None


@dataclass(frozen=True)
class ResultsReady:
    engine: str
    run_id: int


@dataclass(frozen=True)
class AlertsRaised:
    alert_ids: tuple[int, ...]


E = TypeVar("E")


class EventHub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[type, list[Callable[[Any], None]]] = {}

    def subscribe(self, event_type: type[E], callback: Callable[[E], None]) -> Callable[[], None]:
        """Call ``callback`` for every event of that type; returns the unsubscribe function."""
        with self._lock:
            self._subscribers.setdefault(event_type, []).append(callback)

        def unsubscribe() -> None:
            with self._lock:
                callbacks = self._subscribers.get(event_type, [])
                if callback in callbacks:
                    callbacks.remove(callback)

        return unsubscribe

    def publish(self, event: object) -> None:
        with self._lock:
            callbacks = list(self._subscribers.get(type(event), []))
        for callback in callbacks:
            try:
                callback(event)
            except Exception:  # one broken subscriber must not silence the rest
                log.exception("subscriber %r failed on %r", callback, event)
