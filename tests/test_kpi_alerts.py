"""KPIs on a hand-computed shop, the expected band for today, and alert rules."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from barberbi_desktop.alerts import rules
from barberbi_desktop.alerts.store import acknowledge, list_alerts, raise_alerts
from barberbi_desktop.cli import main
from barberbi_desktop.engines import kpi, kpi_health
from barberbi_desktop.engines.data import ShopData
from barberbi_desktop.engines.kpi import KpiSettings, run
from barberbi_desktop.errors import InputError
from barberbi_desktop.jobs import runner
from barberbi_desktop.storage.db import Database, open_database
from barberbi_desktop.storage.results import latest_run
from tests.pg_server import db_arg

NY = "America/New_York"
AS_OF = date(2026, 6, 30)  # a Tuesday
HOURS = {str(d): [540, 1020] for d in range(1, 6)}  # Tue-Sat 9:00-17:00


def _shop(rows: list[tuple], first_seen: dict[int, str] | None = None) -> ShopData:
    """rows: (client, local start, minutes, status, service $, product $, tip $, booked local)."""
    start = pd.to_datetime([r[1] for r in rows]).tz_localize(NY).tz_convert("UTC")
    booked = pd.to_datetime([r[7] for r in rows]).tz_localize(NY).tz_convert("UTC")
    dollars = lambda i: np.array([r[i] * 100 for r in rows])  # noqa: E731
    appts = pd.DataFrame(
        {
            "appointment_id": range(1, len(rows) + 1),
            "client_id": [r[0] for r in rows],
            "barber_id": 1,
            "location_id": 1,
            "service_id": 1,
            "start": start,
            "end": start + pd.to_timedelta([r[2] for r in rows], unit="min"),
            "booked_at": booked,
            "status": [r[3] for r in rows],
            "channel": "online",
            "source_platform": "test",
            "service_cents": dollars(4),
            "product_cents": dollars(5),
            "discount_cents": 0,
            "tax_cents": 0,
            "tip_cents": dollars(6),
            "item_count": 1,
            "unknown_price_items": 0,
            "revenue_cents": dollars(4) + dollars(5),
        }
    )
    seen = first_seen or {}
    clients = pd.DataFrame(
        {
            "client_id": sorted({r[0] for r in rows}),
            "first_seen": [
                pd.Timestamp(seen[c], tz=NY).tz_convert("UTC") if c in seen else pd.NaT
                for c in sorted({r[0] for r in rows})
            ],
        }
    )
    return ShopData(
        appointments=appts,
        sale_items=pd.DataFrame(),
        clients=clients,
        barbers=pd.DataFrame({"barber_id": [1], "working_hours": [HOURS]}),
        services=pd.DataFrame(),
        locations=pd.DataFrame({"location_id": [1], "timezone": [NY]}),
        reviews=pd.DataFrame(),
        training_log=pd.DataFrame(),
        brand_events=pd.DataFrame(),
    )


ROWS = [
    # the last 7 days (24-30 June): four held appointments
    (1, "2026-06-24 10:00", 60, "completed", 40, 20, 8, "2026-06-20 09:00"),
    (2, "2026-06-26 11:00", 30, "completed", 60, 0, 12, "2026-06-24 10:30"),  # rebooked by 1
    (1, "2026-06-30 10:00", 60, "completed", 50, 0, 10, "2026-06-24 10:55"),  # rebooked at checkout
    (3, "2026-06-30 15:00", 60, "no_show", 0, 0, 0, "2026-06-29 09:00"),
    (4, "2026-06-27 12:00", 60, "cancelled", 0, 0, 0, "2026-06-20 09:00"),
    # the 7 days before (17-23 June)
    (2, "2026-06-19 11:00", 60, "completed", 30, 0, 0, "2026-06-10 09:00"),
    (5, "2026-06-23 10:00", 60, "completed", 30, 0, 0, "2026-06-21 09:00"),
]


def _kpis(data: ShopData, now: datetime | None = None) -> pd.DataFrame:
    values = run(data, KpiSettings(), AS_OF, now).values
    return values.set_index(["window", "kpi"])["value"]


def test_seven_day_kpis_by_hand() -> None:
    v = _kpis(_shop(ROWS, first_seen={1: "2025-01-10", 2: "2026-06-19", 5: "2026-06-23"}))
    assert v[("7d", "revenue")] == (40 + 20 + 60 + 50) * 100
    assert v[("7d", "visits")] == 3
    assert v[("7d", "avg_ticket")] == pytest.approx(17000 / 3)
    # Tue-Sat rostered 480 minutes a day: 24, 25, 26, 27, 30 June = 5 days; 150 completed
    # minutes + 60 no-show minutes.
    assert v[("7d", "utilisation")] == pytest.approx((150 + 60) / (5 * 480))
    assert v[("7d", "no_show_rate")] == pytest.approx(1 / 5)
    assert v[("7d", "cancellation_rate")] == pytest.approx(1 / 5)
    assert v[("7d", "retail_attachment")] == pytest.approx(1 / 3)
    assert v[("7d", "tip_rate")] == pytest.approx((8 + 12 + 10) / (40 + 60 + 50))
    assert v[("7d", "revenue_per_hour")] == pytest.approx(17000 / 2.5)
    # Client 2 first came on 19 June (before the window): nobody is new this week.
    assert v[("7d", "new_clients")] == 0 and v[("7d", "returning_clients")] == 2
    # Visit on 24 June was followed by a booking made 55 minutes after it ended; 26 June and
    # 30 June were not followed by a booking within a day.
    assert v[("7d", "rebooking_rate")] == pytest.approx(1 / 3)
    assert np.isnan(v[("7d", "retention_90d")])  # a 90-day measure only


def test_prior_period_and_change() -> None:
    values = run(_shop(ROWS), KpiSettings(), AS_OF).values.set_index(["window", "kpi"])
    row = values.loc[("7d", "revenue")]
    assert row["prior"] == 6000 and row["change"] == pytest.approx(17000 / 6000 - 1)
    assert row["target"] == KpiSettings().targets["revenue"] * 7


def test_today_so_far_and_the_usual_band_for_this_weekday() -> None:
    rows = list(ROWS)
    # Eight past Tuesdays: $100 by noon, $300 by the end of the day, $20 more each week.
    for k in range(1, 9):
        day = pd.Timestamp("2026-06-30") - pd.Timedelta(weeks=k)
        rows.append(
            (
                10 + k,
                f"{day:%Y-%m-%d} 10:00",
                60,
                "completed",
                100 + 20 * k,
                0,
                0,
                f"{day:%Y-%m-%d} 09:00",
            )
        )
        rows.append(
            (20 + k, f"{day:%Y-%m-%d} 14:00", 60, "completed", 200, 0, 0, f"{day:%Y-%m-%d} 09:00")
        )
    result = run(_shop(rows), KpiSettings(), AS_OF, datetime(2026, 6, 30, 12, 0))
    v = result.values.set_index(["window", "kpi"])["value"]
    assert v[("today", "revenue")] == 5000  # the 10:00 visit; the 15:00 no-show is still ahead
    band = result.today_band
    # ROWS also has a $30 visit at 10:00 on the previous Tuesday (23 June).
    by_noon = [100 + 20 * k + (30 if k == 1 else 0) for k in range(1, 9)]
    assert band["expected_low"] == pytest.approx(np.percentile(by_noon, 10) * 100)
    assert band["expected_high"] == pytest.approx(np.percentile(by_noon, 90) * 100)
    assert band["status"] == "slow"  # $50 by noon against a usual $120-$260
    # Utilisation so far: 60 minutes held of 180 rostered (9:00 to 12:00).
    assert v[("today", "utilisation")] == pytest.approx(60 / 180)


def test_health_score_is_the_stated_weighted_mean() -> None:
    from barberbi_desktop.engines.kpi_health import HEALTH_WEIGHTS

    result = run(_shop(ROWS), KpiSettings(), AS_OF)
    parts = result.health_parts
    assert set(parts) <= set(HEALTH_WEIGHTS) and parts
    expected = sum(parts[k] * HEALTH_WEIGHTS[k] for k in parts) / sum(
        HEALTH_WEIGHTS[k] for k in parts
    )
    assert result.health == pytest.approx(expected)
    assert all(0 <= p <= 100 for p in parts.values())


def test_an_alert_fires_once_then_waits_for_its_cool_down(empty_db: Database) -> None:
    clock = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
    alert = rules.Candidate(
        "no_show_rate",
        "high",
        "No-shows are up",
        "12% this week",
        "no_show_rate:7d",
        timedelta(days=7),
    )
    assert len(raise_alerts(empty_db, [alert], now=clock)) == 1
    assert raise_alerts(empty_db, [alert], now=clock + timedelta(days=1)) == []
    assert raise_alerts(empty_db, [alert, alert], now=clock + timedelta(days=6)) == []
    assert len(raise_alerts(empty_db, [alert], now=clock + timedelta(days=8))) == 1
    other = rules.Candidate(
        "utilisation_collapse", "high", "Emptier", "x", "utilisation_collapse:7d", timedelta(days=7)
    )
    assert len(raise_alerts(empty_db, [other], now=clock + timedelta(days=1))) == 1
    listed = list_alerts(empty_db)
    assert len(listed) == 3 and listed["acknowledged_utc"].isna().all()


def test_acknowledge_records_when_and_rejects_unknown_ids(empty_db: Database) -> None:
    clock = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
    [alert_id] = raise_alerts(
        empty_db, [rules.engine_failed("ltv", "boom.", rules.AlertSettings())], now=clock
    )
    acknowledge(empty_db, alert_id, now=clock + timedelta(minutes=5))
    row = list_alerts(empty_db).iloc[0]
    assert row["acknowledged_utc"] == pd.Timestamp(clock + timedelta(minutes=5))
    assert list_alerts(empty_db, include_acknowledged=False).empty
    with pytest.raises(InputError, match="no alert number 999"):
        acknowledge(empty_db, 999)


def test_kpi_rules_read_the_numbers() -> None:
    values = pd.DataFrame(
        [
            {"kpi": "no_show_rate", "window": "7d", "value": 0.15, "prior": 0.05},
            {"kpi": "utilisation", "window": "7d", "value": 0.30, "prior": 0.70},
        ]
    )
    band = {
        "available": True,
        "status": "slow",
        "weekday": "Tuesday",
        "so_far": 5000,
        "expected_low": 12000,
        "expected_high": 26000,
    }
    fired = {c.rule: c for c in rules.kpi_alerts(values, band, rules.AlertSettings(), "2026-06-30")}
    assert set(fired) == {"no_show_rate", "revenue_below_band", "utilisation_collapse"}
    assert "15%" in fired["no_show_rate"].message
    calm = values.assign(value=[0.05, 0.65])
    assert rules.kpi_alerts(calm, {"available": False}, rules.AlertSettings(), "x") == []


def test_a_failing_engine_records_the_failure_raises_an_alert_and_the_next_job_runs(
    demo_db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    path = tmp_path / "shop.db"
    shutil.copyfile(demo_db_file, path)
    db = open_database(path, create=False)

    def broken(*_args: object) -> dict[str, object]:
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(runner.ENGINES, "ltv", broken)
    with pytest.raises(RuntimeError):
        runner.run_engine(db, "ltv", date(2026, 11, 20))
    failed = latest_run(db, "ltv", status="failed")
    assert failed is not None and "disk on fire" in failed.error
    alerts = list_alerts(db)
    assert alerts.iloc[0]["rule"] == "engine_failed" and alerts.iloc[0]["priority"] == "critical"
    outcome = runner.run_engine(db, "kpi", date(2026, 11, 20))  # the next job still runs
    assert outcome.summary["health"] is not None
    db.dispose()


def test_alerts_cli_lists_and_acknowledges(
    empty_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    raise_alerts(
        empty_db,
        [rules.import_rejected("tx.csv", "Row 3, Date: not a date.", rules.AlertSettings())],
    )
    where = db_arg(empty_db)
    assert main(["--db", where, "alerts", "--json"]) == 0
    [alert] = json.loads(capsys.readouterr().out)["alerts"]
    assert alert["priority"] == "high" and alert["title"] == "Import rejected: tx.csv"
    assert main(["--db", where, "alerts", "ack", str(alert["id"])]) == 0
    capsys.readouterr()
    assert main(["--db", where, "alerts", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["alerts"] == []
    assert main(["--db", where, "alerts", "ack", "12345"]) == 2


# Real exports lack fields the demo always fills; a KPI that needs one is unknown (NaN,
# with a reason), never a made-up 0 that the health score would count.


def _thirty(result: kpi.KpiResult) -> pd.DataFrame:
    return result.values[result.values["window"] == "30d"].set_index("kpi")


def test_an_export_without_tips_gives_an_unknown_tip_rate_not_zero() -> None:
    data = _shop(ROWS)
    no_tips = replace(data, appointments=data.appointments.assign(tip_cents=0))
    result = run(no_tips, KpiSettings(), AS_OF)
    row = _thirty(result).loc["tip_rate"]
    assert np.isnan(row["value"]) and "no tips" in row["reason"]
    assert "tip_rate" not in result.health_parts and "tip_rate" in result.health_unknown
    # With tips recorded the same visits give the hand-computed rate.
    assert _thirty(run(data, KpiSettings(), AS_OF)).loc["tip_rate", "value"] == pytest.approx(
        (8 + 12 + 10) / (40 + 60 + 50 + 30 + 30)
    )


def test_tips_count_only_from_the_sources_that_record_them() -> None:
    data = _shop(ROWS)
    a = data.appointments
    # The two visits of 17-23 June came from a booking export without a tips column.
    other = a["start"] < pd.Timestamp("2026-06-24", tz=NY)
    mixed = a.assign(source_platform=np.where(other, "acuity", "square"))
    value = _thirty(run(replace(data, appointments=mixed), KpiSettings(), AS_OF)).loc["tip_rate"]
    assert value["value"] == pytest.approx((8 + 12 + 10) / (40 + 60 + 50))


def test_an_export_of_completed_visits_only_has_unknown_no_show_and_cancellation_rates() -> None:
    done_only = _shop([r for r in ROWS if r[3] == "completed"])
    result = run(done_only, KpiSettings(), AS_OF)
    thirty = _thirty(result)
    for rate in ("no_show_rate", "cancellation_rate"):
        assert np.isnan(thirty.loc[rate, "value"]), rate  # not 0%, which would score 100
        assert "completed visits only" in thirty.loc[rate, "reason"]
    assert "no_show_rate" not in result.health_parts


def test_no_booking_times_give_an_unknown_rebooking_rate() -> None:
    data = _shop(ROWS)
    a = data.appointments
    unbooked = a.assign(booked_at=pd.Series(pd.NaT, index=a.index, dtype=a["booked_at"].dtype))
    row = _thirty(run(replace(data, appointments=unbooked), KpiSettings(), AS_OF)).loc[
        "rebooking_rate"
    ]
    assert np.isnan(row["value"]) and "when each visit was booked" in row["reason"]


def test_a_next_visit_with_an_unknown_booking_time_is_not_counted_as_not_rebooked() -> None:
    # Client 2 came back on 29 June, but the export does not say when that was booked.
    rows = [*ROWS, (2, "2026-06-29 10:00", 30, "completed", 30, 0, 0, "2026-06-29 09:00")]
    data = _shop(rows)
    a = data.appointments
    unknown = a["start"] == pd.Timestamp("2026-06-29 10:00", tz=NY).tz_convert("UTC")
    v = _kpis(replace(data, appointments=a.assign(booked_at=a["booked_at"].mask(unknown))))
    # 26 June cannot be judged (not "not rebooked"); of 24, 29 and 30 June only 24 was.
    assert v[("7d", "rebooking_rate")] == pytest.approx(1 / 3)


def test_utilisation_without_working_hours_is_unknown_and_names_the_barber() -> None:
    data = _shop(ROWS)
    imported = replace(
        data, barbers=pd.DataFrame({"barber_id": [1], "name": ["Ana"], "working_hours": [{}]})
    )
    result = run(imported, KpiSettings(), AS_OF)
    row = _thirty(result).loc["utilisation"]
    assert np.isnan(row["value"])
    assert row["reason"] == "no working hours set for Ana: set them in Settings > Barbers"
    assert "utilisation" in result.health_unknown


def test_day_only_visits_stay_out_of_utilisation() -> None:
    data = _shop(ROWS)
    a = data.appointments
    # The export gave only the day of the 26 June visit: one of four held visits.
    day_only = a["start"].dt.tz_convert(NY).dt.day.eq(26)
    v = _kpis(replace(data, appointments=a.assign(time_known=~day_only)))
    assert np.isnan(v[("7d", "utilisation")])  # 3 of 4 timed: under the 90% needed
    assert v[("7d", "revenue")] == (40 + 20 + 60 + 50) * 100  # still counted as revenue
    assert v[("7d", "visits")] == 3


def test_unknown_kpis_are_stored_as_null_and_read_back_as_unknown(empty_db: Database) -> None:
    from barberbi_desktop.jobs import kpi_job
    from barberbi_desktop.storage.results import kpi_values, start_run

    data = _shop(ROWS)
    result = run(replace(data, appointments=data.appointments.assign(tip_cents=0)), KpiSettings(),
                 AS_OF)  # fmt: skip
    run_id = start_run(empty_db, "kpi", AS_OF)
    kpi_job.store(empty_db, run_id, result, rules.AlertSettings())
    with empty_db.read() as conn:
        raw = conn.execute(
            text("SELECT value FROM kpi_values WHERE run_id = :r AND kpi = 'tip_rate'"),
            {"r": run_id},
        ).scalars().all()
    assert raw and all(v is None for v in raw)  # NULL in every window, not 0
    stored = kpi_values(empty_db, run_id).set_index(["window", "kpi"])
    assert pd.isna(stored.loc[("30d", "tip_rate"), "value"])
    assert stored.loc[("30d", "revenue"), "value"] == 17000 + 6000
    summary = latest_run(empty_db, "kpi").metrics
    tip = next(k for k in summary["kpis"] if k["kpi"] == "tip_rate" and k["window"] == "30d")
    assert tip["value"] is None and "no tips" in tip["reason"]
    assert "tip_rate" in summary["health_unknown"]


# Unknown is not zero: a month without a visit has $0 revenue, which would score 0/100.


def test_an_empty_shop_has_an_unknown_health_with_its_reason_in_the_stored_run(
    empty_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run(_empty(), KpiSettings(), AS_OF)
    assert result.health is None and result.health_parts == {}
    assert result.health_reason == kpi_health.NO_VISITS_EVER
    outcome = runner.run_engine(empty_db, "kpi", AS_OF)
    stored = latest_run(empty_db, "kpi").metrics
    assert outcome.summary["health"] is None and stored["health"] is None
    assert stored["health_reason"] == kpi_health.NO_VISITS_EVER and stored["health_parts"] == {}
    assert main(["--db", db_arg(empty_db), "run", "kpi", "--as-of", AS_OF.isoformat()]) == 0
    said = capsys.readouterr().out
    assert f"unknown: {kpi_health.NO_VISITS_EVER}" in said and "/100" not in said


def _empty() -> ShopData:
    data = _shop(ROWS[:1])
    return replace(
        data, appointments=data.appointments.iloc[0:0], clients=data.clients.iloc[0:0]
    )


def test_one_visit_gives_a_score_and_a_month_without_visits_an_unknown_one() -> None:
    one = _shop([(1, "2026-06-29 10:00", 60, "completed", 40, 0, 8, "2026-06-20 09:00")])
    result = run(one, KpiSettings(), AS_OF)
    assert result.health is not None and result.health_reason is None
    target = KpiSettings().targets["revenue"] * 30
    assert result.health_parts["revenue"] == pytest.approx(100 * 4000 / target)
    later = run(one, KpiSettings(), AS_OF + timedelta(days=45))  # the visit is 46 days old
    assert later.health is None and later.health_reason == kpi_health.NO_VISITS_30D
    assert later.summary()["health"] is None
