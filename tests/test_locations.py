"""Location managers and this computer's import location (issue #22, item 4).

Everything here runs on both back ends (``--backend``).
"""

from __future__ import annotations

import argparse
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from barberbi_desktop import computer
from barberbi_desktop.cli_import import remember_location
from barberbi_desktop.engines.data import ShopData
from barberbi_desktop.errors import InputError
from barberbi_desktop.events import EventHub, ResultsReady
from barberbi_desktop.jobs import runner
from barberbi_desktop.jobs.scheduler import run_location_kpis
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.results import finish_run, kpi_values, latest_run
from barberbi_desktop.storage.users import create_user, list_users, log_in, manager_locations

T0 = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())


def _two_locations(db: Database) -> None:
    with db.write() as conn:
        conn.execute(text(
            "INSERT INTO locations (id, name, timezone, currency, opening_hours, retail_tax_bp) "
            "VALUES (1, 'Downtown', 'America/New_York', 'USD', '{}', 0), "
            "(2, 'Uptown', 'America/New_York', 'USD', '{}', 0)"
        ))  # fmt: skip


def test_a_location_manager_belongs_to_one_location(empty_db: Database) -> None:
    _two_locations(empty_db)
    owner = create_user(empty_db, "Ola", "owner", "2580")
    with pytest.raises(InputError) as missing:
        create_user(empty_db, "Mia", "manager", "1234", by=owner)
    assert str(missing.value) == (
        "A location manager needs a location (the shop has Downtown, Uptown)."
    )
    with pytest.raises(InputError, match=r"^There is no location 'Midtown' \(the shop has "):
        create_user(empty_db, "Mia", "manager", "1234", by=owner, location="Midtown")
    assert [u.name for u in list_users(empty_db)] == ["Ola"]  # nothing half-made
    mia = create_user(empty_db, "Mia", "manager", "1234", by=owner, location="Uptown")
    sam = create_user(empty_db, "Sam", "staff", "1111", by=owner, location="Uptown")
    assert (mia.location_id, mia.location_scope, mia.role_name) == (2, 2, "location manager")
    assert (sam.location_id, sam.location_scope) == (None, None)  # staff see the shop
    again = log_in(empty_db, "Mia", "1234")
    assert again.location_scope == 2 and not again.may("clients") and again.may("dashboard")
    assert owner.location_scope is None
    assert manager_locations(empty_db) == [2]
    with pytest.raises(InputError, match="Only the owner"):
        create_user(empty_db, "Lee", "manager", "1234", by=mia, location="Uptown")


def _frames() -> ShopData:
    start = pd.Timestamp("2026-11-02 15:00", tz="UTC")
    appts = pd.DataFrame({
        "appointment_id": [1, 2, 3], "client_id": [10, 11, 10], "barber_id": [100, 200, 100],
        "location_id": [1, 2, 1], "start": [start] * 3, "revenue_cents": [3000, 5000, 2500],
    })  # fmt: skip
    items = pd.DataFrame({"item_id": [1, 2, 3], "appointment_id": [1, 2, 3],
                          "client_id": [10, 11, 10], "location_id": [1, 2, 1]})  # fmt: skip
    clients = pd.DataFrame({"client_id": [10, 11, 12], "home_location_id": [None, None, 2]})
    barbers = pd.DataFrame({"barber_id": [100, 200], "location_id": [1, 2]})
    locations = pd.DataFrame({"location_id": [1, 2], "name": ["Downtown", "Uptown"]})
    training = pd.DataFrame({"entry_id": [1, 2], "barber_id": [100, 200]})
    reviews = pd.DataFrame({"review_id": [1], "location_id": [2], "rating": [5]})
    return ShopData(appts, items, clients, barbers, pd.DataFrame(), locations, reviews,
                    training, pd.DataFrame({"location_id": pd.Series([], dtype="Int64")}))


