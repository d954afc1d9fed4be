"""What imports cannot carry: barbers' hours and pay, the premium price, and what the
data can tell (storage.coverage), on a shop built by the importer and on the demo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from barberbi_desktop.engines.kpi import _rostered_minutes
from barberbi_desktop.engines.revenue_capacity import _working_cells
from barberbi_desktop.errors import InputError
from barberbi_desktop.events import DataChanged, EventHub
from barberbi_desktop.storage import shop_config as config
from barberbi_desktop.storage.coverage import data_coverage, share_text
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.premium import load_services
from barberbi_desktop.storage.results import data_version
from barberbi_desktop.storage.shop_config import premium_threshold_cents, save_premium_threshold
from barberbi_desktop.storage.users import audit_log, create_user
from barberbi_desktop.storage.working_hours import clean_week, week_text
from tests.conftest import DEMO_END
from tests.import_helpers import one, query

TRIMMED = Path(__file__).parent / "data" / "coverage" / "template_trimmed.csv"
WEEKDAYS_9_TO_6 = {str(d): [540, 1080] for d in range(5)}


def _states(db: Database) -> dict[str, str]:
    return {f.key: f.state for f in data_coverage(db).fields}


def _last_audit(db: Database) -> dict:
    return json.loads(audit_log(db).iloc[0]["detail"])


# --- what the data can tell -------------------------------------------------------------


def test_a_trimmed_template_says_what_it_lacks_and_where_each_field_came_from(
    empty_db: Database,
) -> None:
    assert one(empty_db, TRIMMED).status == "landed"
    coverage = data_coverage(empty_db)
    got = {f.key: f for f in coverage.fields}
    assert (coverage.visits, coverage.files, coverage.demo) == (6, 1, False)
    assert {k: f.state for k, f in got.items()} == {
        "times": "present", "ends": "partly", "statuses": "present", "no_shows": "present",
        "tips": "missing", "prices": "present", "discounts": "missing", "tax": "missing",
        "booked_at": "missing", "cancel_times": "missing", "channels": "missing",
        "contacts": "partly",
        "staff": "present", "working_hours": "missing", "durations": "missing",
        "reviews": "missing", "training": "missing",
    }  # fmt: skip
    assert (got["ends"].have, got["ends"].base) == (4, 6)
    assert (got["contacts"].have, got["contacts"].base) == (2, 4)  # Tess and Dario: neither
    # Money columns count per completed visit: four visits were completed, none has a tip.
    assert (got["tips"].have, got["tips"].base, got["tips"].unit) == (0, 4, "completed visits")
    assert got["tips"].sentence.startswith("Tips: missing: your exports have no tips column")
    assert "the tip rate" in got["tips"].sentence and "unknown" in got["tips"].sentence
    assert "rebooking rate" in got["booked_at"].sentence
    assert got["statuses"].sources == ("BarberBI template (template_trimmed.csv)",)
    assert "(from BarberBI template (template_trimmed.csv))" in got["ends"].sentence
    assert got["tips"].sources == ()
    hours = got["working_hours"]
    assert (hours.have, hours.base) == (0, 2)
    assert hours.sentence.endswith("set them in Settings > Barbers and pay.")

    # A full template export lands beside it: tips and booked-at now cover part of the
    # visits, and only the file that has them is named.
    assert one(empty_db, "template_week1.csv").status == "landed"
    got = {f.key: f for f in data_coverage(empty_db).fields}
    assert (got["tips"].state, got["tips"].have, got["tips"].base) == ("partly", 2, 6)
    assert got["tips"].sources == ("BarberBI template (template_week1.csv)",)
    assert got["tips"].sentence.startswith(
        "Tips: partly: 33% of completed visits have it (from BarberBI template "
        "(template_week1.csv)); the tip rate and tips per barber can use only those."
    )
    assert got["booked_at"].state == "partly"
    assert got["cancel_times"].state == "missing"
    assert "late-cancellation risk is unknown" in got["cancel_times"].sentence
    assert got["statuses"].sources == (
        "BarberBI template (template_trimmed.csv, template_week1.csv)",
    )

    # Hours set for one of the four barbers: partly, naming who still has none.
    rows = config.load_barbers(empty_db).to_dict(orient="records")
    rows[0]["working_hours"] = WEEKDAYS_9_TO_6
    config.save_barbers(empty_db, rows, None)
    hours = data_coverage(empty_db).field("working_hours")
    unset = sorted(r["name"] for r in rows[1:])
    assert (hours.state, hours.have, hours.base) == ("partly", 1, 4)
    assert f"not set for {', '.join(unset)}" in hours.sentence

    # Fresha says when its one cancelled booking was cancelled: that is all there are.
    assert one(empty_db, "fresha.csv").status == "landed"
    times = data_coverage(empty_db).field("cancel_times")
    assert (times.have, times.unit) == (1, "cancelled bookings")
    assert times.sources == ("Fresha appointment list (fresha.csv)",)
    assert hours.sources == ("Settings > Barbers and pay",)


def test_a_batch_that_recorded_its_money_columns_is_believed_over_the_amounts(
    empty_db: Database,
) -> None:
    """A tips column of zeros cannot be told from no column, unless the batch recorded it."""
    one(empty_db, TRIMMED)
    assert _states(empty_db)["tips"] == "missing"
    with empty_db.write() as conn:
        conn.execute(text("UPDATE import_batches SET money = :m"),
                     {"m": json.dumps({"tips_cents": 0, "tax_cents": None})})  # fmt: skip
    states = _states(empty_db)
    assert (states["tips"], states["tax"], states["discounts"]) == ("present", "missing",
                                                                    "missing")  # fmt: skip


def test_the_demo_shop_carries_every_field(demo_db: Database) -> None:
    coverage = data_coverage(demo_db)
    assert coverage.demo and coverage.files == 0 and coverage.visits > 10_000
    assert coverage.data_version == data_version(demo_db)
    states = {f.key: f.state for f in coverage.fields}
    # The demo gives some clients neither email nor phone, as real shops have walk-ins.
    assert states.pop("contacts") == "partly"
    assert set(states.values()) == {"present"}
    for field in coverage.fields:
        assert field.sources, field.key
        assert field.sentence.startswith(f"{field.label}: {field.state}: ")
    assert coverage.field("times").sources == ("the demo shop",)
    assert coverage.field("reviews").have == query(demo_db, "SELECT count(*) FROM reviews")[0][0]


def test_an_empty_shop_has_nothing_yet(empty_db: Database) -> None:
    coverage = data_coverage(empty_db)
    assert coverage.visits == 0 and {f.state for f in coverage.fields} == {"missing"}
    assert "there are no visits yet" in coverage.field("times").sentence


def test_a_partial_share_never_reads_as_all_or_nothing() -> None:
    assert share_text(999, 1000) == "99.9%" and share_text(1, 1000) == "0.1%"
    assert share_text(99_999, 100_000) == ">99.9%" and share_text(1, 100_000) == "<0.1%"
    assert share_text(2, 3) == "67%" and share_text(3, 3) == "100%"


# --- working hours and pay --------------------------------------------------------------


def test_a_week_is_checked_day_by_day_in_one_sentence() -> None:
    assert clean_week({6: [600, 960], "0": [540, 1080], "2": None, "3": []}, "x") == {
        "0": [540, 1080], "6": [600, 960]}  # fmt: skip
    assert clean_week('{"4": [480, 1440]}', "x") == {"4": [480, 1440]}
    assert clean_week(None, "x") == {}
    cases = [
        ({"1": [1080, 540]}, r"^Barber row 2 \(Ana\), Tue: the day must end after it starts, "
                             r"not 18:00 to 09:00\.$"),
        ({"0": [540, 540]}, "Mon: the day must end after it starts"),
        ({"5": [-10, 600]}, r"Sat: times must fall within the day \(00:00 to 24:00\)\."),
        ({"5": [600, 1500]}, "Sat: times must fall within the day"),
        ({"7": [540, 600]}, r"'7' is not a weekday \(0 is Monday, 6 is Sunday\)\."),
        ({"0": [540]}, "Mon: a working day is a start and an end time."),
        ({"0": ["9:00", "17:00"]}, "Mon: a working day is a start and an end time."),
        ("Mon-Fri", "the working hours are not readable."),
    ]  # fmt: skip
    for week, message in cases:
        with pytest.raises(InputError, match=message):
            clean_week(week, "Barber row 2 (Ana)")
    assert week_text({}) == "not set"
    assert week_text({**WEEKDAYS_9_TO_6, "5": [600, 960]}) == (
        "Mon-Fri 09:00-18:00, Sat 10:00-16:00 (51 h)"
    )
    assert week_text({"0": [540, 1080], "2": [540, 1080]}) == (
        "Mon 09:00-18:00, Wed 09:00-18:00 (18 h)"
    )


def test_hours_and_pay_are_saved_in_owner_units_and_audited(shop: Database) -> None:
    owner = create_user(shop, "Ola", "owner", "2580")
    before = data_version(shop)
    rows = config.load_barbers(shop).to_dict(orient="records")
    first, second = rows[0]["id"], rows[1]["id"]
    rows[0] |= {"pay_model": "hourly", "hourly": "$28.50", "working_hours": WEEKDAYS_9_TO_6}
    rows[1] |= {"pay_model": "commission", "commission_pct": "42.5%"}
    rows[2] |= {"pay_model": "booth_rent", "booth_rent": "1,200"}
    assert config.save_barbers(shop, rows, owner) >= 4
    stored = {
        r[0]: r[1:]
        for r in query(shop, "SELECT id, pay_model, hourly_rate_cents, commission_bp, "
                             "weekly_booth_rent_cents, working_hours FROM barbers")
    }  # fmt: skip
    assert stored[first][:2] == ("hourly", 2850)
    assert json.loads(stored[first][4]) == WEEKDAYS_9_TO_6
    assert stored[second][2] == 4250  # basis points, never typed by the owner
    assert stored[rows[2]["id"]][3] == 120_000
    assert data_version(shop) == before + 1  # the engines' caches see the new hours
    detail = _last_audit(shop)
    assert detail["section"] == "barbers"
    assert detail[f"row {first} working_hours"][1] == "Mon-Fri 09:00-18:00 (45 h)"
    # Saving the same again changes nothing, and the data version stays.
    assert config.save_barbers(shop, config.load_barbers(shop).to_dict(orient="records"),
                               owner) == 0  # fmt: skip
    assert data_version(shop) == before + 1
    locations = config.load_locations(shop).to_dict(orient="records")
    assert config.save_locations(shop, locations, owner) == 0
    assert data_version(shop) == before + 1
    locations[0]["timezone"] = "America/Chicago"
    assert config.save_locations(shop, locations, owner) == 1
    assert data_version(shop) == before + 2  # every local time moved


def test_a_bad_day_refuses_the_whole_save(shop: Database) -> None:
    rows = config.load_barbers(shop).to_dict(orient="records")
    before = query(shop, "SELECT * FROM barbers ORDER BY id")
    rows[0] |= {"working_hours": WEEKDAYS_9_TO_6, "commission_pct": "30"}
    rows[3] |= {"working_hours": {"3": [1020, 600]}}
    with pytest.raises(InputError, match=rf"^Barber row 4 \({rows[3]['name']}\), Thu: the day "
                                         "must end after it starts"):  # fmt: skip
        config.save_barbers(shop, rows, None)
    assert query(shop, "SELECT * FROM barbers ORDER BY id") == before


def test_hours_can_be_set_for_an_imported_barber_whose_pay_is_unknown(empty_db: Database) -> None:
    one(empty_db, TRIMMED)
    # The imported location's opening hours were never set: blank, not "closed" all week.
    assert set(config.load_locations(empty_db).iloc[0][list(config.DAYS)]) == {""}
    rows = config.load_barbers(empty_db).to_dict(orient="records")
    assert all(pd.isna(r["commission_pct"]) for r in rows)  # imports never say
    rows[0]["working_hours"] = WEEKDAYS_9_TO_6
    assert config.save_barbers(empty_db, rows, None) == 1
    rows = config.load_barbers(empty_db).to_dict(orient="records")
    rows[0]["hourly"] = "31"
    rows[0]["pay_model"] = "hourly"
    assert config.save_barbers(empty_db, rows, None) == 2
    rows[1]["pay_model"] = "booth_rent"  # changing the pay needs its amount
    with pytest.raises(InputError, match="a booth rent barber needs its amount"):
        config.save_barbers(empty_db, rows, None)


def test_what_is_stored_is_what_the_engines_read(shop: Database) -> None:
    """The stored week drives KPI utilisation and the capacity engine's rostered cells."""
    from barberbi_desktop.jobs.runner import run_engine
    from barberbi_desktop.storage.results import kpi_values

    def utilisation(span: list[int]) -> float:
        rows = config.load_barbers(shop).to_dict(orient="records")
        for row in rows:
            row["working_hours"] = {str(day): span for day in range(6)}  # Monday to Saturday
        config.save_barbers(shop, rows, None)
        values = kpi_values(shop, run_engine(shop, "kpi", DEMO_END).run_id)
        return float(values.query("kpi == 'utilisation' and window == '30d'")["value"].iloc[0])

    long_days, half_days = utilisation([480, 1200]), utilisation([480, 840])
    assert 0 < long_days < 1
    assert half_days == pytest.approx(2 * long_days)  # half the rostered minutes

    stored = query(shop, "SELECT id, working_hours FROM barbers ORDER BY id")
    barbers = pd.DataFrame(
        {"barber_id": [i for i, _ in stored], "working_hours": [json.loads(h) for _, h in stored]}
    )
    days = pd.date_range(pd.Timestamp(DEMO_END) - pd.Timedelta(days=13), periods=14, freq="D")
    expected = len(barbers) * 12 * 360  # two weeks of six 6-hour days per barber
    assert _rostered_minutes(barbers, days[0], 14) == expected
    assert int(_working_cells(barbers, days)["minutes"].sum()) == expected


