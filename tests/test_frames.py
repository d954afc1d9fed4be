"""`load_shop_data` returns exactly what was stored: cents, instants, zones, statuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import text

from barberbi_desktop.storage import models as m
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.frames import load_shop_data
from barberbi_desktop.storage.pg import sync_sequences

LONDON = ZoneInfo("Europe/London")
T0 = datetime(2026, 3, 29, 9, 30, tzinfo=LONDON)  # the morning the clocks went forward


@pytest.fixture
def tiny(empty_db: Database) -> Database:
    with empty_db.session() as s:
        s.add(
            m.Location(
                id=1,
                name="Soho",
                timezone="Europe/London",
                currency="GBP",
                opening_hours={"5": [540, 1020]},
                retail_tax_bp=2000,
            )
        )
        s.flush()
        s.add(
            m.Barber(
                id=1,
                location_id=1,
                name="Ola",
                pay_model="commission",
                commission_bp=5000,
                working_hours={"5": [540, 1020]},
                natural_key="b1",
            )
        )
        s.add(
            m.Client(
                id=1,
                display_name="Tom",
                email=None,
                phone="+447700900123",
                first_seen_utc=T0,
                natural_key="c1",
            )
        )
        s.add(
            m.Service(
                id=1,
                name="Fade",
                category="cut",
                list_price_cents=3000,
                duration_min=45,
                premium=False,
                natural_key="s1",
            )
        )
        s.flush()
        for i, status in enumerate(["completed", "no_show", "booked"], start=1):
            s.add(
                m.Appointment(
                    id=i,
                    client_id=1,
                    barber_id=1,
                    location_id=1,
                    service_id=1,
                    start_utc=T0 + timedelta(days=7 * (i - 1)),
                    end_utc=T0 + timedelta(days=7 * (i - 1), minutes=45),
                    status=status,
                    booked_at_utc=None,
                    channel="phone",
                    source_platform="square",
                    natural_key=f"a{i}",
                )
            )
        s.flush()
        s.add(
            m.SaleItem(
                id=1,
                appointment_id=1,
                client_id=1,
                location_id=1,
                sold_at_utc=T0,
                kind="service",
                service_id=1,
                name="Fade",
                quantity=1,
                unit_price_cents=3000,
                discount_cents=300,
                tax_cents=0,
                tip_cents=500,
                payment_method="card",
                natural_key="i1",
            )
        )
        s.add(
            m.SaleItem(
                id=2,
                appointment_id=1,
                client_id=1,
                location_id=1,
                sold_at_utc=T0,
                kind="product",
                service_id=None,
                name="Clay",
                quantity=2,
                unit_price_cents=1250,
                discount_cents=0,
                tax_cents=500,
                tip_cents=0,
                payment_method="card",
                natural_key="i2",
            )
        )
        s.add(
            m.SaleItem(
                id=3,
                appointment_id=1,
                client_id=1,
                location_id=1,
                sold_at_utc=T0,
                kind="product",
                service_id=None,
                name="Comb",
                quantity=1,
                unit_price_cents=None,
                discount_cents=0,
                tax_cents=0,
                tip_cents=0,
                payment_method=None,
                natural_key="i3",
            )
        )
    if empty_db.is_postgres:  # the explicit ids above do not move PostgreSQL's sequences
        with empty_db.write() as conn:
            sync_sequences(conn)
    return empty_db


def test_values_come_back_exactly(tiny: Database) -> None:
    data = load_shop_data(tiny)
    a = data.appointments.set_index("appointment_id")
    assert list(a.index) == [1, 2, 3]
    assert a.loc[1, "start"] == pd.Timestamp(T0).tz_convert("UTC")
    assert str(a["start"].dt.tz) == "UTC"
    assert a.loc[1, "start"].tz_convert("Europe/London").hour == 9
    assert list(a["status"]) == ["completed", "no_show", "booked"]
    assert pd.isna(a.loc[1, "booked_at"])
    # 3000 service + 2 x 1250 clay; the comb's unknown price is counted, not zeroed
    assert a.loc[1, "service_cents"] == 3000
    assert a.loc[1, "product_cents"] == 2500
    assert a.loc[1, "discount_cents"] == 300
    assert a.loc[1, "revenue_cents"] == 5200
    assert a.loc[1, "tip_cents"] == 500 and a.loc[1, "tax_cents"] == 500
    assert a.loc[1, "unknown_price_items"] == 1 and a.loc[1, "item_count"] == 3
    assert a.loc[2, "revenue_cents"] == 0 and a.loc[2, "item_count"] == 0
    items = data.sale_items.set_index("item_id")
    assert pd.isna(items.loc[3, "unit_price_cents"]) and items.loc[2, "unit_price_cents"] == 1250
    assert str(items["unit_price_cents"].dtype) == "Int64"
    assert pd.isna(items.loc[2, "service_id"]) and items.loc[1, "service_id"] == 1
    loc = data.locations.iloc[0]
    assert (loc["timezone"], loc["currency"], loc["retail_tax_bp"]) == (
        "Europe/London",
        "GBP",
        2000,
    )
    assert loc["opening_hours"] == {"5": [540, 1020]}
    barber = data.barbers.iloc[0]
    assert barber["commission_bp"] == 5000 and pd.isna(barber["weekly_booth_rent_cents"])
    assert barber["working_hours"] == {"5": [540, 1020]} and bool(barber["active"])
    client = data.clients.iloc[0]
    assert client["phone"] == "+447700900123" and client["email"] is None
    assert data.local_start().iloc[0] == pd.Timestamp("2026-03-29 09:30")


def test_the_window_cuts_appointments_and_sales(tiny: Database) -> None:
    start = datetime(2026, 4, 1, tzinfo=UTC)
    data = load_shop_data(tiny, start=start)
    assert list(data.appointments["appointment_id"]) == [2, 3]
    assert data.sale_items.empty and (data.appointments["revenue_cents"] == 0).all()
    end = datetime(2026, 4, 1, tzinfo=UTC)
    assert list(load_shop_data(tiny, end=end).appointments["appointment_id"]) == [1]


def test_a_long_run_of_unknowns_before_the_first_value_keeps_types(tiny: Database) -> None:
    """SQLite is dynamically typed; a reader that guesses types from early rows would break."""
    with tiny.write() as conn:
        conn.execute(
            text(
                "WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 3000) "
                "INSERT INTO sale_items (location_id, sold_at_utc, kind, name, quantity, "
                "unit_price_cents, payment_method, natural_key) "
                "SELECT 1, :t, 'product', 'Gift', 1, NULL, NULL, 'g' || v FROM n"
            ),
            {"t": int(T0.timestamp())},
        )
        conn.execute(
            text(
                "INSERT INTO sale_items (location_id, sold_at_utc, kind, name, quantity, "
                "unit_price_cents, payment_method, natural_key) "
                "VALUES (1, :t, 'product', 'Oil', 1, 1999, 'cash', 'last')"
            ),
            {"t": int(T0.timestamp()) + 10},
        )
    items = load_shop_data(tiny).sale_items
    assert len(items) == 3 + 3000 + 1
    last = items[items["name"] == "Oil"].iloc[0]
    assert last["unit_price_cents"] == 1999 and last["payment_method"] == "cash"
    assert items["unit_price_cents"].isna().sum() == 3001


def test_demo_frames_match_sql_totals(demo_db: Database) -> None:
    data = load_shop_data(demo_db)
    with demo_db.read() as conn:
        n, first, last = conn.execute(
            text("SELECT COUNT(*), MIN(start_utc), MAX(start_utc) FROM appointments")
        ).one()
        by_status = dict(
            conn.execute(text("SELECT status, COUNT(*) FROM appointments GROUP BY status")).all()
        )
        cents = conn.execute(
            text("SELECT SUM(unit_price_cents * quantity), SUM(tip_cents) FROM sale_items")
        ).one()
    a = data.appointments
    assert len(a) == n
    assert a["start"].min().timestamp() == first and a["start"].max().timestamp() == last
    assert a["status"].value_counts().to_dict() == by_status
    assert (a["service_cents"] + a["product_cents"]).sum() == cents[0]
    assert a["tip_cents"].sum() == cents[1]
    assert a["start"].is_monotonic_increasing