def test_the_engines_see_one_locations_data_only() -> None:
    uptown = _frames().at_location(2)
    assert uptown.appointments["appointment_id"].tolist() == [2]
    assert uptown.sale_items["item_id"].tolist() == [2]
    assert uptown.clients["client_id"].tolist() == [11, 12]  # visited there, or lives there
    assert uptown.barbers["barber_id"].tolist() == [200]
    assert uptown.training_log["entry_id"].tolist() == [2]
    assert uptown.locations["name"].tolist() == ["Uptown"] and len(uptown.reviews) == 1
    downtown = _frames().at_location(1)
    assert downtown.appointments["revenue_cents"].sum() == 5500
    assert downtown.clients["client_id"].tolist() == [10] and downtown.reviews.empty


def _stand_in(db: Database, run_id: int, as_of: date, state: Any, now: Any,
              location_id: int | None = None) -> dict[str, Any]:  # fmt: skip
    with db.write() as conn:
        finish_run(conn, run_id, {"scope": location_id})
    return {}


def test_each_manager_location_gets_its_own_run_and_the_shop_keeps_its_own(
    empty_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(runner.ENGINES, "kpi", _stand_in)
    _two_locations(empty_db)
    owner = create_user(empty_db, "Ola", "owner", "2580")
    create_user(empty_db, "Mia", "manager", "1234", by=owner, location="Uptown")
    whole = runner.run_engine(empty_db, "kpi", as_of=date(2026, 11, 24)).run_id
    hub, ready = EventHub(), []
    hub.subscribe(ResultsReady, ready.append)
    (uptown,) = run_location_kpis(empty_db, hub)
    assert ready == [ResultsReady("kpi", uptown)]
    shop_run = latest_run(empty_db, "kpi")
    mine = latest_run(empty_db, "kpi", location_id=2)
    assert shop_run is not None and shop_run.run_id == whole and shop_run.metrics == {
        "scope": None}
    assert mine is not None and mine.run_id == uptown and mine.metrics == {"scope": 2}
    assert latest_run(empty_db, "kpi", location_id=1) is None  # no manager there
    with pytest.raises(InputError, match="runs over the whole shop only"):
        runner.run_engine(empty_db, "ltv", location_id=2)


def test_a_location_managers_dashboard_shows_their_locations_figures(
    qtbot: QtBot, shop: Database
) -> None:
    from barberbi_desktop.ui.main_window import MainWindow

    with shop.write() as conn:  # move one barber and all his work to a second location
        conn.execute(text("INSERT INTO locations (id, name, timezone, currency, opening_hours, "
                          "retail_tax_bp) SELECT 2, 'Uptown', timezone, currency, "
                          "opening_hours, retail_tax_bp FROM locations WHERE id = 1"))
        barber = conn.execute(text("SELECT min(id) FROM barbers")).scalar_one()
        for table in ("barbers", "appointments", "sale_items"):
            key = "id" if table == "barbers" else "barber_id"
            conn.execute(text(f"UPDATE {table} SET location_id = 2 WHERE {key} = :b"),
                         {"b": barber})  # fmt: skip
    owner = create_user(shop, "Ola", "owner", "2580")
    mia = create_user(shop, "Mia", "manager", "1234", by=owner, location="Uptown")
    as_of = date(2026, 11, 24)
    runs = {scope: runner.run_engine(shop, "kpi", as_of=as_of, location_id=scope).run_id
            for scope in (None, 1, 2)}  # fmt: skip

    def revenue(run_id: int) -> float:
        values = kpi_values(shop, run_id)
        return float(values.query("kpi == 'revenue' and window == '30d'")["value"].iloc[0])

    assert 0 < revenue(runs[2]) < revenue(runs[None])
    assert revenue(runs[1]) + revenue(runs[2]) == pytest.approx(revenue(runs[None]))
    window = MainWindow(shop, user=mia)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.dashboard.run is not None, timeout=10_000)
    assert window.dashboard.run.run_id == runs[2]


