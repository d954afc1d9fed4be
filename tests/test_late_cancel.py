"""Late-cancellation risk: learnt only where exports say when bookings were cancelled
(Fresha), unknown with the reason elsewhere, honest in its replay, and the same for a
shop built only from a Fresha export as for the demo it came from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from barberbi_desktop.demo.process import DemoSpec
from barberbi_desktop.demo.simulate import simulate
from barberbi_desktop.engines import late_cancel, noshow
from barberbi_desktop.engines.data import ShopData
from barberbi_desktop.engines.noshow_features import LATE, at_cutoff, prepare
from barberbi_desktop.ingest.importer import Importer
from barberbi_desktop.jobs.noshow_job import client_reliability, upcoming_risks
from barberbi_desktop.jobs.runner import run_engine
from barberbi_desktop.storage.at_risk import late_words, read_noshow, reliability_frame
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.results import latest_run
from tests.fresha_rows import write_fresha
from tests.import_helpers import FIXTURES, NOW

T0 = pd.Timestamp("2026-03-02 15:00", tz="UTC")


def _shop(rows: list[tuple[str, float, float | None]]) -> ShopData:
    """One client per row: (status, days from T0 to the start, hours before the start
    it was cancelled), each booked five days ahead; all from Fresha."""
    n = len(rows)
    start = T0 + pd.to_timedelta([r[1] for r in rows], unit="D")
    hours = pd.to_timedelta([np.nan if r[2] is None else r[2] for r in rows], unit="h")
    appts = pd.DataFrame(
        {
            "appointment_id": np.arange(1, n + 1),
            "client_id": np.arange(1, n + 1, dtype=float),
            "barber_id": 1.0,
            "location_id": 1,
            "service_id": 1,
            "start": start,
            "end": start + pd.Timedelta(minutes=30),
            "booked_at": start - pd.Timedelta(days=5),
            "cancelled_at": start - hours,
            "status": [r[0] for r in rows],
            "channel": None,
            "source_platform": "fresha",
        }
    )
    empty = pd.DataFrame()
    return ShopData(
        appointments=appts, sale_items=empty,
        clients=pd.DataFrame({"client_id": range(1, n + 1)}),
        barbers=pd.DataFrame({"barber_id": [1], "name": ["Ana"]}),
        services=pd.DataFrame({"service_id": [1], "list_price_cents": [3000],
                               "duration_min": [30]}),
        locations=pd.DataFrame({"location_id": [1], "timezone": ["Europe/Rome"]}),
        reviews=empty, training_log=empty, brand_events=empty,
    )  # fmt: skip


def test_a_late_cancellation_is_one_in_the_last_day_of_a_booking_still_held() -> None:
    data = _shop([
        ("completed", 0, None),    # kept: a negative
        ("cancelled", 1, 3.0),     # cancelled 3 hours ahead: late
        ("cancelled", 2, 23.5),    # inside the day: late
        ("cancelled", 3, 30.0),    # a day and more ahead: early, left out
        ("cancelled", 4, None),    # the export did not say when: left out
        ("no_show", 5, None),      # not cancelled: a negative
        ("booked", 9, None),       # ahead of the cutoff below
        ("cancelled", 10, 2.0),    # ahead, cancelled late after the cutoff: still held then
        ("cancelled", 11, 2.0),    # ahead, but see the cutoff: cancelled before it
    ])  # fmt: skip
    b = prepare(data, event=LATE)
    ids = dict(zip(b.frame["appointment_id"], range(len(b)), strict=True))
    assert sorted(ids) == [1, 2, 3, 6, 7, 8, 9]
    late = {a for a, i in ids.items() if b.no_show[i]}
    assert late == {2, 3, 8, 9}
    cut = int((T0 + pd.Timedelta(days=11) - pd.Timedelta(hours=1)).value)
    at = at_cutoff(b, cut)
    upcoming = {a for a, i in ids.items() if at.upcoming[i]}
    assert upcoming == set()  # 7-8 started, 9's cancellation came before the cutoff
    at = at_cutoff(b, int((T0 + pd.Timedelta(days=8)).value))
    assert {a for a, i in ids.items() if at.upcoming[i]} == {7, 8, 9}
    assert {a for a, i in ids.items() if at.outcome[i]} == {1, 2, 3, 6}
    # The no-show side is unchanged: cancelled bookings are not held there.
    assert sorted(prepare(data).frame["appointment_id"]) == [1, 6, 7]


def _weekly(hours_ahead: float | None) -> list[tuple[str, float, float | None]]:
    """40 weeks of visits (six missed, four cancelled), then two bookings after
    `AS_OF` that were made before it."""
    statuses = ["completed"] * 30 + ["no_show"] * 6 + ["cancelled"] * 4
    rows = [(s, i * 7.0, hours_ahead if s == "cancelled" else None)
            for i, s in enumerate(statuses)]  # fmt: skip
    return [*rows, ("booked", 287.0, None), ("booked", 288.0, None)]


AS_OF = date(2026, 12, 12)


def test_exports_without_cancellation_times_leave_the_risk_unknown() -> None:
    data = _shop(_weekly(None))
    result = noshow.run(data, noshow.NoShowSettings(replay_weeks=4), AS_OF)
    summary = result.summary()
    assert summary["late_cancel"] == {"known": False, "reason": late_cancel.NO_TIMES}
    assert result.upcoming["late_cancel_risk"].isna().all() and len(result.upcoming) == 2
    assert [u["late_cancel_risk"] for u in result.upcoming_records()] == [None, None]
    assert summary["at_stake"]["expected_late_cancels"] is None
    assert summary["at_stake"]["expected_late_cents"] is None
    record = next(iter(result.client_records().values()))
    assert record["late_cancels"] is None and record["late_booked"] is None  # not 0


def test_times_but_no_late_cancellation_says_so() -> None:
    result = noshow.run(_shop(_weekly(72.0)), noshow.NoShowSettings(replay_weeks=4), AS_OF)
    assert result.summary()["late_cancel"] == {"known": False, "reason": late_cancel.NO_LATE}


@pytest.fixture(scope="module")
def demo_shop() -> object:
    return simulate(DemoSpec(size="shop", seed=11, end=date(2026, 11, 24), days=400))


@pytest.fixture
def fresha_shop(db: Database, demo_shop: object, tmp_path: Path) -> Iterator[Database]:
    """A shop built only by importing the demo written as Fresha's appointment list."""
    path = write_fresha(demo_shop, tmp_path / "report_appointment-list_2026-11-24.csv")
    (report,) = Importer(db, now=NOW).import_files([path])
    assert report.status == "landed", report.reason
    yield db


