"""Methodology engine on the chain demo; prints one JSON document.

Run by hand: ``python benchmarks/methodology.py [--chain PATH]`` (without --chain the
chain demo is generated first, about 75 s). Goal (issue 6): a full run in under 20 s.
Reports the load, the engine by stage, and a full ``run methodology`` (load, engine,
store) in a fresh process with its peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

AS_OF = date(2026, 11, 24)


def _stages(chain: Path) -> dict[str, object]:
    from barberbi_desktop.engines.data import RunState
    from barberbi_desktop.engines.methodology import MethodologySettings, run
    from barberbi_desktop.storage.db import open_database
    from barberbi_desktop.storage.frames import LEAN, load_shop_data

    db = open_database(chain, create=False)
    t0 = time.perf_counter()
    data = load_shop_data(db, omit=LEAN)  # as the methodology job loads it
    load_s = time.perf_counter() - t0
    db.dispose()
    marks: list[tuple[float, str]] = []
    t0 = time.perf_counter()
    result = run(
        data,
        MethodologySettings(),
        AS_OF,
        RunState(progress=lambda _f, m: marks.append((time.perf_counter(), m))),
    )
    end = time.perf_counter()
    times = [t0] + [t for t, _ in marks] + [end]
    stages: dict[str, float] = {}
    for (t_start, name), t_end in zip(marks, times[2:], strict=True):
        key = (
            "trajectory"
            if name.startswith("Scoring ")
            and name[8:9].isupper()
            and name not in ("Scoring the shop", "Scoring each barber")
            else name
        )
        stages[key] = round(stages.get(key, 0.0) + (t_end - t_start), 2)
    return {
        "load_s": round(load_s, 2),
        "engine_s": round(end - t0, 2),
        "stages": stages,
        "barbers": len(result.barbers),
        "months": len(result.summary()["trajectory"]),
    }


def _full(chain: Path) -> dict[str, object]:
    from barberbi_desktop.jobs.runner import run_engine
    from barberbi_desktop.storage.db import open_database

    work = Path(tempfile.mkdtemp(prefix="barberbi-method-")) / "chain.db"
    shutil.copyfile(chain, work)
    db = open_database(work, create=False)
    t0 = time.perf_counter()
    run_engine(db, "methodology", AS_OF)
    elapsed = time.perf_counter() - t0
    db.dispose()
    shutil.rmtree(work.parent)
    return {
        "seconds": round(elapsed, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chain", type=Path)
    parser.add_argument("--phase", choices=["full"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "full":
        print(json.dumps(_full(args.chain)))
        return
    chain = args.chain
    if chain is None:
        from barberbi_desktop.demo.process import DemoSpec
        from barberbi_desktop.demo.store import create_demo

        chain = Path(tempfile.mkdtemp(prefix="barberbi-chain-")) / "chain.db"
        create_demo(chain, DemoSpec(size="chain", seed=7, end=AS_OF))
    full = subprocess.run(
        [sys.executable, __file__, "--phase", "full", "--chain", str(chain)],
        capture_output=True,
        text=True,
        check=True,
    )
    print(
        json.dumps(
            {
                "benchmark": "methodology",
                "stages": _stages(chain),
                "run_methodology_chain": json.loads(full.stdout),
                "goal_s": 20,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
