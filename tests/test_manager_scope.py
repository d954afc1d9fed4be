"""A location manager sees their location's alerts and imports; the owner sees all.

Everything here runs on both back ends (``--backend``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from barberbi_desktop.alerts import rules
from barberbi_desktop.alerts.notify import NotificationManager
from barberbi_desktop.alerts.store import alerts_at, list_alerts, raise_alerts
from barberbi_desktop.engines.kpi import KpiResult
from barberbi_desktop.errors import InputError
from barberbi_desktop.events import AlertsRaised, EventHub, ResultsReady
from barberbi_desktop.ingest.importer import Importer, undo_last_import
from barberbi_desktop.jobs import kpi_job, runner
from barberbi_desktop.jobs.import_scope import batches_at, may_undo, undo_last_import_at
from barberbi_desktop.jobs.scheduler import run_location_kpis
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.results import start_run
from barberbi_desktop.storage.users import User, create_user
from barberbi_desktop.ui.alerts_tab import MANAGER_SCOPE, AlertsTab
from barberbi_desktop.ui.imports_tab import ImportsTab
from barberbi_desktop.ui.tasks import TaskRunner
from tests.import_helpers import FIXTURES, NOW, query

AS_OF = date(2026, 11, 24)
S = rules.AlertSettings()


def _locations(db: Database, names: tuple[str, ...] = ("Downtown", "Uptown")) -> None:
    with db.write() as conn:
        for i, name in enumerate(names, start=1):
            conn.execute(
                text("INSERT INTO locations (id, name, timezone, currency, opening_hours, "
                     "retail_tax_bp) VALUES (:i, :n, 'America/New_York', 'USD', '{}', 0)"),
                {"i": i, "n": name},
            )  # fmt: skip


def _people(db: Database) -> tuple[User, User]:
    owner = create_user(db, "Ola", "owner", "2580")
    return owner, create_user(db, "Mia", "manager", "1234", by=owner, location="Uptown")


def _kpi_result(no_show_7d: float) -> KpiResult:
    """A KPI run whose last 7 days had this no-show rate (the rest unknown)."""
    values = pd.DataFrame([
        {"kpi": "no_show_rate", "window": "7d", "value": no_show_7d, "prior": 0.05,
         "target": 0.05},
        {"kpi": "utilisation", "window": "7d", "value": float("nan"), "prior": float("nan"),
         "target": 0.75},
    ])  # fmt: skip
    return KpiResult(AS_OF, datetime(2026, 11, 24, 12), values, None, {},
                     {"available": False, "reason": "fewer than three past days"})  # fmt: skip


# --- alerts ------------------------------------------------------------------------


def test_a_locations_own_kpi_run_raises_that_locations_alerts(empty_db: Database) -> None:
    _locations(empty_db)
    whole = start_run(empty_db, "kpi", AS_OF)
    (shop_alert,) = kpi_job.store(empty_db, whole, _kpi_result(0.20), S)
    uptown = start_run(empty_db, "kpi", AS_OF, 2)
    (up_alert,) = kpi_job.store(empty_db, uptown, _kpi_result(0.30), S, location_id=2)
    listed = list_alerts(empty_db).set_index("id")
    assert pd.isna(listed.loc[shop_alert, "location_id"])  # two locations: the shop's own
    assert listed.loc[up_alert, "location_id"] == 2
    assert listed.loc[up_alert, "title"] == "Uptown: No-shows are up"
    assert listed.loc[up_alert, "message"].startswith("30% of appointments")
    # Keyed apart: the shop's alert does not silence the location's, nor the reverse.
    with empty_db.read() as conn:
        keys = dict(conn.execute(text("SELECT id, dedup_key FROM alerts")).all())
    assert keys == {shop_alert: "no_show_rate:7d", up_alert: "no_show_rate:7d@location:2"}
    again = start_run(empty_db, "kpi", AS_OF, 2)
    assert kpi_job.store(empty_db, again, _kpi_result(0.30), S, location_id=2) == []


def test_in_a_one_location_shop_the_shops_alerts_are_that_locations(empty_db: Database) -> None:
    _locations(empty_db, ("Main",))
    whole = start_run(empty_db, "kpi", AS_OF)
    (alert,) = kpi_job.store(empty_db, whole, _kpi_result(0.20), S)
    own = start_run(empty_db, "kpi", AS_OF, 1)
    assert kpi_job.store(empty_db, own, _kpi_result(0.20), S, location_id=1) == []  # no twin
    (backup,) = raise_alerts(empty_db, [rules.backup_failed("The disk is full.", S)])
    assert list(list_alerts(empty_db, location_id=1)["id"]) == [alert]  # not the backup
    assert len(list_alerts(empty_db)) == 2 and backup != alert


def test_vip_and_pathway_alerts_are_the_clients_and_the_barbers_location() -> None:
    current = pd.DataFrame({
        "client_id": [1, 2, 3], "segment": ["At-Risk"] * 3,
        "value_tier": ["Premium VIP", "High Value", "Premium VIP"],
        "display_name": ["Ann Lee", "Bob Stone", "Cy Park"], "ltv_cents": [90_000, 50_000, 70_000],
        "segment_rule": ["no visit in 80 days"] * 3, "action": ["Call them."] * 3,
        "location_id": [2.0, 1.0, float("nan")],
    })  # fmt: skip
    previous = pd.DataFrame({"client_id": [9], "segment": ["At-Risk"]})
    each = rules.vip_at_risk_alerts(current, previous, S)
    assert [c.location_id for c in each] == [2, 1, None]  # no home location: the shop's
    (summary,) = rules.vip_at_risk_alerts(current.iloc[[0]], None, S)
    assert summary.location_id == 2  # every client in it lives at Uptown
    (mixed,) = rules.vip_at_risk_alerts(current, None, S)
    assert mixed.location_id is None
    path = {"name": "Dee", "barber_id": 7, "annualised": 20_000.0, "goal": 100_000.0,
            "p_cross_12m": 0.01, "location_id": 2}  # fmt: skip
    (behind,) = rules.pathway_alerts([path], S, "2026-11")
    assert behind.location_id == 2 and behind.dedup_key == "pathway_behind:7:2026-11"


def _mixed_alerts(db: Database) -> dict[str, int]:
    """One alert of each kind of scope: the shop's, Downtown's and Uptown's."""
    kpi = rules.kpi_alerts(pd.DataFrame([{"kpi": "no_show_rate", "window": "7d",
                                          "value": 0.3, "prior": 0.1}]),
                           {}, S, AS_OF.isoformat())[0]  # fmt: skip
    ids = raise_alerts(db, [
        rules.backup_failed("The disk is full.", S),
        rules.at_location(kpi, 1, "Downtown"),
        rules.at_location(kpi, 2, "Uptown"),
        rules.engine_failed("ltv", "MemoryError.", S),
    ])  # fmt: skip
    return dict(zip(("backup", "downtown", "uptown", "engine"), ids, strict=True))


