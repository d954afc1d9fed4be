"""The LTV engine on shops unlike the demo: odd, small, refund-heavy, receipt-only, and CDNOW.

Every shop here either gets scores or `NotEnoughData` with one sentence; nothing else.
The CDNOW purchase log is the external hold-out of issue #20: the engine scores the
customers at a cutoff and the stored 90-day predictions are compared with what the
customers then spent, data the engine never saw.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from barberbi_desktop.engines.data import NotEnoughData, ShopData
from barberbi_desktop.engines.ltv import LtvResult, LtvSettings, run
from barberbi_desktop.engines.ltv_backtest import BASELINES, describe, spend_scores, top_share
from tests.cdnow import actual_spend, as_of_week, cdnow_shop

ZONE = "America/Chicago"
AS_OF = date(2026, 6, 30)


def shop(
    visits: list[tuple[int, str, int]] | pd.DataFrame,
    *,
    status: list[str] | None = None,
    booked_days_before: float | np.ndarray | None = 3.0,
    time_known: bool = True,
    drop: tuple[str, ...] = (),
) -> ShopData:
    """A shop from (client, local day, net revenue in cents) rows, as `load_shop_data`
    builds it: visits at 10:00 local (noon when the export had no time of day)."""
    rows = (
        visits
        if isinstance(visits, pd.DataFrame)
        else pd.DataFrame(visits, columns=["client_id", "day", "cents"])
    )
    n = len(rows)
    hour = 10 if time_known else 12
    local = pd.to_datetime(rows["day"]) + pd.Timedelta(hours=hour)
    start = local.dt.tz_localize(ZONE).dt.tz_convert("UTC").reset_index(drop=True)
    cents = rows["cents"].to_numpy(dtype="int64")
    appts = pd.DataFrame(
        {
            "appointment_id": np.arange(1, n + 1),
            "client_id": rows["client_id"].to_numpy(),
            "barber_id": rows["client_id"].to_numpy() % 3 + 1,
            "location_id": 1,
            "service_id": 1,
            "start": start,
            "end": start + pd.Timedelta(minutes=40),
            "booked_at": (
                start - pd.to_timedelta(booked_days_before, unit="D")
                if booked_days_before is not None
                else pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]")
            ),
            "status": status or ["completed"] * n,
            "channel": "online",
            "source_platform": "test",
            "time_known": time_known,
            "service_cents": np.maximum(cents, 0),
            "product_cents": 0,
            "adjustment_cents": np.minimum(cents, 0),
            "discount_cents": 0,
            "tax_cents": 0,
            "tip_cents": 0,
            "item_count": 1,
            "unknown_price_items": 0,
            "revenue_cents": cents,
        }
    ).drop(columns=list(drop))
    empty = pd.DataFrame()
    return ShopData(
        appointments=appts,
        sale_items=pd.DataFrame({"appointment_id": [], "service_id": [], "kind": []}),
        clients=empty,
        barbers=empty,
        services=pd.DataFrame({"service_id": [1], "premium": [False]}),
        locations=pd.DataFrame({"location_id": [1], "timezone": [ZONE]}),
        reviews=empty,
        training_log=empty,
        brand_events=empty,
    )


def regulars(
    clients: int = 200, days: int = 700, seed: int = 3, price: int = 4000, end: date = AS_OF
) -> pd.DataFrame:
    """Invented clients who come every few weeks until they stop (BG/NBD's own story)."""
    rng = np.random.default_rng(seed)
    first = end - timedelta(days=days)
    rows = []
    for client in range(1, clients + 1):
        day = first + timedelta(days=int(rng.integers(0, days)))
        gap = rng.gamma(3.0, 10.0) + 7
        while day <= end:
            rows.append((client, day.isoformat(), int(price * rng.uniform(0.6, 1.6))))
            if rng.random() < 0.08:  # gone
                break
            day += timedelta(days=max(1, int(rng.exponential(gap))))
    return pd.DataFrame(rows, columns=["client_id", "day", "cents"])


def scores_or_says_why(data: ShopData, as_of: date = AS_OF) -> LtvResult | None:
    """The engine's contract: a result, or NotEnoughData with one sentence."""
    try:
        return run(data, LtvSettings(), as_of)
    except NotEnoughData as exc:
        message = str(exc)
        assert message.endswith(".") and message.count(". ") == 0, message
        return None


@pytest.mark.parametrize(
    ("name", "visits", "says"),
    [
        ("no visits", [], "No completed visits"),
        ("one client, one visit", [(1, "2026-06-01", 3000)], "at least 30 clients"),
        ("one client", [(1, f"2026-0{m}-03", 3000) for m in range(1, 7)], "at least 30"),
        ("a single day", [(c, "2026-06-12", 3000) for c in range(1, 80)], "at least 30"),
        ("only future bookings", [(c, "2026-07-15", 3000) for c in range(1, 80)], "No completed"),
    ],
)
def test_tiny_and_odd_shops_say_what_is_missing(
    name: str, visits: list[tuple[int, str, int]], says: str
) -> None:
    data = shop(visits, status=["booked"] * len(visits) if "future" in name else None)
    with pytest.raises(NotEnoughData, match=says):
        run(data, LtvSettings(), AS_OF)


def test_refunds_make_negative_visits_and_the_learned_model_still_trains() -> None:
    """A salon's POS receipts: refunds and comps net some visits (and clients' quarters)
    below zero, which made the Poisson loss refuse the targets."""
    rows = regulars()
    rng = np.random.default_rng(1)
    refund = rng.random(len(rows)) < 0.07
    rows.loc[refund, "cents"] = -rows.loc[refund, "cents"]
    result = run(shop(rows), LtvSettings(), AS_OF)
    assert (rows["cents"] < 0).sum() > 50
    assert "ml" in result.backtest["spend"] and result.backtest["validation"]["available"]
    assert (result.scores["predicted_spend_cents"] >= 0).all()
    assert np.isfinite(result.scores[["ltv_cents", "churn_risk", "p_alive"]]).all().all()


def test_a_shop_where_every_visit_is_free_scores_zero_spend_not_an_error() -> None:
    rows = regulars().assign(cents=0)
    result = run(shop(rows), LtvSettings(), AS_OF)
    assert (result.scores["predicted_spend_cents"] == 0).all()
    assert result.gamma_gamma["fitted"] is False
    assert any("own average" in note for note in result.notes)
    assert result.scores["expected_visits"].gt(0).any()  # visits are still predicted


def test_a_receipt_log_without_times_bookings_or_status_leaves_those_features_out() -> None:
    data = shop(
        regulars(),
        booked_days_before=None,
        time_known=False,
        drop=("booked_at", "status", "channel", "tip_cents"),
    )
    result = run(data, LtvSettings(), AS_OF)
    left_out = result.model["features_left_out"]
    assert {"lead_days", "has_booking", "online_share", "no_show_rate", "tip_rate"} <= set(left_out)
    assert "has_booking" not in result.model["features_used"]
    assert result.backtest["available"]


@pytest.mark.parametrize("same_day", [False, True], ids=["booked-ahead", "booked-on-the-day"])
def test_past_bookings_without_future_ones_leave_has_booking_out(same_day: bool) -> None:
    """Booking times on past visits, but no booking for after the scoring day: at the
    training cutoffs clients look booked, on the scoring day nobody does, so the model
    would learn from a signal it never gets. A POS that stamps every visit as booked on
    its own day never has a booking ahead at all."""
    rows = regulars()
    lead = np.random.default_rng(2).integers(0, 30, len(rows)).astype(float)
    if same_day:
        lead = np.random.default_rng(2).uniform(0, 0.3, len(rows))  # minutes to hours
    result = run(shop(rows, booked_days_before=lead), LtvSettings(), AS_OF)
    assert "has_booking" in result.model["features_left_out"]
    assert "has_booking" not in result.model["features_used"]
    assert "lead_days" in result.model["features_used"]


def test_one_year_of_history_uses_bgnbd_and_says_why() -> None:
    result = run(shop(regulars(days=300)), LtvSettings(), AS_OF)
    in_use = result.backtest["in_use"]
    assert in_use["model"] == "bgnbd_gg" and in_use["chosen_on"] == "default"
    assert "360 days of history" in in_use["reason"]
    assert result.backtest["available"]  # the test window still reports how it did
    said = describe(result.backtest)
    assert said.startswith(
        "Predictions use the BG/NBD model, the standard model (comparing models needs 360 "
        "days of history). On the last 90 days (2 Apr to 30 Jun 2026), kept out of every "
        "choice, it was "
    ), said


def test_top_share_splits_ties_and_ranks() -> None:
    actual = np.array([100.0, 0, 0, 0, 0, 0, 0, 0, 0, 50])
    assert top_share(np.zeros(10), actual) == pytest.approx(0.1)
    assert top_share(np.arange(10.0)[::-1], actual) == pytest.approx(100 / 150)
    assert top_share(np.arange(10.0), actual) == pytest.approx(50 / 150)
    assert np.isnan(top_share(np.ones(3), np.zeros(3)))
    scores = spend_scores(pd.Series([1000.0, 0.0]), pd.Series([3000.0, -1000.0]))
    assert scores["actual_total"] == 20.0 and scores["predicted_total"] == 10.0
    assert scores["total_error"] == pytest.approx(-0.5)


# CDNOW, weeks 39, 52 and 65 of its 78 (goals from issue #20, item 5). The figures measured
# when this was written are in the ids: RMSE gain over the best simple rule, top-tenth
# share, total error.
@pytest.mark.parametrize(
    "week",
    [
        pytest.param(39, id="week39-gain15%-top53%-total-18%"),
        pytest.param(52, id="week52-gain19%-top54%-total-9%"),
        pytest.param(65, id="week65-gain13%-top59%-total+22%"),
    ],
)
def test_cdnow_hold_out_beats_the_simple_rules(week: int) -> None:
    as_of = as_of_week(week)
    result = run(cdnow_shop(), LtvSettings(), as_of)
    predicted = result.scores["predicted_spend_cents"]
    actual = actual_spend(as_of)  # the 90 days after as_of: never given to the engine
    mine = spend_scores(predicted, actual)
    rules = {
        "zero": pd.Series(0.0, index=predicted.index),
        "last_period": actual_spend(as_of - timedelta(days=90)).reindex(predicted.index),
        "own_rate": result.scores["total_revenue_cents"]
        / np.maximum(result.scores["age_days"], 90)
        * 90,
    }
    assert set(rules) == set(BASELINES)
    best_rule = min(spend_scores(r.fillna(0), actual)["rmse"] for r in rules.values())
    assert mine["rmse"] <= 0.95 * best_rule, (mine, best_rule)
    assert mine["top10_share"] >= 0.45
    assert abs(mine["total_error"]) <= 0.25
    assert len(result.scores) == 2357


@pytest.mark.parametrize("week", [2, 10, 20, 26, 30, 35])
def test_cdnow_early_cutoffs_score_or_say_why(week: int) -> None:
    result = scores_or_says_why(cdnow_shop(), as_of_week(week))
    if week >= 20:
        assert result is not None and result.scores["predicted_spend_cents"].ge(0).all()
