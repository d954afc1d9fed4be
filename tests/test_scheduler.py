"""The background scheduler: reacts to data changes, survives failures and restarts."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import text

from barberbi_desktop.events import AlertsRaised, DataChanged, EventHub, ResultsReady
from barberbi_desktop.jobs import runner
from barberbi_desktop.jobs.scheduler import ShopScheduler, run_scheduled
from barberbi_desktop.storage.db import Database


def _kpi_runs(db: Database) -> list[tuple[int, int, str]]:
    with db.read() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT id, started_utc, status FROM engine_runs "
                    "WHERE engine = 'kpi' ORDER BY id"
                )
            )
        ]


def _wait(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_a_data_change_starts_a_kpi_run_within_a_second(shop: Database) -> None:
    hub = EventHub()
    ready: list[tuple[float, ResultsReady]] = []
    hub.subscribe(ResultsReady, lambda e: ready.append((time.monotonic(), e)))
    scheduler = ShopScheduler(shop, hub, kpi_every_s=3600, debounce_s=3600)
    scheduler.start()
    try:
        t0, wall = time.monotonic(), time.time()
        hub.publish(DataChanged("import"))
        assert _wait(lambda: len(_kpi_runs(shop)) > 0, timeout=5)
        assert _kpi_runs(shop)[0][1] - wall < 1.0  # started within a second
        assert _wait(lambda: ready, timeout=15)
        finished_at, event = ready[0]
        assert event.engine == "kpi" and event.run_id == _kpi_runs(shop)[0][0]
        assert _kpi_runs(shop)[0][2] == "ok"
        print(f"data_changed -> results_ready(kpi): {finished_at - t0:.2f} s")
        heavy = scheduler.scheduler.get_job("heavy-after-change")
        assert heavy is not None  # the heavy engines wait for the changes to stop
    finally:
        scheduler.shutdown()


def test_a_failing_job_raises_an_alert_and_the_next_job_still_runs(
    shop: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = EventHub()
    alerts: list[AlertsRaised] = []
    ready: list[ResultsReady] = []
    hub.subscribe(AlertsRaised, alerts.append)
    hub.subscribe(ResultsReady, ready.append)
    working = runner.ENGINES["kpi"]
    calls = {"n": 0}

    def flaky(*args: object) -> dict[str, object]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("the disk hiccuped")
        return working(*args)

    monkeypatch.setitem(runner.ENGINES, "kpi", flaky)
    scheduler = ShopScheduler(shop, hub, kpi_every_s=3600, debounce_s=3600)
    scheduler.start()
    try:
        hub.publish(DataChanged("edit"))
        assert _wait(lambda: alerts, timeout=10)
        assert [r[2] for r in _kpi_runs(shop)] == ["failed"]
        hub.publish(DataChanged("edit"))
        assert _wait(lambda: ready, timeout=15)
        assert [r[2] for r in _kpi_runs(shop)] == ["failed", "ok"]
        assert scheduler.scheduler.running
    finally:
        scheduler.shutdown()


def test_heavy_engines_skip_when_nothing_changed(shop: Database) -> None:
    hub = EventHub()
    scheduler = ShopScheduler(shop, hub, kpi_every_s=3600, debounce_s=3600)
    scheduler.start()
    try:
        assert run_scheduled(scheduler.key, "kpi", skip_if_unchanged=True) is not None
        assert run_scheduled(scheduler.key, "kpi", skip_if_unchanged=True) is None
        with shop.write() as conn:
            conn.execute(text("UPDATE shop_state SET data_version = data_version + 1"))
        assert run_scheduled(scheduler.key, "kpi", skip_if_unchanged=True) is not None
    finally:
        scheduler.shutdown()


def test_the_watch_folder_imports_and_kpis_follow(shop: Database, tmp_path: Path) -> None:
    """End to end: a file dropped in the watch folder lands and the KPIs are recomputed."""
    from barberbi_desktop.storage.settings import set_setting
    from barberbi_desktop.storage.shop_config import set_watch_folder

    folder = tmp_path / "exports"
    folder.mkdir()
    set_watch_folder(shop, str(folder))  # a shop setting on a file, this computer's on a server
    set_setting(shop, "watch.settle_seconds", 1)
    hub = EventHub()
    changed: list[DataChanged] = []
    ready: list[ResultsReady] = []
    hub.subscribe(DataChanged, changed.append)
    hub.subscribe(ResultsReady, ready.append)
    scheduler = ShopScheduler(shop, hub, kpi_every_s=3600, debounce_s=3600, watch_every_s=1)
    scheduler.start()
    try:
        fixture = Path(__file__).parent / "data" / "imports" / "template_week1.csv"
        (folder / "week1.csv").write_bytes(fixture.read_bytes())
        assert _wait(lambda: (folder / "imported" / "week1.csv").exists(), timeout=20)
        assert [e.reason for e in changed] == ["import"]
        assert _wait(lambda: any(e.engine == "kpi" for e in ready), timeout=20)
        with shop.read() as conn:
            assert conn.execute(
                text("SELECT COUNT(*) FROM appointments WHERE source_platform = 'barberbi'")
            ).scalar_one() == 4
    finally:
        scheduler.shutdown()


def test_engines_can_run_in_a_helper_process(shop: Database) -> None:
    """The app's mode: the engine runs in another process; results still come back here."""
    hub = EventHub()
    ready: list[ResultsReady] = []
    hub.subscribe(ResultsReady, ready.append)
    scheduler = ShopScheduler(shop, hub, kpi_every_s=3600, debounce_s=3600,
                              engines_in_process=True)  # fmt: skip
    scheduler.start()
    try:
        hub.publish(DataChanged("import"))
        assert _wait(lambda: ready, timeout=60)
        assert ready[0].engine == "kpi" and _kpi_runs(shop)[-1][2] == "ok"
        assert ready[0].run_id == _kpi_runs(shop)[-1][0]
    finally:
        scheduler.shutdown()
