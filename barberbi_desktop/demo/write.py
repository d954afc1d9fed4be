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
from barberbi_desktop.storage.db import Database

SOURCE = "demo"


def _epoch(series: pd.Series) -> np.ndarray:
    values = series.to_numpy(dtype="datetime64[ns]", na_value=np.datetime64("NaT"))
    out = values.astype("int64") // 1_000_000_000
    return np.where(np.isnat(values), -1, out)


def _py(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


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
            arrays.append([_py(v) for v in s.tolist()])
    return zip(*arrays, strict=True)


def _insert(cur: Any, table: str, frame: pd.DataFrame, columns: dict[str, str]) -> None:
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    cur.executemany(
        f"INSERT INTO {table} ({names}) VALUES ({marks})", _rows(frame, list(columns.values()))
    )


def write_demo(db: Database, shop: DemoShop) -> None:
    """Insert the shop into an empty database (refusing one that already holds data)."""
    with db.write() as conn:
        raw = conn.connection.driver_connection
        cur = raw.cursor()
        if cur.execute("SELECT EXISTS (SELECT 1 FROM appointments)").fetchone()[0]:
            raise InputError(
                f"{db.path or db.url} already holds appointments; "
                "a demo shop needs an empty database."
            )
        a = shop.appointments.assign(
            natural_key=lambda f: "demo:appt:" + f["appointment_id"].astype(str),
            source_platform=SOURCE,
            source_id=lambda f: f["appointment_id"].astype(str),
            service_id=lambda f: f["service"] + 1,
            status_raw=lambda f: f["status"],
        )
        items = shop.sale_items.assign(
            natural_key=lambda f: "demo:item:" + f["item_id"].astype(str),
            client_id=shop.appointments.set_index("appointment_id")["client_id"]
            .reindex(shop.sale_items["appointment_id"])
            .to_numpy(),
            service_id=lambda f: f["service_id"].astype("Int64"),
        )
        _insert(
            cur,
            "locations",
            shop.locations,
            {
                "id": "location_id",
                "name": "name",
                "timezone": "timezone",
                "currency": "currency",
                "opening_hours": "opening_hours",
                "retail_tax_bp": "retail_tax_bp",
            },
        )
        _insert(
            cur,
            "services",
            shop.services.assign(
                natural_key=lambda f: "demo:service:" + f["name"], active=True, introduced_on=None
            ),
            {
                "id": "service_id",
                "name": "name",
                "category": "category",
                "list_price_cents": "list_price_cents",
                "duration_min": "duration_min",
                "premium": "premium",
                "active": "active",
                "natural_key": "natural_key",
            },
        )
        _insert(
            cur,
            "barbers",
            shop.barbers.assign(
                natural_key=lambda f: "demo:barber:" + f["barber_id"].astype(str),
                active=True,
                external_ids="{}",
            ),
            {
                "id": "barber_id",
                "location_id": "location_id",
                "name": "name",
                "pay_model": "pay_model",
                "commission_bp": "commission_bp",
                "weekly_booth_rent_cents": "weekly_booth_rent_cents",
                "hourly_rate_cents": "hourly_rate_cents",
                "working_hours": "working_hours",
                "active": "active",
                "hired_on": "hired_on",
                "external_ids": "external_ids",
                "natural_key": "natural_key",
            },
        )
        _insert(
            cur,
            "clients",
            shop.clients.assign(
                natural_key=lambda f: "demo:client:" + f["client_id"].astype(str),
                external_ids=lambda f: [json.dumps({SOURCE: str(i)}) for i in f["client_id"]],
            ),
            {
                "id": "client_id",
                "display_name": "display_name",
                "email": "email",
                "phone": "phone",
                "first_seen_utc": "first_seen",
                "referral_source": "referral_source",
                "home_location_id": "location_id",
                "external_ids": "external_ids",
                "natural_key": "natural_key",
            },
        )
        _insert(
            cur,
            "appointments",
            a,
            {
                "id": "appointment_id",
                "client_id": "client_id",
                "barber_id": "barber_id",
                "location_id": "location_id",
                "service_id": "service_id",
                "start_utc": "start",
                "end_utc": "end",
                "status": "status",
                "status_raw": "status_raw",
                "booked_at_utc": "booked_at",
                "channel": "channel",
                "source_platform": "source_platform",
                "source_id": "source_id",
                "natural_key": "natural_key",
            },
        )
        _insert(
            cur,
            "sale_items",
            items,
            {
                "id": "item_id",
                "appointment_id": "appointment_id",
                "client_id": "client_id",
                "location_id": "location_id",
                "sold_at_utc": "sold_at",
                "kind": "kind",
                "service_id": "service_id",
                "name": "name",
                "quantity": "quantity",
                "unit_price_cents": "unit_price_cents",
                "discount_cents": "discount_cents",
                "tax_cents": "tax_cents",
                "tip_cents": "tip_cents",
                "payment_method": "payment_method",
                "natural_key": "natural_key",
            },
        )
        client_ids = shop.clients.set_index(["loc", "local_client"])["client_id"]
        reviews = shop.reviews.assign(
            client_id=client_ids.reindex(
                pd.MultiIndex.from_arrays([shop.reviews["loc"], shop.reviews["client"]])
            ).to_numpy(),
            natural_key=lambda f: (
                "demo:review:" + pd.Series(range(len(f)), index=f.index).astype(str)
            ),
        )
        _insert(
            cur,
            "reviews",
            reviews,
            {
                "location_id": "location_id",
                "barber_id": "barber_id",
                "client_id": "client_id",
                "posted_utc": "posted",
                "rating": "rating",
                "source": "source",
                "natural_key": "natural_key",
            },
        )
        _insert(
            cur,
            "training_log",
            shop.training_log,
            {
                "barber_id": "barber_id",
                "occurred_on": "occurred_on",
                "hours": "hours",
                "topic": "topic",
            },
        )
        _insert(
            cur,
            "brand_events",
            shop.brand_events,
            {
                "location_id": "location_id",
                "occurred_on": "occurred_on",
                "kind": "kind",
                "description": "description",
                "cost_cents": "cost_cents",
            },
        )
        cur.executemany(
            "INSERT INTO ground_truth (key, value) VALUES (?, ?)",
            [(k, json.dumps(v)) for k, v in shop.truth.items()],
        )
        cur.execute("UPDATE shop_state SET data_version = data_version + 1")
        cur.close()
