"""No-show risk in the app, over a real no-show run on the demo shop: the Dashboard's
bookings at risk, the Clients tab's reliability, the call list, the morning alert and
the Revenue tab's deposit recommendation.

Every expected figure is worked out here from the run's stored JSON and the database,
not from the code under test. The run replays 4 weeks instead of 13 (the engine's
setting) so that the module's one run takes seconds.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from barberbi_desktop.alerts.store import list_alerts
from barberbi_desktop.engines import noshow, revenue_capacity
from barberbi_desktop.engines import revenue as revenue_engine
from barberbi_desktop.errors import InputError
from barberbi_desktop.jobs import noshow_job
from barberbi_desktop.jobs.noshow_alerts import raise_noshow_alerts
from barberbi_desktop.jobs.runner import run_engine
from barberbi_desktop.storage.at_risk import AT_RISK_FLOOR, client_risks, read_noshow
from barberbi_desktop.storage.db import Database, open_database
from barberbi_desktop.storage.frames import load_shop_data
from barberbi_desktop.storage.results import latest_run
from barberbi_desktop.storage.shop_config import alert_settings, save_alert_settings
from barberbi_desktop.storage.users import User
from barberbi_desktop.ui.alerts_tab import AlertsTab
from barberbi_desktop.ui.clients_tab import COLUMNS as CLIENT_COLUMNS
from barberbi_desktop.ui.clients_tab import ClientsTab
from barberbi_desktop.ui.dashboard import DashboardTab
from barberbi_desktop.ui.tasks import TaskRunner

AS_OF = date(2026, 11, 24)
NY = ZoneInfo("America/New_York")
EVENING = datetime(2026, 11, 24, 20, 0, tzinfo=NY)  # after the last visit of the day
EVIL = '=HYPERLINK("http://evil.example","click")'


def _run_noshow(db: Database) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(noshow, "NoShowSettings", partial(noshow.NoShowSettings, replay_weeks=4))
        run_engine(db, "noshow", AS_OF)


@pytest.fixture(scope="module")
def scored(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with an LTV run and a no-show run as of 24 Nov 2026; the alert
    threshold was $1 during the no-show run, so its morning alert fired."""
    path = tmp_path_factory.mktemp("noshow") / "shop.db"
    shutil.copyfile(demo_db_file, path)
    db = open_database(path, create=False)
    try:
        run_engine(db, "ltv", AS_OF)
        save_alert_settings(db, {"noshow_loss_dollars": 1}, None)
        _run_noshow(db)
    finally:
        db.dispose()
    return path