# --- the premium price ------------------------------------------------------------------


def test_the_premium_threshold_re_marks_services_by_price(shop: Database) -> None:
    owner = create_user(shop, "Ola", "owner", "2580")
    assert premium_threshold_cents(shop) == 5000
    before = data_version(shop)
    flipped = save_premium_threshold(shop, 6000, owner.user_id)
    services = load_services(shop)
    assert premium_threshold_cents(shop) == 6000
    assert list(services["premium"]) == list(services["basis_cents"] >= 6000)
    assert flipped > 0 and data_version(shop) == before + 1
    assert _last_audit(shop)["premium_threshold_cents"] == [5000, 6000]
    assert save_premium_threshold(shop, 6000, owner.user_id) == 0
    assert data_version(shop) == before + 1
    for bad in (0, -500, 2_000_000, 50.5, True):
        with pytest.raises(InputError, match=r"^Services: the premium price threshold must"):
            save_premium_threshold(shop, bad, owner.user_id)  # type: ignore[arg-type]
    assert premium_threshold_cents(shop) == 6000


def test_a_service_seen_only_in_bookings_is_premium_by_what_it_sold_for(
    empty_db: Database,
) -> None:
    one(empty_db, TRIMMED)  # no list prices: the services come from the visits
    save_premium_threshold(empty_db, 5000, None)
    services = load_services(empty_db).set_index("name")
    assert services["list_price_cents"].isna().all()
    assert services.loc["Hot Towel Shave", "sold_cents"] == 5500
    assert services.loc["Hot Towel Shave", "premium"]
    assert not services.loc["Skin Fade", "premium"]
    assert not services.loc["Line Up", "premium"]  # cancelled: never sold, price unknown
    assert pd.isna(services.loc["Line Up", "basis_cents"])


