"""Soak: writes land every few seconds while the KPI job runs every second and a reader
reads like the UI; no "database is locked", no lost rows.

Each landing is a real import of a template export (20 new visits plus the previous
file's 20 again, as overlapping weekly exports do), which publishes data_changed.
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

from barberbi_desktop.events import EventHub, ResultsReady
from barberbi_desktop.ingest.importer import Importer
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

    header = (
        "appointment_id,start,end,status,client_id,client_name,client_email,client_phone,"
        "barber,service,category,price,discount,tax,tip,payment_method,channel,booked_at,location"
    )
    importer = Importer(db, hub=hub, now=datetime(2026, 11, 24, 12, tzinfo=UTC))

    def writer() -> None:
        """A real import every few seconds: 20 new visits plus the previous file's 20 again."""
        start = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
        n = 0
        previous: list[str] = []
        try:
            while not stop.is_set():
                rows = []
                for _ in range(20):
                    n += 1
                    at = start + timedelta(minutes=n)
                    end = at + timedelta(minutes=30)
                    rows.append(
                        f"S{n},{at:%Y-%m-%dT%H:%M:%S}Z,{end:%Y-%m-%dT%H:%M:%S}Z,completed,"
                        f"SC{n % 50},Soak Client {n % 50},,,Soak Barber,Skin Fade,cut,"
                        "45.00,,,5.00,card,online,,Soak Street"
                    )
                export = tmp_path / f"export-{n}.csv"
                export.write_text("\n".join([header, *previous, *rows]) + "\n")
                (report,) = importer.import_files([export])
                assert report.status == "landed", report.reason
                assert (report.inserted, report.unchanged) == (20, len(previous))
                previous = rows
                landed["appointments"] += 20
                landed["items"] += 20
                landed["batches"] += 1
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
