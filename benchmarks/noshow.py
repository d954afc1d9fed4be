"""`run noshow` on the chain demo: full run (weekly replay included) and scoring only.

Run by hand: ``python benchmarks/noshow.py --chain CHAIN.db [--as-of D]`` (a copy is
used; make one with ``barberbi demo --size chain``). Prints JSON. Targets (issue 23):
a full run on 2,000,000 appointments under 60 s; scoring new bookings after an import
(the kept model, no replay or fit) under 2 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chain", type=Path, required=True)
    parser.add_argument("--as-of", type=date.fromisoformat, default=None)
    ns = parser.parse_args()
    from barberbi_desktop.engines import noshow
    from barberbi_desktop.jobs import noshow_job
    from barberbi_desktop.storage.db import open_database
    from barberbi_desktop.storage.frames import LEAN, load_shop_data, shutdown_reader
    from barberbi_desktop.storage.results import start_run

    folder = Path(tempfile.mkdtemp(prefix="barberbi-noshow-bench-"))
    db_path = folder / "chain.db"
    shutil.copyfile(ns.chain, db_path)
    db = open_database(db_path, create=False)
    try:
        t0 = time.perf_counter()
        data = load_shop_data(db, omit=LEAN)
        load_s = time.perf_counter() - t0
        end = data.appointments.loc[data.appointments["status"] == "completed", "start"].max()
        as_of = ns.as_of or end.date()
        t0 = time.perf_counter()
        result = noshow.run(data, noshow.NoShowSettings(), as_of)
        run_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        summary = noshow_job.store(db, start_run(db, "noshow", as_of), result)
        store_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = noshow.rescore(data, result.scorer, as_of)
        rescore_s = time.perf_counter() - t0
    finally:
        shutdown_reader()
        db.dispose()
        shutil.rmtree(folder)
    bt = summary["backtest"]
    print(json.dumps({
        "appointments": len(data.appointments),
        "as_of": as_of.isoformat(),
        "load_frames_s": round(load_s, 2),
        "full_run_s": round(run_s, 2),
        "full_run_with_load_s": round(load_s + run_s, 2),
        "store_s": round(store_s, 2),
        "scoring_only_s": round(rescore_s, 2),
        "stored_json_mb": round(len(json.dumps(summary)) / 1e6, 1),
        "method": summary["method"], "model": summary["model"],
        "backtest": {k: bt.get(k) for k in ("weeks", "bookings", "no_shows", "roc_auc",
                                            "brier")} | {"baselines": bt.get("baselines")},
        "upcoming": len(result.upcoming), "clients": len(result.clients),
        "scored_alike": bool((again.upcoming["risk"] == result.upcoming["risk"]).all()),
        "goals": {"full_run_s": 60, "scoring_only_s": 2},
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
