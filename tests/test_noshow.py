"""No-show risk: it recovers the demo's true probabilities, its back-test is honest, it
predicts a shop it has not seen, and shops without no-shows get a sentence."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from barberbi_desktop.cli import _print_run, main
from barberbi_desktop.demo.process import DemoSpec
from barberbi_desktop.demo.store import create_demo
from barberbi_desktop.engines import noshow
from barberbi_desktop.engines.data import RunState, ShopData
from barberbi_desktop.engines.noshow_features import at_cutoff, prepare, row_features
from barberbi_desktop.ingest.importer import Importer
from barberbi_desktop.jobs import noshow_job, runner
from barberbi_desktop.jobs.noshow_job import client_reliability, upcoming_risks
from barberbi_desktop.jobs.runner import run_engine
from barberbi_desktop.storage.db import Database, open_database
from barberbi_desktop.storage.frames import load_shop_data
from barberbi_desktop.storage.results import latest_run, start_run
from tests.conftest import DEMO_END
from tests.import_helpers import FIXTURES, NOW
from tests.pg_server import db_arg

HELD_OUT_SEED = 11  # the engine and demo were tuned on seeds 7 and 21-23; this one is unseen
# Four cutoffs two weeks apart: each predicts the two weeks after it, and pooling them
# gives about 550 bookings and 55 no-shows (one cutoff's 30 leave the AUC +-0.05).
AS_OFS = tuple(DEMO_END - timedelta(days=d) for d in (70, 56, 42, 28))


def _truth(path: Path) -> np.ndarray:
    db = open_database(path, create=False)
    try:
        with db.read() as conn:
            raw = conn.exec_driver_sql(
                "SELECT value FROM ground_truth WHERE key = 'no_show_p_1e4'"
            ).scalar_one()
    finally:
        db.dispose()
    return np.asarray(json.loads(raw), dtype=float) / 1e4  # appointment id i at i - 1


@pytest.fixture(scope="module")
def held_out(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """An unseen demo shop, scored at two cutoffs two weeks apart."""
    path = tmp_path_factory.mktemp("noshow") / "held_out.db"
    create_demo(path, DemoSpec(size="shop", seed=HELD_OUT_SEED, end=DEMO_END))
    db = open_database(path, create=False)
    try:
        data = load_shop_data(db)
    finally:
        db.dispose()
    results = [noshow.run(data, noshow.NoShowSettings(), as_of) for as_of in AS_OFS]
    return {"data": data, "truth": _truth(path), "results": results}


def _outcomes(data: ShopData, result: noshow.NoShowResult) -> pd.DataFrame:
    """The result's bookings in the two weeks after its cutoff, with what happened."""
    status = data.appointments.set_index("appointment_id")["status"].astype(str)
    up = result.upcoming.assign(status=result.upcoming["appointment_id"].map(status))
    return up[up["status"].isin(["completed", "no_show"])]


def test_risks_rank_like_the_demos_true_probabilities(held_out: dict) -> None:
    truth = held_out["truth"]
    for result in held_out["results"]:
        up = result.upcoming
        true_p = truth[up["appointment_id"].to_numpy() - 1]
        rho = pd.Series(up["risk"].to_numpy()).corr(pd.Series(true_p), method="spearman")
        assert len(up) > 80 and rho > 0.45, rho


def test_the_backtest_auc_is_what_a_replay_on_the_truth_gives(held_out: dict) -> None:
    truth = held_out["truth"]
    for result in held_out["results"]:
        replayed = result.replayed
        y = replayed["no_show"].to_numpy()
        on_truth = roc_auc_score(y, truth[replayed["appointment_id"].to_numpy() - 1])
        reported = result.backtest["roc_auc"]
        assert result.backtest["bookings"] == len(replayed) > 1000
        # The truth is the best any model can do; a good one comes within a few points.
        assert on_truth - 0.08 <= reported <= on_truth + 0.02, (reported, on_truth)
        method = result.model or "client_rate"
        assert roc_auc_score(y, replayed[method]) == pytest.approx(reported)


