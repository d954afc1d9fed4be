"""`run noshow` on the chain demo: full run (weekly replay included), storing, scoring
only, and the app's reads.

Run by hand: ``python benchmarks/noshow.py --chain CHAIN.db [--as-of D]`` (a copy is
used, upgraded if older; make one with ``barberbi demo --size chain``). Prints JSON.
Targets (issue 23): a full run on 2,000,000 appointments under 60 s; scoring new
bookings after an import (the kept model and client histories, no replay or fit, only
the bookings from the cutoff on read) under 2 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chain", type=Path, required=True)
    parser.add_argument("--as-of", type=date.fromisoformat, default=None)
    ns = parser.parse_args()
    from barberbi_desktop.engines import noshow
    from barberbi_desktop.jobs import noshow_job
    from barberbi_desktop.storage.db import open_database
    from barberbi_desktop.storage.frames import LEAN, load_shop_data, shutdown_reader
    from barberbi_desktop.storage.results import latest_run, start_run

    folder = Path(tempfile.mkdtemp(prefix="barberbi-noshow-bench-"))
    db_path = folder / "chain.db"
    shutil.copyfile(ns.chain, db_path)
    db = open_database(db_path, create=False)
    t: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        out = fn()
        t[name] = round(time.perf_counter() - t0, 2)
        return out

    try:
        data = timed("load_frames_s", lambda: load_shop_data(db, omit=LEAN))
        end = data.appointments.loc[data.appointments["status"] == "completed", "start"].max()
        as_of = ns.as_of or end.date()
        result = timed("full_run_s", lambda: noshow.run(data, noshow.NoShowSettings(), as_of))
        run_id = start_run(db, "noshow", as_of)
        summary = timed("store_s", lambda: noshow_job.store(db, run_id, result))
        cutoff = datetime.fromtimestamp(result.scorer.state.cutoff_ns / 1e9, UTC)
        since = cutoff - timedelta(days=1)
        new = timed("load_new_bookings_s", lambda: load_shop_data(db, start=since, omit=LEAN))
        again = timed("scoring_only_s", lambda: noshow.rescore(new, result.scorer, as_of))
        run2 = start_run(db, "noshow", as_of)
        timed("store_scored_s", lambda: noshow_job.store(db, run2, again))
        run = timed("read_run_s", lambda: latest_run(db, "noshow"))
        two_days = timed("read_two_days_s", lambda: noshow_job.upcoming_risks(
            db, run, since=cutoff, until=cutoff + timedelta(days=2)))  # fmt: skip
        some = int(result.clients.index[len(result.clients) // 2])
        timed("read_one_client_s", lambda: noshow_job.client_reliability(db, run, [some]))
        every = timed("read_all_clients_s", lambda: noshow_job.client_reliability(db, run))
        with db.read() as conn:
            json_bytes = conn.exec_driver_sql(
                "SELECT LENGTH(metrics) FROM engine_runs WHERE id = ?", (run.run_id,)
            ).scalar_one()
    finally:
        shutdown_reader()
        db.dispose()
        shutil.rmtree(folder)
    bt = summary["backtest"]
    late_bt = summary["late_cancel"].get("backtest") or {}
    print(json.dumps({
        "appointments": len(data.appointments),
        "as_of": as_of.isoformat(),
        **t,
        "full_run_with_load_s": round(t["load_frames_s"] + t["full_run_s"], 2),
        "new_bookings_read": len(new.appointments),
        "stored_json_kb": round(json_bytes / 1e3, 1),
        "two_days_rows": len(two_days), "clients_rows": len(every),
        "method": summary["method"], "model": summary["model"],
        "backtest": {k: bt.get(k) for k in ("weeks", "bookings", "no_shows", "roc_auc",
                                            "brier")} | {"baselines": bt.get("baselines")},
        "upcoming": len(result.upcoming), "clients": len(result.clients),
        "scored_alike": bool((again.upcoming["risk"] == result.upcoming["risk"]).all()),
        "late_cancel": {k: v for k, v in summary["late_cancel"].items() if k != "backtest"}
        | {"backtest": {k: late_bt.get(k) for k in ("weeks", "bookings", "late_cancels",
                                                   "roc_auc", "brier", "baselines")}},
        "late_scored_alike": bool(np.allclose(again.upcoming["late_cancel_risk"],
                                              result.upcoming["late_cancel_risk"],
                                              equal_nan=True)),
        "goals": {"full_run_s": 60, "scoring_only_s": 2},
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
