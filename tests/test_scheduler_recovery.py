"""The scheduler after things go wrong: a helper killed mid-run, a poisoned shop file."""

from __future__ import annotations

import os
import pickle
import signal
import sqlite3
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path

import pytest
from sqlalchemy import text

from barberbi_desktop.events import AlertsRaised, EventHub, ResultsReady
from barberbi_desktop.jobs import scheduler as sched
from barberbi_desktop.jobs.scheduler import ShopScheduler
from barberbi_desktop.storage.db import Database, open_database
from barberbi_desktop.storage.settings import get_setting, set_setting


def _wait(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def _runs(db: Database, engine: str) -> list[tuple[int, str, str | None]]:
    with db.read() as conn:
        return [
            (int(r[0]), str(r[1]), r[2])
            for r in conn.execute(
                text("SELECT id, status, error FROM engine_runs WHERE engine = :e ORDER BY id"),
                {"e": engine},
            )
        ]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _plain_pool() -> ProcessPoolExecutor:
    """A helper at normal priority: the idle class starves on a busy test machine."""
    from barberbi_desktop.priority import end_with_parent

    return ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=end_with_parent)


def test_a_killed_engine_helper_fails_its_run_alerts_and_the_next_run_works(
    shop: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sched, "background_pool", _plain_pool)
    hub = EventHub()
    alerts: list[AlertsRaised] = []
    ready: list[ResultsReady] = []
    hub.subscribe(AlertsRaised, alerts.append)
    hub.subscribe(ResultsReady, ready.append)
    scheduler = ShopScheduler(shop, hub, kpi_every_s=3600, debounce_s=3600,
                              engines_in_process=True)  # fmt: skip
    scheduler.start()
    try:
        before = len(_runs(shop, "ltv"))
        scheduler.scheduler.add_job(sched.run_scheduled, args=(scheduler.key, "ltv"),
                                    id="ltv-test", jobstore="now")  # fmt: skip
        assert _wait(lambda: [r for r in _runs(shop, "ltv")[before:] if r[1] == "running"], 60)
        pool = sched._POOLS[(scheduler.key, "heavy")]
        (helper,) = list(pool._processes)
        os.kill(helper, signal.SIGKILL)  # the operating system ends it (out of memory, say)

        assert _wait(lambda: alerts, timeout=30)
        (_, status, error) = _runs(shop, "ltv")[before]
        assert status == "failed"
        assert error is not None and "stopped" in error and "Traceback" not in error
        with shop.read() as conn:
            rule, message = conn.execute(
                text("SELECT rule, message FROM alerts WHERE id = :i"),
                {"i": alerts[0].alert_ids[0]},
            ).one()
        assert rule == "engine_failed" and "ltv" in message
        assert not any(e.engine == "ltv" for e in ready)

        # The next run of a heavy engine gets a new helper and succeeds.
        assert sched._POOLS[(scheduler.key, "heavy")] is not pool
        scheduler.scheduler.add_job(sched.run_scheduled, args=(scheduler.key, "revenue"),
                                    id="revenue-test", jobstore="now")  # fmt: skip
        assert _wait(lambda: any(e.engine == "revenue" for e in ready), timeout=60)
        assert _runs(shop, "revenue")[-1][1] == "ok"
        assert scheduler.scheduler.running
    finally:
        scheduler.shutdown()


_KEPT: list[object] = []


def _start_own_helper() -> int:
    """Runs in a helper: start a helper of its own (as the frame reader is) and keep it."""
    from barberbi_desktop.priority import background_pool

    pool = background_pool()
    _KEPT.append(pool)
    return int(pool.submit(os.getpid).result(timeout=60))


def test_a_killed_helpers_own_helper_does_not_outlive_it() -> None:
    from barberbi_desktop.priority import background_pool

    with background_pool() as pool:
        grandchild = pool.submit(_start_own_helper).result(timeout=60)
        (helper,) = list(pool._processes)
        assert _alive(grandchild)
        os.kill(helper, signal.SIGKILL)
        try:
            assert _wait(lambda: not _alive(grandchild), timeout=10)
        finally:
            if _alive(grandchild):
                os.kill(grandchild, signal.SIGKILL)


