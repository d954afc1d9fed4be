"""The KPI's recent-frames cache returns exactly what a full load returns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from barberbi_desktop.engines import kpi
from barberbi_desktop.engines.data import ShopData
from barberbi_desktop.ingest.importer import Importer, undo_last_import
from barberbi_desktop.storage.db import Database, open_database
from barberbi_desktop.storage.frames import load_shop_data
from barberbi_desktop.storage.recent import RecentFrames

HEADER = (
    "appointment_id,start,end,status,client_id,client_name,client_email,client_phone,"
    "barber,service,category,price,discount,tax,tip,payment_method,channel,booked_at,location"
)
START = datetime(2026, 5, 1, tzinfo=UTC)


def _export(folder: Path, name: str, price: str, first: int, count: int) -> Path:
    at0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    rows = []
    for n in range(first, first + count):
        at = at0 + timedelta(minutes=n)
        rows.append(
            f"R{n},{at:%Y-%m-%dT%H:%M:%S}Z,{at + timedelta(minutes=30):%Y-%m-%dT%H:%M:%S}Z,"
            f"completed,RC{n % 7},Recent Client {n % 7},,,Recent Barber,Skin Fade,cut,"
            f"{price},,,5.00,card,online,,Recent Street"
        )
    path = folder / name
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def _same(cached: ShopData, full: ShopData) -> None:
    """Equal frames; visits and sale lines also in the same row order as a full load."""
    for name in ("appointments", "sale_items"):
        pd.testing.assert_frame_equal(
            getattr(cached, name), getattr(full, name), check_categorical=False, obj=name
        )
    for name, key in (("clients", "client_id"), ("barbers", "barber_id")):
        a = getattr(cached, name).sort_values(key, ignore_index=True)
        b = getattr(full, name).sort_values(key, ignore_index=True)
        pd.testing.assert_frame_equal(a, b, check_categorical=False, obj=name)


def test_cache_catches_up_by_batch_and_matches_a_full_load(shop: Database, tmp_path: Path) -> None:
    recent = RecentFrames()
    importer = Importer(shop, now=datetime(2026, 11, 24, 12, tzinfo=UTC))
    base = recent.load(shop, START)
    assert recent.last.how == "full"
    at_55 = int((base.appointments["service_cents"] == 5500).sum())
    recent.load(shop, START)
    assert recent.last.how == "cached"

    (report,) = importer.import_files([_export(tmp_path, "a.csv", "45.00", 0, 30)])
    assert report.inserted == 30
    caught_up = recent.load(shop, START)
    assert (recent.last.how, recent.last.rows) == ("delta", 30)
    _same(caught_up, load_shop_data(shop, start=START))

    # An update of rows already cached (a new price), plus new rows, in one batch.
    (report,) = importer.import_files([_export(tmp_path, "b.csv", "55.00", 20, 20)])
    assert (report.updated, report.inserted) == (10, 10)
    caught_up = recent.load(shop, START)
    assert (recent.last.how, recent.last.rows) == ("delta", 20)
    _same(caught_up, load_shop_data(shop, start=START))
    assert (caught_up.appointments["service_cents"] == 5500).sum() == at_55 + 20

    # KPIs from the caught-up frames equal KPIs from a fresh load.
    as_of = datetime(2026, 11, 23).date()
    from_cache = kpi.run(caught_up, kpi.KpiSettings(), as_of).values
    from_full = kpi.run(load_shop_data(shop, start=START), kpi.KpiSettings(), as_of).values
    pd.testing.assert_frame_equal(from_cache, from_full)

    # An undo is not a batch's version: the cache cannot catch up and loads in full.
    undo_last_import(shop)
    after_undo = recent.load(shop, START)
    assert recent.last.how == "full"
    _same(after_undo, load_shop_data(shop, start=START))
    assert (after_undo.appointments["service_cents"] == 5500).sum() == at_55


def test_an_earlier_window_or_another_file_loads_in_full(
    shop: Database, demo_db_file: Path
) -> None:
    recent = RecentFrames()
    recent.load(shop, START)
    later = recent.load(shop, START + timedelta(days=30))
    assert recent.last.how == "cached"
    assert later.appointments["start"].min() >= pd.Timestamp(START + timedelta(days=30))
    recent.load(shop, START - timedelta(days=1))
    assert recent.last.how == "full"
    other = open_database(demo_db_file, create=False)
    try:
        recent.load(other, START)
        assert recent.last.how == "full"
    finally:
        other.dispose()
