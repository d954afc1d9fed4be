"""What a tab switch costs the GUI thread on an idle machine: layout and paint.

Run by hand: ``python benchmarks/tab_switch.py --db SHOP_OR_CHAIN.db`` (a copy is
used; run the engines on it first). Opens the main window offscreen, builds every
tab and lets its data land, then switches to each tab six times and prints JSON
with the median milliseconds from the switch to the end of its paint. The UI
benchmark's stalls under load are these costs, stretched by the helpers' work.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=6)
    ns = parser.parse_args()
    from PySide6.QtWidgets import QApplication

    from barberbi_desktop.storage.db import open_database
    from barberbi_desktop.ui.main_window import MainWindow

    folder = Path(tempfile.mkdtemp(prefix="barberbi-tabs-bench-"))
    path = folder / "shop.db"
    shutil.copyfile(ns.db, path)
    app = QApplication.instance() or QApplication([])
    db = open_database(path, create=False)
    window = MainWindow(db)
    window.show()
    window.runner.settle()

    def idle(turns: int) -> None:
        for _ in range(turns):
            app.processEvents()
            time.sleep(0.002)

    for i in range(window.tabs.count()):  # build each tab and let its data and sizing land
        window.tabs.setCurrentIndex(i)
        idle(30)
        window.runner.settle()
        idle(50)
    times: dict[str, list[float]] = {}
    for _ in range(ns.repeats):
        for i in range(window.tabs.count()):
            start = time.perf_counter()
            window.tabs.setCurrentIndex(i)
            app.processEvents()
            app.processEvents()
            name = window.tabs.tabText(i).split(" (")[0]
            times.setdefault(name, []).append((time.perf_counter() - start) * 1000)
            idle(10)
    window.close()
    db.dispose()
    shutil.rmtree(folder)
    print(json.dumps({
        "db": str(ns.db),
        "median_switch_ms": {k: round(statistics.median(v), 1) for k, v in times.items()},
        "max_switch_ms": {k: round(max(v), 1) for k, v in times.items()},
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
