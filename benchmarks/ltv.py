"""LTV engine benchmarks; prints one JSON document.

Run by hand: ``pip install -e ".[bench]"`` (adds lifetimes for the comparison), then
``python benchmarks/ltv.py [--chain PATH]``. Without ``--chain`` the chain demo is
generated first (about 75 s). Measures, against issue 4's goals:

- BG/NBD fit on the chain's ~200,000 clients: our fit vs lifetimes' BetaGeoFitter on
  the same (frequency, recency, T), time and parameter agreement (goal: 5x faster,
  parameters within 0.5%);
- a full ``run ltv`` on the chain (load, fit, back-test, store), in a fresh process:
  time and peak RSS (goal: under 30 s and 2 GB);
- the shop demo's back-test: ensemble MAE against the naive baseline (goal: at least
  30% lower; reported whatever it is).
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
import warnings
from datetime import date
from pathlib import Path

AS_OF = date(2026, 11, 24)


def _make_chain(folder: Path) -> Path:
    from barberbi_desktop.demo.process import DemoSpec
    from barberbi_desktop.demo.store import create_demo

    path = folder / "chain.db"
    create_demo(path, DemoSpec(size="chain", seed=7, end=AS_OF))
    return path


def _fit_comparison(chain: Path) -> dict[str, object]:
    import pandas as pd

    from barberbi_desktop.engines.btyd import BetaGeoModel
    from barberbi_desktop.engines.features import completed_days, prepare_visits, rfm
    from barberbi_desktop.storage.db import open_database
    from barberbi_desktop.storage.frames import load_shop_data

    db = open_database(chain, create=False)
    cutoff = pd.Timestamp(AS_OF)
    summary = rfm(completed_days(prepare_visits(load_shop_data(db)), cutoff), cutoff)
    db.dispose()
    args = (summary["frequency"], summary["recency"], summary["T"])
    ours, t0 = BetaGeoModel(), time.perf_counter()
    ours.fit(*args)
    ours_s = time.perf_counter() - t0
    result: dict[str, object] = {
        "clients": len(summary),
        "ours_s": round(ours_s, 3),
        "ours": {k: getattr(ours, k) for k in ("r", "alpha", "a", "b")},
    }
    try:
        from lifetimes import BetaGeoFitter
    except ImportError:
        result["lifetimes"] = "not installed (pip install -e '.[bench]')"
        return result
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, t0 = BetaGeoFitter(), time.perf_counter()
        theirs.fit(*args)
        theirs_s = time.perf_counter() - t0
    params = theirs.params_.to_dict()
    result.update(
        {
            "lifetimes_s": round(theirs_s, 3),
            "lifetimes": params,
            "speedup": round(theirs_s / ours_s, 1),
            "max_param_rel_diff": max(abs(getattr(ours, k) / params[k] - 1) for k in params),
        }
    )
    return result


def _full_run(chain: Path) -> dict[str, object]:
    """``run ltv`` on a copy of the chain in this (fresh) process."""
    from barberbi_desktop.jobs.runner import run_engine
    from barberbi_desktop.storage.db import open_database

    work = Path(tempfile.mkdtemp(prefix="barberbi-ltv-")) / "chain.db"
    shutil.copyfile(chain, work)
    db = open_database(work, create=False)
    t0 = time.perf_counter()
    outcome = run_engine(db, "ltv", AS_OF)
    elapsed = time.perf_counter() - t0
    db.dispose()
    shutil.rmtree(work.parent)
    return {
        "seconds": round(elapsed, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "clients": outcome.summary["clients"],
        "segments": outcome.summary["segments"],
    }


def _shop_backtest() -> dict[str, object]:
    from barberbi_desktop.demo.process import DemoSpec
    from barberbi_desktop.demo.store import create_demo
    from barberbi_desktop.engines.ltv import LtvSettings, run
    from barberbi_desktop.storage.db import open_database
    from barberbi_desktop.storage.frames import load_shop_data

    path = Path(tempfile.mkdtemp(prefix="barberbi-shop-")) / "shop.db"
    create_demo(path, DemoSpec(size="shop", seed=7, end=AS_OF))
    db = open_database(path, create=False)
    result = run(load_shop_data(db), LtvSettings(), AS_OF)
    db.dispose()
    shutil.rmtree(path.parent)
    bt = result.backtest
    return {
        "holdout": [bt["holdout_start"], bt["holdout_end"]],
        "mae": {k: round(v["mae"], 2) for k, v in bt["spend"].items()},
        "spearman": {k: round(v["spearman"], 3) for k, v in bt["spend"].items()},
        "ensemble_mae_vs_baseline": round(bt["ensemble_mae_vs_baseline"], 3),
        "churn_auc": {k: round(v["roc_auc"], 3) for k, v in bt["churn"].items()},
        "weights": result.weights,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chain", type=Path, help="an existing chain demo database")
    parser.add_argument("--phase", choices=["full"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "full":
        print(json.dumps(_full_run(args.chain)))
        return
    chain = args.chain or _make_chain(Path(tempfile.mkdtemp(prefix="barberbi-chain-")))
    full = subprocess.run(
        [sys.executable, __file__, "--phase", "full", "--chain", str(chain)],
        capture_output=True,
        text=True,
        check=True,
    )
    print(
        json.dumps(
            {
                "benchmark": "ltv",
                "bgnbd_fit_vs_lifetimes": _fit_comparison(chain),
                "run_ltv_chain": json.loads(full.stdout),
                "shop_backtest": _shop_backtest(),
                "goals": {
                    "speedup": 5,
                    "param_rel_diff": 0.005,
                    "run_s": 30,
                    "run_peak_rss_mb": 2048,
                    "ensemble_mae_vs_baseline": -0.30,
                },
            },
            indent=2,
            default=float,
        )
    )


if __name__ == "__main__":
    main()
