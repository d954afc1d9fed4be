"""The Dashboard's chart series (hand-built shops) and their in-place drawing."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from pytestqt.qtbot import QtBot

from barberbi_desktop.engines import kpi_charts
from barberbi_desktop.jobs.runner import run_engine
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.results import latest_run
from barberbi_desktop.ui.main_window import MainWindow

AS_OF = pd.Timestamp("2026-11-24")  # a Tuesday


def _visits(rows: list[tuple[str, float, int]]) -> pd.DataFrame:
    """(local start, revenue in cents, barber) -> the KPI engine's local frame."""
    start = pd.to_datetime([r[0] for r in rows])
    return pd.DataFrame(
        {
            "start": start,
            "day": start.normalize(),
            "revenue": [r[1] for r in rows],
            "barber_id": [r[2] for r in rows],
            "status": "completed",
        }
    )


def test_weekly_forecast_is_the_recent_mean_with_a_band_from_its_replayed_errors() -> None:
    # Twenty weeks: one $1,000 visit each week, and a $500 extra in alternate weeks.
    rows = []
    for week in range(20):
        day = AS_OF - pd.Timedelta(days=7 * week + 2)
        rows.append((f"{day:%Y-%m-%d} 10:00", 100_000, 1))
        if week % 2:
            rows.append((f"{day:%Y-%m-%d} 11:00", 50_000, 1))
    out = kpi_charts.weekly_forecast(_visits(rows), AS_OF)
    assert out["available"]
    assert [w["revenue"] for w in out["weeks"]] == [150_000, 100_000] * 6
    assert out["weeks"][-1]["start"] == "2026-11-18"  # seven days ending on as_of
    ahead = out["forecast"]
    assert [a["start"] for a in ahead] == ["2026-11-25", "2026-12-02", "2026-12-09",
                                           "2026-12-16"]  # fmt: skip
    assert all(a["mid"] == 125_000 for a in ahead)  # mean of the last four weeks
    # The replayed errors are exactly +20% and -20%: the band spans them.
    errors = np.array([150_000, 100_000]) / 125_000 - 1
    low, high = np.percentile(np.resize(errors, 16), [10, 90])
    assert ahead[0]["low"] == pytest.approx(125_000 * (1 + low))
    assert ahead[0]["high"] == pytest.approx(125_000 * (1 + high))
    assert 0 < out["band_hit_rate"] <= 1 and out["band_replays"] > 40


def test_weekly_forecast_needs_five_weeks() -> None:
    rows = [(f"{AS_OF - pd.Timedelta(days=7 * w):%Y-%m-%d} 10:00", 1000, 1) for w in range(4)]
    out = kpi_charts.weekly_forecast(_visits(rows), AS_OF)
    assert not out["available"] and "five weeks" in out["reason"]


def test_today_curve_counts_only_what_has_started_and_bands_past_weekdays() -> None:
    rows = []
    amounts = [1000 * w for w in range(1, 9)]  # the last eight Tuesdays
    for week, amount in zip(range(1, 9), amounts, strict=True):
        day = AS_OF - pd.Timedelta(weeks=week)
        rows += [(f"{day:%Y-%m-%d} 09:15", amount, 1), (f"{day:%Y-%m-%d} 11:30", amount, 1)]
    rows += [(f"{AS_OF:%Y-%m-%d} 09:10", 500, 1), (f"{AS_OF:%Y-%m-%d} 12:00", 9999, 1)]
    out = kpi_charts.today_curve(_visits(rows), AS_OF, AS_OF + pd.Timedelta(hours=10), 8)
    assert out["hours"] == [9, 10, 11, 12]
    assert out["today"] == [500.0, 500.0, None, None]  # the 12:00 visit is still to come
    assert out["mid"][0] == pytest.approx(np.median(amounts))
    assert out["mid"][2] == pytest.approx(np.median(amounts) * 2)
    assert out["low"][0] == pytest.approx(np.percentile(amounts, 10))
    assert out["low"][2] < out["mid"][2] < out["high"][2]


def test_barber_visits_shows_the_busiest_and_sums_the_rest() -> None:
    barbers = pd.DataFrame(
        {"barber_id": range(1, 26), "name": [f"B{i:02d}" for i in range(1, 26)], "active": True}
    )
    rows = [(f"{AS_OF:%Y-%m-%d} 10:00", 100, b) for b in range(1, 26) for _ in range(b)]
    out = kpi_charts.barber_visits(_visits(rows), barbers, AS_OF)
    assert len(out) == 21 and out[0] == {"barber_id": 25, "name": "B25", "visits": 25,
                                         "revenue": 2500.0}  # fmt: skip
    assert out[-1]["name"] == "5 others" and out[-1]["visits"] == 1 + 2 + 3 + 4 + 5