def test_this_computer_remembers_the_location_it_imports_for(empty_db: Database) -> None:
    _two_locations(empty_db)
    shop = empty_db.url
    args = argparse.Namespace(db=empty_db.engine.url.render_as_string(hide_password=False),
                              location="Midtown")  # fmt: skip
    with pytest.raises(InputError, match="The shop has no location 'Midtown'; it has Downtown"):
        remember_location(args)
    assert computer.import_location(shop) is None
    args.location = "Uptown"
    assert remember_location(args) == {"command": "import", "import_location": "Uptown"}
    assert computer.import_location(shop) == "Uptown"
    assert computer.import_location("sqlite:////elsewhere/demo.db") is None  # per shop
    with empty_db.read() as conn:  # kept on this computer, never in the shared database
        stored = conn.execute(text("SELECT count(*) FROM settings")).scalar_one()
    assert stored == 0 and computer.settings_path().exists()
    args.location = ""
    remember_location(args)
    assert computer.import_location(shop) is None


def test_the_owner_adds_a_location_manager_in_settings(qtbot: QtBot, empty_db: Database) -> None:
    from barberbi_desktop.storage.users import audit_log
    from barberbi_desktop.ui.settings_tab import SettingsTab
    from barberbi_desktop.ui.settings_users import audit_rows, location_names
    from barberbi_desktop.ui.tasks import TaskRunner

    _two_locations(empty_db)
    owner = create_user(empty_db, "Ola", "owner", "2580")
    tab = SettingsTab(empty_db, TaskRunner(), owner)
    qtbot.addWidget(tab)
    page = tab.users
    qtbot.waitUntil(lambda: page.users.count() == 1, timeout=10_000)
    assert location_names(empty_db) == ["Downtown", "Uptown"]
    page.add_staff("Mia", "1234", "Uptown")
    qtbot.waitUntil(lambda: page.users.count() == 2, timeout=10_000)
    shown = [page.users.item(i).text() for i in range(page.users.count())]
    assert "Mia (location manager)" in shown
    assert log_in(empty_db, "Mia", "1234").location_scope == 2
    said = [what for _when, what in audit_rows(audit_log(empty_db))]
    assert "Ola created the location manager account Mia." in said
    qtbot.waitUntil(lambda: tab.runner.pending == 0, timeout=10_000)


def test_each_computer_watches_its_own_folder_for_its_own_location(
    empty_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from barberbi_desktop.ingest.watch import WatchFolder
    from barberbi_desktop.storage.settings import get_setting, set_setting
    from barberbi_desktop.storage.shop_config import load_schedule, save_schedule, watch_folder
    from tests.import_helpers import FIXTURES

    _two_locations(empty_db)
    set_setting(empty_db, "watch.settle_seconds", 0.0)
    folder = tmp_path / "drop"
    folder.mkdir()
    schedule = load_schedule(empty_db) | {"watch_folder": str(folder)}
    save_schedule(empty_db, schedule, None)
    assert watch_folder(empty_db) == str(folder)
    # On a server the folder is this computer's; on a file it is the shop's, as before.
    assert (get_setting(empty_db, "watch_folder") is None) == empty_db.is_postgres
    computer.set_import_location(empty_db.url, "Uptown")
    shutil.copy(FIXTURES / "acuity.csv", folder / "acuity.csv")  # names no location
    reports = WatchFolder(empty_db, folder).scan_once()
    assert [r.status for r in reports] == ["landed"]
    with empty_db.read() as conn:
        places = conn.execute(text(
            "SELECT DISTINCT l.name FROM appointments a JOIN locations l ON l.id = a.location_id"
        )).scalars().all()  # fmt: skip
    assert places == ["Uptown"]
    # Another computer (its own user data folder) on the same server has no folder yet.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "other-computer"))
    assert (watch_folder(empty_db) is None) == empty_db.is_postgres
