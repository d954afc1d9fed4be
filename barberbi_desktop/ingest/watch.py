"""The watch folder: exports dropped into a folder are imported on their own.

A file is taken only once its size and modification time have stayed the same
for ``watch.settle_seconds`` (10 s unless the owner changes it) and across two
scans: a browser or a sync client may pause mid-file, and a file taken during a
3 s pause landed 599 of its 3,000 rows. Afterwards it moves to ``imported/`` or
``rejected/`` with a short report beside it, so staff can see what happened
without the app; a refused file also raises an alert, since nobody was watching
it land. A file that keeps changing after it landed (its writer still had it
open) is imported again once it settles, which the upsert makes safe, and its
report says so. One bad file never stops the others. A link to a file outside
the folder is not followed: the import would otherwise read, and its report
quote, whatever file the link names.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from barberbi_desktop.alerts.rules import import_rejected
from barberbi_desktop.alerts.store import raise_alerts
from barberbi_desktop.computer import import_location
from barberbi_desktop.events import AlertsRaised, EventHub
from barberbi_desktop.ingest.importer import FileReport, Importer
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.settings import get_setting
from barberbi_desktop.storage.shop_config import alert_settings

log = logging.getLogger(__name__)
SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx"}
SETTLE_SETTING = "watch.settle_seconds"
SETTLE_SECONDS = 10.0
KEEP_LANDED = 200  # landed files watched for late changes (the most recent ones)


@dataclass
class _Seen:
    """A file's size and modification time, and since when (monotonic) they held."""

    size: int
    mtime_ns: int
    since: float

    def same(self, st: os.stat_result) -> bool:
        return (self.size, self.mtime_ns) == (st.st_size, st.st_mtime_ns)


@dataclass
class _Landed(_Seen):
    at: float  # wall-clock time it landed, for the report


