"""Six Figure Barber methodology: hand-computed metrics, nulls, monotonicity, pathway."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from barberbi_desktop.cli import main
from barberbi_desktop.engines.data import NotEnoughData, ShopData
from barberbi_desktop.engines.methodology import MethodologySettings, run, score
from barberbi_desktop.engines.pathway import pathways, project
from barberbi_desktop.ingest.importer import import_files
from barberbi_desktop.jobs.runner import run_engine
from barberbi_desktop.storage.db import Database, open_database
from barberbi_desktop.storage.frames import load_shop_data
from tests.conftest import DEMO_END
from tests.import_helpers import NOW

AS_OF = date(2026, 6, 30)  # a Tuesday; the 90-day window is 2 April to 30 June
NY = "America/New_York"
HOURS = {str(d): [540, 1020] for d in range(1, 6)}  # Tue-Sat 9:00-17:00


def _tiny() -> ShopData:
    # id, client, local start, minutes, status, service $, product $, discount $, tip $, channel,
    # booked at (local), premium?
    rows = [
        (1, 5, "2025-05-01 10:00", 45, "completed", 35, 0, 0, 5, "online", "2025-04-28 09:00", 0),
        (2, 5, "2025-06-15 10:00", 45, "completed", 35, 0, 0, 5, "online", "2025-06-10 09:00", 0),
        (3, 1, "2026-03-10 10:00", 45, "completed", 40, 0, 0, 8, "online", "2026-03-01 09:00", 0),
        (4, 2, "2026-03-12 10:00", 45, "completed", 40, 0, 0, 0, "phone", "2026-03-05 09:00", 0),
        (5, 3, "2026-03-20 10:00", 45, "completed", 40, 0, 0, 8, "online", "2026-03-18 09:00", 0),
        (6, 3, "2026-04-10 10:00", 90, "completed", 100, 0, 10, 20, "phone", "2026-03-20 10:50", 1),
        (7, 1, "2026-06-02 10:00", 45, "completed", 40, 0, 0, 8, "online", "2026-05-30 09:00", 0),
        (8, 4, "2026-06-02 11:00", 45, "completed", 40, 20, 0, 0, "walk_in", "2026-06-02 11:00", 0),
        (9, 4, "2026-06-09 10:00", 45, "no_show", 0, 0, 0, 0, "phone", "2026-06-02 11:50", 0),
        (10, 1, "2026-06-16 10:00", 45, "cancelled", 0, 0, 0, 0, "online", "2026-06-10 09:00", 0),
    ]
    start = pd.to_datetime([r[2] for r in rows]).tz_localize(NY).tz_convert("UTC")
    booked = pd.to_datetime([r[10] for r in rows]).tz_localize(NY).tz_convert("UTC")
    cents = lambda i: np.array([r[i] * 100 for r in rows])  # noqa: E731
    appts = pd.DataFrame(
        {
            "appointment_id": [r[0] for r in rows],
            "client_id": [r[1] for r in rows],
            "barber_id": 1,
            "location_id": 1,
            "service_id": 1,
            "start": start,
            "end": start + pd.to_timedelta([r[3] for r in rows], unit="min"),
            "booked_at": booked,
            "status": [r[4] for r in rows],
            "channel": [r[9] for r in rows],
            "source_platform": "test",
            "service_cents": cents(5),
            "product_cents": cents(6),
            "discount_cents": cents(7),
            "tax_cents": 0,
            "tip_cents": cents(8),
            "item_count": 1,
            "unknown_price_items": 0,
            "revenue_cents": cents(5) + cents(6) - cents(7),
        }
    )
    lines = [(r[0], 2 if r[11] else 1, r[5] * 100, "service") for r in rows if r[5]]
    lines += [(r[0], None, r[6] * 100, "product") for r in rows if r[6]]
    items = pd.DataFrame(
        {
            "appointment_id": [x[0] for x in lines],
            "service_id": [x[1] for x in lines],
            "unit_price_cents": [x[2] for x in lines],
            "quantity": 1,
            "kind": [x[3] for x in lines],
        }
    )
    reviews = pd.DataFrame(
        {
            "barber_id": 1,
            "rating": [5, 4, 3],
            "posted": pd.to_datetime(
                ["2026-06-03 12:00", "2026-05-01 12:00", "2026-01-15 12:00"]
            ).tz_localize("UTC"),
        }
    )
    return ShopData(
        appointments=appts,
        sale_items=items,
        clients=pd.DataFrame(
            {
                "client_id": [1, 2, 3, 4, 5],
                "referral_source": ["google", None, "instagram", "referral", None],
            }
        ),
        barbers=pd.DataFrame({"barber_id": [1], "name": ["Ola"], "working_hours": [HOURS]}),
        services=pd.DataFrame({"service_id": [1, 2], "premium": [False, True]}),
        locations=pd.DataFrame({"location_id": [1], "timezone": [NY]}),
        reviews=reviews,
        training_log=pd.DataFrame(
            {
                "barber_id": [1, 1],
                "hours": [6.0, 10.0],
                "occurred_on": [date(2026, 5, 1), date(2025, 1, 10)],
            }
        ),
        brand_events=pd.DataFrame(),
    )


def _metrics(result_summary: dict) -> dict[str, dict]:
    return {m["name"]: m for p in result_summary["principles"] for m in p["metrics"]}


def test_every_metric_on_a_hand_computed_tiny_shop() -> None:
    m = _metrics(run(_tiny(), MethodologySettings(), AS_OF).summary())
    v = {k: x["value"] for k, x in m.items()}
    # Window visits: client 1 ($40), client 3 ($100 premium less $10), client 4 ($40 + $20 retail).
    assert v["avg_service_ticket"] == pytest.approx((4000 + 9000 + 4000) / 3)
    assert v["premium_revenue_share"] == pytest.approx(10000 / 18000)
    assert v["premium_buyer_share"] == pytest.approx(1 / 3)
    assert v["discount_frequency"] == pytest.approx(1 / 3)
    assert v["discount_depth"] == pytest.approx(0.10)
    assert v["tip_rate"] == pytest.approx(2800 / 18000)
    assert v["price_increases"] == 1.0  # the classic cut: $35 a year ago, $40 now
    # Clients 1, 2, 3 visited 90-180 days ago; 1 and 3 came back in the window.
    assert v["retention_90d"] == pytest.approx(2 / 3)
    # First visits 90-180 days ago: 1 (back 2 June), 2 (never), 3 (back 10 April).
    assert v["first_visit_return"] == pytest.approx(2 / 3)
    # Only client 4's visit was followed by a booking made within a day of it.
    assert v["rebooking_rate"] == pytest.approx(1 / 3)
    assert v["premium_client_share"] == pytest.approx(1 / 3)  # only client 3 averages >= $75
    assert v["visits_per_client_year"] == pytest.approx(6 / 4)  # 2 + 1 + 2 + 1 visit days
    assert v["review_count"] == 2 and v["review_rating"] == pytest.approx(4.0)
    assert v["referral_share"] == 1.0  # the one new client came by referral
    assert v["online_booking_share"] == pytest.approx(2 / 5)
    # 64 Tuesday-to-Saturday days of 480 minutes; 45 + 90 + 45 booked + 45 no-show.
    assert v["utilisation"] == pytest.approx(225 / (64 * 480))
    assert v["revenue_per_booked_hour"] == pytest.approx(19000 / 3)
    assert v["revenue_per_available_hour"] == pytest.approx(19000 / (64 * 8))
    assert v["missed_rate"] == pytest.approx(2 / 5)
    assert v["idle_minutes"] == 15.0  # 10:45 to 11:00 on 2 June
    assert v["training_hours"] == 6.0  # the 2025 course is more than a year old
    assert m["avg_service_ticket"]["score"] == pytest.approx(100 * 5666.67 / 10000, rel=1e-4)
    assert m["missed_rate"]["score"] == pytest.approx(100 * 0.05 / 0.4)
    assert m["premium_buyer_share"]["score"] == 100.0  # 1/3 beats the 25% target


def test_metrics_without_data_are_null_with_a_reason() -> None:
    summary = run(_tiny(), MethodologySettings(), AS_OF).summary()
    m = _metrics(summary)
    assert m["price_consistency"]["value"] is None  # one barber: nothing to compare
    assert "two or more barbers" in m["price_consistency"]["reason_if_null"]
    assert m["price_growth"]["value"] is None and "15 months" in m["price_growth"]["reason_if_null"]
    assert m["new_service_share"]["score"] is None
    skill = next(p for p in summary["principles"] if p["key"] == "skill_development")
    assert skill["score"] == pytest.approx(100 * 6 / 40)  # scored on training alone

    data = _tiny()
    bare = replace(
        data,
        reviews=pd.DataFrame(),
        clients=data.clients.assign(referral_source=None),
        appointments=data.appointments.assign(channel="None"),
    )
    brand = next(
        p
        for p in run(bare, MethodologySettings(), AS_OF).summary()["principles"]
        if p["key"] == "brand_building"
    )
    assert brand["score"] is None
    assert "no reviews recorded" in brand["reason_if_null"]


def test_a_history_shorter_than_the_trajectory_lead_has_no_trajectory() -> None:
    """Under 90 days of history no month is scored; the job still selects these columns."""
    result = run(_tiny(), MethodologySettings(), date(2025, 6, 20))
    assert list(result.trajectory.columns) == ["month", "principle", "score"]
    assert result.trajectory.empty
    assert result.summary()["trajectory"] == []


def test_score_mapping_is_monotonic_and_capped() -> None:
    values = np.linspace(0, 3, 31)
    up = [score(x, 1.0, True) for x in values]
    down = [score(x, 1.0, False) for x in values[1:]]
    assert all(a <= b for a, b in pairwise(up)) and up[-1] == 100 and up[0] == 0
    assert all(a >= b for a, b in pairwise(down)) and down[0] == 100


@pytest.fixture(scope="module")
def demo_data(demo_db_file: Path) -> ShopData:
    db = open_database(demo_db_file, create=False)
    try:
        return load_shop_data(db)
    finally:
        db.dispose()


def _principle(data: ShopData, key: str) -> float:
    settings = MethodologySettings(trajectory_months=1)
    summary = run(data, settings, DEMO_END).summary()
    return next(p["score"] for p in summary["principles"] if p["key"] == key)


def test_raising_premium_prices_raises_the_premium_score(demo_data: ShopData) -> None:
    premium = set(demo_data.services.loc[demo_data.services["premium"], "service_id"])
    items = demo_data.sale_items
    is_premium = items["service_id"].isin(premium).fillna(False).to_numpy(dtype=bool)
    dearer_items = items.assign(
        unit_price_cents=np.where(
            is_premium, items["unit_price_cents"] * 2, items["unit_price_cents"]
        )
    )
    extra = (items["unit_price_cents"] * is_premium).groupby(items["appointment_id"]).sum()
    add = demo_data.appointments["appointment_id"].map(extra).fillna(0).astype("int64")
    a = demo_data.appointments
    dearer = replace(
        demo_data,
        sale_items=dearer_items,
        appointments=a.assign(
            service_cents=a["service_cents"] + add, revenue_cents=a["revenue_cents"] + add
        ),
    )
    assert _principle(dearer, "premium_positioning") > _principle(demo_data, "premium_positioning")


def test_lower_utilisation_lowers_the_efficiency_score(demo_data: ShopData) -> None:
    longer = {str(d): [420, 1260] for d in range(7)}  # open 7:00-21:00 every day
    idle = replace(
        demo_data, barbers=demo_data.barbers.assign(working_hours=[longer] * len(demo_data.barbers))
    )
    assert _principle(idle, "business_efficiency") < _principle(demo_data, "business_efficiency")


def test_pathway_projects_the_crossing_of_a_linear_trend() -> None:
    as_of = pd.Timestamp("2026-06-30")
    t = np.arange(-25, 1)
    weekly = (1500 + 20 * t) * 100.0  # $1,500 a week now, rising $20 a week
    trailing = weekly[-13:].sum() * 90 / 91
    slope, crossing, already, p = project(
        weekly, trailing, 10_000_000, as_of, np.random.default_rng(0)
    )
    # $100,000 / 52 = $1,923.08 a week: (1923.08 - 1500) / 20 = 21.2, so 22 weeks ahead.
    assert slope == pytest.approx(2000)
    assert crossing == (as_of + pd.Timedelta(weeks=22)).date() and not already
    assert p == 1.0  # no noise: the trailing quarter gets there within the year
    falling = (1500 - 20 * t) * 100.0  # $2,000 a week half a year ago, $1,500 now
    _, crossing, _, p = project(
        falling, falling[-13:].sum(), 10_000_000, as_of, np.random.default_rng(0)
    )
    assert crossing is None and p == 0.0


def test_pathways_read_weekly_revenue_from_visits() -> None:
    as_of = pd.Timestamp("2026-06-30")
    weeks = np.arange(26)
    days = as_of - pd.to_timedelta(7 * (25 - weeks), unit="D")
    appts = pd.DataFrame(
        {
            "barber_id": 1,
            "status": "completed",
            "day": days,
            "revenue": (1500 + 20 * (weeks - 25)) * 100.0,
        }
    )
    [path] = pathways(
        appts, pd.DataFrame({"barber_id": [1], "name": ["Ola"]}), as_of, 10_000_000, seed=0
    )
    assert path.weekly_trend_cents == pytest.approx(2000)
    assert path.projected_crossing == (as_of + pd.Timedelta(weeks=22)).date()


def test_run_methodology_prints_the_documented_json(
    tmp_path: Path, demo_db_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    db_path = tmp_path / "shop.db"
    shutil.copyfile(demo_db_file, db_path)
    assert (
        main(["--db", str(db_path), "run", "methodology", "--as-of", "2026-11-24", "--json"]) == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["engine"] == "methodology" and out["as_of"] == "2026-11-24"
    assert 0 <= out["overall"] <= 100
    assert len(out["principles"]) == 6
    for p in out["principles"]:
        assert {"name", "score", "reason_if_null", "metrics"} <= set(p)
        assert all({"name", "value", "target", "score"} <= set(m) for m in p["metrics"])
    assert len(out["barbers"]) >= 4 and out["gaps"][0]["rank"] == 1
    stakes = [
        g["revenue_at_stake_yearly"]
        for g in out["gaps"]
        if g["revenue_at_stake_yearly"] is not None
    ]
    assert stakes == sorted(stakes, reverse=True)
    assert {"annualised", "projected_crossing", "p_cross_12m"} <= set(out["pathway"][0])
    assert len(out["trajectory"]) >= 12


def test_a_cut_context_scores_exactly_like_the_full_history(demo_data: ShopData) -> None:
    """The trajectory scores each month on a cut of the history; nothing may change."""
    from dataclasses import replace as dc_replace

    from barberbi_desktop.engines.method_context import build_context
    from barberbi_desktop.engines.methodology import MethodologySettings, evaluate

    ctx = build_context(demo_data, pd.Timestamp("2026-11-24"))
    s = MethodologySettings()
    for month_end in pd.date_range("2025-12-31", "2026-10-31", freq=pd.offsets.MonthEnd(5)):
        full = evaluate(dc_replace(ctx, as_of=month_end), s)[0]
        cut = evaluate(ctx.cut(month_end), s)[0]
        assert len(ctx.cut(month_end).appts) < len(ctx.appts)
        assert [(p.key, p.score) for p in cut.principles] == [
            (p.key, p.score) for p in full.principles
        ]
        assert [(m.spec.key, m.value) for p in cut.principles for m in p.metrics] == [
            (m.spec.key, m.value) for p in full.principles for m in p.metrics
        ]


def test_scores_without_stakes_equal_scores_with_them(demo_data: ShopData) -> None:
    """The trajectory skips each metric's revenue at stake; its scores may not move."""
    from barberbi_desktop.engines.method_context import build_context
    from barberbi_desktop.engines.methodology import MethodologySettings, evaluate

    ctx = build_context(demo_data, pd.Timestamp("2026-11-24"))
    s = MethodologySettings()
    for month_end in (pd.Timestamp("2026-03-31"), pd.Timestamp("2026-10-31")):
        with_stakes = evaluate(ctx.cut(month_end), s)[0]
        without = evaluate(ctx.cut(month_end, stakes=False), s)[0]
        metrics = [m for p in with_stakes.principles for m in p.metrics]
        lean = [m for p in without.principles for m in p.metrics]
        assert [(m.spec.key, m.value, m.score) for m in lean] == [
            (m.spec.key, m.value, m.score) for m in metrics
        ]
        assert without.overall == with_stakes.overall
        assert any(m.stake_cents for m in metrics)
        assert not any(m.stake_cents for m in lean)


