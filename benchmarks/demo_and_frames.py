"""Chain demo generation and `load_shop_data` over the whole chain: time and peak RSS.

Run by hand: ``python benchmarks/demo_and_frames.py [--out DIR] [--seed N] [--postgresql]``.
Prints one JSON document. Targets (issue 2): generation under 120 s; loading
under 10 s and under 2 GB peak RSS on a 2-core machine. With ``--postgresql``
the chain is also copied into a local server (a throwaway cluster, as the tests
start one; or ``--pg-url``) and loaded from there: target under 15 s (issue 22).

Each phase runs in a fresh subprocess so that its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def _phase_generate(db: Path, seed: int) -> dict[str, object]:
    from barberbi_desktop.demo.process import DemoSpec
    from barberbi_desktop.demo.simulate import simulate
    from barberbi_desktop.demo.write import write_demo
    from barberbi_desktop.storage.db import open_database

    spec = DemoSpec(size="chain", seed=seed, end=date(2026, 11, 24))
    t0 = time.perf_counter()
    shop = simulate(spec)
    t1 = time.perf_counter()
    database = open_database(db)
    write_demo(database, shop)
    database.dispose()
    t2 = time.perf_counter()
    return {
        "simulate_s": round(t1 - t0, 2),
        "write_s": round(t2 - t1, 2),
        "total_s": round(t2 - t0, 2),
        "appointments": len(shop.appointments),
        "sale_items": len(shop.sale_items),
        "clients": len(shop.clients),
        "barbers": len(shop.barbers),
        "locations": len(shop.locations),
        "db_mb": round(db.stat().st_size / 2**20, 1),
    }


def _phase_copy(db: Path, url: str) -> dict[str, object]:
    from barberbi_desktop.storage.copy import copy_shop
    from barberbi_desktop.storage.db import open_database

    source, target = open_database(db, create=False), open_database(url)
    t0 = time.perf_counter()
    counts = copy_shop(source, target)
    elapsed = time.perf_counter() - t0
    source.dispose()
    target.dispose()
    return {"copy_s": round(elapsed, 2), "appointments": counts["appointments"]}


def _phase_load(db: str) -> dict[str, object]:
    from barberbi_desktop.storage.db import open_database
    from barberbi_desktop.storage.frames import load_shop_data, shutdown_reader

    database = open_database(db, create=False)
    t0 = time.perf_counter()
    data = load_shop_data(database)
    elapsed = time.perf_counter() - t0
    t0 = time.perf_counter()
    load_shop_data(database)  # again, with the reader process already running
    warm = time.perf_counter() - t0
    database.dispose()
    shutdown_reader()
    return {
        "load_s": round(elapsed, 2),
        "load_warm_s": round(warm, 2),
        "reader_process_peak_rss_mb": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
        ),
        "appointments": len(data.appointments),
        "sale_items": len(data.sale_items),
        "frames_mb": round(
            sum(
                f.memory_usage(deep=True).sum()
                for f in (data.appointments, data.sale_items, data.clients)
            )
            / 2**20,
            1,
        ),
    }


def _run_phase(args: list[str]) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=True
    )
    result = json.loads(proc.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=None, help="keep the chain database here")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgresql", action="store_true", help="also load from a server")
    parser.add_argument("--pg-url", help="a superuser URL (default: start a throwaway cluster)")
    parser.add_argument("--reuse", action="store_true", help="keep an existing chain.db")
    parser.add_argument("--phase", choices=["generate", "load", "copy"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        if args.phase == "generate":
            result = _phase_generate(Path(args.db), args.seed)
        elif args.phase == "copy":
            result = _phase_copy(Path(args.db), args.url)
        else:
            result = _phase_load(args.db)
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        result["peak_rss_mb"] = round(peak_kb / 1024, 1)
        print(json.dumps(result))
        return
    folder = args.out or Path(tempfile.mkdtemp(prefix="barberbi-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "chain.db"
    generate: dict[str, object] = {"reused": str(db)}
    if not (args.reuse and db.exists()):
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        generate = _run_phase(["--phase", "generate", "--db", str(db), "--seed", str(args.seed)])
    load = _run_phase(["--phase", "load", "--db", str(db)])
    report: dict[str, object] = {
        "benchmark": "demo_and_frames",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_start": os.getloadavg()[0],
        },
        "generate_chain": generate,
        "load_shop_data": load,
        "targets": {"generate_s": 120, "load_s": 10, "load_peak_rss_mb": 2048, "pg_load_s": 15},
        "database": str(db),
    }
    if args.postgresql:
        report["postgresql"] = _postgresql(db, args.pg_url)
    print(json.dumps(report, indent=2))


def _postgresql(db: Path, pg_url: str | None) -> dict[str, object]:
    """Copy the chain into a fresh database on a local server and load it from there."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.pg_server import PgServer, start_cluster

    server = PgServer(pg_url.rsplit("/", 1)[0], False) if pg_url else start_cluster()
    name = server.new_name("barberbi_bench")
    try:
        url = server.create_database(name)
        copy = _run_phase(["--phase", "copy", "--db", str(db), "--url", url])
        load = _run_phase(["--phase", "load", "--db", url])
        return {"server": "local", "copy": copy, "load_shop_data": load}
    finally:
        server.drop_database(name)
        server.stop()


if __name__ == "__main__":
    main()
