"""The watch folder: exports dropped into a folder are imported on their own.

A file is only picked up once its size has stopped changing (a browser may
still be writing it). Afterwards it moves to ``imported/`` or ``rejected/``
with a short report beside it, so staff can see what happened without the app;
a refused file also raises an alert, since nobody was watching it land.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from datetime import datetime
from pathlib import Path

from barberbi_desktop.alerts.rules import import_rejected
from barberbi_desktop.alerts.store import raise_alerts
from barberbi_desktop.events import AlertsRaised, EventHub
from barberbi_desktop.ingest.importer import FileReport, Importer
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.shop_config import alert_settings

log = logging.getLogger(__name__)
SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx"}


class WatchFolder:
    def __init__(self, db: Database, folder: Path, hub: EventHub | None = None) -> None:
        self.db = db
        self.folder = folder
        self.hub = hub
        self._sizes: dict[Path, int] = {}

    def _ready(self) -> list[Path]:
        """Files whose size is the same as at the previous scan (or settled for 2 s)."""
        ready = []
        for path in sorted(self.folder.iterdir()):
            if not path.is_file() or path.suffix.lower() not in SUFFIXES:
                continue
            if path.name.startswith((".", "~$")):
                continue
            size = path.stat().st_size
            settled = time.time() - path.stat().st_mtime > 2
            if self._sizes.get(path) == size or settled:
                ready.append(path)
            self._sizes[path] = size
        return ready

    def scan(self) -> list[FileReport]:
        """Import every settled file once; each lands or is rejected on its own."""
        self.folder.mkdir(parents=True, exist_ok=True)
        done = []
        for path in self._ready():
            report = Importer(self.db, hub=self.hub).import_files([path])[0]
            outcome = "imported" if report.status == "landed" else "rejected"
            target_dir = self.folder / outcome
            target_dir.mkdir(exist_ok=True)
            target = target_dir / path.name
            if target.exists():
                stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
                target = target_dir / f"{path.stem}.{stamp}{path.suffix}"
            shutil.move(str(path), target)
            report.file = str(target)
            target.with_name(target.name + ".report.txt").write_text(_report_text(report))
            target.with_name(target.name + ".report.json").write_text(
                json.dumps(report.as_dict(), indent=2)
            )
            self._sizes.pop(path, None)
            if outcome == "rejected":
                self._alert(path.name, report.reason or "the file was refused.")
            log.info("watch folder: %s %s", path.name, outcome)
            done.append(report)
        return done

    def _alert(self, name: str, reason: str) -> None:
        """Nobody watched this import happen, so the refusal becomes an alert."""
        ids = raise_alerts(self.db, [import_rejected(name, reason, alert_settings(self.db))])
        if ids and self.hub is not None:
            self.hub.publish(AlertsRaised(tuple(ids)))

    def run_forever(self, interval: float) -> None:
        while True:
            self.scan()
            time.sleep(interval)


def _report_text(r: FileReport) -> str:
    name = Path(r.file).name
    if r.status != "landed":
        return f"{name} was not imported.\n{r.reason}\n"
    lines = [
        f"{name} was imported as {r.platform} (batch {r.batch_id}).",
        f"Rows read: {r.rows_read}; new: {r.inserted}; updated: {r.updated}; "
        f"unchanged: {r.unchanged}; skipped: {r.rejected}.",
    ]
    lines += [f"  {p}" for p in r.problems]
    return "\n".join(lines) + "\n"
