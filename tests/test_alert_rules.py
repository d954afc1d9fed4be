"""Alert rules the owner tunes: stored thresholds reach the jobs and the notifications,
the watch folder raises an alert for a refused file, and the Alerts tab filters its
history and edits the rules."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from barberbi_desktop.alerts import rules
from barberbi_desktop.alerts.notify import NotificationManager
from barberbi_desktop.alerts.store import list_alerts, raise_alerts
from barberbi_desktop.errors import InputError
from barberbi_desktop.events import AlertsRaised, EventHub
from barberbi_desktop.ingest.watch import WatchFolder
from barberbi_desktop.jobs.runner import run_engine
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.results import kpi_values, latest_run
from barberbi_desktop.storage.shop_config import alert_settings, save_alert_settings
from barberbi_desktop.storage.users import User, create_user
from barberbi_desktop.ui.alerts_tab import AlertsTab
from barberbi_desktop.ui.tasks import TaskRunner

STAFF = User(2, "Jo", "staff")


def test_saved_thresholds_and_cooldowns_are_read_back_and_audited(empty_db: Database) -> None:
    assert alert_settings(empty_db) == rules.AlertSettings()
    values = {"no_show_rate_7d": 0.25, "cooldown:vip_at_risk": 48, "notify_at": "medium",
              "utilisation_drop": 0.6}  # fmt: skip
    changed = save_alert_settings(empty_db, values, None)
    assert changed == 3  # the utilisation share is the default already
    s = alert_settings(empty_db)
    assert s.no_show_rate_7d == 0.25 and s.utilisation_drop == 0.6
    assert s.cooldowns["vip_at_risk"] == timedelta(hours=48)
    assert s.cooldowns["no_show_rate"] == timedelta(days=7)
    assert s.notify_at == "medium"
    with empty_db.read() as conn:
        stored = conn.execute(
            text("SELECT CAST(value AS TEXT) FROM settings WHERE key = 'alerts.rules'")
        ).scalar_one()
        detail = conn.execute(
            text(
                "SELECT CAST(detail AS TEXT) FROM audit_log WHERE action = 'settings_changed'"
            )
        ).scalar_one()
    stored, detail = json.loads(stored), json.loads(detail)
    assert stored["thresholds"] == {"no_show_rate_7d": 0.25}  # defaults are not stored
    assert detail["section"] == "alert rules" and detail["no_show_rate_7d"] == [0.1, 0.25]


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ({"no_show_rate_7d": 2}, "between 0 and 1"),
        ({"no_show_rate_7d": 0}, "above 0%"),
        ({"no_show_rate_7d": "lots"}, "must be a number"),
        ({"cooldown:engine_failed": -1}, "between 0 and"),
        ({"notify_at": "urgent"}, "choose one of"),
        ({"bogus": 1}, "no alert setting called 'bogus'"),
    ],
)
def test_a_bad_rule_value_is_refused_and_nothing_is_written(
    empty_db: Database, values: dict, says: str
) -> None:
    with pytest.raises(InputError, match=says):
        save_alert_settings(empty_db, {"cooldown:vip_at_risk": 1, **values}, None)
    assert alert_settings(empty_db) == rules.AlertSettings()


def test_the_kpi_job_uses_the_owners_no_show_threshold(shop: Database) -> None:
    run_engine(shop, "kpi", date(2026, 11, 20))
    values = kpi_values(shop, latest_run(shop, "kpi").run_id).set_index(["window", "kpi"])
    rate = values.loc[("7d", "no_show_rate"), "value"]
    assert 0 < rate < 0.5
    save_alert_settings(shop, {"no_show_rate_7d": round(rate * 1.5, 4)}, None)
    run_engine(shop, "kpi", date(2026, 11, 20))
    assert not (list_alerts(shop)["rule"] == "no_show_rate").any()  # under the threshold
    save_alert_settings(shop, {"no_show_rate_7d": round(rate * 0.5, 4)}, None)
    run_engine(shop, "kpi", date(2026, 11, 20))
    fired = list_alerts(shop)
    fired = fired[fired["rule"] == "no_show_rate"]
    assert len(fired) == 1 and f"alert above {rate * 0.5:.0%}" in fired.iloc[0]["message"]


def test_notifications_follow_the_owners_pop_up_priority(empty_db: Database) -> None:
    class Sink:
        def __init__(self) -> None:
            self.seen: list[str] = []

        def show(self, title: str, message: str, priority: str) -> bool:
            self.seen.append(priority)
            return True

    hub, sink = EventHub(), Sink()
    manager = NotificationManager(empty_db, hub, [sink])
    s = rules.AlertSettings()
    low = rules.pathway_alerts(
        [{"name": "Al", "annualised": 1000.0, "goal": 100_000.0, "p_cross_12m": 0.0,
          "barber_id": 1}], s, "2026-11")  # fmt: skip
    hub.publish(AlertsRaised(tuple(raise_alerts(empty_db, low))))
    assert sink.seen == []  # low is below the default "high"
    save_alert_settings(empty_db, {"notify_at": "low"}, None)
    again = [rules.engine_failed("ltv", "boom.", s), *low]
    hub.publish(AlertsRaised(tuple(raise_alerts(empty_db, again))))
    assert sink.seen == ["critical"]  # the pathway alert is within its cool-down
    other = rules.pathway_alerts(
        [{"name": "Bo", "annualised": 1000.0, "goal": 100_000.0, "p_cross_12m": 0.0,
          "barber_id": 2}], s, "2026-11")  # fmt: skip
    hub.publish(AlertsRaised(tuple(raise_alerts(empty_db, other))))
    assert sink.seen == ["critical", "low"]
    manager.close()


def test_a_file_refused_in_the_watch_folder_raises_an_alert(
    empty_db: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "scan.csv").write_bytes(b"%PDF-1.4 scanned receipt")
    hub = EventHub()
    raised: list[AlertsRaised] = []
    hub.subscribe(AlertsRaised, raised.append)
    watcher = WatchFolder(empty_db, folder, hub=hub, settle_seconds=0)
    assert watcher.scan() == []  # seen once; taken at the next scan if unchanged
    [report] = watcher.scan()
    assert report.status == "rejected"
    [alert] = list_alerts(empty_db).itertuples()
    assert alert.rule == "import_rejected" and alert.title == "Import rejected: scan.csv"
    assert "PDF document" in alert.message
    assert raised == [AlertsRaised((alert.id,))]


def _tab(qtbot: QtBot, db: Database, user: User | None) -> AlertsTab:
    tab = AlertsTab(db, TaskRunner(), user)
    qtbot.addWidget(tab)
    qtbot.waitUntil(lambda: tab.runner.pending == 0, timeout=10_000)
    return tab


def test_the_history_filters_by_priority_rule_and_words(qtbot: QtBot, empty_db: Database) -> None:
    s = rules.AlertSettings()
    raise_alerts(empty_db, [
        rules.engine_failed("ltv", "boom.", s),
        rules.import_rejected("a.csv", "Row 2, Date: not a date.", s),
        rules.import_rejected("b.csv", "Row 9, Price: not money.", s),
    ])  # fmt: skip
    owner = create_user(empty_db, "Sam", "owner", "2468")
    tab = _tab(qtbot, empty_db, owner)
    assert tab.model.rowCount() == 3 and tab.shown.text() == "3 of 3 shown"
    tab.priority.setCurrentText("Critical")
    assert list(tab.model.frame["title"]) == ["The ltv analysis failed"]
    tab.priority.setCurrentIndex(0)
    tab.rule.setCurrentIndex(tab.rule.findData("import_rejected"))
    assert tab.model.rowCount() == 2
    tab.search.setText("price")
    assert list(tab.model.frame["title"]) == ["Import rejected: b.csv"]
    assert tab.shown.text() == "1 of 3 shown"
    tab.table.selectRow(0)
    tab.acknowledge_selected()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 0, timeout=10_000)
    acked = list_alerts(empty_db).set_index("title")
    assert acked.loc["Import rejected: b.csv", "acknowledged_by"] == owner.user_id
    assert acked["acknowledged_utc"].isna().sum() == 2


def test_times_are_shown_in_the_shops_time_zone(qtbot: QtBot, empty_db: Database) -> None:
    with empty_db.write() as conn:
        conn.execute(text(
            "INSERT INTO locations (name, timezone, currency) VALUES ('Main', 'Asia/Tokyo', 'USD')"
        ))  # fmt: skip
        conn.execute(text(
            "INSERT INTO alerts (rule, priority, title, message, dedup_key, created_utc) "
            "VALUES ('engine_failed', 'critical', 't', 'm', 'k', 1764547200)"
        ))  # 2025-12-01 00:00 UTC  # fmt: skip
    tab = _tab(qtbot, empty_db, None)
    assert list(tab.model.frame["created"]) == ["01 Dec 2025 09:00"]


def test_the_owner_edits_the_rules_and_staff_only_read_them(
    qtbot: QtBot, empty_db: Database
) -> None:
    tab = _tab(qtbot, empty_db, None)
    tab.pages.setCurrentIndex(1)
    page = tab.rules
    assert page is not None and page.editable
    qtbot.waitUntil(lambda: page.fields["no_show_rate_7d"].value() == 10.0, timeout=10_000)
    assert page.fields["cooldown:revenue_below_band"].value() == 20.0
    page.fields["no_show_rate_7d"].setValue(15.0)
    page.fields["cooldown:engine_failed"].setValue(1.5)
    page.notify_at.setCurrentText("critical")
    counts: list[int] = []
    page.save_rules(counts.append)
    qtbot.waitUntil(lambda: counts == [3], timeout=10_000)
    s = alert_settings(empty_db)
    assert s.no_show_rate_7d == 0.15 and s.notify_at == "critical"
    assert s.cooldowns["engine_failed"] == timedelta(hours=1.5)
    staff = _tab(qtbot, empty_db, STAFF)
    staff.pages.setCurrentIndex(1)
    assert staff.rules is not None and not staff.rules.editable
    assert not staff.rules.save.isEnabled()
    assert not staff.rules.fields["no_show_rate_7d"].isEnabled()
    assert "Only the owner" in staff.rules.status.text()
    qtbot.waitUntil(lambda: staff.rules.fields["no_show_rate_7d"].value() == 15.0,
                    timeout=10_000)  # fmt: skip