# Real shops: each case below failed (an internal error, or a made-up score) before.


def test_a_brand_new_empty_shop_says_what_is_missing(empty_db: Database) -> None:
    """pandas 3 raised "Cannot cast DatetimeArray to dtype float64" preparing the history."""
    with pytest.raises(NotEnoughData, match="No completed visits yet"):
        run(load_shop_data(empty_db), MethodologySettings(), AS_OF)


def test_two_months_of_imported_history_is_scored_and_stored(
    empty_db: Database, tmp_path: Path
) -> None:
    """The trajectory needs 90 days; it used to be a frame without columns, and storing it
    raised KeyError "None of [Index(['month', 'principle', 'score'])] are in the [columns]"."""
    export = tmp_path / "visits.csv"
    lines = ["appointment_id,start,end,status,client_id,barber,service,price,tip,booked_at"]
    for i in range(40):
        day = pd.Timestamp("2026-09-28") + pd.Timedelta(days=i * 3 // 2)
        lines.append(
            f"V{i},{day:%Y-%m-%d} 10:00,{day:%Y-%m-%d} 10:45,completed,C{i % 9},Ola,"
            f"Skin Fade,45.00,{5 * (i % 3)},{day - pd.Timedelta(days=7):%Y-%m-%d} 09:00"
        )
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [report] = import_files(empty_db, [export], now=NOW)
    assert report.status == "landed", report.reason
    outcome = run_engine(empty_db, "methodology", date(2026, 11, 24))
    assert outcome.summary["trajectory"] == []
    assert outcome.summary["overall"] is not None
    with empty_db.read() as conn:
        stored = conn.execute(
            text("SELECT COUNT(*) FROM methodology_scores WHERE run_id = :r"),
            {"r": outcome.run_id},
        ).scalar_one()
    assert stored > 0


def _as_imported(data: ShopData) -> ShopData:
    """The tiny shop as a booking export with no tips, discounts, booking times or missed
    visits would import it: barbers without hours, no service marked premium."""
    a = data.appointments[data.appointments["status"] == "completed"]
    a = a.assign(
        tip_cents=0,
        discount_cents=0,
        revenue_cents=a["service_cents"] + a["product_cents"],
        booked_at=pd.Series(pd.NaT, index=a.index, dtype=a["booked_at"].dtype),
    )
    return replace(
        data,
        appointments=a,
        barbers=data.barbers.assign(working_hours=[{}]),
        services=data.services.assign(premium=False),
    )


def test_fields_an_export_never_had_are_unknown_not_zero() -> None:
    summary = run(_as_imported(_tiny()), MethodologySettings(), AS_OF).summary()
    m = _metrics(summary)
    expected = {
        "tip_rate": "no tips",  # was 0%, scoring 0
        "rebooking_rate": "when each visit was booked",  # was 0%
        "missed_rate": "completed visits only",  # was 0%, scoring 100
        "discount_frequency": "no discounts recorded",  # was 0%, scoring 100
        "discount_depth": "no discounts recorded",
        "premium_revenue_share": "marked premium",  # was 0%
        "premium_buyer_share": "marked premium",
        "utilisation": "no working hours set for Ola: set them in Settings > Barbers",
        "revenue_per_available_hour": "no working hours set for Ola",
    }
    for name, reason in expected.items():
        assert m[name]["value"] is None and m[name]["score"] is None, name
        assert reason in m[name]["reason_if_null"], (name, m[name]["reason_if_null"])
    # A principle is scored from the metrics it has: value pricing from the one price rise.
    pricing = next(p for p in summary["principles"] if p["key"] == "value_pricing")
    assert pricing["score"] == 100.0
    # Each barber gets the reason too.
    [(_, card)] = run(_as_imported(_tiny()), MethodologySettings(), AS_OF).barbers.values()
    [efficiency] = [p for p in card.principles if p.key == "business_efficiency"]
    [util] = [x for x in efficiency.metrics if x.spec.key == "utilisation"]
    assert util.score is None and "Ola" in (util.reason or "")


def test_free_consultations_do_not_break_price_metrics() -> None:
    data = _tiny()
    items = data.sale_items
    # Every service line of the classic cut a year ago became a free consultation.
    free = items.assign(
        unit_price_cents=np.where(items["appointment_id"].isin([1, 2]), 0,
                                  items["unit_price_cents"])
    )  # fmt: skip
    m = _metrics(run(replace(data, sale_items=free), MethodologySettings(), AS_OF).summary())
    # A $0 price says nothing about pricing: nothing to compare a year on.
    assert m["price_increases"]["value"] is None
    assert all(np.isfinite(x["value"]) for x in m.values() if x["value"] is not None)


def test_a_till_that_calls_every_sale_a_walk_in_does_not_score_online_booking() -> None:
    data = _tiny()
    till = replace(
        data,
        reviews=data.reviews.iloc[0:0],
        clients=data.clients.assign(referral_source=None),
        appointments=data.appointments.assign(channel="walk_in", source_platform="square"),
    )
    summary = run(till, MethodologySettings(), AS_OF).summary()
    brand = next(p for p in summary["principles"] if p["key"] == "brand_building")
    assert brand["score"] is None  # was 0: the till's "walk-in" read as 0% online
    assert "how appointments were booked" in _metrics(summary)["online_booking_share"][
        "reason_if_null"]  # fmt: skip