def test_a_shop_built_from_a_fresha_export_learns_late_cancellations(
    fresha_shop: Database, demo_shop: object
) -> None:
    as_of = date(2026, 11, 10)
    outcome = run_engine(fresha_shop, "noshow", as_of)
    late = outcome.summary["late_cancel"]
    assert late["known"] is True, late
    bt = late["backtest"]
    assert bt["late_cancels"] > 20 and bt["weeks"] == 13
    # Learnt out of sample, week by week: it ranks late cancellations, where the shop's
    # own average (one number a week) cannot.
    assert bt["roc_auc"] > bt["baselines"]["shop_rate"]["roc_auc"] + 0.05, bt
    assert late["sentence"].startswith("Late-cancellation risks ")
    run = latest_run(fresha_shop, "noshow")
    assert run is not None
    stored = upcoming_risks(fresha_shop, run)
    assert len(stored) > 50 and stored["late_cancel_risk"].between(0, 1).all()
    stake = run.metrics["at_stake"]
    assert stake["expected_late_cancels"] == pytest.approx(stored["late_cancel_risk"].sum())
    # Each client's late cancellations, of the bookings still held a day ahead.
    counts = client_reliability(fresha_shop, run)[["late_cancels", "late_booked"]]
    # Unknown (not 0 of 0) for a client with no booking the late side learnt from.
    assert counts["late_booked"].notna().sum() > len(counts) / 2
    assert (counts["late_booked"].isna() == counts["late_cancels"].isna()).all()
    assert (counts["late_booked"].dropna() > 0).all()
    known = counts.dropna()
    assert (known["late_cancels"] <= known["late_booked"]).all()
    made = demo_shop.appointments
    made = made[made["status"] == "cancelled"]
    late_made = int(((made["start"] - made["cancelled_at"]) <= pd.Timedelta(hours=24)).sum())
    assert 0 < counts["late_cancels"].sum() <= late_made
    # The app's reader of the run (the Dashboard's, on SQLite and PostgreSQL alike).
    shown = read_noshow(fresha_shop)
    assert shown is not None and shown.late_known and shown.run.run_id == run.run_id
    assert late_words(shown).startswith("Late-cancel risk is the chance of a cancellation")
    # The Clients tab's reader: each client's soonest listed booking.
    rel = reliability_frame(fresha_shop, shown).set_index("client_id")
    assert len(rel) == len(client_reliability(fresha_shop, run))
    soonest = stored.dropna(subset=["client_id"]).sort_values(["start", "appointment_id"])
    soonest = soonest.drop_duplicates("client_id").set_index("client_id")["start"]
    got = rel["next_start"].dropna()
    assert sorted(got.index) == sorted(soonest.index.astype(int))
    assert (got.sort_index().to_numpy() == soonest.sort_index().to_numpy()).all()
    # The import kept every cancellation time the export gave, to the minute.
    a = demo_shop.appointments
    gone = a[a["status"] == "cancelled"]
    with fresha_shop.read() as conn:
        kept = conn.exec_driver_sql(
            "SELECT count(*), min(cancelled_at_utc), max(cancelled_at_utc) FROM appointments "
            "WHERE cancelled_at_utc IS NOT NULL"
        ).one()
    floor = gone["cancelled_at"].dt.floor("min")
    assert kept[0] == len(gone)
    assert (kept[1], kept[2]) == (int(floor.min().timestamp()), int(floor.max().timestamp()))


