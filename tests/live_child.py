"""A second app process for tests/test_live.py: listens like the app does and prints
every hub event it gets, one line each (fields split by tabs), with the time it got it.

    python -m tests.live_child URL

Prints ``ready`` once listening; ends when its standard input closes."""

from __future__ import annotations

import sys
import time

from PySide6.QtCore import QCoreApplication, QSocketNotifier

from barberbi_desktop.events import DataChanged, EventHub, ResultsReady
from barberbi_desktop.storage.db import open_database
from barberbi_desktop.ui.live import LiveUpdates


def main(url: str) -> int:
    app = QCoreApplication([])
    db = open_database(url, create=False)
    hub = EventHub()

    def say(line: str) -> None:
        print(line, flush=True)

    hub.subscribe(DataChanged, lambda e: say(f"changed\t{e.reason}\t{time.time():.6f}"))
    hub.subscribe(ResultsReady, lambda e: say(f"results {e.engine} {e.run_id}"))
    live = LiveUpdates(db, hub)
    live.connected.connect(lambda: say("ready"))
    live.status.connect(lambda text: say(f"status {text}"))
    stdin = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    stdin.activated.connect(lambda: sys.stdin.readline() or app.quit())
    live.start()
    try:
        return app.exec()
    finally:
        live.close()
        db.dispose()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
