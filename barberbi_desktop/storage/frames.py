"""SQL to pandas, set-based: one query per table, never an ORM object per row.

Two million appointments must load in seconds, so rows come straight off the
SQLite cursor into column arrays and instants are converted from integer
epoch seconds in one vectorised step.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from barberbi_desktop.engines.data import ShopData
from barberbi_desktop.storage.db import Database

_APPT_COLS = (
    "id AS appointment_id, client_id, barber_id, location_id, service_id, start_utc, "
    "end_utc, booked_at_utc, status, channel, source_platform"
)
_ITEM_COLS = (
    "id AS item_id, appointment_id, client_id, location_id, sold_at_utc, kind, service_id, "
    "name, quantity, unit_price_cents, discount_cents, tax_cents, tip_cents, payment_method"
)
_CATEGORICAL = {"status", "channel", "source_platform", "kind", "payment_method", "category"}
_BOOLEAN = {"active", "premium"}
_DATES = {"hired_on", "occurred_on", "introduced_on"}
_INSTANTS = {
    "start_utc": "start",
    "end_utc": "end",
    "booked_at_utc": "booked_at",
    "sold_at_utc": "sold_at",
    "first_seen_utc": "first_seen",
    "posted_utc": "posted",
}


def _query(engine: Engine, sql: str, params: tuple[Any, ...] = ()) -> pd.DataFrame:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(sql, params)
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
        cur.close()
    finally:
        raw.close()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    frame = pd.DataFrame(
        {name: _column(name, col) for name, col in zip(names, columns, strict=True)}
    )
    return frame.rename(columns=_INSTANTS)


def _column(name: str, values: tuple[Any, ...]) -> pd.Series | np.ndarray:
    if name in _INSTANTS:
        arr = np.array([np.nan if v is None else v for v in values], dtype="float64")
        return pd.to_datetime(arr, unit="s", utc=True)
    if name in _CATEGORICAL:
        return pd.Categorical(values)
    if name in _BOOLEAN:
        return np.array(values, dtype=bool)
    if name in _DATES:
        return pd.to_datetime(pd.Series(values, dtype="object"), format="ISO8601")
    if name.endswith(("_id", "_cents", "_bp")) or name in ("quantity", "rating"):
        try:
            return np.array(values, dtype="int64")
        except (TypeError, ValueError):  # NULLs present: keep them as <NA>, not as 0
            return pd.array(values, dtype="Int64")
    return pd.Series(values, dtype="object") if values else pd.Series([], dtype="object")


def _window(
    start: datetime | None, end: datetime | None, column: str
) -> tuple[str, tuple[Any, ...]]:
    clauses, params = [], []
    if start is not None:
        clauses.append(f"{column} >= ?")
        params.append(int(start.timestamp()))
    if end is not None:
        clauses.append(f"{column} < ?")
        params.append(int(end.timestamp()))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", tuple(params)


def _visit_totals(items: pd.DataFrame) -> pd.DataFrame:
    """Per-appointment sums of its sale items, computed in numpy (cheaper than SQL GROUP BY)."""
    with_appt = items[items["appointment_id"].notna()]
    price = with_appt["unit_price_cents"].astype("Float64")
    line = (price * with_appt["quantity"]).astype("Float64")
    is_service = with_appt["kind"].isin(["service", "package"]).to_numpy()
    frame = pd.DataFrame(
        {
            "appointment_id": with_appt["appointment_id"].astype("int64").to_numpy(),
            "service_cents": np.where(is_service, line.fillna(0).to_numpy(), 0),
            "product_cents": np.where(~is_service, line.fillna(0).to_numpy(), 0),
            "discount_cents": with_appt["discount_cents"].to_numpy(),
            "tax_cents": with_appt["tax_cents"].to_numpy(),
            "tip_cents": with_appt["tip_cents"].to_numpy(),
            "item_count": 1,
            "unknown_price_items": price.isna().to_numpy().astype("int64"),
        }
    )
    sums = frame.groupby("appointment_id", sort=False).sum()
    return sums.astype("int64")


def load_shop_data(
    db: Database | Engine, start: datetime | None = None, end: datetime | None = None
) -> ShopData:
    """Load every table an engine needs, with appointments and sales in [start, end)."""
    engine = db.engine if isinstance(db, Database) else db
    where, params = _window(start, end, "start_utc")
    appts = _query(
        engine, f"SELECT {_APPT_COLS} FROM appointments{where} ORDER BY start_utc", params
    )
    where_items, params_items = _window(start, end, "sold_at_utc")
    items = _query(engine, f"SELECT {_ITEM_COLS} FROM sale_items{where_items}", params_items)
    totals = _visit_totals(items)
    appts = appts.join(totals, on="appointment_id")
    money = ["service_cents", "product_cents", "discount_cents", "tax_cents", "tip_cents"]
    counts = ["item_count", "unknown_price_items"]
    appts[money + counts] = appts[money + counts].fillna(0).astype("int64")
    appts["revenue_cents"] = (
        appts["service_cents"] + appts["product_cents"] - appts["discount_cents"]
    )
    return ShopData(
        appointments=appts,
        sale_items=items,
        clients=_query(
            engine,
            "SELECT id AS client_id, display_name, email, phone, first_seen_utc, referral_source, "
            "home_location_id, merge_target_id FROM clients",
        ),
        barbers=_query(
            engine,
            "SELECT id AS barber_id, location_id, name, pay_model, commission_bp, "
            "weekly_booth_rent_cents, hourly_rate_cents, working_hours, active, hired_on "
            "FROM barbers",
        ).pipe(_decode_json, "working_hours"),
        services=_query(
            engine,
            "SELECT id AS service_id, name, category, list_price_cents, duration_min, premium, "
            "active, introduced_on FROM services",
        ),
        locations=_query(
            engine,
            "SELECT id AS location_id, name, timezone, currency, opening_hours, retail_tax_bp "
            "FROM locations",
        ).pipe(_decode_json, "opening_hours"),
        reviews=_query(
            engine,
            "SELECT id AS review_id, location_id, barber_id, client_id, posted_utc, rating, source "
            "FROM reviews",
        ),
        training_log=_query(
            engine, "SELECT id AS entry_id, barber_id, occurred_on, hours, topic FROM training_log"
        ),
        brand_events=_query(
            engine,
            "SELECT id AS event_id, location_id, occurred_on, kind, description, cost_cents "
            "FROM brand_events",
        ),
        start=start,
        end=end,
    )


def _decode_json(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    import json

    frame[column] = [json.loads(v) if isinstance(v, str) else (v or {}) for v in frame[column]]
    return frame
