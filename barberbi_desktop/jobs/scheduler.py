"""The background scheduler: KPIs every minute and after every data change, the heavy
engines nightly and a few minutes after a change (debounced), the daily backup, and
the watch-folder scan.

APScheduler's job store lives in the shop database so schedules survive a
restart, and runs missed while the computer was off are coalesced into one.
Stored jobs must be picklable, so they name the database by URL and find the
live `Database` and `EventHub` in a registry filled by `ShopScheduler.start`.
Nothing here touches Qt; results go out through the hub.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from barberbi_desktop.errors import InputError
from barberbi_desktop.events import AlertsRaised, DataChanged, EventHub, ResultsReady
from barberbi_desktop.priority import background_pool
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.results import data_version, latest_run
from barberbi_desktop.storage.settings import shop_zone

log = logging.getLogger(__name__)
HEAVY = ("ltv", "methodology", "revenue")
_RUNTIME: dict[str, tuple[Database, EventHub]] = {}
# Two helper processes per shop: KPIs (every minute, and they keep their recent frames
# between runs) never queue behind a heavy engine that runs for tens of seconds.
_POOLS: dict[tuple[str, str], ProcessPoolExecutor] = {}
_RUNTIME_LOCK = threading.Lock()


def _runtime(db_url: str) -> tuple[Database, EventHub] | None:
    with _RUNTIME_LOCK:
        return _RUNTIME.get(db_url)


def _engine_in_helper(db_path: str, engine: str) -> tuple[int, dict[str, object]]:
    """Runs in the engine process: open the shop, run, store; the GUI's process only waits
    in a worker thread, without the GIL, so an engine can never stall the window."""
    from barberbi_desktop.jobs.runner import run_engine
    from barberbi_desktop.storage.db import open_database
    from barberbi_desktop.storage.frames import shutdown_reader

    db = open_database(db_path, create=False)
    try:
        outcome = run_engine(db, engine)
        return outcome.run_id, {}
    finally:
        db.dispose()
        shutdown_reader()  # no grandchild may outlive the run (it would block this exit)


def _run(db_url: str, db: Database, engine: str) -> int:
    from barberbi_desktop.jobs.runner import run_engine

    with _RUNTIME_LOCK:
        pool = _POOLS.get((db_url, "kpi" if engine == "kpi" else "heavy"))
    if pool is not None and db.path is not None:
        return pool.submit(_engine_in_helper, str(db.path), engine).result()[0]
    return run_engine(db, engine).run_id  # today, in the shop's time zone


def run_scheduled(db_url: str, engine: str, skip_if_unchanged: bool = False) -> int | None:
    """Run one engine for a registered shop; publish its results. Never raises."""
    from barberbi_desktop.alerts.store import list_alerts

    runtime = _runtime(db_url)
    if runtime is None:  # the app that scheduled this is not running
        return None
    db, hub = runtime
    if skip_if_unchanged:
        last = latest_run(db, engine)
        if last is not None and last.data_version == data_version(db):
            log.info("%s skipped: the data has not changed since run %s", engine, last.run_id)
            return None
    before = set(list_alerts(db, limit=50)["id"])
    try:
        run_id = _run(db_url, db, engine)
    except Exception:
        log.exception("scheduled %s run failed (stored on the run and alerted)", engine)
        return None
    finally:
        raised = tuple(int(i) for i in set(list_alerts(db, limit=50)["id"]) - before)
        if raised:
            hub.publish(AlertsRaised(raised))
    hub.publish(ResultsReady(engine, run_id))
    return run_id


def run_heavy(db_url: str, skip_if_unchanged: bool = True) -> None:
    for engine in HEAVY:
        run_scheduled(db_url, engine, skip_if_unchanged)


def backup_job(db_url: str) -> None:
    """The daily backup; a failure is an alert (nobody watches it run), never a crash."""
    from barberbi_desktop.alerts import rules
    from barberbi_desktop.alerts.store import raise_alerts
    from barberbi_desktop.storage.backup import make_backup
    from barberbi_desktop.storage.shop_config import alert_settings

    runtime = _runtime(db_url)
    if runtime is None:
        return
    db, hub = runtime
    try:
        make_backup(db)
    except Exception as exc:
        log.exception("scheduled backup failed")
        reason = str(exc) if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}."
        raised = raise_alerts(db, [rules.backup_failed(reason, alert_settings(db))])
        if raised:
            hub.publish(AlertsRaised(tuple(raised)))


_WATCHERS: dict[str, object] = {}


def watch_job(db_url: str) -> int:
    """Scan the shop's watch folder (the ``watch_folder`` setting), if one is set."""
    from pathlib import Path

    from barberbi_desktop.ingest.watch import WatchFolder
    from barberbi_desktop.storage.settings import get_setting

    runtime = _runtime(db_url)
    if runtime is None:
        return 0
    db, hub = runtime
    folder = get_setting(db, "watch_folder")
    if not folder:
        return 0
    watcher = _WATCHERS.get(db_url)
    if not isinstance(watcher, WatchFolder) or watcher.folder != Path(folder):
        watcher = WatchFolder(db, Path(folder), hub=hub)
        _WATCHERS[db_url] = watcher
    try:
        return len(watcher.scan())  # each file lands or is rejected on its own
    except OSError:
        log.exception("watch folder %s cannot be scanned", folder)
        return 0


