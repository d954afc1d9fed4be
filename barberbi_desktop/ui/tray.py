"""System-tray notifications, for alerts raised on worker threads.

`show` may be called from any thread: it emits a signal, and Qt queues the
actual `showMessage` to the GUI thread where the tray icon lives.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QSystemTrayIcon, QWidget

from barberbi_desktop.ui.shell import app_icon

ICONS = {
    "critical": QSystemTrayIcon.MessageIcon.Critical,
    "high": QSystemTrayIcon.MessageIcon.Warning,
}


class TraySink(QObject):
    _request = Signal(str, str, str)

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.tray = QSystemTrayIcon(app_icon(), window)
        self.tray.setToolTip("BarberBI")
        self.tray.show()
        self._request.connect(self._show)

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show(self, title: str, message: str, priority: str) -> bool:
        self._request.emit(title, message, priority)
        return True

    def _show(self, title: str, message: str, priority: str) -> None:
        icon = ICONS.get(priority, QSystemTrayIcon.MessageIcon.Information)
        self.tray.showMessage(title, message, icon, 0 if priority == "critical" else 10_000)
