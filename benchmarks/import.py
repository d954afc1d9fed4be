"""Import of a 1,000,000-row template CSV from the chain demo: time, peak RSS, raw-rate ratio.

Run by hand: ``python benchmarks/import.py --chain CHAIN.db [--rows N] [--out DIR]``
(make the chain with ``barberbi demo --size chain --db CHAIN.db``). Prints JSON.

Targets (issue 3): first import under 60 s with peak RSS under 1 GB on 2 cores;
at least 0.3 of the rows per second of a raw ``sqlite3.executemany`` of the same
canonical rows into the same tables; a re-import (all unchanged) in under half
the first import's time. Each phase runs in its own subprocess so that its
peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXPORT_SQL = """
SELECT a.id AS appointment_id, a.start_utc, a.end_utc, a.status, a.client_id,
       c.display_name AS client_name, c.email AS client_email, c.phone AS client_phone,
       b.name AS barber, s.name AS service, s.category, a.booked_at_utc, a.cancelled_at_utc,
       a.channel,
       l.name AS location, l.timezone,
       (SELECT sum(unit_price_cents * quantity) FROM sale_items i WHERE i.appointment_id = a.id)
         AS price,
       (SELECT sum(discount_cents) FROM sale_items i WHERE i.appointment_id = a.id) AS discount,
       (SELECT sum(tax_cents) FROM sale_items i WHERE i.appointment_id = a.id) AS tax,
       (SELECT sum(tip_cents) FROM sale_items i WHERE i.appointment_id = a.id) AS tip,
       (SELECT max(payment_method) FROM sale_items i WHERE i.appointment_id = a.id)
         AS payment_method
FROM appointments a
JOIN locations l ON l.id = a.location_id
LEFT JOIN clients c ON c.id = a.client_id
LEFT JOIN barbers b ON b.id = a.barber_id
LEFT JOIN services s ON s.id = a.service_id
WHERE a.id <= ?
ORDER BY a.id
"""


def _local(frame, column: str):
    import pandas as pd

    out = pd.Series("", index=frame.index, dtype=object)
    for zone, idx in frame.groupby("timezone").groups.items():
        secs = frame.loc[idx, column]
        stamps = pd.to_datetime(secs, unit="s", utc=True).dt.tz_convert(zone)
        out.loc[idx] = stamps.dt.strftime("%Y-%m-%d %H:%M").where(secs.notna(), "")
    return out


def export_template(chain: Path, rows: int, out: Path) -> dict[str, object]:
    """Write the chain's first ``rows`` appointments in the BarberBI template layout."""
    import pandas as pd

    from barberbi_desktop.ingest.template import COLUMNS

    t0 = time.perf_counter()
    conn = sqlite3.connect(f"{chain.absolute().as_uri()}?mode=ro", uri=True)
    frame = pd.read_sql_query(EXPORT_SQL, conn, params=(rows,))
    conn.close()
    frame["start"] = _local(frame, "start_utc")
    frame["end"] = _local(frame, "end_utc")
    frame["booked_at"] = _local(frame, "booked_at_utc")
    frame["cancelled_at"] = _local(frame, "cancelled_at_utc")
    for col in ("price", "discount", "tax", "tip"):
        cents = frame[col]
        frame[col] = (cents / 100).map("{:.2f}".format).where(cents.notna(), "")
    frame["channel"] = frame["channel"].str.replace("_", "-")
    frame["client_id"] = "C" + frame["client_id"].astype(str)
    frame[COLUMNS].to_csv(out, index=False)
    return {"rows": len(frame), "bytes": out.stat().st_size,
            "seconds": round(time.perf_counter() - t0, 1)}  # fmt: skip


def _peak_mb() -> float:
    """Peak RSS of this process since exec (VmHWM; ru_maxrss would include the parent's)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def phase_import(db: Path, csv: Path) -> dict[str, object]:
    from barberbi_desktop.ingest.importer import Importer
    from barberbi_desktop.storage.db import open_database

    database = open_database(db)
    t0 = time.perf_counter()
    (report,) = Importer(database).import_files([csv])
    seconds = time.perf_counter() - t0
    database.dispose()
    assert report.status == "landed", report.reason
    return {
        "seconds": round(seconds, 2),
        "rows_per_s": round(report.rows_read / seconds),
        "peak_rss_mb": _peak_mb(),
        # The parse helper process (used for big files) has its own peak; report both.
        "helper_peak_rss_mb": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
        ),
        "rows_read": report.rows_read,
        "inserted": report.inserted,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
    }


def phase_raw(db: Path, reference: Path) -> dict[str, object]:
    """The same canonical rows the import wrote, re-inserted with bare ``executemany``."""
    from barberbi_desktop.storage.db import open_database

    open_database(db).dispose()  # same schema, indexes and pragmas
    src = sqlite3.connect(f"{reference.absolute().as_uri()}?mode=ro", uri=True)
    tables = [
        "import_batches", "locations", "barbers", "services", "clients", "appointments",
        "sale_items",
    ]  # fmt: skip
    data = {t: src.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in tables}
    src.close()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    t0 = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    for t in tables:
        if data[t]:
            marks = ", ".join("?" for _ in data[t][0])
            conn.executemany(f"INSERT INTO {t} VALUES ({marks})", data[t])
    conn.execute("COMMIT")
    seconds = time.perf_counter() - t0
    conn.close()
    rows = len(data["appointments"])
    return {"seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
            "rows": {t: len(v) for t, v in data.items()}}  # fmt: skip


def _child(phase: str, *args: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", phase, *args],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chain", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--phase")
    parser.add_argument("args", nargs="*")
    ns = parser.parse_args()
    if ns.phase:
        if ns.phase == "export":
            chain, rows, out = ns.args
            print(json.dumps(export_template(Path(chain), int(rows), Path(out))))
            return
        fn = {"import": phase_import, "raw": phase_raw}[ns.phase]
        print(json.dumps(fn(*map(Path, ns.args))))
        return
    if ns.chain is None:
        parser.error("--chain CHAIN.db is required (make one with barberbi demo --size chain)")
    folder = ns.out or Path(tempfile.mkdtemp(prefix="barberbi-import-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    csv = folder / "template-1m.csv"
    db = folder / "import.db"
    raw = folder / "raw.db"
    for p in (db, raw):
        for suffix in ("", "-wal", "-shm"):
            Path(str(p) + suffix).unlink(missing_ok=True)
    result: dict[str, object] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "export": _child("export", str(ns.chain), str(ns.rows), str(csv)),
    }
    first = _child("import", str(db), str(csv))
    again = _child("import", str(db), str(csv))
    baseline = _child("raw", str(raw), str(db))
    result.update(
        first_import=first,
        reimport=again,
        raw_executemany=baseline,
        ratio_to_raw=round(first["rows_per_s"] / baseline["rows_per_s"], 3),
        reimport_share_of_first=round(again["seconds"] / first["seconds"], 3),
        goals={
            "first_import_s": 60, "peak_rss_mb": 1024, "ratio_to_raw_min": 0.3,
            "reimport_share_max": 0.5,
        },
    )  # fmt: skip
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