def test_an_unseen_shop_two_weeks_ahead_beats_each_clients_own_rate(held_out: dict) -> None:
    data = held_out["data"]
    model, own = [], []
    for result in held_out["results"]:
        assert result.method == "model", result.sentence
        model.append(_outcomes(data, result))
        scorer = replace(result.scorer, method="client_rate", fitted=None)
        baseline = noshow.rescore(data, scorer, result.as_of)
        own.append(_outcomes(data, baseline))
    m, o = pd.concat(model), pd.concat(own)
    assert list(m["appointment_id"]) == list(o["appointment_id"])
    y = (m["status"] == "no_show").to_numpy()
    assert y.sum() >= 40  # enough no-shows for the AUC to mean something
    auc_model, auc_own = roc_auc_score(y, m["risk"]), roc_auc_score(y, o["risk"])
    auc_truth = roc_auc_score(y, held_out["truth"][m["appointment_id"].to_numpy() - 1])
    # Issue 23's bar. Measured: model 0.742, own rate 0.698, the true probabilities 0.802.
    assert auc_model >= 0.70 and auc_model >= auc_own + 0.02, (auc_model, auc_own, auc_truth)
    assert auc_model <= auc_truth + 0.02  # nothing beats the truth but chance


def test_reasons_and_reliability_say_what_the_history_says(held_out: dict) -> None:
    result = held_out["results"][-1]
    up = result.upcoming
    assert up["reasons"].str.contains(r"missed \d of their last \d").any()
    assert up["reasons"].str.contains("ahead").any()
    assert up["reasons"].map(len).gt(0).all()
    c = result.clients
    assert (c["rate_low"] <= c["rate_high"]).all() and c["rate_high"].le(1).all()
    has = c[c["booked"] > 0]
    assert np.allclose(has["own_rate"], has["missed"] / has["booked"])
    nxt = up.drop_duplicates("client_id").set_index("client_id")["risk"]
    assert np.allclose(c.loc[nxt.index.astype(int), "next_risk"], nxt)


def test_scoring_only_new_bookings_gives_the_full_runs_risks(held_out: dict) -> None:
    data, result = held_out["data"], held_out["results"][-1]
    cut = pd.Timestamp(result.cutoff)
    appts = data.appointments
    later = appts[appts["start"] > cut - pd.Timedelta(days=1)]
    assert 0 < len(later) < len(appts) / 5
    again = noshow.rescore(replace(data, appointments=later), result.scorer, result.as_of)
    pd.testing.assert_frame_equal(again.upcoming, result.upcoming)
    pd.testing.assert_frame_equal(again.clients, result.clients)
    # The kept histories are what a pass over every appointment at the cutoff gives.
    b = prepare(data)
    at = at_cutoff(b, int(cut.value))
    rows = np.flatnonzero(at.upcoming)
    kept = result.scorer.state
    x = row_features(b, rows, kept.history(b.client_key[rows]), kept.prior, kept.barbers(b))
    pd.testing.assert_frame_equal(x, at.features(rows))
    # A booking made after the run, by a client the shop has never seen, is scored too.
    walk = later.iloc[[-1]].assign(
        appointment_id=appts["appointment_id"].max() + 1,
        client_id=appts["client_id"].max() + 1,
        start=cut + pd.Timedelta(days=3),
        booked_at=cut + pd.Timedelta(hours=1),
        status="booked",
    )
    now = (cut + pd.Timedelta(hours=2)).tz_convert(data.locations["timezone"].iloc[0])
    newer = replace(data, appointments=pd.concat([later, walk], ignore_index=True))
    scored = noshow.rescore(newer, result.scorer, result.as_of, now=now.tz_localize(None))
    row = scored.upcoming.set_index("appointment_id").loc[int(walk["appointment_id"].iloc[0])]
    assert 0 < row["risk"] < 1 and "first booking" in row["reasons"]
    assert scored.clients.loc[int(walk["client_id"].iloc[0]), "booked"] == 0


def _frames(statuses: list[str]) -> ShopData:
    """A small hand-built shop: one client a week for 40 weeks, then two bookings ahead."""
    n = len(statuses)
    start = pd.Timestamp("2026-01-05 15:00", tz="UTC") + pd.to_timedelta(np.arange(n) * 7, unit="D")
    appts = pd.DataFrame(
        {
            "appointment_id": np.arange(1, n + 1),
            "client_id": (np.arange(n) % 7 + 1).astype(float),
            "barber_id": 1.0,
            "location_id": 1,
            "service_id": 1,
            "start": start,
            "end": start + pd.Timedelta(minutes=30),
            "booked_at": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]"),
            "status": statuses,
            "channel": None,
            "source_platform": "square",
            "service_cents": 3000,
        }
    )
    empty = pd.DataFrame()
    return ShopData(
        appointments=appts,
        sale_items=empty,
        clients=pd.DataFrame({"client_id": range(1, 8)}),
        barbers=pd.DataFrame({"barber_id": [1], "name": ["Ana"]}),
        services=pd.DataFrame(
            {"service_id": [1], "list_price_cents": [3000], "duration_min": [30]}
        ),
        locations=pd.DataFrame({"location_id": [1], "timezone": ["America/Chicago"]}),
        reviews=empty,
        training_log=empty,
        brand_events=empty,
    )