def test_a_manager_sees_their_locations_alerts_and_the_owner_sees_all(
    qtbot: QtBot, empty_db: Database
) -> None:
    _locations(empty_db)
    owner, mia = _people(empty_db)
    made = _mixed_alerts(empty_db)
    tab_runner = TaskRunner()
    mine = AlertsTab(empty_db, tab_runner, mia)
    everything = AlertsTab(empty_db, tab_runner, owner)
    for tab in (mine, everything):
        qtbot.addWidget(tab)
    qtbot.waitUntil(lambda: tab_runner.pending == 0, timeout=10_000)
    assert mine.model.frame["title"].tolist() == ["Uptown: No-shows are up"]
    assert mine.model.frame["id"].tolist() == [made["uptown"]]
    assert sorted(everything.model.frame["id"]) == sorted(made.values())
    said = [w.text() for w in mine.findChildren(type(mine.shown)) if w.text()]
    assert MANAGER_SCOPE in said
    assert MANAGER_SCOPE not in [w.text() for w in everything.findChildren(type(mine.shown))]
    assert alerts_at(empty_db, made.values(), 2) == [made["uptown"]]
    assert alerts_at(empty_db, [], 2) == []
    tab_runner.wait()


@dataclass
class _Sink:
    shown: list[str] = field(default_factory=list)

    def show(self, title: str, message: str, priority: str) -> bool:
        self.shown.append(title)
        return True


def test_a_managers_pop_ups_are_their_locations_alerts_only(empty_db: Database) -> None:
    _locations(empty_db)
    made = _mixed_alerts(empty_db)
    hub, hers, his = EventHub(), _Sink(), _Sink()
    managers = NotificationManager(empty_db, hub, [hers], "low", location_id=2)
    owners = NotificationManager(empty_db, hub, [his], "low")
    hub.publish(AlertsRaised(tuple(made.values())))
    assert hers.shown == ["Uptown: No-shows are up"]
    assert len(his.shown) == 4 and owners.shown == sorted(made.values())
    managers.close()
    owners.close()


