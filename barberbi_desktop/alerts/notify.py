"""Desktop notifications for alerts at or above a chosen priority. Qt-free.

The `NotificationManager` listens for `AlertsRaised` on the event hub and hands
each alert worth showing to its sinks. `DbusNotifier` talks to the freedesktop
notification service on the session bus (any Linux desktop, tray or not); the
UI adds a tray sink and the in-app toast and badge (napari's notification
manager works the same way).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import text

from barberbi_desktop import platform
from barberbi_desktop.events import AlertsRaised, EventHub
from barberbi_desktop.storage.db import Database

log = logging.getLogger(__name__)
RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}
URGENCY = {"critical": 2, "high": 1, "medium": 1, "low": 0}  # freedesktop: low, normal, critical


class Sink(Protocol):
    def show(self, title: str, message: str, priority: str) -> bool: ...


class DbusNotifier:
    """org.freedesktop.Notifications over the session bus, via jeepney."""

    def __init__(self, address: str | None = None, app_name: str = "BarberBI") -> None:
        self.address = address or platform.session_bus_address()
        self.app_name = app_name

    @staticmethod
    def available() -> bool:
        """Whether this system has a session bus to try (Linux and the BSDs); elsewhere
        the tray shows notifications."""
        return platform.session_bus_address() is not None

    def show(self, title: str, message: str, priority: str) -> bool:
        """True when the notification service accepted the notification."""
        if not self.address:
            return False
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        target = DBusAddress(
            "/org/freedesktop/Notifications",
            bus_name="org.freedesktop.Notifications",
            interface="org.freedesktop.Notifications",
        )
        hints = {"urgency": ("y", URGENCY.get(priority, 1))}
        timeout_ms = 0 if priority == "critical" else 10_000  # critical stays until dismissed
        call = new_method_call(
            target,
            "Notify",
            "susssasa{sv}i",
            (self.app_name, 0, "dialog-warning", title, message, [], hints, timeout_ms),
        )
        try:
            with open_dbus_connection(bus=self.address) as conn:
                reply = conn.send_and_get_reply(call, timeout=5)
        except Exception as exc:  # no bus, no service: the in-app toast still shows it
            log.info("desktop notification not shown: %s", exc)
            return False
        return bool(reply.body and reply.body[0] > 0)


class NotificationManager:
    def __init__(
        self, db: Database, hub: EventHub, sinks: Sequence[Sink], min_priority: str | None = None,
        location_id: int | None = None,
    ) -> None:
        """``min_priority`` None: the owner's choice in Alerts > Rules, read at each alert.
        ``location_id``: a location manager's, who is shown that location's alerts only."""
        self.db, self.sinks, self.min_priority = db, list(sinks), min_priority
        self.location_id = location_id
        self.shown: list[int] = []
        self._unsubscribe = hub.subscribe(AlertsRaised, self.on_alerts)

    def on_alerts(self, event: AlertsRaised) -> None:
        if not event.alert_ids:
            return
        marks = ", ".join(str(int(i)) for i in event.alert_ids)
        scope = "" if self.location_id is None else " AND location_id = :loc"
        with self.db.read() as conn:
            rows = conn.execute(
                text(
                    f"SELECT id, priority, title, message FROM alerts WHERE id IN ({marks})"
                    f"{scope} ORDER BY id"
                ),
                {"loc": self.location_id},
            ).all()
        least = self.min_priority
        if least is None:
            from barberbi_desktop.storage.shop_config import alert_settings

            least = alert_settings(self.db).notify_at
        for alert_id, priority, title, message in rows:
            if RANK.get(priority, 3) > RANK.get(least, 1):
                continue
            for sink in self.sinks:
                sink.show(title, message, priority)
            self.shown.append(int(alert_id))

    def close(self) -> None:
        self._unsubscribe()