def test_a_shop_whose_exports_record_no_no_shows_gets_one_sentence() -> None:
    data = _frames(["completed"] * 40 + ["booked"] * 2)
    result = noshow.run(data, noshow.NoShowSettings(), date(2026, 10, 8))
    assert result.method == "none" and result.sentence == noshow.NO_INFO
    summary = result.summary()
    assert [u["risk"] for u in result.upcoming_records()] == [None, None]  # unknown, not 0
    assert summary["backtest"] == {} and noshow.NO_BOOKED_AT in summary["notes"]
    json.dumps(summary)


def test_a_shop_with_few_no_shows_and_no_booking_times_uses_the_shrunk_own_rate() -> None:
    statuses = ["completed"] * 40 + ["booked"] * 2
    statuses[3] = statuses[17] = "no_show"
    result = noshow.run(_frames(statuses), noshow.NoShowSettings(), date(2026, 10, 8))
    assert result.method == "client_rate" and result.model is None
    assert "own past rate" in result.sentence
    assert result.upcoming["risk"].between(0, 1).all()
    assert result.summary()["late_cancel"]["known"] is False


@pytest.fixture
def calendly_shop(db: Database) -> Iterator[Database]:
    """A shop built only by importing a Calendly export (it marks no-shows)."""
    reports = Importer(db, now=NOW).import_files([FIXTURES / "calendly.csv"])
    assert {r.status for r in reports} == {"landed"}
    yield db


def test_a_shop_built_by_the_importer_gets_risks_or_the_sentence(calendly_shop: Database) -> None:
    outcome = run_engine(calendly_shop, "noshow", NOW.date())
    summary = outcome.summary
    assert summary["method"] in {"model", "client_rate", "none"}
    assert summary["sentence"].endswith(".")
    if summary["method"] == "none":
        assert summary["sentence"] == noshow.NO_INFO