class WatchFolder:
    def __init__(
        self,
        db: Database,
        folder: Path,
        hub: EventHub | None = None,
        settle_seconds: float | None = None,
    ) -> None:
        self.db = db
        self.folder = folder
        self.hub = hub
        self._settle = settle_seconds  # None: the shop's setting, read at each scan
        self._seen: dict[Path, _Seen] = {}
        self._landed: dict[Path, _Landed] = {}  # imported/ file -> how it was when it landed
        self._stuck: dict[Path, _Seen] = {}  # could not be moved; skipped until it changes

    def settle_seconds(self) -> float:
        if self._settle is not None:
            return self._settle
        value = get_setting(self.db, SETTLE_SETTING, SETTLE_SECONDS)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            return SETTLE_SECONDS
        return float(value)

    def _settled(self, path: Path, st: os.stat_result, now: float, settle: float) -> bool:
        """True once ``path`` was seen unchanged at an earlier scan and for ``settle`` s."""
        seen = self._seen.get(path)
        if seen is None or not seen.same(st):
            self._seen[path] = _Seen(st.st_size, st.st_mtime_ns, now)
            return False
        return now - seen.since >= settle

    def _inside(self, path: Path) -> bool:
        root = os.path.realpath(self.folder)
        return os.path.commonpath([root, os.path.realpath(path)]) == root

    def _ready(self) -> tuple[list[Path], list[Path], list[Path]]:
        """(new files that settled, links leading outside, landed files that changed)."""
        now, settle = time.monotonic(), self.settle_seconds()
        ready, outside = [], []
        present = set()
        for path in sorted(self.folder.iterdir()):
            if path.suffix.lower() not in SUFFIXES or path.name.startswith((".", "~$")):
                continue
            if path.is_symlink() and not self._inside(path):
                outside.append(path)
                continue
            try:
                st = path.stat()
            except OSError:  # vanished, or a broken link
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            present.add(path)
            stuck = self._stuck.get(path)
            if stuck is not None and stuck.same(st):
                continue
            if self._settled(path, st, now, settle):
                ready.append(path)
        changed = []
        for target, landed in list(self._landed.items()):
            try:
                st = target.stat()
            except OSError:
                self._landed.pop(target)
                continue
            if landed.same(st):
                continue
            present.add(target)
            if self._settled(target, st, now, settle):
                changed.append(target)
        for gone in set(self._seen) - present:
            self._seen.pop(gone)
        return ready, outside, changed

    def scan(self) -> list[FileReport]:
        """Import every settled file once; each lands or is rejected on its own."""
        self.folder.mkdir(parents=True, exist_ok=True)
        ready, outside, changed = self._ready()
        done = [self._refuse_link(path) for path in outside]
        for path in ready:
            report = self._import(path)
            earlier = self.folder / "imported" / path.name
            if report.status == "landed" and earlier.exists():
                report.problems.insert(0, (
                    f"A file named {path.name} was imported before; this one was imported "
                    "again (rows already in the shop were updated, not added twice)."
                ))  # fmt: skip
            outcome = "imported" if report.status == "landed" else "rejected"
            target = self._move(path, outcome)
            if target is not None:
                report.file = str(target)
                self._write_reports(target, report)
                if outcome == "imported":
                    self._remember_landed(target)
            if outcome == "rejected":
                self._alert(path.name, report.reason or "the file was refused.")
            log.info("watch folder: %s %s", path.name, outcome)
            done.append(report)
        for target in changed:
            done.append(self._import_again(target))
        return done

    def _import(self, path: Path) -> FileReport:
        """Import one file; whatever goes wrong becomes its rejection, never the scan's."""
        try:
            # A file that names no location is this computer's (`computer.import_location`).
            location = import_location(self.db.url)
            return Importer(self.db, hub=self.hub).import_files([path], location=location)[0]
        except Exception:
            log.exception("watch folder: %s could not be imported", path.name)
            return FileReport(
                str(path),
                reason=f"{path.name} could not be imported because of an unexpected error "
                "(details are in the BarberBI log); the shop's data was not changed.",
            )

    def _import_again(self, target: Path) -> FileReport:
        """A landed file changed after it landed (its writer still had it open)."""
        self._seen.pop(target, None)
        report = self._import(target)
        landed_at = datetime.fromtimestamp(self._landed[target].at).strftime("%H:%M")
        if report.status == "landed":
            report.problems.insert(0, (
                f"{target.name} changed after it was imported at {landed_at}, so it was "
                "imported again (rows already in the shop were updated, not added twice)."
            ))  # fmt: skip
            self._remember_landed(target)
        else:
            report.reason = (
                f"{target.name} changed after it was imported at {landed_at}, and the changed "
                f"file was refused, so the rows imported then stay as they were: {report.reason}"
            )
            self._landed.pop(target, None)
            self._alert(target.name, report.reason)
        self._write_reports(target, report)
        log.info("watch folder: %s changed after landing; imported again", target.name)
        return report

    def _remember_landed(self, target: Path) -> None:
        try:
            st = target.stat()
        except OSError:
            return
        self._landed.pop(target, None)
        self._landed[target] = _Landed(st.st_size, st.st_mtime_ns, time.monotonic(), time.time())
        while len(self._landed) > KEEP_LANDED:
            self._landed.pop(next(iter(self._landed)))

    def _refuse_link(self, path: Path) -> FileReport:
        reason = (
            f"{path.name} is a link to a file outside the watch folder, so it was not read; "
            "copy the export itself into the folder."
        )
        report = FileReport(str(path), reason=reason)
        target = self._move(path, "rejected")
        if target is not None:
            report.file = str(target)
            self._write_reports(target, report)
        self._alert(path.name, reason)
        log.info("watch folder: %s is a link outside the folder; not followed", path.name)
        return report

    def _move(self, path: Path, outcome: str) -> Path | None:
        """Move a file (or a link itself, never its target) into ``outcome``/."""
        target_dir = self.folder / outcome
        try:
            target_dir.mkdir(exist_ok=True)
            target = target_dir / path.name
            if target.exists() or target.is_symlink():
                stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
                target = target_dir / f"{path.stem}.{stamp}{path.suffix}"
            os.replace(path, target)
        except OSError as exc:
            log.warning("watch folder: %s cannot be moved to %s/ (%s)", path.name, outcome, exc)
            try:
                st = path.stat()
                self._stuck[path] = _Seen(st.st_size, st.st_mtime_ns, time.monotonic())
            except OSError:
                pass
            return None
        self._seen.pop(path, None)
        self._stuck.pop(path, None)
        return target

    def _write_reports(self, target: Path, report: FileReport) -> None:
        try:
            target.with_name(target.name + ".report.txt").write_text(_report_text(report))
            target.with_name(target.name + ".report.json").write_text(
                json.dumps(report.as_dict(), indent=2)
            )
        except OSError as exc:
            log.warning("watch folder: the report on %s cannot be written (%s)", target.name, exc)

    def _alert(self, name: str, reason: str) -> None:
        """Nobody watched this import happen, so the refusal becomes an alert."""
        try:
            ids = raise_alerts(self.db, [import_rejected(name, reason, alert_settings(self.db))])
        except Exception:  # the file is in rejected/ with its report whatever happens here
            log.exception("watch folder: the alert on %s could not be raised", name)
            return
        if ids and self.hub is not None:
            self.hub.publish(AlertsRaised(tuple(ids)))

    def scan_once(self) -> list[FileReport]:
        """One pass for a command run by hand: files unchanged over the settle time are
        taken (it waits that long when a file is there), the rest are left for later."""
        done = self.scan()
        if self._seen:
            time.sleep(self.settle_seconds() + 0.05)
            done += self.scan()
        return done

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
