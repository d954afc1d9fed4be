"""`run revenue` on the chain demo: time and peak RSS, and the elasticities it recovers.

Run by hand: ``python benchmarks/revenue.py --chain CHAIN.db`` (a copy is used; make
one with ``barberbi demo --size chain``). Prints JSON. Target (issue 5): a full run
on 2,000,000 appointments under 30 s and under 2 GB peak RSS.
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


def _peak_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chain", type=Path, required=True)
    ns = parser.parse_args()
    from barberbi_desktop.demo import catalog
    from barberbi_desktop.jobs.runner import run_engine
    from barberbi_desktop.storage.db import open_database
    from barberbi_desktop.storage.frames import shutdown_reader

    folder = Path(tempfile.mkdtemp(prefix="barberbi-revenue-bench-"))
    db_path = folder / "chain.db"
    shutil.copyfile(ns.chain, db_path)
    db = open_database(db_path, create=False)
    t0 = time.perf_counter()
    outcome = run_engine(db, "revenue", date(2026, 11, 24))
    seconds = time.perf_counter() - t0
    shutdown_reader()
    db.dispose()
    truth = {m.name: m.elasticity for m in catalog.MENU}
    summary = outcome.summary
    print(json.dumps({
        "seconds": round(seconds, 2),
        "peak_rss_mb": _peak_mb(),
        "note": "includes loading the frames (reader process memory not included)",
        "elasticities": {
            e["name"]: {"estimate": e["estimate"], "interval": [e["low"], e["high"]],
                        "source": e["source"], "truth": truth.get(e["name"])}
            for e in summary["elasticities"] if e["source"] == "shop data"
        },
        "roadmap": [(r["rank"], r["kind"], r["title"], round(r["gain_cents"] / 100))
                    for r in summary["roadmap"][:10]],
        "goals": {"seconds": 30, "peak_rss_mb": 2048},
    }, indent=2))  # fmt: skip
    shutil.rmtree(folder)


if __name__ == "__main__":
    sys.exit(main())
