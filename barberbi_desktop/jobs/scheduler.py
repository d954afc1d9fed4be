"""The background scheduler: KPIs every minute and after every data change, the heavy
engines nightly and a few minutes after a change (debounced), the daily backup, and
the watch-folder scan.

The schedule is rebuilt from the settings at every start, in memory. APScheduler's
database job store kept jobs as serialised Python objects in the shop file and
loaded them at start, so a crafted backup could run code, and the stored job
arguments carried the database URL with its password. Only the daily jobs' next
run times are kept, as plain numbers in the ``scheduler.next_runs`` setting, so a
nightly run missed while the app was closed still happens, once, when it opens.
Jobs name the shop by a key without secrets and find the live `Database` and
`EventHub` in a registry filled by `ShopScheduler.start`. Nothing here touches Qt;
results go out through the hub.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text

from barberbi_desktop.errors import InputError
from barberbi_desktop.events import AlertsRaised, DataChanged, EventHub, ResultsReady
from barberbi_desktop.jobs.leader import once_per_server
from barberbi_desktop.priority import background_pool
from barberbi_desktop.storage import live
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.results import data_version, latest_data_version
from barberbi_desktop.storage.settings import shop_zone

log = logging.getLogger(__name__)
# No-show risks before revenue: its deposit recommendation reads the latest no-show run.
HEAVY = ("ltv", "methodology", "noshow", "revenue")
NEXT_RUNS = "scheduler.next_runs"  # setting: {job id: {"trigger": str, "next_utc": seconds}}
DAILY = ("nightly", "backup")  # the jobs whose missed runs are made up at the next start
# Every computer counts its intervals from the same instant, so on a server they all fire
# in the same slot and one of them runs it (jobs.leader).
EPOCH = datetime(2000, 1, 3, tzinfo=UTC)
_RUNTIME: dict[str, tuple[Database, EventHub]] = {}
# Two helper processes per shop: KPIs (every minute, and they keep their recent frames
# between runs) never queue behind a heavy engine that runs for tens of seconds.
_POOLS: dict[tuple[str, str], ProcessPoolExecutor] = {}
_RUNTIME_LOCK = threading.Lock()


def _runtime(key: str) -> tuple[Database, EventHub] | None:
    with _RUNTIME_LOCK:
        return _RUNTIME.get(key)


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


class HelperDied(Exception):
    """The engine's helper process ended mid-run (killed, out of memory, crashed)."""

    def __init__(self, engine: str, since: int) -> None:
        super().__init__(f"the {engine} helper process ended")
        self.engine = engine
        self.since = since


def _run(key: str, db: Database, engine: str) -> int:
    from barberbi_desktop.jobs.runner import run_engine

    kind = "kpi" if engine == "kpi" else "heavy"
    with _RUNTIME_LOCK:
        pool = _POOLS.get((key, kind))
    if pool is None or db.path is None:
        return run_engine(db, engine).run_id  # today, in the shop's time zone
    submitted = int(time.time())
    try:
        return pool.submit(_engine_in_helper, str(db.path), engine).result()[0]
    except BrokenProcessPool as exc:
        _replace_pool(key, kind, pool)
        raise HelperDied(engine, submitted) from exc


def _replace_pool(key: str, kind: str, broken: ProcessPoolExecutor) -> None:
    """A dead helper breaks its pool for good; the next run gets a fresh one.

    Two runs waiting on the same dead helper both land here: only the first swaps.
    A shop whose scheduler has shut down gets no new helper.
    """
    with _RUNTIME_LOCK:
        fresh = None
        if _POOLS.get((key, kind)) is broken:
            fresh = _POOLS[(key, kind)] = background_pool()
    if fresh is not None:
        fresh.submit(int)  # start the new helper now, so the next run need not wait for it
    broken.shutdown(wait=True, cancel_futures=True)


