"""Write a simulated shop into a database in one transaction.

Rows go through the DBAPI's ``executemany`` (millions of rows; ORM objects would
cost minutes), inside the database's single-writer transaction, so a demo is
either all there or not there at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from barberbi_desktop.demo.simulate import DemoShop
from barberbi_desktop.errors import InputError
from barberbi_desktop.storage.bulk import deferred_indexes
from barberbi_desktop.storage.db import Database

SOURCE = "demo"


def _epoch(series: pd.Series) -> np.ndarray:
    values = series.to_numpy(dtype="datetime64[ns]", na_value=np.datetime64("NaT"))
    out = values.astype("int64") // 1_000_000_000
    return np.where(np.isnat(values), -1, out)


def _objects(s: pd.Series) -> list[Any]:
    """Text, JSON and date columns as SQLite values, NULL for missing."""
    values = s.astype(object).where(s.notna(), None).tolist()
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, dict | list):
        return [None if v is None else json.dumps(v) for v in values]
    if isinstance(sample, date | datetime):
        return [None if v is None else v.isoformat() for v in values]
    return values


def _keys(prefix: str, ids: pd.Series) -> pd.Series:
    """Zero-padded keys sort like their ids, so the unique index is appended to, not shuffled."""
    return prefix + ids.astype(str).str.zfill(9)


def _rows(frame: pd.DataFrame, columns: Sequence[str]) -> Iterable[tuple[Any, ...]]:
    """Row tuples with instants as epoch seconds and NaN/NaT as NULL."""
    arrays = []
    for col in columns:
        s = frame[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            secs = _epoch(s)
            arrays.append([None if v < 0 else int(v) for v in secs])
        elif s.dtype.kind in "iu" and s.hasnans:
            arrays.append([None if pd.isna(v) else int(v) for v in s.tolist()])
        elif s.dtype.kind in "iu":
            arrays.append(s.astype("int64").tolist())
        elif s.dtype.kind == "b":
            arrays.append([int(v) for v in s.tolist()])
        elif s.dtype.kind == "f":
            arrays.append([None if np.isnan(v) else float(v) for v in s.to_numpy()])
        else:
            arrays.append(_objects(s))
    return zip(*arrays, strict=True)


def _insert(cur: Any, table: str, frame: pd.DataFrame, spec: str) -> None:
    """Insert ``frame`` into ``table``; ``spec`` names ``db_col`` or ``db_col=frame_col`` pairs."""
    pairs = [item.partition("=") for item in spec.split()]
    names = [db_col for db_col, _, _ in pairs]
    sources = [frame_col or db_col for db_col, _, frame_col in pairs]
    marks = ", ".join("?" for _ in names)
    cur.executemany(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", _rows(frame, sources)
    )


def _visits(shop: DemoShop) -> tuple[pd.DataFrame, pd.DataFrame]:
    appts = shop.appointments.assign(
        natural_key=lambda f: _keys("demo:appt:", f["appointment_id"]),
        source_platform=SOURCE,
        source_id=lambda f: f["appointment_id"].astype(str),
        service_id=lambda f: f["service"] + 1,
        status_raw=lambda f: f["status"],
    )
    items = shop.sale_items.assign(
        natural_key=lambda f: _keys("demo:item:", f["item_id"]),
        client_id=shop.appointments.set_index("appointment_id")["client_id"]
        .reindex(shop.sale_items["appointment_id"])
        .to_numpy(),
        service_id=lambda f: f["service_id"].astype("Int64"),
    )
    return appts, items


def write_demo(db: Database, shop: DemoShop) -> None:
    """Insert the shop into an empty database (refusing one that already holds data)."""
    appts, items = _visits(shop)
    clients = shop.clients.assign(
        natural_key=lambda f: _keys("demo:client:", f["client_id"]),
        external_ids=lambda f: [json.dumps({SOURCE: str(i)}) for i in f["client_id"]],
    )
    client_ids = shop.clients.set_index(["loc", "local_client"])["client_id"]
    reviews = shop.reviews.assign(
        client_id=client_ids.reindex(
            pd.MultiIndex.from_arrays([shop.reviews["loc"], shop.reviews["client"]])
        ).to_numpy(),
        natural_key=lambda f: _keys("demo:review:", pd.Series(range(len(f)), index=f.index)),
    )
    with db.write() as conn:
        cur = conn.connection.driver_connection.cursor()
        if cur.execute("SELECT EXISTS (SELECT 1 FROM appointments)").fetchone()[0]:
            raise InputError(
                f"{db.path or db.url} already holds appointments; "
                "a demo shop needs an empty database."
            )
        _insert(
            cur,
            "locations",
            shop.locations,
            "id=location_id name timezone currency opening_hours retail_tax_bp",
        )
        _insert(
            cur,
            "services",
            shop.services.assign(natural_key="demo:service:" + shop.services["name"]),
            "id=service_id name category list_price_cents duration_min premium natural_key",
        )
        _insert(
            cur,
            "barbers",
            shop.barbers.assign(natural_key=_keys("demo:barber:", shop.barbers["barber_id"])),
            "id=barber_id location_id name pay_model commission_bp weekly_booth_rent_cents "
            "hourly_rate_cents working_hours hired_on natural_key",
        )
        with deferred_indexes(cur, ("appointments", "sale_items", "clients")):
            _insert(
                cur,
                "clients",
                clients,
                "id=client_id display_name email phone first_seen_utc=first_seen "
                "referral_source home_location_id=location_id external_ids natural_key",
            )
            _insert(
                cur,
                "appointments",
                appts,
                "id=appointment_id client_id barber_id location_id service_id "
                "start_utc=start end_utc=end status status_raw booked_at_utc=booked_at "
                "cancelled_at_utc=cancelled_at "
                "channel source_platform source_id natural_key",
            )
            _insert(
                cur,
                "sale_items",
                items,
                "id=item_id appointment_id client_id location_id sold_at_utc=sold_at kind "
                "service_id name quantity unit_price_cents discount_cents tax_cents "
                "tip_cents payment_method natural_key",
            )
        _insert(
            cur,
            "reviews",
            reviews,
            "location_id barber_id client_id posted_utc=posted rating source natural_key",
        )
        _insert(cur, "training_log", shop.training_log, "barber_id occurred_on hours topic")
        _insert(
            cur,
            "brand_events",
            shop.brand_events,
            "location_id occurred_on kind description cost_cents",
        )
        cur.executemany(
            "INSERT INTO ground_truth (key, value) VALUES (?, ?)",
            [(k, json.dumps(v)) for k, v in shop.truth.items()],
        )
        cur.execute("UPDATE shop_state SET data_version = data_version + 1")
        cur.close()
