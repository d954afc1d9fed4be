"""KPI benchmarks; prints one JSON document.

Run by hand: ``python benchmarks/kpi.py [--chain PATH]``. Goals (issue 7): a KPI refresh
on the chain demo under 1 s; from an import committing to ``results_ready`` for KPIs
under 1 s on the shop demo.

The chain refresh is measured the way the app's KPI helper process runs it: the first
run after start-up loads 200 days in full (reported on its own); later refreshes reuse
the frames or catch them up by import batch (storage/recent.py). The second goal is
measured in-process: a write transaction lands, ``data_changed`` goes out, the
scheduler runs the KPI job, and the time to its ``results_ready`` event is taken.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

AS_OF = date(2026, 11, 20)


_HEADER = (
    "appointment_id,start,end,status,client_id,client_name,client_email,client_phone,"
    "barber,service,category,price,discount,tax,tip,payment_method,channel,booked_at,location"
)


def _small_export(folder: Path, n: int) -> Path:
    """A day's export from one barber: 40 visits (the kind of file a shop imports)."""
    rows = []
    for k in range(40):
        at = datetime(2026, 11, 19, 14, tzinfo=UTC) + timedelta(minutes=10 * k + n)
        rows.append(
            f"B{n}-{k},{at:%Y-%m-%dT%H:%M:%S}Z,{at + timedelta(minutes=30):%Y-%m-%dT%H:%M:%S}Z,"
            f"completed,BC{k},Bench Client {k},,,Bench Barber,Skin Fade,cut,45.00,,,5.00,card,"
            "online,,Bench Street"
        )
    path = folder / f"day-{n}.csv"
    path.write_text("\n".join([_HEADER, *rows]) + "\n")
    return path


def _chain_refresh(chain: Path) -> dict[str, object]:
    """The refresh as the app's KPI helper process runs it: the first run loads the recent
    frames, later runs reuse them, and a run after an import re-reads only its rows."""
    from barberbi_desktop.ingest.importer import Importer
    from barberbi_desktop.jobs.runner import run_engine
    from barberbi_desktop.storage.db import open_database
    from barberbi_desktop.storage.recent import last_load

    work = Path(tempfile.mkdtemp()) / "chain.db"
    shutil.copyfile(chain, work)
    db = open_database(work, create=False)

    def timed() -> tuple[float, str]:
        t0 = time.perf_counter()
        run_engine(db, "kpi", AS_OF)
        return time.perf_counter() - t0, last_load().how

    first, how = timed()
    unchanged = [timed() for _ in range(3)]
    importer = Importer(db, now=datetime(2026, 11, 20, 12, tzinfo=UTC))
    after_import = []
    for n in range(3):
        importer.import_files([_small_export(work.parent, n)])
        after_import.append(timed())
    db.dispose()
    shutil.rmtree(work.parent)
    return {
        "first_run_s": round(first, 2),
        "first_run_load": how,
        "unchanged_data_s": [round(t, 2) for t, _ in unchanged],
        "after_a_40_visit_import_s": [round(t, 2) for t, _ in after_import],
        "loads": sorted({h for _, h in unchanged + after_import}),
        "median_refresh_s": round(statistics.median([t for t, _ in unchanged + after_import]), 2),
    }


def _shop_import_to_results() -> dict[str, object]:
    from barberbi_desktop.demo.process import DemoSpec
    from barberbi_desktop.demo.store import create_demo
    from barberbi_desktop.events import DataChanged, EventHub, ResultsReady
    from barberbi_desktop.jobs.scheduler import ShopScheduler
    from barberbi_desktop.storage.db import open_database

    path = Path(tempfile.mkdtemp()) / "shop.db"
    create_demo(path, DemoSpec(size="shop", seed=7, end=date(2026, 11, 24)))
    db = open_database(path, create=False)
    hub = EventHub()
    done = threading.Event()
    hub.subscribe(ResultsReady, lambda e: done.set() if e.engine == "kpi" else None)
    scheduler = ShopScheduler(db, hub, kpi_every_s=3600, debounce_s=3600)
    scheduler.start()
    latencies = []
    try:
        for i in range(5):
            done.clear()
            with db.write() as conn:
                conn.execute(
                    text(
                        "INSERT INTO brand_events (location_id, occurred_on, kind, description) "
                        "VALUES (1, '2026-11-20', 'bench', :d)"
                    ),
                    {"d": str(i)},
                )
            t0 = time.perf_counter()  # the import has committed
            hub.publish(DataChanged("import"))
            done.wait(30)
            latencies.append(time.perf_counter() - t0)
            time.sleep(0.5)
    finally:
        scheduler.shutdown()
        db.dispose()
        shutil.rmtree(path.parent)
    return {
        "latencies_s": [round(t, 3) for t in latencies],
        "median_s": round(statistics.median(latencies), 3),
        "note": "the first includes starting the frame reader process",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chain", type=Path)
    args = parser.parse_args()
    chain = args.chain
    if chain is None:
        from barberbi_desktop.demo.process import DemoSpec
        from barberbi_desktop.demo.store import create_demo

        chain = Path(tempfile.mkdtemp()) / "chain.db"
        create_demo(chain, DemoSpec(size="chain", seed=7, end=date(2026, 11, 24)))
    print(
        json.dumps(
            {
                "benchmark": "kpi",
                "chain_refresh": _chain_refresh(chain),
                "shop_import_to_results_ready": _shop_import_to_results(),
                "goals_s": {"chain_refresh": 1.0, "import_to_results_ready": 1.0},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