def test_the_scheduler_announces_the_alerts_of_a_locations_run(
    empty_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def kpi_stand_in(db: Database, run_id: int, as_of: date, state: Any, now: Any,
                     location_id: int | None = None) -> dict[str, Any]:  # fmt: skip
        kpi_job.store(db, run_id, _kpi_result(0.25), S, location_id=location_id)
        return {}

    monkeypatch.setitem(runner.ENGINES, "kpi", kpi_stand_in)
    _locations(empty_db)
    _people(empty_db)
    hub, heard = EventHub(), []
    for kind in (AlertsRaised, ResultsReady):
        hub.subscribe(kind, heard.append)
    (run_id,) = run_location_kpis(empty_db, hub)
    (alert,) = list_alerts(empty_db, location_id=2)["id"]
    assert heard == [AlertsRaised((int(alert),)), ResultsReady("kpi", run_id)]
    assert list_alerts(empty_db, location_id=1).empty


def test_a_failed_location_run_is_that_locations_alert(
    empty_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_scope: object) -> dict[str, Any]:
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(runner.ENGINES, "kpi", broken)
    _locations(empty_db)
    with pytest.raises(RuntimeError):
        runner.run_engine(empty_db, "kpi", AS_OF, location_id=2)
    (row,) = list_alerts(empty_db, location_id=2).itertuples()
    assert row.title == "Uptown: The kpi analysis failed" and row.rule == "engine_failed"


# --- imports -----------------------------------------------------------------------

HEADER = (FIXTURES / "template_week1.csv").read_text().splitlines()[0]


def _export(path: Path, visits: list[tuple[str, str, str]]) -> Path:
    """A BarberBI template export: (appointment id, local start, location) per visit."""
    lines = [f"{ref},{start},,completed,C-{ref},Client {ref},,,Marco,Skin Fade,cut,45.00,,,,"
             f"card,online,,{where}" for ref, start, where in visits]  # fmt: skip
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    return path


def _import(db: Database, path: Path, user: User) -> int:
    (report,) = Importer(db, now=NOW, user_id=user.user_id).import_files([path])
    assert report.status == "landed", report.reason
    return int(report.batch_id)


def _history(qtbot: QtBot, db: Database, user: User) -> ImportsTab:
    tab = ImportsTab(db, TaskRunner(), user_id=user.user_id, location_id=user.location_scope)
    qtbot.addWidget(tab)
    qtbot.waitUntil(lambda: tab.runner.pending == 0, timeout=10_000)
    return tab


def test_a_manager_sees_and_undoes_only_imports_that_landed_at_their_location(
    qtbot: QtBot, db: Database, tmp_path: Path
) -> None:
    _locations(db)
    owner, mia = _people(db)
    down = _import(db, _export(tmp_path / "down.csv", [("D1", "2026-11-02 10:00", "Downtown"),
                                                       ("D2", "2026-11-02 11:00", "Downtown")]),
                   owner)  # fmt: skip
    up = _import(db, _export(tmp_path / "up.csv", [("U1", "2026-11-03 10:00", "Uptown")]), mia)
    both = _import(db, _export(tmp_path / "both.csv", [("B1", "2026-11-04 10:00", "Downtown"),
                                                       ("B2", "2026-11-04 12:00", "Uptown")]),
                   owner)  # fmt: skip
    assert batches_at(db, 2) == {up, both} and batches_at(db, 1) == {down, both}

    hers, his = _history(qtbot, db, mia), _history(qtbot, db, owner)
    assert sorted(hers.model.frame["id"]) == [up, both]
    assert sorted(his.model.frame["id"]) == [down, up, both]
    assert his.undo_button.isEnabled() and not hers.undo_button.isEnabled()
    before = query(db, "SELECT count(*) FROM appointments")
    with pytest.raises(InputError) as refused:
        undo_last_import_at(db, 2, user_id=mia.user_id)
    assert str(refused.value) == (f"The last import (#{both}, both.csv) landed at other "
                                  "locations too, so only the owner can undo it.")  # fmt: skip
    assert query(db, "SELECT count(*) FROM appointments") == before  # nothing touched

    undo_last_import(db, user_id=owner.user_id)  # the owner takes the two-location file back
    hers.refresh()
    qtbot.waitUntil(lambda: hers.undo_button.isEnabled(), timeout=10_000)
    hers.undo(confirm=False)
    qtbot.waitUntil(lambda: f"Undid import #{up}" in hers.outcome.text(), timeout=10_000)
    qtbot.waitUntil(lambda: hers.runner.pending == 0, timeout=10_000)
    assert query(db, "SELECT count(*) FROM appointments WHERE location_id = 2") == [(0,)]
    assert query(db, "SELECT count(*) FROM appointments WHERE location_id = 1") == [(2,)]
    assert not hers.undo_button.isEnabled() and not may_undo(db, 2, mia.user_id)
    # Her own import, undone, stays in her history; Downtown's next import is not hers to undo.
    assert hers.model.frame.set_index("id").loc[up, "status"] == "undone"
    with pytest.raises(InputError, match=r"landed at another location, so only the owner"):
        undo_last_import_at(db, 2, user_id=mia.user_id)
    assert may_undo(db, 1, None) and query(db, "SELECT count(*) FROM appointments") == [(2,)]
    hers.runner.wait()
    his.runner.wait()


def test_with_nothing_imported_a_manager_has_no_batches_and_a_sentence(db: Database) -> None:
    _locations(db)
    _people(db)
    assert batches_at(db, 2) == set() and not may_undo(db, 2, None)
    with pytest.raises(InputError, match=r"^There is no import to undo\.$"):
        undo_last_import_at(db, 2)