# --- the Settings pages -----------------------------------------------------------------


def _settings(qtbot: QtBot, db: Database, hub: EventHub | None = None) -> tuple[Any, Any]:
    """The owner's main window and its Settings tab, once the barbers are shown."""
    from barberbi_desktop.ui.main_window import MainWindow

    owner = create_user(db, "Ola", "owner", "2580")
    window = MainWindow(db, user=owner, hub=hub)
    qtbot.addWidget(window)
    tab = window.settings_tab
    qtbot.waitUntil(lambda: tab.barbers.table.rowCount() > 0, timeout=10_000)
    return window, tab


def test_the_week_editor_saves_what_the_owner_sets(qtbot: QtBot, shop: Database) -> None:
    from PySide6.QtCore import QTime

    hub, events = EventHub(), []
    hub.subscribe(DataChanged, events.append)
    window, tab = _settings(qtbot, shop, hub)
    page = tab.barbers
    assert page.table.horizontalHeaderItem(6).text() == "Hourly $/h"
    page.table.setCurrentCell(1, 0)
    second = page.ids[1]
    assert page.who.text().startswith(page.table.item(1, 0).text())
    assert "America/New_York" in page.who.text()
    page.editor.off[1].setChecked(True)  # Tuesday off
    page.editor.off[0].setChecked(False)
    page.editor.starts[0].setTime(QTime(9, 30))
    page.editor.ends[0].setTime(QTime(0, 0))  # midnight
    assert page.weeks[second]["0"] == [570, 1440] and "1" not in page.weeks[second]
    assert page.table.item(1, 7).text().startswith("Mon 09:30-24:00")

    page.table.setCurrentCell(0, 0)  # the first barber: the shop's hours, then everyone
    page.same_as_shop.click()
    opening = page.frame.loc[page.ids[0], "opening_hours"]
    assert page.weeks[page.ids[0]] == opening
    page.table.setCurrentCell(2, 0)
    page.editor.off[6].setChecked(False)  # Sunday 09:00-18:00, the editor's default times
    page.copy_all.click()
    assert "copied to all 6 barbers" in page.message.text()
    copied = page.weeks[page.ids[2]]
    assert copied["6"] == [540, 1080] and all(page.weeks[i] == copied for i in page.ids)
    assert {page.table.item(r, 7).text() for r in range(6)} == {week_text(copied)}
    shown = page.frame
    page.save()
    qtbot.waitUntil(lambda: page.message.text().startswith("Saved"), timeout=10_000)
    stored = [json.loads(h) for (h,) in query(shop, "SELECT working_hours FROM barbers")]
    assert all(week == copied for week in stored)
    assert events == [DataChanged("settings changed")]  # the KPIs are recomputed at once

    # An end before the start: one sentence naming the barber and the day; nothing written.
    qtbot.waitUntil(lambda: page.frame is not shown, timeout=10_000)  # read back after Save
    page.table.setCurrentCell(0, 0)
    page.editor.starts[3].setTime(QTime(17, 0))
    page.editor.ends[3].setTime(QTime(9, 0))
    page.save()
    qtbot.waitUntil(lambda: page.message.text().startswith("Not saved"), timeout=10_000)
    name = page.table.item(0, 0).text()
    assert f"Barber row 1 ({name}), Thu: the day must end after it starts" in page.message.text()
    assert [json.loads(h) for (h,) in query(shop, "SELECT working_hours FROM barbers")] == stored
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=10_000)
    window.close()