def _record_helper_death(db: Database, died: HelperDied) -> None:
    """The helper could not store its own failure: fail its run here and tell the owner."""
    from barberbi_desktop.alerts import rules
    from barberbi_desktop.alerts.store import raise_alerts
    from barberbi_desktop.storage.shop_config import alert_settings

    sentence = (
        f"The {died.engine} analysis stopped before it finished because its background "
        "process ended unexpectedly (the computer may have run short of memory); it runs "
        "again at its next scheduled time."
    )
    with db.write() as conn:
        conn.execute(
            text(
                "UPDATE engine_runs SET status = 'failed', finished_utc = :t, error = :m "
                "WHERE engine = :e AND status = 'running' AND started_utc >= :since"
            ),
            {"t": int(time.time()), "m": sentence, "e": died.engine, "since": died.since - 1},
        )
    raise_alerts(db, [rules.engine_failed(died.engine, sentence, alert_settings(db))])


def run_scheduled(key: str, engine: str, skip_if_unchanged: bool = False) -> int | None:
    """Run one engine for a registered shop; publish its results. Never raises."""
    from barberbi_desktop.alerts.store import list_alerts

    runtime = _runtime(key)
    if runtime is None:  # the app that scheduled this is not running
        return None
    db, hub = runtime
    if skip_if_unchanged:
        last = latest_data_version(db, engine)  # without parsing the run's metrics
        if last is not None and last == data_version(db):
            log.info("%s skipped: the data has not changed since its last run", engine)
            return None
    before = set(list_alerts(db, limit=50)["id"])
    try:
        run_id = _run(key, db, engine)
    except HelperDied as died:
        log.error("scheduled %s run: its helper process ended mid-run", engine)
        _record_helper_death(db, died)
        return None
    except Exception:
        log.exception("scheduled %s run failed (stored on the run and alerted)", engine)
        return None
    finally:
        raised = tuple(int(i) for i in set(list_alerts(db, limit=50)["id"]) - before)
        if raised:
            hub.publish(AlertsRaised(raised))
            live.announce(db.engine, live.ALERTS, ",".join(map(str, raised)))
    hub.publish(ResultsReady(engine, run_id))
    live.announce(db.engine, live.RESULTS, f"{engine} {run_id}")  # the others skipped it
    if engine == "kpi":
        run_location_kpis(db, hub)
    return run_id


def run_location_kpis(db: Database, hub: EventHub) -> list[int]:
    """Each location manager's figures, from their location's data alone, and the
    alerts those figures call for (that location's)."""
    from barberbi_desktop.alerts.store import list_alerts
    from barberbi_desktop.jobs.runner import run_engine
    from barberbi_desktop.storage.users import manager_locations

    done = []
    for location_id in manager_locations(db):
        before = set(list_alerts(db, limit=50, location_id=location_id)["id"])
        try:
            run_id = run_engine(db, "kpi", location_id=location_id).run_id
        except Exception:
            log.exception("the KPI run for location %s failed", location_id)
            run_id = None
        found = list_alerts(db, limit=50, location_id=location_id)["id"]
        raised = tuple(sorted(int(i) for i in set(found) - before))
        if raised:
            hub.publish(AlertsRaised(raised))
            live.announce(db.engine, live.ALERTS, ",".join(map(str, raised)))
        if run_id is None:
            continue
        hub.publish(ResultsReady("kpi", run_id))
        live.announce(db.engine, live.RESULTS, f"kpi {run_id}")
        done.append(run_id)
    return done


def run_guarded(
    key: str, job: str, slot: tuple[Any, ...], func: Callable[..., object], *args: object
) -> object:
    """``func(key, *args)``, unless another computer on the server runs or ran this slot.

    ``slot`` says how the job's firings are named alike on every computer:
    ``("every", seconds)``, ``("daily", trigger)`` or ``("version",)`` (a run for a
    data change is one per data version)."""
    runtime = _runtime(key)
    if runtime is None:
        return None
    db = runtime[0]
    with once_per_server(db, job, lambda: _slot(db, slot)) as turn:
        if not turn:
            return None
        result = func(key, *args)
        # An engine run that failed (it never raises) leaves the slot to the next firing.
        turn.done = not (func is run_scheduled and result is None)
        return result


