"""One background job run per server, not per computer (issue #22, item 3).

Two `ShopScheduler`s with their own `Database` (their own connections, as two
computers have) run the same schedule against one server database. The KPI engine
is replaced by a stand-in that takes a moment and records its run, so the test
counts runs, not KPI arithmetic.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from barberbi_desktop.events import DataChanged, EventHub
from barberbi_desktop.jobs import runner
from barberbi_desktop.jobs.leader import JOB_LOCK_CLASS, job_key, last_slot
from barberbi_desktop.jobs.scheduler import EPOCH, ShopScheduler, last_fire, run_guarded
from barberbi_desktop.storage.db import Database, open_database
from barberbi_desktop.storage.results import finish_run

pytestmark = pytest.mark.pg


def _stand_in(db: Database, run_id: int, as_of: date, state: Any, now: Any) -> dict[str, Any]:
    time.sleep(0.3)  # long enough for the other computer's firing to meet this run
    with db.write() as conn:
        finish_run(conn, run_id, {"stand_in": True})
    return {}


@pytest.fixture
def computers(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Database, Database]]:
    monkeypatch.setitem(runner.ENGINES, "kpi", _stand_in)
    # A second spelling of the same server database: the scheduler keys its shops by URL,
    # and two computers are two processes, each with one.
    one, two = open_database(pg_url), open_database(pg_url + "?sslmode=disable")
    yield one, two
    one.dispose()
    two.dispose()


def _kpi_runs(db: Database) -> list[tuple[int, int, str]]:
    with db.read() as conn:
        rows = conn.execute(text(
            "SELECT id, started_utc, status FROM engine_runs WHERE engine = 'kpi' ORDER BY id"
        )).all()  # fmt: skip
    return [(int(i), int(t), str(s)) for i, t, s in rows]


def _wait(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _schedulers(*dbs: Database, every: int = 3600) -> list[ShopScheduler]:
    return [
        ShopScheduler(db, EventHub(), kpi_every_s=every, debounce_s=3600, watch_every_s=3600)
        for db in dbs
    ]


def test_a_change_both_computers_hear_is_one_kpi_run(
    computers: tuple[Database, Database],
) -> None:
    schedulers = _schedulers(*computers)
    for s in schedulers:
        s.start()
    try:
        with computers[0].write() as conn:
            conn.execute(text("UPDATE shop_state SET data_version = data_version + 1"))
        for s in schedulers:  # the importing app, and the other through its listener
            s.hub.publish(DataChanged("import"))
        assert _wait(lambda: _kpi_runs(computers[0]), timeout=10)
        time.sleep(1.0)  # both firings are over
        assert [r[2] for r in _kpi_runs(computers[0])] == ["ok"]
        for s in schedulers:  # heard again at the same version: nothing new to compute
            s.hub.publish(DataChanged("import"))
        time.sleep(1.0)
        assert len(_kpi_runs(computers[0])) == 1
        assert last_slot(computers[0], "kpi-change") == 1
    finally:
        for s in schedulers:
            s.shutdown()


def test_two_schedulers_on_one_server_run_each_minute_job_once(
    computers: tuple[Database, Database],
) -> None:
    every = 2
    schedulers = _schedulers(*computers, every=every)
    for s in schedulers:
        s.start()
    try:
        assert _wait(lambda: len(_kpi_runs(computers[0])) >= 3, timeout=15)
    finally:
        for s in schedulers:
            s.shutdown()
    runs = _kpi_runs(computers[0])
    slots = [(started - int(EPOCH.timestamp())) // every for _id, started, _s in runs]
    assert len(slots) == len(set(slots)), f"a slot ran twice: {runs}"
    assert {s for _i, _t, s in runs} == {"ok"}
    with computers[1].read() as conn:
        row = conn.execute(text("SELECT slot, ran_by FROM server_jobs WHERE job = 'kpi'")).one()
    assert row[0] == max(slots) and "pid" in row[1]


def test_a_job_another_computer_is_running_is_skipped_and_logged(
    computers: tuple[Database, Database], pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    (scheduler,) = _schedulers(computers[0])
    scheduler.start(paused=True)
    other = psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True)
    try:
        other.execute("SELECT pg_advisory_lock(%s, %s)", (JOB_LOCK_CLASS, job_key("kpi-change")))
        with caplog.at_level(logging.INFO, logger="barberbi_desktop.jobs.leader"):
            args = scheduler._kpi_change
            assert run_guarded(*args) is None  # type: ignore[arg-type]
        assert "kpi-change skipped here: another computer on the server is running it" in (
            caplog.text
        )
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert _kpi_runs(computers[0]) == []
        other.execute("SELECT pg_advisory_unlock(%s, %s)", (JOB_LOCK_CLASS, job_key("kpi-change")))
        assert run_guarded(*scheduler._kpi_change) is not None  # type: ignore[arg-type]
        assert [r[2] for r in _kpi_runs(computers[0])] == ["ok"]
    finally:
        other.close()
        scheduler.shutdown()


def test_a_daily_job_names_its_firing_alike_on_every_computer() -> None:
    from apscheduler.triggers.cron import CronTrigger

    nightly = CronTrigger(hour=2, timezone="America/New_York")
    at_9 = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # 9:00 in New York
    at_1 = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # 1:00: tonight's has not come yet
    assert last_fire(nightly, at_9) == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert last_fire(nightly, at_1) == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