def test_coverage_page_and_premium_threshold_in_settings(qtbot: QtBot, empty_db: Database) -> None:
    one(empty_db, TRIMMED)
    window, tab = _settings(qtbot, empty_db)
    coverage = tab.coverage
    qtbot.waitUntil(lambda: coverage.model.rowCount() == 17, timeout=10_000)
    rows = {r["label"]: r for r in coverage.rows()}
    assert rows["Tips"]["state"] == "missing" and rows["Tips"]["sources"] == "—"
    assert rows["End times"]["coverage"] == "67% of 6 visits"
    assert rows["Working hours set"]["coverage"] == "0 of 2 active barbers"
    assert "6 visits, from 1 imported file" in coverage.summary.text()

    page = tab.barbers
    page.table.setCurrentCell(0, 0)
    page.editor.off[0].setChecked(False)
    page.copy_all.click()
    shown = page.frame
    page.save()
    qtbot.waitUntil(lambda: page.message.text().startswith("Saved"), timeout=10_000)
    # The save reads Settings again, coverage included: every barber now has hours.
    qtbot.waitUntil(lambda: page.frame is not shown, timeout=10_000)
    qtbot.waitUntil(
        lambda: {r["label"]: r for r in coverage.rows()}["Working hours set"]["state"]
        == "present",
        timeout=10_000,
    )

    services = tab.services
    qtbot.waitUntil(lambda: services.table.rowCount() == 5, timeout=10_000)
    # The import marked its services by the price they sold at, so none waits to be marked.
    assert services.unmarked.text() == ""
    services.threshold.setValue(60)
    services.save()
    qtbot.waitUntil(lambda: services.message.text().startswith("Saved"), timeout=10_000)
    assert premium_threshold_cents(empty_db) == 6000
    qtbot.waitUntil(lambda: services.unmarked.text() == "", timeout=10_000)  # all marked
    assert services.message.text().startswith("Saved")
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=10_000)
    window.close()
