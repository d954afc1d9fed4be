"""The LTV engine: reference values, truth recovery, time cuts, segments, storage."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import approx_fprime
from sqlalchemy import select
from sqlalchemy.orm import Session

from barberbi_desktop.cli import main
from barberbi_desktop.engines.btyd import BetaGeoModel, GammaGammaModel
from barberbi_desktop.engines.data import ShopData
from barberbi_desktop.engines.features import completed_days, prepare_visits, rfm
from barberbi_desktop.engines.ltv import LtvResult, LtvSettings, run
from barberbi_desktop.engines.segments import assign_segments
from barberbi_desktop.storage.db import open_database
from barberbi_desktop.storage.frames import load_shop_data
from barberbi_desktop.storage.models import GroundTruth
from tests.conftest import DEMO_END

CDNOW = Path(__file__).parent / "data" / "cdnow_summary.csv"


@pytest.fixture(scope="module")
def demo_data(demo_db_file: Path) -> ShopData:
    db = open_database(demo_db_file, create=False)
    try:
        return load_shop_data(db)
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def demo_result(demo_data: ShopData) -> LtvResult:
    return run(demo_data, LtvSettings(), DEMO_END)


def test_bgnbd_reproduces_the_published_cdnow_estimates() -> None:
    d = pd.read_csv(CDNOW)
    model = BetaGeoModel().fit(d["x"], d["t_x"], d["T"])
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert getattr(model, name) == pytest.approx(value, rel=0.01), name
    assert model.log_likelihood == pytest.approx(-9582.4, rel=0.01)
    assert model.converged


def test_gamma_gamma_reproduces_the_published_cdnow_estimates() -> None:
    d = pd.read_csv(CDNOW)
    model = GammaGammaModel().fit(d["x"], d["zbar"])
    for name, value in {"p": 6.25, "q": 3.74, "gamma": 15.44}.items():
        assert getattr(model, name) == pytest.approx(value, rel=0.01), name
    assert abs(model.frequency_monetary_correlation) < 0.2
    # E(M | x, zbar) = (gamma + zbar x) p / (p x + q - 1); by hand with the published
    # estimates, x = 2 and zbar = $35: (15.44 + 70) 6.25 / (12.5 + 2.74) = $35.04.
    assert model.expected_spend(np.array([2]), np.array([35.0]))[0] == pytest.approx(
        35.04, abs=0.05
    )
    # No repeat purchase: the population mean p gamma / (q - 1) = 6.25 x 15.44 / 2.74 = $35.22.
    assert model.expected_spend(np.array([0]), np.array([np.nan]))[0] == pytest.approx(
        35.22, abs=0.05
    )


def test_analytic_gradients_match_finite_differences() -> None:
    d = pd.read_csv(CDNOW).head(300)
    x, tx, t = (d[c].to_numpy(float) for c in ("x", "t_x", "T"))
    w = np.ones_like(x)
    point = np.array([0.3, 5.0, 0.8, 2.5])
    _, grad = BetaGeoModel._loglik_and_grad(point, x, tx, t, w)
    numeric = approx_fprime(
        point, lambda p: BetaGeoModel._loglik_and_grad(p, x, tx, t, w)[0] @ w, 1e-7
    )
    np.testing.assert_allclose(grad, numeric, rtol=1e-4)
    m, f = d["zbar"].to_numpy(float), x
    keep = f > 0
    gg_point = np.array([6.0, 3.5, 15.0])
    _, gg_grad = GammaGammaModel._loglik_and_grad(gg_point, f[keep], m[keep], w[keep])
    gg_numeric = approx_fprime(
        gg_point,
        lambda p: GammaGammaModel._loglik_and_grad(p, f[keep], m[keep], w[keep])[0] @ w[keep],
        1e-7,
    )
    np.testing.assert_allclose(gg_grad, gg_numeric, rtol=1e-4)


def test_predictions_behave_like_bgnbd_says() -> None:
    d = pd.read_csv(CDNOW)
    m = BetaGeoModel().fit(d["x"], d["t_x"], d["T"])
    # A customer with no repeat purchase is certainly alive under BG/NBD.
    assert m.p_alive(np.array([0]), np.array([0.0]), np.array([30.0]))[0] == 1.0
    # Same frequency, longer silence: less likely alive, fewer expected purchases.
    recent = m.expected_visits(39, np.array([5]), np.array([37.0]), np.array([38.0]))[0]
    silent = m.expected_visits(39, np.array([5]), np.array([10.0]), np.array([38.0]))[0]
    assert silent < recent
    # More past purchases in the same span: more expected in future.
    loyal = m.expected_visits(39, np.array([10]), np.array([37.0]), np.array([38.0]))[0]
    assert loyal > recent
    churn = m.p_no_visit(13, d["x"], d["t_x"], d["T"])
    assert ((churn >= 0) & (churn <= 1)).all()


def _tiny_shop() -> ShopData:
    """Two clients, visits on known days (one same-day double visit), New York time."""
    ny = "America/New_York"
    rows = [  # client, local start, revenue cents, status
        (1, "2026-01-05 10:00", 3000, "completed"),
        (1, "2026-01-05 16:00", 1000, "completed"),  # same day: one visit of $40
        (1, "2026-02-02 10:00", 5000, "completed"),
        (1, "2026-03-02 10:00", 7000, "completed"),
        (1, "2026-03-09 10:00", 9000, "no_show"),
        (1, "2026-04-06 10:00", 9900, "completed"),  # after as_of: never used
        (2, "2026-02-16 23:30", 4500, "completed"),  # late evening: still 16 Feb locally
    ]
    start = pd.to_datetime([r[1] for r in rows]).tz_localize(ny).tz_convert("UTC")
    revenue = [r[2] for r in rows]
    appts = pd.DataFrame(
        {
            "appointment_id": range(1, len(rows) + 1),
            "client_id": [r[0] for r in rows],
            "barber_id": 1,
            "location_id": 1,
            "service_id": 1,
            "start": start,
            "end": start + pd.Timedelta(minutes=45),
            "booked_at": start - pd.Timedelta(days=2),
            "status": [r[3] for r in rows],
            "channel": "online",
            "source_platform": "test",
            "service_cents": revenue,
            "product_cents": 0,
            "discount_cents": 0,
            "tax_cents": 0,
            "tip_cents": 0,
            "item_count": 1,
            "unknown_price_items": 0,
            "revenue_cents": revenue,
        }
    )
    empty = pd.DataFrame()
    return ShopData(
        appointments=appts,
        sale_items=pd.DataFrame({"appointment_id": [], "service_id": []}),
        clients=empty,
        barbers=empty,
        services=pd.DataFrame({"service_id": [1], "premium": [False]}),
        locations=pd.DataFrame({"location_id": [1], "timezone": [ny]}),
        reviews=empty,
        training_log=empty,
        brand_events=empty,
    )


def test_rfm_on_a_hand_computed_tiny_shop() -> None:
    visits = prepare_visits(_tiny_shop())
    as_of = pd.Timestamp("2026-03-31")
    summary = rfm(completed_days(visits, as_of), as_of)
    one, two = summary.loc[1], summary.loc[2]
    # Client 1: days 5 Jan ($40), 2 Feb ($50), 2 Mar ($70); the no-show and April are ignored.
    assert one["frequency"] == 2
    assert one["recency"] == 56  # 5 Jan -> 2 Mar
    assert one["T"] == 85  # 5 Jan -> 31 Mar
    assert one["monetary"] == pytest.approx(6000)  # mean of the repeat visits $50, $70
    assert one["total_revenue"] == 16000
    # Client 2: one visit on 16 Feb local time (17 Feb in UTC), no repeat.
    assert (two["frequency"], two["recency"], two["T"]) == (0, 0, 43)
    assert np.isnan(two["monetary"])


def test_as_of_truly_cuts_the_data(demo_data: ShopData, demo_result: LtvResult) -> None:
    as_of = date(2026, 8, 1)
    cut = pd.Timestamp("2026-08-02", tz="America/New_York")
    a = demo_data.appointments
    # Everything that happened after as_of is removed (bookings made later too).
    kept = a[(a["start"] < cut) | (a["booked_at"] < cut)]
    trimmed = ShopData(**{**demo_data.__dict__, "appointments": kept})
    full = run(demo_data, LtvSettings(), as_of).scores
    only_past = run(trimmed, LtvSettings(), as_of).scores
    pd.testing.assert_frame_equal(full, only_past)
    assert len(full) < len(demo_result.scores)


def test_the_same_input_gives_the_same_output(demo_data: ShopData, demo_result: LtvResult) -> None:
    again = run(demo_data, LtvSettings(), DEMO_END)
    pd.testing.assert_frame_equal(again.scores, demo_result.scores)
    assert again.backtest == demo_result.backtest


def test_the_demo_truth_is_recovered(demo_result: LtvResult, demo_db_file: Path) -> None:
    db = open_database(demo_db_file, create=False)
    with Session(db.engine) as s:
        truth = {g.key: g.value for g in s.scalars(select(GroundTruth))}
    db.dispose()
    bg, fit = truth["bgnbd"], demo_result.bgnbd
    assert fit["r"] / fit["alpha"] == pytest.approx(bg["r"] / bg["alpha"], rel=0.10)  # mean rate
    assert fit["a"] / (fit["a"] + fit["b"]) == pytest.approx(
        bg["a"] / (bg["a"] + bg["b"]), rel=0.10
    )  # mean dropout
    for name in ("r", "alpha", "a", "b"):
        assert fit[name] == pytest.approx(bg[name], rel=0.25), name
    # Budgets are Gamma-Gamma but a client pays menu prices near their budget, so compare
    # what is identifiable: the population's mean spend per visit.
    gg, spend = demo_result.gamma_gamma, truth["spend"]
    fitted_mean = gg["p"] * gg["gamma"] / (gg["q"] - 1)
    true_mean = spend["p"] * spend["gamma"] / (spend["q"] - 1) * 100
    assert fitted_mean == pytest.approx(true_mean, rel=0.10)


def test_the_backtest_chooses_on_validation_and_beats_the_simple_rules(
    demo_result: LtvResult,
) -> None:
    bt = demo_result.backtest
    assert bt["available"] and bt["holdout_end"] == DEMO_END.isoformat()
    spend = bt["spend"]
    assert set(spend) == {"zero", "last_period", "own_rate", "bgnbd_gg", "ml", "ensemble"}
    # The choice was made on the validation window (the 90 days before the test window),
    # by RMSE among the blend, BG/NBD and the best simple rule.
    val = bt["validation"]
    assert val["available"] and val["end"] == "2026-08-26"
    candidates = {
        "ensemble",
        "bgnbd_gg",
        min(("zero", "last_period", "own_rate"), key=lambda k: val["spend"][k]["rmse"]),
    }
    chosen = min(candidates, key=lambda k: val["spend"][k]["rmse"])
    in_use = bt["in_use"]
    assert in_use["model"] == chosen == demo_result.model["in_use"]
    assert in_use["chosen_on"] == "validation"
    # On the test window it beats every simple rule, ranks better and gets the total right.
    assert in_use["test"] == spend[chosen]
    assert all(gain > 0.15 for gain in in_use["rmse_gain"].values()), in_use["rmse_gain"]
    assert spend[chosen]["top10_share"] > max(
        spend[k]["top10_share"] for k in ("zero", "last_period", "own_rate")
    )
    assert abs(spend[chosen]["total_error"]) < 0.10
    assert spend["zero"]["top10_share"] == pytest.approx(0.10)  # ties share the top tenth
    assert bt["churn"]["blend"]["roc_auc"] > 0.75
    # The demo has booking times, channels, tips, no-shows: every feature is usable.
    assert demo_result.model["features_left_out"] == {}


def test_segment_rules() -> None:
    base = {
        "frequency": 6,
        "recency_days": 300.0,
        "age_days": 320.0,
        "monetary_cents": 5000.0,
        "days_since_last": 20.0,
        "gap_days": 30.0,
        "visits": 7,
        "total_revenue_cents": 35000.0,
        "p_alive": 0.9,
        "expected_visits": 2.0,
        "predicted_spend_cents": 10000.0,
        "churn_risk": 0.2,
    }
    healthy = [{**base, "ltv_cents": 1000 * i} for i in range(1, 101)]
    out = assign_segments(pd.DataFrame(healthy), LtvSettings())
    # q95 of 1,000..100,000 is 95,050 and q80 is 80,200: the top 5 are VIPs, the next 15 High
    # Value, everyone else (returning, low churn) Regular.
    assert list(out["segment"].iloc[95:]) == ["Premium VIP"] * 5
    assert list(out["segment"].iloc[80:95]) == ["High Value"] * 15
    assert set(out["segment"].iloc[:80]) == {"Regular"}
    assert out.loc[99, "segment_rule"] == "12-month value $1,000 in the top 5% (from $950)"
    specials = [
        {**base, "ltv_cents": 50_000, "p_alive": 0.1},  # lapsed: BG/NBD thinks they are gone
        {**base, "ltv_cents": 150_000, "churn_risk": 0.8},  # the most valuable, slipping
        {**base, "ltv_cents": 5_000, "days_since_last": 80.0},  # overdue: every 30d, gone 80d
        {**base, "ltv_cents": 4_000, "frequency": 0, "visits": 1, "churn_risk": 0.9},
    ]
    out = assign_segments(pd.DataFrame(healthy + specials), LtvSettings()).iloc[100:]
    lapsed, slipping, overdue, newcomer = (out.iloc[i] for i in range(4))
    assert lapsed["segment"] == "Lapsed" and "P(alive) 0.10" in lapsed["segment_rule"]
    assert slipping["segment"] == "At-Risk" and slipping["value_tier"] == "Premium VIP"
    assert overdue["segment"] == "At-Risk"
    assert overdue["segment_rule"] == "overdue: usually every 4 weeks, last seen 11 weeks ago"
    assert newcomer["segment"] == "Developing"  # one visit: never won, not being lost
    assert out["action"].notna().all()


def test_run_ltv_stores_a_run_and_prints_json(
    tmp_path: Path, demo_db_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    db_path = tmp_path / "shop.db"
    shutil.copyfile(demo_db_file, db_path)
    assert main(["--db", str(db_path), "run", "ltv", "--as-of", "2026-11-24", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["engine"] == "ltv" and out["as_of"] == "2026-11-24"
    assert {"r", "alpha", "a", "b", "log_likelihood", "time_unit"} <= set(out["bgnbd"])
    assert {"p", "q", "gamma"} <= set(out["gamma_gamma"])
    assert sum(out["segments"].values()) == out["clients"]
    from barberbi_desktop.storage.results import client_scores, latest_run

    db = open_database(db_path, create=False)
    run_info = latest_run(db, "ltv")
    assert run_info is not None and run_info.run_id == out["run_id"]
    assert run_info.metrics["backtest"]["available"] is True
    # Which model is in use, and by how much it beat each simple rule, is stored.
    assert run_info.metrics["model"]["in_use"] == out["model"]["in_use"] == "ensemble"
    gains = run_info.metrics["backtest"]["in_use"]["rmse_gain"]
    assert set(gains) == {"zero", "last_period", "own_rate"} and min(gains.values()) > 0.15
    scores = client_scores(db, run_info.run_id)
    db.dispose()
    assert len(scores) == out["clients"]
    assert scores["ltv_cents"].dtype.kind == "i"


def test_run_ltv_on_an_empty_shop_says_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db_path = tmp_path / "empty.db"
    open_database(db_path).dispose()
    assert main(["--db", str(db_path), "run", "ltv"]) == 2
    err = capsys.readouterr().err
    assert "No completed visits on or before" in err
    from barberbi_desktop.storage.results import latest_run

    db = open_database(db_path, create=False)
    failed = latest_run(db, "ltv", status="failed")
    db.dispose()
    assert failed is not None and "no client to score yet" in failed.error