def _trigger(spec: dict[str, object]) -> IntervalTrigger | CronTrigger:
    if spec["trigger"] == "interval":
        return IntervalTrigger(seconds=int(spec["seconds"]), timezone=UTC)  # type: ignore[call-overload]
    return CronTrigger(hour=int(spec["hour"]), timezone=spec.get("timezone", UTC))  # type: ignore[call-overload]


def _same_trigger(old: object, new: IntervalTrigger | CronTrigger) -> bool:
    """Same schedule: same fields and, for a daily hour, the same zone (the hour was
    read as UTC before it was the shop's)."""
    return str(old) == str(new) and str(getattr(old, "timezone", "")) == str(
        getattr(new, "timezone", "")
    )


class ShopScheduler:
    def __init__(
        self,
        db: Database,
        hub: EventHub,
        kpi_every_s: int = 60,
        debounce_s: int = 180,
        nightly_hour: int = 2,
        watch_every_s: int = 15,
        engines_in_process: bool = False,
    ) -> None:
        self.db, self.hub = db, hub
        # The app runs engines in a helper process (its GUI thread must never wait on the
        # GIL); tests keep them in-process so they can substitute engines.
        self.engines_in_process = engines_in_process and db.path is not None
        self.watch_every_s = watch_every_s
        self.url = db.engine.url.render_as_string(hide_password=False)
        self.kpi_every_s, self.debounce_s, self.nightly_hour = kpi_every_s, debounce_s, nightly_hour
        # The nightly hour is on the shop's clock: 2:00 in New York is 2:00 there,
        # summer or winter (APScheduler's cron follows the zone's daylight saving).
        self.zone = ZoneInfo(shop_zone(db))
        self.scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=self.url), "now": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(2)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 12 * 3600},
            timezone=UTC,
        )
        self._unsubscribe = None

    def start(self, paused: bool = False) -> None:
        """Start; jobs already in the store keep their next run time, so runs missed while
        the app was closed are coalesced into one as soon as it opens."""
        with _RUNTIME_LOCK:
            _RUNTIME[self.url] = (self.db, self.hub)
            if self.engines_in_process:
                for kind in ("kpi", "heavy"):
                    _POOLS[(self.url, kind)] = background_pool()
        s = self.scheduler
        s.start(paused=True)
        wanted = {
            "kpi": dict(
                func=run_scheduled,
                trigger="interval",
                seconds=self.kpi_every_s,
                args=(self.url, "kpi"),
            ),
            "nightly": dict(
                func=run_heavy,
                trigger="cron",
                hour=self.nightly_hour,
                timezone=self.zone,
                args=(self.url,),
            ),
            "watch": dict(
                func=watch_job, trigger="interval", seconds=self.watch_every_s, args=(self.url,)
            ),
            "backup": dict(
                func=backup_job,
                trigger="cron",
                hour=(self.nightly_hour + 1) % 24,
                timezone=self.zone,
                args=(self.url,),
            ),
        }
        for job_id, spec in wanted.items():
            job = s.get_job(job_id)
            if job is None:
                s.add_job(id=job_id, **spec)
            elif not _same_trigger(job.trigger, _trigger(spec)):  # the schedule changed
                s.reschedule_job(job_id, trigger=_trigger(spec))
        self._unsubscribe = self.hub.subscribe(DataChanged, self.on_data_changed)
        if not paused:
            s.resume()

    def _soon(
        self, func: Callable[..., object], args: tuple[object, ...], job_id: str, delay_s: float
    ) -> None:
        """A one-off run after ``delay_s``; scheduling it again replaces it (the debounce)."""
        self.scheduler.add_job(
            func,
            "date",
            run_date=datetime.now(UTC) + timedelta(seconds=delay_s),
            args=args,
            id=job_id,
            jobstore="now",
            replace_existing=True,
        )

    def on_data_changed(self, event: DataChanged) -> None:
        """KPIs at once; heavy engines once the changes stop for a few minutes."""
        self._soon(run_scheduled, (self.url, "kpi"), "kpi-now", 0)
        self._soon(run_heavy, (self.url,), "heavy-after-change", self.debounce_s)

    def refresh_now(self) -> None:
        """At start-up: KPIs at once, and the heavy engines if the data changed since their
        last run (they skip themselves otherwise), so a newly opened shop fills in."""
        self._soon(run_scheduled, (self.url, "kpi"), "kpi-now", 0)
        self._soon(run_heavy, (self.url,), "heavy-at-start", 2)

    def shutdown(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        with _RUNTIME_LOCK:
            _RUNTIME.pop(self.url, None)
            pools = [_POOLS.pop((self.url, kind), None) for kind in ("kpi", "heavy")]
        for pool in pools:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
