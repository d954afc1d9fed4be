"""Undo of a 300,000-row import: how long the undo's transaction takes. Prints JSON.

Run by hand: ``python benchmarks/undo.py [--rows N] [--before N] [--out DIR]``.

A shop of ``--before`` visits is imported first (the undo must leave it as it
was), then ``--rows`` generated visits in the BarberBI template layout
(tests/template_rows.py: invented clients, six barbers, five services) land as
one batch through the ordinary importer, and `undo_last_import` takes them out.
The undo's deletes check every foreign key that points at the rows they remove;
schema 0008 indexed each of those columns. Goal: under 10 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

COUNTED = ("clients", "barbers", "services", "appointments", "sale_items", "locations")


def _counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED}
    finally:
        conn.close()


def _import(db_path: Path, csv: Path) -> dict[str, object]:
    from barberbi_desktop.ingest.importer import Importer
    from barberbi_desktop.storage.db import open_database

    db = open_database(db_path)
    try:
        t0 = time.perf_counter()
        (report,) = Importer(db).import_files([csv])
        seconds = time.perf_counter() - t0
    finally:
        db.dispose()
    assert report.status == "landed", report.reason
    return {"seconds": round(seconds, 2), "inserted": report.inserted, "rows": report.rows_read}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--before", type=int, default=20_000)
    parser.add_argument("--out", type=Path)
    ns = parser.parse_args()

    from barberbi_desktop.ingest.importer import undo_last_import
    from barberbi_desktop.storage.db import open_database
    from tests.template_rows import write_template_rows

    folder = ns.out or Path(tempfile.mkdtemp(prefix="barberbi-undo-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / "undo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    shop_csv = write_template_rows(folder / "shop.csv", ns.before, seed=3)
    batch_csv = write_template_rows(folder / "batch.csv", ns.rows, seed=5, first_id=10_000_000)

    result: dict[str, object] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "sqlite": sqlite3.sqlite_version},
        "shop_import": _import(db_path, shop_csv) if ns.before else None,
    }  # fmt: skip
    before = _counts(db_path)
    result["batch_import"] = _import(db_path, batch_csv)
    result["after_import"] = _counts(db_path)

    db = open_database(db_path, create=False)
    try:
        with db.read() as conn:
            result["schema"] = conn.exec_driver_sql(
                "SELECT version_num FROM alembic_version"
            ).scalar_one()
        t0 = time.perf_counter()
        undone = undo_last_import(db)
        seconds = time.perf_counter() - t0
    finally:
        db.dispose()
    after = _counts(db_path)
    result.update(
        undo={"seconds": round(seconds, 2), **{k: v for k, v in undone.items() if k != "file"}},
        shop_as_before=after == before,
        goal_s=10,
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
