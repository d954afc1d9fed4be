"""One time convention: every time an owner reads is on the shop's clock, the zone named
once; schedules are entered in shop time; no internal key or "▼ -0%" on screen."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from barberbi_desktop.alerts import rules
from barberbi_desktop.alerts.store import raise_alerts
from barberbi_desktop.cli import main
from barberbi_desktop.events import EventHub
from barberbi_desktop.ingest.profiles import platform_title
from barberbi_desktop.jobs.scheduler import ShopScheduler
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.shop_config import alert_settings
from barberbi_desktop.storage.shop_time import shop_clock, times_note, zone_words
from barberbi_desktop.ui.dashboard import change_text
from barberbi_desktop.ui.imports_tab import load_history


def test_shop_clock_and_zone_words() -> None:
    winter = datetime(2026, 1, 15, 7, 30, tzinfo=UTC)
    summer = datetime(2026, 7, 15, 7, 30, tzinfo=UTC)
    assert shop_clock(winter, "America/New_York", "%H:%M") == "02:30"  # EST
    assert shop_clock(summer.timestamp(), "America/New_York", "%H:%M") == "03:30"  # EDT
    assert zone_words("America/New_York") == "New York time" and zone_words("UTC") == "UTC"
    assert times_note("Europe/Rome") == "Times in Europe/Rome (Rome time)."


def test_barberbi_alerts_prints_shop_time_and_names_the_zone(
    shop: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    at = datetime(2026, 11, 20, 3, 5, tzinfo=UTC)  # 22:05 the evening before in New York
    raise_alerts(shop, [rules.backup_failed("the disk is full.", alert_settings(shop))], now=at)
    assert main(["--db", str(shop.path), "alerts"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Times in America/New_York (New York time)."
    assert "2026-11-19 22:05" in out and "03:05" not in out


def test_nightly_analytics_run_at_the_shop_s_hour(shop: Database) -> None:
    scheduler = ShopScheduler(shop, EventHub(), nightly_hour=2)
    scheduler.start(paused=True)
    try:
        for job_id, hour in (("nightly", 2), ("backup", 3)):
            job = scheduler.scheduler.get_job(job_id)
            assert str(job.trigger.timezone) == "America/New_York"
            assert job.next_run_time.astimezone(job.trigger.timezone).hour == hour
    finally:
        scheduler.shutdown()


def test_a_schedule_stored_in_utc_moves_to_shop_time(shop: Database) -> None:
    old = ShopScheduler(shop, EventHub(), nightly_hour=2)
    old.zone = UTC  # as every schedule was stored before hours were the shop's
    old.start(paused=True)
    assert str(old.scheduler.get_job("nightly").trigger.timezone) == "UTC"
    old.shutdown()
    new = ShopScheduler(shop, EventHub(), nightly_hour=2)
    new.start(paused=True)
    try:
        assert str(new.scheduler.get_job("nightly").trigger.timezone) == "America/New_York"
    finally:
        new.shutdown()


def test_import_history_in_shop_time_with_platform_names(shop: Database) -> None:
    at = int(datetime(2026, 11, 20, 3, 5, tzinfo=UTC).timestamp())
    with shop.write() as conn:  # a landed batch as the importer writes it
        conn.exec_driver_sql(
            "INSERT INTO import_batches (platform, file_name, sha256, started_utc, status) "
            f"VALUES ('square_items', 'items-2026-11.csv', '{'0' * 64}', {at}, 'landed')"
        )
    history = load_history(shop)
    assert history.attrs["zone"] == "America/New_York"
    assert list(history["when"]) == ["19 Nov 2026 22:05"]
    assert list(history["platform"]) == ["Square item sales"]
    assert platform_title("square_items") == "Square item sales"
    assert platform_title("my_salon") == "my_salon"  # a saved mapping keeps its owner's name


@pytest.mark.parametrize(
    ("change", "text"),
    [
        (-0.004, "no change vs prior 30 days"),
        (0.0, "no change vs prior 30 days"),
        (0.004, "no change vs prior 30 days"),
        (-0.05, "▼ -5% vs prior 30 days"),
        (0.12, "▲ +12% vs prior 30 days"),
    ],
)
def test_a_change_that_rounds_to_zero_is_no_change(change: float, text: str) -> None:
    assert change_text(change) == text