def test_dashboard_draws_the_stored_series_and_updates_in_place(
    qtbot: QtBot, shop: Database
) -> None:
    run_engine(shop, "kpi", date(2026, 11, 20))
    window = MainWindow(shop)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=10_000)
    charts = window.dashboard.charts
    stored = latest_run(shop, "kpi").metrics["charts"]
    _, y = charts.week_line.getData()
    assert list(y) == [w["revenue"] / 100 for w in stored["weeks"]["weeks"]]
    heights = charts.barber_bars.opts["height"]
    assert list(heights) == [b["visits"] for b in stored["barbers"]]
    _, today = charts.today_line.getData()
    assert today[-1] == pytest.approx([v for v in stored["today"]["today"] if v][-1] / 100)
    items = (charts.week_line, charts.today_line, charts.barber_bars)
    count = len(charts.weeks.getPlotItem().items)

    run_engine(shop, "kpi", date(2026, 11, 21))
    window.dashboard.refresh()
    qtbot.waitUntil(lambda: window.dashboard.run.as_of == date(2026, 11, 21), timeout=10_000)
    assert (charts.week_line, charts.today_line, charts.barber_bars) == items
    assert len(charts.weeks.getPlotItem().items) == count  # nothing added
    _, y = charts.week_line.getData()
    new = latest_run(shop, "kpi").metrics["charts"]["weeks"]["weeks"]
    assert list(y) == [w["revenue"] / 100 for w in new]
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=10_000)
    window.close()


def test_minute_by_minute_kpi_runs_are_pruned_to_one_a_day(shop: Database) -> None:
    from sqlalchemy import text

    old = int(pd.Timestamp("2026-11-10", tz="UTC").timestamp())
    with shop.write() as conn:
        for as_of in ("2026-11-09", "2026-11-10"):
            for minute in range(3):
                conn.execute(
                    text(
                        "INSERT INTO engine_runs (engine, as_of, data_version, started_utc, "
                        "finished_utc, status, metrics) VALUES ('kpi', :a, 0, :t, :t, 'ok', '{}')"
                    ),
                    {"a": as_of, "t": old + 60 * minute},
                )
    run_engine(shop, "kpi", date(2026, 11, 20))
    run_engine(shop, "kpi", date(2026, 11, 20))
    with shop.read() as conn:
        kept = conn.execute(
            text("SELECT as_of, count(*) FROM engine_runs WHERE engine = 'kpi' GROUP BY as_of")
        ).all()
    # Old days keep their last run; today's runs (less than a day old) are all kept.
    assert sorted((str(a), n) for a, n in kept) == [
        ("2026-11-09", 1), ("2026-11-10", 1), ("2026-11-20", 2)
    ]  # fmt: skip


def test_day_only_visits_stay_out_of_the_hour_by_hour_curve() -> None:
    rows = []
    for week in range(1, 9):
        day = AS_OF - pd.Timedelta(weeks=week)
        rows += [(f"{day:%Y-%m-%d} 09:15", 1000, 1), (f"{day:%Y-%m-%d} 00:00", 5000, 1)]
    visits = _visits(rows).assign(time_known=[True, False] * 8)  # the midnight ones: day only
    out = kpi_charts.today_curve(visits, AS_OF, AS_OF + pd.Timedelta(hours=10), 8)
    assert out["hours"][0] == 9  # not midnight
    assert out["mid"][-1] == pytest.approx(1000)


def test_tiles_say_unknown_and_why_instead_of_zero(
    qtbot: QtBot, empty_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from barberbi_desktop.alerts.rules import AlertSettings
    from barberbi_desktop.engines import kpi
    from barberbi_desktop.jobs import kpi_job
    from barberbi_desktop.storage.results import start_run
    from barberbi_desktop.ui import dashboard
    from barberbi_desktop.ui.dashboard import DashboardTab

    # The run is of a synthetic shop; the database holds only its results, and a shop
    # whose database has no visits shows the import sentence instead of tiles.
    monkeypatch.setattr(dashboard, "has_appointments", lambda _db: True)
    from barberbi_desktop.ui.tasks import TaskRunner
    from tests.random_shop import ShopSpec, build

    # A booking export without tips, of imported barbers without working hours.
    spec = ShopSpec(seed=4, visits=300, clients=40, days=120, has_tips=False,
                    working_hours=False)  # fmt: skip
    result = kpi.run(build(spec, AS_OF.date()), kpi.KpiSettings(), AS_OF.date())
    kpi_job.store(empty_db, start_run(empty_db, "kpi", AS_OF.date()), result, AlertSettings())
    runner = TaskRunner()
    tab = DashboardTab(empty_db, runner)
    qtbot.addWidget(tab)
    qtbot.waitUntil(lambda: tab.run is not None, timeout=10_000)
    tips, util = tab.tiles["tip_rate"], tab.tiles["utilisation"]
    assert tips.value.text() == "unknown" and "no tips" in tips.change.text()
    assert util.value.text() == "unknown" and "Settings > Barbers" in util.change.text()
    assert tab.tiles["revenue"].value.text().startswith("$")
    assert "of 9 measures" in tab.health.text()
    assert "Left out, tip rate: the exports have no tips" in tab.health.toolTip()
    runner.wait()
