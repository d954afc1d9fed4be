"""One app per database: a second start brings the first window forward and exits.

Two copies on one database each ran every scheduled job (twice the work, each one
marking the other's running results as interrupted) and opened one window exactly on
top of the other. The first copy listens on a local socket named from a hash of the
resolved database (and the user's home folder, so two accounts on one computer never
share a name); a later start connects, asks it to come forward and exits 0. The
check runs before the login, the interrupted-runs sweep and the scheduler.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from PySide6.QtCore import QDir, QLockFile, QObject, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QApplication, QWidget

from barberbi_desktop.config import resolve_db
from barberbi_desktop.storage.db import sqlite_path

RAISE = b"raise\n"
CONNECT_MS = 1000


def server_name(db: str | os.PathLike[str] | None) -> str:
    """The socket name for ``db`` (as ``--db`` takes it): the same file by any path
    (relative, through a symlink, differently cased on Windows) gives the same name."""
    url = resolve_db(db)
    path = sqlite_path(url)
    key = os.path.normcase(str(path.resolve())) if path is not None else url
    digest = hashlib.sha256(f"{Path.home()}\0{key}".encode()).hexdigest()[:24]
    return f"barberbi-{digest}"


class SingleInstance(QObject):
    """The claim on one database; keep it alive as long as the app runs."""

    raise_requested = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.server: QLocalServer | None = None
        self.window: QWidget | None = None  # brought forward; None: the open dialog, if any
        self.raised = 0  # how many later starts asked this one forward

    def ask_running(self) -> bool:
        """Whether another copy answers on this database; if so it is asked forward."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(CONNECT_MS):
            return False
        socket.write(RAISE)
        socket.waitForBytesWritten(CONNECT_MS)
        socket.disconnectFromServer()
        return True

    def claim(self) -> bool:
        """True: this is the only copy on the database, now listening for later starts.
        False: another copy has it and was asked to come forward.

        A socket file left by a killed copy refuses connections; it is removed and
        taken over. A lock file around connect-remove-listen keeps two copies started
        together from both deciding they are first (QLockFile takes over a lock whose
        process has died). When no socket can be made (an unwritable temp folder) the
        app still opens, unguarded, and says so on stderr."""
        lock = QLockFile(f"{QDir.tempPath()}/{self.name}.lock")
        locked = lock.tryLock(5000)
        try:
            if self.ask_running():
                return False
            QLocalServer.removeServer(self.name)  # a stale socket: its app is gone
            server = QLocalServer(self)
            server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
            if not server.listen(self.name):
                print(
                    f"barberbi: could not watch for a second start ({server.errorString()}); "
                    "two copies on this database would both run its jobs.",
                    file=sys.stderr,
                )
                return True
            server.newConnection.connect(self._accept)
            self.server = server
            return True
        finally:
            if locked:
                lock.unlock()

    def close(self) -> None:
        if self.server is not None:
            self.server.close()  # removes the socket file
            self.server = None

    # No Python state per connection (no lambdas, no dict): a connection is a C++
    # child of the server that deletes itself on disconnect, so nothing in Python
    # can reach a socket Qt has destroyed (that crashed in a test run).
    @Slot()
    def _accept(self) -> None:
        assert self.server is not None
        while (socket := self.server.nextPendingConnection()) is not None:
            socket.readyRead.connect(self._ready)
            socket.disconnected.connect(socket.deleteLater)
            self._read(socket)  # bytes may have come with the connection

    @Slot()
    def _ready(self) -> None:
        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        while socket.canReadLine():
            if bytes(socket.readLine().data()) == RAISE:
                self.raised += 1
                print(
                    "barberbi: started again on this database; bringing this window forward.",
                    file=sys.stderr,
                )
                self.bring_forward()
                self.raise_requested.emit()

    def bring_forward(self) -> None:
        """Show the window (un-minimised) on top, then any dialog it has open; before
        the window exists, the login dialog. A desktop that prevents focus stealing
        may only flash it in the task bar instead."""
        app = QApplication.instance()
        targets: list[QWidget] = []
        if self.window is not None and not self.window.isHidden():
            targets.append(self.window)
        modal = QApplication.activeModalWidget() if isinstance(app, QApplication) else None
        if modal is not None and modal not in targets:
            targets.append(modal)
        for widget in targets:
            if widget.isMinimized():
                widget.showNormal()
            widget.raise_()
            widget.activateWindow()