def test_cli_json_shape_and_the_stored_run(shop: Database, capsys: pytest.CaptureFixture) -> None:
    as_of = DEMO_END - timedelta(days=14)
    assert main(["--db", db_arg(shop), "run", "noshow", "--as-of", str(as_of), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    bt = out["backtest"]
    assert {"roc_auc", "brier", "base_rate", "baselines", "calibration"} <= set(bt)
    assert set(bt["baselines"]) == {"shop_rate", "client_rate"}
    assert {"roc_auc", "brier"} <= set(bt["baselines"]["client_rate"])
    assert len(bt["calibration"]) == 10
    assert out["method"] in {"model", "client_rate"} and out["sentence"]
    _print_run(out)  # what the command prints without --json
    said = capsys.readouterr().out.splitlines()
    assert said[0] == f"No-show risk as of {as_of} (run {out['run_id']}): {out['sentence']}"
    assert said[1].endswith("at stake. Riskiest:") and len(said) == 13
    # The demo's exports say when bookings were cancelled: late cancellations are learnt.
    late = out["late_cancel"]
    assert late["known"] is True and late["hours"] == 24
    assert {"roc_auc", "brier", "late_cancels", "baselines"} <= set(late["backtest"])
    assert said[2].startswith("Late cancellations (last 24 hours): about ")
    assert said[2].endswith(late["sentence"]) and "(late cancel " in said[3]
    booking = out["upcoming"][0]
    assert set(booking) >= {"appointment_id", "start", "client_id", "barber", "risk",
                            "reasons", "late_cancel_risk", "price_cents", "minutes"}  # fmt: skip
    assert 0 < booking["late_cancel_risk"] < 1 and 0 < booking["risk"] < 1
    run = latest_run(shop, "noshow")
    assert run is not None and run.run_id == out["run_id"]
    # The run's JSON keeps the small parts; bookings and clients are rows of their own.
    assert "upcoming" not in run.metrics and "clients" not in run.metrics
    assert run.metrics["backtest"] == bt and run.metrics["counts"] == out["counts"]
    risks = upcoming_risks(shop, run)
    assert len(risks) == len(out["upcoming"]) == out["counts"]["upcoming"]
    assert risks["start"].dt.tz is not None
    first = risks.iloc[0]
    assert int(first["appointment_id"]) == booking["appointment_id"]
    assert first["start"] == pd.Timestamp(booking["start"])
    assert first["risk"] == pytest.approx(booking["risk"]) and first["barber"] == booking["barber"]
    assert first["late_cancel_risk"] == pytest.approx(booking["late_cancel_risk"])
    assert int(first["price_cents"]) == booking["price_cents"]
    since = risks["start"].iloc[len(risks) // 2]
    later = upcoming_risks(shop, run, since=since.to_pydatetime())
    assert len(later) and (later["start"] >= since).all() and len(later) < len(risks)
    clients = client_reliability(shop, run)
    assert len(clients) == out["counts"]["clients"] > 0
    assert clients["booked"].dtype == np.int64
    one = clients.index[0]
    alone = client_reliability(shop, run.run_id, client_ids=[int(one)])
    pd.testing.assert_frame_equal(alone, clients.loc[[one]])
    assert (clients["next_risk"].dropna() > 0).all()


def test_only_the_newest_runs_keep_their_rows(db: Database) -> None:
    statuses = ["completed"] * 40 + ["booked"] * 2
    statuses[3] = statuses[17] = "no_show"
    result = noshow.run(_frames(statuses), noshow.NoShowSettings(), date(2026, 10, 8))
    runs = [start_run(db, "noshow", result.as_of) for _ in range(noshow_job.KEEP_RUNS + 2)]
    for run_id in runs:
        noshow_job.store(db, run_id, result)
    with db.read() as conn:
        kept = conn.exec_driver_sql(
            "SELECT run_id, COUNT(*) FROM client_reliability GROUP BY run_id ORDER BY run_id"
        ).all()
        summaries = conn.exec_driver_sql(
            "SELECT COUNT(*) FROM engine_runs WHERE engine = 'noshow' AND status = 'ok'"
        ).scalar_one()
    assert [r[0] for r in kept] == runs[-noshow_job.KEEP_RUNS :]
    assert {r[1] for r in kept} == {len(result.clients)} and len(result.clients) == 7
    assert summaries == len(runs)  # older runs keep their summary
    stored = client_reliability(db, runs[-1])
    assert stored["missed"].sum() == 2 and stored["booked"].sum() == 40


def test_a_later_run_the_same_shop_day_only_scores_the_bookings_after_its_cutoff(
    shop: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_of = DEMO_END - timedelta(days=14)
    now = datetime.combine(as_of, time(9))
    monkeypatch.setattr(runner, "_NOSHOW_SCORERS", {})
    first = runner._noshow(shop, start_run(shop, "noshow", as_of), as_of, RunState(), now)
    monkeypatch.setattr(noshow, "run", lambda *a, **k: pytest.fail("fitted again"))
    reads: list[dict] = []
    load = runner.load_shop_data
    monkeypatch.setattr(runner, "load_shop_data", lambda db, **k: reads.append(k) or load(db, **k))
    later = runner._noshow(shop, start_run(shop, "noshow", as_of), as_of, RunState(),
                           now + timedelta(hours=3))  # fmt: skip
    assert reads[0]["start"] is not None and later["method"] == first["method"] == "model"
    before = {u["appointment_id"]: u["risk"] for u in first["upcoming"]}
    after = {u["appointment_id"]: u["risk"] for u in later["upcoming"]}
    both = before.keys() & after.keys()
    assert len(both) > 50 and all(before[a] == after[a] for a in both)
    assert len(before) > len(both)  # bookings of the morning's first hours are past now


def test_an_empty_shop_gets_sentences_not_made_up_scores(
    empty_db: Database, capsys: pytest.CaptureFixture
) -> None:
    outcome = run_engine(empty_db, "noshow", NOW.date())
    assert outcome.summary["method"] == "none"
    assert outcome.summary["sentence"] == noshow.NO_BOOKINGS
    assert outcome.summary["notes"] == []  # not "the exports do not say when bookings ..."
    assert outcome.summary["late_cancel"]["known"] is False
    assert main(["--db", db_arg(empty_db), "run", "kpi"]) == 0
    said = capsys.readouterr().out
    assert "unknown: no visits in any window yet" in said and "/100" not in said