def test_calendly_bookings_get_no_late_cancellation_risk(db: Database) -> None:
    (report,) = Importer(db, now=NOW).import_files([FIXTURES / "calendly.csv"])
    assert report.status == "landed"
    outcome = run_engine(db, "noshow", NOW.date() - timedelta(days=1))
    assert outcome.summary["late_cancel"] == {"known": False, "reason": late_cancel.NO_TIMES}


def test_an_import_that_brings_cancellation_times_is_learnt_the_same_day(
    fresha_shop: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The morning's run knew no cancellation times; an import at noon brings them. The
    next run that day learns them (a full run), not tomorrow's nightly one."""
    from datetime import datetime, time

    from barberbi_desktop.engines.data import RunState
    from barberbi_desktop.jobs import runner
    from barberbi_desktop.storage.results import start_run

    with fresha_shop.write() as conn:
        kept = conn.exec_driver_sql(
            "SELECT id, cancelled_at_utc FROM appointments WHERE cancelled_at_utc IS NOT NULL"
        ).all()
        conn.exec_driver_sql("UPDATE appointments SET cancelled_at_utc = NULL")
    as_of = date(2026, 11, 10)
    morning = datetime.combine(as_of, time(9))
    monkeypatch.setattr(runner, "_NOSHOW_SCORERS", {})
    first = runner._noshow(fresha_shop, start_run(fresha_shop, "noshow", as_of), as_of,
                           RunState(), morning)  # fmt: skip
    assert first["late_cancel"] == {"known": False, "reason": late_cancel.NO_TIMES}
    with fresha_shop.write() as conn:
        for appointment_id, at in kept:
            conn.exec_driver_sql(
                "UPDATE appointments SET cancelled_at_utc = " + str(int(at))
                + " WHERE id = " + str(int(appointment_id))
            )
    later = runner._noshow(fresha_shop, start_run(fresha_shop, "noshow", as_of), as_of,
                           RunState(), morning + timedelta(hours=3))  # fmt: skip
    assert later["late_cancel"]["known"] is True
    assert any(u["late_cancel_risk"] is not None for u in later["upcoming"])


def test_late_risks_without_prices_leave_the_money_unknown() -> None:
    """Late cancellations learnt, but no price known for any booking: the money at
    stake is unknown (None), not $0, on the command line and in the alert alike."""
    from barberbi_desktop.alerts.rules import AlertSettings, noshow_loss_alerts

    data = _shop(_weekly(3.0))
    data = replace(data, services=data.services.assign(list_price_cents=np.nan))
    result = noshow.run(data, noshow.NoShowSettings(replay_weeks=4), AS_OF)
    stake = result.summary()["at_stake"]
    assert result.summary()["late_cancel"]["known"] is True
    assert stake["expected_late_cancels"] is not None and stake["expected_late_cancels"] > 0
    assert stake["expected_late_cents"] is None
    tomorrow = result.upcoming.assign(
        client="Ann", local=result.upcoming["start"].dt.tz_localize(None),
        risk=0.9, price_cents=[4000.0, np.nan])  # fmt: skip
    (alert,) = noshow_loss_alerts(tomorrow, AS_OF, AlertSettings(noshow_loss_dollars=1))
    assert "Late cancellations could cost about $" in alert.message
    unpriced = tomorrow.assign(price_cents=np.nan, risk=0.9)
    assert noshow_loss_alerts(unpriced, AS_OF, AlertSettings(noshow_loss_dollars=1)) == []