class _Payload:
    """Unpickling this creates a folder: proof that the shop file ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (str(self.marker),))


def test_a_poisoned_job_table_is_dropped_unread(shop: Database, tmp_path: Path) -> None:
    """A backup carrying a crafted APScheduler job table never runs its code."""
    marker = tmp_path / "code-ran"
    assert shop.path is not None
    raw = sqlite3.connect(shop.path)
    raw.execute(
        "CREATE TABLE apscheduler_jobs (id VARCHAR(191) PRIMARY KEY, next_run_time FLOAT, "
        "job_state BLOB NOT NULL)"
    )
    blob = pickle.dumps(_Payload(marker))
    raw.executemany(
        "INSERT INTO apscheduler_jobs VALUES (?, ?, ?)",
        [(job, time.time() - 60, blob) for job in ("kpi", "nightly", "watch", "backup")],
    )
    raw.commit()
    raw.close()
    scheduler = ShopScheduler(shop, EventHub(), kpi_every_s=3600, debounce_s=3600)
    scheduler.start()
    try:
        time.sleep(0.5)  # past the scheduler's first wake-up
        assert not marker.exists()
        with shop.read() as conn:
            tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master"))}
        assert "apscheduler_jobs" not in tables
        assert {j.id for j in scheduler.scheduler.get_jobs(jobstore="default")} == {
            "kpi", "nightly", "watch", "backup"}  # fmt: skip
    finally:
        scheduler.shutdown()
    assert not marker.exists()


def test_no_secret_is_kept_in_a_job(tmp_path: Path, demo_db_file: Path) -> None:
    """Jobs name the shop by a key without the database password; nothing is serialised."""
    import shutil

    from sqlalchemy import URL, create_engine

    path = tmp_path / "shop.db"
    shutil.copyfile(demo_db_file, path)
    open_database(path, create=False).dispose()
    engine = create_engine(URL.create("sqlite", database=str(path)))
    # A server database's URL would carry a password; SQLite's cannot, so give it one.
    engine.url = engine.url.set(username="owner", password="hunter2-secret")
    db = Database(engine, path)
    scheduler = ShopScheduler(db, EventHub(), kpi_every_s=3600, debounce_s=3600)
    scheduler.start(paused=True)
    try:
        jobs = scheduler.scheduler.get_jobs()
        assert jobs
        assert not [j.id for j in jobs if "hunter2" in repr(j.args) + repr(j.kwargs)]
    finally:
        scheduler.shutdown()
    stored = repr(get_setting(db, sched.NEXT_RUNS))
    assert "hunter2" not in stored and "nightly" in stored
    with db.read() as conn:
        dump = "\n".join(str(r) for r in conn.execute(text("SELECT * FROM settings")))
    assert "hunter2" not in dump
    db.dispose()


def test_a_nightly_run_missed_while_the_app_was_closed_runs_once_at_start(
    shop: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(sched, "run_heavy", lambda key: calls.append("nightly"))
    monkeypatch.setattr(sched, "backup_job", lambda key: calls.append("backup"))
    first = ShopScheduler(shop, EventHub(), kpi_every_s=3600, debounce_s=3600)
    first.start(paused=True)
    planned = first.scheduler.get_job("nightly").next_run_time
    first.shutdown()
    saved = get_setting(shop, sched.NEXT_RUNS)
    assert abs(saved["nightly"]["next_utc"] - planned.timestamp()) < 1
    again = ShopScheduler(shop, EventHub(), kpi_every_s=3600, debounce_s=3600)
    again.start(paused=True)
    try:  # a restart the same day keeps the plan
        assert abs((again.scheduler.get_job("nightly").next_run_time - planned)
                   .total_seconds()) < 1  # fmt: skip
    finally:
        again.shutdown()
    # The computer was off for three nights: three nightly runs and backups were missed.
    saved = get_setting(shop, sched.NEXT_RUNS)
    for job in ("nightly", "backup"):
        saved[job]["next_utc"] -= 3 * 86400 + 3600
    set_setting(shop, sched.NEXT_RUNS, saved)
    second = ShopScheduler(shop, EventHub(), kpi_every_s=3600, debounce_s=3600)
    second.start()
    try:
        assert _wait(lambda: sorted(calls) == ["backup", "nightly"], timeout=10)
        time.sleep(1.0)
        assert sorted(calls) == ["backup", "nightly"]  # three missed nights, one run each
        after = second.scheduler.get_job("nightly").next_run_time
        assert after > datetime.now(UTC)
        assert _wait(lambda: get_setting(shop, sched.NEXT_RUNS)["nightly"]["next_utc"]
                     == int(after.timestamp()), timeout=5)  # fmt: skip
    finally:
        second.shutdown()


def test_the_jobs_package_never_mentions_pickle() -> None:
    """What the job store used to do; nothing under jobs/ may serialise code again."""
    import barberbi_desktop.jobs as jobs

    folder = Path(jobs.__file__).parent
    sources = {p.name: p.read_text() for p in folder.glob("*.py")}
    assert "scheduler.py" in sources
    assert [name for name, text in sources.items() if "pickle" in text.lower()] == []
