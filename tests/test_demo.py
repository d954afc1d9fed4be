"""The demo shop behaves like a real shop and keeps the truth it was built from."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import hyp2f1
from sqlalchemy import select
from sqlalchemy.orm import Session

from barberbi_desktop.demo.process import DemoSpec
from barberbi_desktop.demo.store import create_demo
from barberbi_desktop.engines.data import ShopData
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.frames import load_shop_data
from barberbi_desktop.storage.models import GroundTruth
from tests.conftest import DEMO_END


@pytest.fixture(scope="module")
def shop(demo_db_file: Path) -> ShopData:
    from barberbi_desktop.storage.db import open_database

    db = open_database(demo_db_file, create=False)
    try:
        return load_shop_data(db)
    finally:
        db.dispose()


def _truth(db: Database) -> dict[str, object]:
    with Session(db.engine) as session:
        return {row.key: row.value for row in session.scalars(select(GroundTruth))}


def test_no_barber_is_ever_double_booked(shop: ShopData) -> None:
    a = shop.appointments.sort_values(["barber_id", "start"])
    same_barber = a["barber_id"].to_numpy()[1:] == a["barber_id"].to_numpy()[:-1]
    overlap = a["start"].to_numpy()[1:] < a["end"].to_numpy()[:-1]
    assert len(a) > 15_000
    assert not (same_barber & overlap).any()


def test_appointments_lie_inside_the_barbers_working_hours(shop: ShopData) -> None:
    a = shop.appointments.assign(local=shop.local_start())
    minute = a["local"].dt.hour * 60 + a["local"].dt.minute
    weekday = a["local"].dt.day_of_week.astype(str)
    hours = shop.barbers.set_index("barber_id")["working_hours"]
    opens = [hours[b].get(w, [None, None])[0] for b, w in zip(a["barber_id"], weekday, strict=True)]
    closes = [
        hours[b].get(w, [None, None])[1] for b, w in zip(a["barber_id"], weekday, strict=True)
    ]
    assert None not in opens, "an appointment on a barber's day off"
    duration = (a["end"] - a["start"]).dt.total_seconds() / 60
    assert (minute >= np.array(opens)).all()
    assert (minute + duration <= np.array(closes)).all()
    assert (a["local"].dt.day_of_week != 6).all(), "the shop is closed on Sundays"


def test_rates_fall_inside_the_documented_ranges(shop: ShopData) -> None:
    a = shop.appointments
    past = a[a["start"] < pd.Timestamp(DEMO_END, tz="America/New_York")]
    status = past["status"].value_counts(normalize=True)
    assert 0.05 <= status["no_show"] <= 0.08
    assert 0.04 <= status["cancelled"] <= 0.10
    done = past[past["status"] == "completed"]
    assert 0.60 <= (done["tip_cents"] > 0).mean() <= 0.85  # share of visits with a tip
    assert 0.12 <= done["tip_cents"].sum() / done["service_cents"].sum() <= 0.20
    assert 0.12 <= (done["product_cents"] > 0).mean() <= 0.25  # retail attachment
    channel = done["channel"].value_counts(normalize=True)
    assert 0.10 <= channel["walk_in"] <= 0.30 and channel["online"] > 0.4
    assert 4500 <= done["revenue_cents"].mean() <= 8000


def test_bookings_are_made_before_the_visit_and_walk_ins_on_the_spot(shop: ShopData) -> None:
    a = shop.appointments
    assert (a["booked_at"] <= a["start"]).all()
    walk_in = a[a["channel"] == "walk_in"]
    assert (walk_in["booked_at"] == walk_in["start"]).all()
    assert set(walk_in["status"]) == {"completed"}
    future = a[a["start"] >= pd.Timestamp(DEMO_END, tz="America/New_York")]
    assert len(future) > 20 and set(future["status"]) <= {"booked", "confirmed"}


def _expected_repeat_visits(
    t: np.ndarray, r: float, alpha: float, a: float, b: float
) -> np.ndarray:
    """BG/NBD E[X(t)] (Fader, Hardie & Lee 2005, eq. 7)."""
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))


def test_repeat_visits_decay_as_the_stored_truth_says(shop: ShopData, demo_db: Database) -> None:
    truth = _truth(demo_db)["bgnbd"]
    done = shop.appointments[shop.appointments["status"] == "completed"]
    days = done["start"].dt.tz_convert("America/New_York").dt.normalize()
    visits = pd.DataFrame({"client": done["client_id"], "day": days}).drop_duplicates()
    first = visits.groupby("client")["day"].transform("min")
    since_first = (visits["day"] - first).dt.days
    age = pd.Timestamp(DEMO_END, tz="America/New_York") - visits.groupby("client")["day"].min()
    age_days = age.dt.days
    params = (truth["r"], truth["alpha"], truth["a"], truth["b"])
    for horizon in (30, 90, 180, 365):
        eligible = age_days[age_days >= horizon].index
        repeats = visits[(since_first > 0) & (since_first <= horizon)]
        observed = repeats["client"].isin(eligible).sum() / len(eligible)
        expected = float(_expected_repeat_visits(np.array([horizon]), *params)[0])
        assert observed == pytest.approx(expected, rel=0.10), horizon
    # ... and over each client's whole observed life.
    observed_total = (since_first > 0).sum()
    expected_total = _expected_repeat_visits(age_days.to_numpy().astype(float), *params).sum()
    assert observed_total == pytest.approx(expected_total, rel=0.10)


def test_prices_rise_when_the_truth_says_they_did(shop: ShopData, demo_db: Database) -> None:
    truth = _truth(demo_db)
    items = shop.sale_items
    for change in truth["price_changes"]:
        lines = items[items["name"] == change["service"]]
        when = pd.Timestamp(change["date"], tz="UTC")
        before = lines.loc[lines["sold_at"] < when - pd.Timedelta(days=1), "unit_price_cents"]
        after = lines.loc[lines["sold_at"] > when + pd.Timedelta(days=1), "unit_price_cents"]
        assert before.max() < change["new_price_cents"]
        assert set(after) == {change["new_price_cents"]}
    assert set(truth["elasticity"]) == set(shop.services["name"])
    assert all(e < 0 for e in truth["elasticity"].values())


def test_the_rota_mixes_pay_models_and_the_menu_spans_kids_to_premium(shop: ShopData) -> None:
    assert 4 <= len(shop.barbers) <= 6
    assert {"commission", "booth_rent"} <= set(shop.barbers["pay_model"])
    prices = shop.services["list_price_cents"]
    assert prices.min() <= 2500 and prices.max() >= 10_000 and len(shop.services) >= 10
    assert (shop.sale_items["kind"] == "product").any()
    assert len(shop.reviews) > 50 and shop.reviews["rating"].between(1, 5).all()
    assert len(shop.training_log) > 0


def _dump_hash(path: Path) -> str:
    """Hash every dumped line in sorted order.

    SQLAlchemy 2.0 keeps a table's constraints in a set, so a batch migration
    (0008 recreates sale_items) writes the same constraints and indexes in a
    different order from one run to the next; the rows (ids included) are unchanged.
    """
    conn = sqlite3.connect(path)
    try:
        digest = hashlib.sha256()
        dump = (part.strip().rstrip(",") for line in conn.iterdump() for part in line.split("\n"))
        for part in sorted(dump):
            digest.update(part.encode())
        return digest.hexdigest()
    finally:
        conn.close()


def test_the_same_seed_gives_the_same_database(tmp_path: Path) -> None:
    spec = DemoSpec(size="shop", seed=11, end=date(2026, 6, 30), days=240)
    create_demo(tmp_path / "a.db", spec)
    create_demo(tmp_path / "b.db", spec)
    create_demo(tmp_path / "c.db", DemoSpec(size="shop", seed=12, end=date(2026, 6, 30), days=240))
    assert _dump_hash(tmp_path / "a.db") == _dump_hash(tmp_path / "b.db")
    assert _dump_hash(tmp_path / "a.db") != _dump_hash(tmp_path / "c.db")