def _slot(db: Database, slot: tuple[Any, ...]) -> int:
    now = datetime.now(UTC)
    if slot[0] == "every":
        return int((now - EPOCH).total_seconds() // slot[1])
    if slot[0] == "daily":
        return int(last_fire(slot[1], now).timestamp())
    return data_version(db)


def last_fire(trigger: BaseTrigger, now: datetime) -> datetime:
    """The trigger's latest firing at or before ``now`` (a daily job: within two days)."""
    fire = trigger.get_next_fire_time(None, now - timedelta(days=2))
    last = now
    while fire is not None and fire <= now:
        last = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return last


def run_heavy(key: str, skip_if_unchanged: bool = True) -> None:
    for engine in HEAVY:
        run_scheduled(key, engine, skip_if_unchanged)


def backup_job(key: str) -> None:
    """The daily backup; a failure is an alert (nobody watches it run), never a crash."""
    from barberbi_desktop.alerts import rules
    from barberbi_desktop.alerts.store import raise_alerts
    from barberbi_desktop.storage.backup import make_backup
    from barberbi_desktop.storage.shop_config import alert_settings

    runtime = _runtime(key)
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


def watch_job(key: str) -> int:
    """Scan the watch folder (`shop_config.watch_folder`: this computer's), if one is set."""
    from pathlib import Path

    from barberbi_desktop.ingest.watch import WatchFolder
    from barberbi_desktop.storage.shop_config import watch_folder

    runtime = _runtime(key)
    if runtime is None:
        return 0
    db, hub = runtime
    folder = watch_folder(db)
    if not folder:
        return 0
    watcher = _WATCHERS.get(key)
    if not isinstance(watcher, WatchFolder) or watcher.folder != Path(folder):
        watcher = WatchFolder(db, Path(folder), hub=hub)
        _WATCHERS[key] = watcher
    try:
        return len(watcher.scan())  # each file lands or is rejected on its own
    except OSError:
        log.exception("watch folder %s cannot be scanned", folder)
        return 0


def _saved_time(entry: object, trigger: BaseTrigger) -> datetime | None:
    """A next run time kept by an earlier session, if it is plain data for this trigger.

    The setting is only ever JSON, read as numbers; anything else is ignored.
    """
    if not isinstance(entry, dict) or entry.get("trigger") != str(trigger):
        return None
    seconds = entry.get("next_utc")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return None
    if not math.isfinite(seconds):
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _drop_old_job_store(db: Database) -> None:
    """Earlier versions kept serialised jobs in ``apscheduler_jobs``: drop it unread."""
    if db.is_postgres:  # no server database ever had it (and migration 0009 drops it)
        return
    with db.read() as conn:
        present = conn.execute(
            text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'apscheduler_jobs'")
        ).first()
    if present is not None:
        with db.write() as conn:
            conn.execute(text("DROP TABLE apscheduler_jobs"))
        log.info("dropped the old scheduler job table (the schedule now comes from settings)")


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
        self.key = db.url  # the password, if a URL had one, is masked
        self.kpi_every_s, self.debounce_s, self.nightly_hour = kpi_every_s, debounce_s, nightly_hour
        # The nightly hour is on the shop's clock: 2:00 in New York is 2:00 there,
        # summer or winter (APScheduler's cron follows the zone's daylight saving).
        self.zone = ZoneInfo(shop_zone(db))
        self.scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore(), "now": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(2)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 12 * 3600},
            timezone=UTC,
        )
        self._unsubscribe: Callable[[], None] | None = None

    def _wanted(self) -> dict[str, tuple[Callable[..., object], BaseTrigger, tuple[Any, ...]]]:
        """Each job: what it runs, when, and the arguments after the shop's key. The watch
        folder is this computer's own; the others run once per server (`run_guarded`)."""
        kpi = IntervalTrigger(seconds=self.kpi_every_s, start_date=EPOCH, timezone=UTC)
        nightly = CronTrigger(hour=self.nightly_hour, timezone=self.zone)
        backup = CronTrigger(hour=(self.nightly_hour + 1) % 24, timezone=self.zone)
        return {
            "kpi": (run_guarded, kpi, ("kpi", ("every", self.kpi_every_s), run_scheduled,
                                       "kpi")),
            "nightly": (run_guarded, nightly, ("nightly", ("daily", nightly), run_heavy)),
            "watch": (watch_job, IntervalTrigger(seconds=self.watch_every_s, timezone=UTC), ()),
            "backup": (run_guarded, backup, ("backup", ("daily", backup), backup_job)),
        }

    def start(self, paused: bool = False) -> None:
        """Start; a daily job keeps the next run time the last session left, so a run
        missed while the app was closed happens once, as soon as it opens."""
        from barberbi_desktop.storage.settings import get_setting

        _drop_old_job_store(self.db)
        with _RUNTIME_LOCK:
            _RUNTIME[self.key] = (self.db, self.hub)
            if self.engines_in_process:
                for kind in ("kpi", "heavy"):
                    _POOLS[(self.key, kind)] = background_pool()
        saved = get_setting(self.db, NEXT_RUNS, {})
        saved = saved if isinstance(saved, dict) else {}
        s = self.scheduler
        s.start(paused=True)
        now = datetime.now(UTC)
        for job_id, (func, trigger, rest) in self._wanted().items():
            args = (self.key, *rest)
            planned = trigger.get_next_fire_time(None, now)
            kept = _saved_time(saved.get(job_id), trigger) if job_id in DAILY else None
            if kept is not None and planned is not None:
                planned = min(max(kept, now), planned)  # missed: now, once; never later
            s.add_job(func, trigger, args=args, id=job_id, next_run_time=planned)
        s.add_listener(self._on_job_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        self._save_next_runs()
        self._unsubscribe = self.hub.subscribe(DataChanged, self.on_data_changed)
        if not paused:
            s.resume()

    def _on_job_event(self, event: JobEvent) -> None:
        if event.job_id in DAILY:
            self._save_next_runs(ran=event.job_id)

    def _save_next_runs(self, ran: str | None = None) -> None:
        """Keep the daily jobs' next run times as plain numbers in the settings."""
        from barberbi_desktop.storage.settings import set_setting

        now = datetime.now(UTC)
        plan: dict[str, Any] = {}
        for job_id in DAILY:
            job = self.scheduler.get_job(job_id)
            if job is None:
                continue
            nxt = job.next_run_time
            if job_id == ran or nxt is None:  # it just ran; the scheduler may not have moved on
                nxt = job.trigger.get_next_fire_time(None, now)
            if nxt is not None:
                plan[job_id] = {"trigger": str(job.trigger), "next_utc": int(nxt.timestamp())}
        try:
            set_setting(self.db, NEXT_RUNS, plan)
        except Exception:  # the next start plans afresh; never stop a job for this
            log.exception("the scheduler's next run times could not be saved")

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
        """KPIs at once; heavy engines once the changes stop for a few minutes. On a
        server every computer hears of the change; one of them runs each (per version)."""
        self._soon(run_guarded, self._kpi_change, "kpi-now", 0)
        self._soon(run_guarded, self._heavy_change, "heavy-after-change", self.debounce_s)

    def refresh_now(self) -> None:
        """At start-up: KPIs at once, and the heavy engines if the data changed since their
        last run (they skip themselves otherwise), so a newly opened shop fills in."""
        self._soon(run_guarded, self._kpi_change, "kpi-now", 0)
        self._soon(run_guarded, self._heavy_change, "heavy-at-start", 2)

    @property
    def _kpi_change(self) -> tuple[object, ...]:
        return (self.key, "kpi-change", ("version",), run_scheduled, "kpi")

    @property
    def _heavy_change(self) -> tuple[object, ...]:
        return (self.key, "heavy-change", ("version",), run_heavy)

    def shutdown(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self.scheduler.running:
            self._save_next_runs()
            self.scheduler.shutdown(wait=True)
        with _RUNTIME_LOCK:
            _RUNTIME.pop(self.key, None)
            pools = [_POOLS.pop((self.key, kind), None) for kind in ("kpi", "heavy")]
        for pool in pools:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