@pytest.fixture
def shop(scored: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "shop.db"
    shutil.copyfile(scored, path)
    db = open_database(path, create=False)
    yield db
    db.dispose()


def _day(db: Database, day: date, after: datetime | None = None) -> pd.DataFrame:
    """The run's bookings on a New York day (after an instant), through the engine's
    own reader (`noshow_job.upcoming_risks`), not the app's queries."""
    run = latest_run(db, "noshow")
    assert run is not None
    up = noshow_job.upcoming_risks(db, run)
    local = up["start"].dt.tz_convert(NY)
    keep = local.dt.date == day
    if after is not None:
        keep &= local > pd.Timestamp(after)
    # Riskiest first; among equal risks, the earliest first.
    return up[keep].assign(local=local[keep]).sort_values(
        ["risk", "start"], ascending=[False, True], kind="stable"
    )


def _cut(db: Database) -> float:
    run = latest_run(db, "noshow")
    assert run is not None
    return max(2 * run.metrics["backtest"]["base_rate"], AT_RISK_FLOOR)


def _dashboard(qtbot: QtBot, db: Database, now: datetime, user: User | None = None
               ) -> DashboardTab:  # fmt: skip
    tab = DashboardTab(db, TaskRunner(), user, clock=lambda: now)
    qtbot.addWidget(tab)
    qtbot.waitUntil(lambda: tab.runner.pending == 0, timeout=10_000)
    return tab


def test_the_dashboard_lists_tomorrows_bookings_riskiest_first(
    qtbot: QtBot, shop: Database
) -> None:
    tomorrow = _day(shop, AS_OF + timedelta(days=1))
    assert len(tomorrow) > 5
    tab = _dashboard(qtbot, shop, EVENING)
    panel = tab.at_risk
    assert not panel.table.isHidden() and panel.model.rowCount() == len(tomorrow)
    shown = panel.model.frame
    assert list(shown["risk"]) == sorted(shown["risk"], reverse=True)
    assert set(shown["when"].str.split().str[0]) == {"Tomorrow"}
    # Expected money and chair-hours at stake: the sums of risk x price and risk x minutes.
    cents = float((tomorrow["risk"] * tomorrow["price_cents"]).sum())
    hours = float((tomorrow["risk"] * tomorrow["minutes"]).sum()) / 60
    summary = panel.summary.text()
    assert f"${cents / 100:,.0f} lost to no-shows" in summary
    assert f"{hours:.1f} chair-hours" in summary and "Rest of today: no bookings" in summary
    at_risk = int((tomorrow["risk"] >= _cut(shop)).sum())
    assert f"{len(tomorrow)} bookings, {at_risk} at risk" in summary
    # The rows at risk are bold, the others not.
    risk_col = list(shown.columns).index("risk")
    fonts = [panel.model.data(panel.model.index(r, risk_col), Qt.ItemDataRole.FontRole)
             for r in range(panel.model.rowCount())]  # fmt: skip
    assert [f is not None and f.bold() for f in fonts] == list(shown["risk"] >= _cut(shop))
    auc = latest_run(shop, "noshow").metrics["backtest"]["roc_auc"]
    assert f"(AUC {auc:.2f})" in panel.quality.text()
    assert "telling a miss from a visit" in panel.quality.text()
    # The demo's exports say when bookings were cancelled: late cancellations are shown
    # beside the no-shows, with their money at stake and how their replay went.
    late_cents = float((tomorrow["late_cancel_risk"] * tomorrow["price_cents"]).sum())
    assert f"and ${late_cents / 100:,.0f} to late cancellations" in summary
    late_col = list(shown.columns).index("late")
    assert not panel.table.isColumnHidden(late_col)
    assert np.allclose(shown["late"].to_numpy(), tomorrow["late_cancel_risk"].to_numpy())
    late_auc = latest_run(shop, "noshow").metrics["late_cancel"]["backtest"]["roc_auc"]
    assert f"telling a late cancellation from a kept booking (AUC {late_auc:.2f})" in (
        panel.quality.text())  # fmt: skip


def test_without_cancellation_times_the_late_column_is_hidden_not_zero(
    qtbot: QtBot, shop: Database, tmp_path: Path
) -> None:
    """Exports that never say when a booking was cancelled (every platform but Fresha):
    no late-cancellation column, no dollars for it, and the call list has no such column."""
    with shop.write() as conn:
        conn.execute(text("UPDATE appointments SET cancelled_at_utc = NULL"))
    _run_noshow(shop)
    run = read_noshow(shop)
    assert run is not None and not run.late_known
    tab = _dashboard(qtbot, shop, EVENING)
    panel = tab.at_risk
    assert panel.model.rowCount() > 0
    assert panel.table.isColumnHidden(list(panel.model.frame.columns).index("late"))
    assert panel.model.frame["late"].isna().all()
    assert "late cancellation" not in panel.summary.text()
    assert "late" not in panel.quality.text().lower()
    counts: list[int] = []
    out = tmp_path / "calls.csv"
    tab.at_risk.export_call_list(out, counts.append)
    qtbot.waitUntil(lambda: len(counts) == 1, timeout=10_000)
    with out.open(newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert "Late-cancel risk (%)" not in header and "No-show risk (%)" in header


def test_today_is_what_remains_of_it_on_the_shops_clock(qtbot: QtBot, shop: Database) -> None:
    noon = datetime(2026, 11, 25, 12, 0, tzinfo=NY)
    today = _day(shop, noon.date(), after=noon)
    later = _day(shop, noon.date() + timedelta(days=1))
    assert len(_day(shop, noon.date())) > len(today) > 0  # the morning is over
    tab = _dashboard(qtbot, shop, noon)
    shown = tab.at_risk.model.frame
    days = shown["when"].str.split().str[0]
    assert (days == "Today").sum() == len(today) and (days == "Tomorrow").sum() == len(later)
    times = shown.loc[days == "Today", "when"].str.split().str[1]
    assert (times > "12:00").all()
    assert f"Tomorrow ({noon.date() + timedelta(days=1):%a %d %b})" in tab.at_risk.summary.text()


def test_days_without_bookings_say_so(qtbot: QtBot, shop: Database) -> None:
    later = datetime(2027, 3, 1, 9, 0, tzinfo=NY)  # after every booking the run knows
    tab = _dashboard(qtbot, shop, later)
    assert tab.at_risk.model.rowCount() == 0 and not tab.at_risk.export.isEnabled()
    assert tab.at_risk.summary.text() == (
        "Rest of today: no bookings. Tomorrow (Tue 02 Mar): no bookings."
    )


def test_the_call_list_has_tomorrows_bookings_at_risk(
    qtbot: QtBot, shop: Database, tmp_path: Path
) -> None:
    tomorrow = _day(shop, AS_OF + timedelta(days=1))
    chosen = tomorrow[tomorrow["risk"] >= _cut(shop)]
    assert len(chosen) > 0
    with shop.write() as conn:
        conn.execute(text("UPDATE clients SET display_name = :n WHERE id = :i"),
                     {"n": EVIL, "i": int(chosen["client_id"].iloc[0])})  # fmt: skip
        phones = dict(conn.execute(text("SELECT id, phone FROM clients")).all())
    tab = _dashboard(qtbot, shop, EVENING)
    assert tab.at_risk.export.isEnabled()
    counts: list[int] = []
    out = tmp_path / "calls.csv"
    tab.at_risk.export_call_list(out, counts.append)
    qtbot.waitUntil(lambda: counts == [len(chosen)], timeout=10_000)
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["Client", "Phone", "Start (local time)", "Barber", "Service",
                             "No-show risk (%)", "Late-cancel risk (%)", "Why"]  # fmt: skip
    assert len(rows) == len(chosen)
    assert rows[0]["Client"] == "'" + EVIL  # a name that is a formula stays text
    for row, (_, want) in zip(rows, chosen.iterrows(), strict=True):
        assert row["Start (local time)"] == f"{want['local']:%Y-%m-%d %H:%M}"
        assert row["Barber"] == want["barber"] and row["Why"] == want["reasons"]
        assert float(row["No-show risk (%)"]) == round(want["risk"] * 100)
        assert float(row["Late-cancel risk (%)"]) == round(want["late_cancel_risk"] * 100)
        phone = phones[int(want["client_id"])]
        assert row["Phone"] == ("'" + phone if phone else "")  # E.164 '+' is not a formula
    assert all(r["Service"] for r in rows)
    with shop.read() as conn:
        audited = conn.execute(
            text("SELECT detail FROM audit_log WHERE action = 'export'")
        ).scalar_one()
    assert "no-show call list" in audited


def test_staff_see_the_risks_but_cannot_export_phones(qtbot: QtBot, shop: Database) -> None:
    tab = _dashboard(qtbot, shop, EVENING, User(2, "Jo", "staff"))
    assert tab.at_risk.model.rowCount() > 0 and not tab.at_risk.export.isEnabled()


def test_the_clients_tab_shows_each_clients_reliability(qtbot: QtBot, shop: Database) -> None:
    tab = ClientsTab(shop, TaskRunner())
    qtbot.addWidget(tab)
    qtbot.waitUntil(lambda: tab.run is not None, timeout=15_000)
    table = noshow_job.client_reliability(shop, latest_run(shop, "noshow"))
    clients = {
        str(i): {k: (None if pd.isna(v) else v) for k, v in row.items()}
        for i, row in table.to_dict("index").items()
    }
    frame = tab.model.frame
    for _, row in frame.head(200).iterrows():
        c = clients.get(str(int(row["client_id"])))
        if c is None or not c["booked"]:
            assert row["reliability"] == ""  # unknown, never "0 of 0"
            continue
        assert row["reliability"] == (
            f"{c['missed']} of {c['booked']} · {round(c['rate_low'] * 100)}–"
            f"{round(c['rate_high'] * 100)}%"
        )
        if c["next_risk"] is None:
            assert pd.isna(row["next_risk"])
        else:
            assert row["next_risk"] == pytest.approx(c["next_risk"])
    assert "telling a miss from a visit" in tab.quality.text()
    # Sorting the reliability column sorts by the client's own rate, not by its text.
    col = list(CLIENT_COLUMNS).index("reliability")
    tab.table.horizontalHeader().setSortIndicator(col, Qt.SortOrder.DescendingOrder)
    rates = tab.model.frame["own_rate"].dropna().to_numpy()
    scored = {str(int(i)) for i in tab.scores["client_id"]}
    assert np.all(np.diff(rates) <= 0) and rates[0] == max(
        c["own_rate"] for k, c in clients.items() if k in scored and c["own_rate"] is not None
    )
    # The detail says it in words, with the next booking's risk where there is one.
    row = int(np.flatnonzero(tab.model.frame["next_risk"].notna().to_numpy())[0])
    tab.table.selectRow(row)
    c = clients[str(int(tab.model.row(row)["client_id"]))]
    said = tab.detail.text()
    assert f"Missed {c['missed']} of {c['booked']} bookings" in said
    assert "chance of a no-show and " in said and "of a late cancellation" in said
    # The demo says when bookings were cancelled: each client's late cancellations too.
    assert table["late_booked"].notna().any() and (table["late_booked"].dropna() > 0).all()
    known = table.dropna(subset=["late_booked"])
    assert (known["late_cancels"] <= known["late_booked"]).all() and known["late_cancels"].sum()
    late = int(np.flatnonzero((tab.model.frame["late_cancels"] > 0).to_numpy())[0])
    tab.table.selectRow(late)
    c = clients[str(int(tab.model.row(late)["client_id"]))]
    assert (f"Cancelled in the last 24 hours {int(c['late_cancels'])} of "
            f"{int(c['late_booked'])} times") in tab.detail.text()  # fmt: skip


def test_the_morning_alert_names_whom_to_call_once_a_day(shop: Database) -> None:
    fired = list_alerts(shop)
    fired = fired[fired["rule"] == "noshow_loss"]
    assert len(fired) == 1  # raised by the run itself (threshold $1)
    tomorrow = _day(shop, AS_OF + timedelta(days=1))
    loss = float((tomorrow["risk"] * tomorrow["price_cents"]).sum()) / 100
    message = fired.iloc[0]["message"]
    assert f"about ${loss:,.0f}" in message and "Wed 25 Nov" in message
    late = float((tomorrow["late_cancel_risk"] * tomorrow["price_cents"]).sum()) / 100
    assert message.endswith(f"Late cancellations could cost about ${late:,.0f} more.")
    first = tomorrow.iloc[0]
    with shop.read() as conn:
        name = conn.execute(text("SELECT display_name FROM clients WHERE id = :i"),
                            {"i": int(first["client_id"])}).scalar_one()  # fmt: skip
    assert f"{name} at {first['local']:%H:%M} with {first['barber']}" in message
    assert raise_noshow_alerts(shop) == []  # the same day again: deduplicated
    with shop.write() as conn:
        conn.execute(text("DELETE FROM alerts"))
    save_alert_settings(shop, {"noshow_loss_dollars": round(loss * 2)}, None)
    assert raise_noshow_alerts(shop) == []  # below the owner's threshold
    save_alert_settings(shop, {"noshow_loss_dollars": round(loss / 2)}, None)
    assert len(raise_noshow_alerts(shop)) == 1


@pytest.mark.parametrize(("value", "says"), [(0, r"above \$0"), ("lots", "must be a number"),
                                             (2_000_000, "between 0 and")])  # fmt: skip
def test_a_bad_dollar_threshold_is_refused(empty_db: Database, value: object, says: str) -> None:
    with pytest.raises(InputError, match=says):
        save_alert_settings(empty_db, {"noshow_loss_dollars": value}, None)
    assert alert_settings(empty_db).noshow_loss_dollars == 150.0


def test_the_owner_sets_the_threshold_in_dollars(qtbot: QtBot, empty_db: Database) -> None:
    tab = AlertsTab(empty_db, TaskRunner(), None)
    qtbot.addWidget(tab)
    page = tab.rules
    spin = page.fields["noshow_loss_dollars"]
    qtbot.waitUntil(lambda: spin.value() == 150.0, timeout=10_000)
    assert spin.prefix() == "$ " and spin.suffix() == ""
    spin.setValue(80)
    counts: list[int] = []
    page.save_rules(counts.append)
    qtbot.waitUntil(lambda: counts == [1], timeout=10_000)
    assert alert_settings(empty_db).noshow_loss_dollars == 80.0


def test_deposits_target_the_clients_most_likely_to_miss(shop: Database) -> None:
    data = load_shop_data(shop)
    cap = revenue_capacity.analyse(data, AS_OF)
    s = revenue_engine.RevenueSettings()
    risks = client_risks(shop, AS_OF)
    assert risks is not None and risks.method == latest_run(shop, "noshow").metrics["method"]
    rec = revenue_engine._deposit_rec(cap, data, s, risks)
    assert rec is not None
    plan = rec.evidence["plan"]
    assert f"from the {plan['target_clients']} clients most likely to miss" in rec.title
    assert rec.gain_cents == pytest.approx(plan["target_loss_cents"] * s.no_show_reduction)
    # Targeting is worth it: the clients asked hold a larger share of the expected loss
    # than their share of the clients.
    assert 0 < plan["target_clients"] < plan["clients"]
    assert (plan["target_loss_cents"] / plan["yearly_loss_cents"]
            > plan["target_clients"] / plan["clients"])  # fmt: skip
    weeks = (cap.window[1] - cap.window[0]).days / 7
    observed = cap.lost["no_show_revenue_cents"] * 52 / weeks
    assert plan["yearly_loss_cents"] == pytest.approx(observed)  # the loss the shop had
    assert f"{plan['target_loss_cents'] / plan['yearly_loss_cents']:.0%} of that loss" in (
        rec.detail)  # fmt: skip
    assert sum(b["clients"] for b in plan["bands"]) == plan["clients"]
    assert sum(b["yearly_loss_cents"] for b in plan["bands"]) == pytest.approx(
        plan["yearly_loss_cents"])  # fmt: skip
    flat = revenue_engine._deposit_rec(cap, data, s, None)
    assert flat is not None and flat.title == "Take a card deposit for online bookings"
    assert "equally likely to be missed (no no-show risks per client yet)" in flat.detail
    assert client_risks(shop, AS_OF - timedelta(days=1)) is None  # no later risks leak back


def test_a_shop_whose_exports_record_no_no_shows_gets_a_sentence(
    qtbot: QtBot, demo_db_file: Path, tmp_path: Path
) -> None:
    path = tmp_path / "shop.db"
    shutil.copyfile(demo_db_file, path)
    db = open_database(path, create=False)
    try:
        with db.write() as conn:
            conn.execute(text("UPDATE appointments SET status = 'completed' "
                              "WHERE status = 'no_show'"))  # fmt: skip
        _run_noshow(db)
        result = read_noshow(db)
        assert result is not None and result.no_info
        tab = _dashboard(qtbot, db, EVENING)
        assert tab.at_risk.summary.text() == result.no_info
        assert tab.at_risk.table.isHidden() and tab.at_risk.export.isHidden()
        assert client_risks(db, AS_OF) is None and raise_noshow_alerts(db) == []
    finally:
        db.dispose()


def test_the_command_line_prints_a_no_show_run(
    shop: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    from barberbi_desktop.cli import _print_run

    run = latest_run(shop, "noshow")
    _print_run({"run_id": run.run_id, **run.metrics})  # as `barberbi run all` prints it
    out = capsys.readouterr().out
    stake = run.metrics["at_stake"]
    assert out.startswith(f"No-show risk as of 2026-11-24 (run {run.run_id}): ")
    assert run.metrics["sentence"] in out
    assert f"{stake['bookings']:,} bookings listed" in out
    assert f"${stake['expected_cents'] / 100:,.0f} at stake" in out


def test_a_location_manager_sees_their_own_locations_bookings_and_no_shop_alerts(
    qtbot: QtBot, shop: Database
) -> None:
    from barberbi_desktop.ui.dashboard import MANAGER_ALERTS

    with shop.write() as conn:  # half the barbers, with their bookings, work Uptown
        conn.execute(text("INSERT INTO locations (id, name, timezone, currency, opening_hours, "
                          "retail_tax_bp) SELECT 2, 'Uptown', timezone, currency, "
                          "opening_hours, retail_tax_bp FROM locations WHERE id = 1"))
        conn.execute(text("UPDATE appointments SET location_id = 2 WHERE barber_id % 2 = 0"))
        uptown = {int(i) for (i,) in conn.execute(
            text("SELECT id FROM appointments WHERE location_id = 2")).all()}  # fmt: skip
    tomorrow = _day(shop, AS_OF + timedelta(days=1))
    theirs = tomorrow[tomorrow["appointment_id"].isin(uptown)]
    assert 0 < len(theirs) < len(tomorrow)
    run_engine(shop, "kpi", AS_OF, location_id=2)  # the scheduler makes it for managers
    mia = User(3, "Mia", "manager", True, 2)
    tab = _dashboard(qtbot, shop, EVENING, mia)
    shown = tab.at_risk.model.frame
    assert tab.at_risk.model.rowCount() == len(theirs)
    assert sorted(shown["risk"]) == pytest.approx(sorted(theirs["risk"]))
    feed = [tab.feed.item(i).text() for i in range(tab.feed.count())]
    mine = list_alerts(shop, include_acknowledged=False, limit=5, location_id=2)
    assert feed == [f"[{a.priority}] {a.title}" for a in mine.itertuples()][:5] + (
        [] if len(mine) else ["No open alerts."]) + [MANAGER_ALERTS]  # fmt: skip
    assert all(a.title.startswith("Uptown: ") for a in mine.itertuples())
    owner = _dashboard(qtbot, shop, EVENING)
    assert owner.at_risk.model.rowCount() == len(tomorrow)


def test_a_chains_managed_location_gets_its_own_no_show_alert_and_toast(
    qtbot: QtBot, shop: Database
) -> None:
    from barberbi_desktop.events import AlertsRaised, EventHub
    from barberbi_desktop.storage.users import create_user
    from barberbi_desktop.ui.bridge import HubBridge
    from barberbi_desktop.ui.main_window import MainWindow

    with shop.write() as conn:  # half the barbers, with their bookings, work Uptown
        conn.execute(text("INSERT INTO locations (id, name, timezone, currency, opening_hours, "
                          "retail_tax_bp) SELECT 2, 'Uptown', timezone, currency, "
                          "opening_hours, retail_tax_bp FROM locations WHERE id = 1"))
        conn.execute(text("UPDATE appointments SET location_id = 2 WHERE barber_id % 2 = 0"))
        uptown = {int(i) for (i,) in conn.execute(
            text("SELECT id FROM appointments WHERE location_id = 2")).all()}  # fmt: skip
    mia = create_user(shop, "Mia", "manager", "1234", by=create_user(shop, "Ola", "owner",
                                                                      "2580"), location=2)
    (shop_alert,) = list_alerts(shop)[lambda f: f["rule"] == "noshow_loss"]["id"]
    (mine,) = raise_noshow_alerts(shop)  # the shop's is deduplicated; Uptown's is new
    tomorrow = _day(shop, AS_OF + timedelta(days=1))
    theirs = tomorrow[tomorrow["appointment_id"].isin(uptown)]
    loss = float((theirs["risk"] * theirs["price_cents"]).sum()) / 100
    row = list_alerts(shop).set_index("id").loc[mine]
    assert row["location_id"] == 2
    assert row["title"] == f"Uptown: No-shows could cost about ${loss:,.0f} tomorrow"
    assert row["message"].startswith(f"{len(theirs)} bookings on Wed 25 Nov")
    hub = EventHub()
    bridge = HubBridge(hub)
    window = MainWindow(shop, bridge=bridge, user=mia)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=10_000)
    hub.publish(AlertsRaised((int(shop_alert),)))  # the whole shop's: not hers
    qtbot.wait(300)
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=10_000)
    assert window.statusBar().currentMessage() == ""
    hub.publish(AlertsRaised((int(mine),)))
    qtbot.waitUntil(lambda: "1 new alert" in window.statusBar().currentMessage(), timeout=5_000)
    window.close()
    bridge.close()
