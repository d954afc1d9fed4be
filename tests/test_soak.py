"""Soak: writes land every few seconds while the KPI job runs every second and a reader
reads like the UI; no "database is locked", no lost rows.

Until booking-export imports exist (issue 3), each landing is what an import will do:
one write transaction of appointments and sale items, then a data_changed event.
Marked slow: kept out of the default run, run by CI (`pytest -m slow`). Its length is
BARBERBI_SOAK_SECONDS (default 300).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from barberbi_desktop.events import DataChanged, EventHub, ResultsReady
from barberbi_desktop.jobs.scheduler import ShopScheduler
from barberbi_desktop.storage.db import open_database
from barberbi_desktop.storage.summary import shop_summary

SECONDS = float(os.environ.get("BARBERBI_SOAK_SECONDS", "300"))


@pytest.mark.slow
def test_soak_writes_kpis_and_reads_together(demo_db_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "soak.db"
    shutil.copyfile(demo_db_file, path)
    db = open_database(path, create=False)
    hub = EventHub()
    kpi_results: list[int] = []
    hub.subscribe(
        ResultsReady, lambda e: kpi_results.append(e.run_id) if e.engine == "kpi" else None
    )
    scheduler = ShopScheduler(db, hub, kpi_every_s=1, debounce_s=10**6)
    errors: list[BaseException] = []
    landed = {"appointments": 0, "items": 0, "batches": 0}
    stop = threading.Event()
    with db.read() as conn:
        before = conn.execute(text("SELECT COUNT(*) FROM appointments")).scalar_one()
        before_items = conn.execute(text("SELECT COUNT(*) FROM sale_items")).scalar_one()

    def writer() -> None:
        start = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
        n = 0
        try:
            while not stop.is_set():
                with db.write() as conn:
                    for _ in range(20):
                        n += 1
                        at = int((start + timedelta(minutes=n)).timestamp())
                        appt = conn.execute(
                            text(
                                "INSERT INTO appointments (client_id, barber_id, location_id, "
                                "start_utc, end_utc, status, source_platform, natural_key) VALUES "
                                "(1, 1, 1, :s, :e, 'completed', 'soak', :k) RETURNING id"
                            ),
                            {"s": at, "e": at + 1800, "k": f"soak:{n}"},
                        ).scalar_one()
                        conn.execute(
                            text(
                                "INSERT INTO sale_items (appointment_id, client_id, location_id, "
                                "sold_at_utc, kind, name, quantity, unit_price_cents, natural_key) "
                                "VALUES (:a, 1, 1, :s, 'service', 'Skin Fade', 1, 4500, :k)"
                            ),
                            {"a": appt, "s": at, "k": f"soak:item:{n}"},
                        )
                    conn.execute(text("UPDATE shop_state SET data_version = data_version + 1"))
                landed["appointments"] += 20
                landed["items"] += 20
                landed["batches"] += 1
                hub.publish(DataChanged("soak import"))
                stop.wait(3.0)
        except BaseException as exc:
            errors.append(exc)

    def reader() -> None:
        try:
            while not stop.is_set():
                shop_summary(db)
                with db.read() as conn:
                    conn.execute(text("SELECT * FROM kpi_values ORDER BY id DESC LIMIT 200")).all()
                    conn.execute(text("SELECT * FROM alerts ORDER BY id DESC LIMIT 50")).all()
                stop.wait(0.2)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    scheduler.start()
    for t in threads:
        t.start()
    try:
        time.sleep(SECONDS)
    finally:
        stop.set()
        for t in threads:
            t.join()
        scheduler.shutdown()
    with db.read() as conn:
        after = conn.execute(text("SELECT COUNT(*) FROM appointments")).scalar_one()
        after_items = conn.execute(text("SELECT COUNT(*) FROM sale_items")).scalar_one()
        failed = conn.execute(
            text(
                "SELECT COUNT(*), GROUP_CONCAT(error, ' | ') FROM engine_runs "
                "WHERE status = 'failed'"
            )
        ).one()
    db.dispose()
    assert errors == []
    assert failed[0] == 0, failed[1]
    assert "locked" not in str(failed[1])
    assert (
        after - before == landed["appointments"] and after_items - before_items == landed["items"]
    )
    assert landed["batches"] >= SECONDS / 4
    assert len(kpi_results) >= SECONDS / 4  # KPIs kept refreshing throughout
