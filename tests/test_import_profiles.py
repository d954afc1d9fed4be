"""Each platform's export, written by hand in that platform's layout, imports exactly.

Expected counts and totals are worked out from the fixture files by hand
(tests/data/imports), in cents.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from barberbi_desktop.storage.db import Database
from tests.import_helpers import one, query, run_import, totals


def test_template(db: Database) -> None:
    r = one(db, "template_week1.csv")
    assert (r.platform, r.confidence, r.status) == ("barberbi", 1.0, "landed")
    assert (r.rows_read, r.inserted, r.updated, r.unchanged, r.rejected) == (4, 4, 0, 0, 0)
    assert totals(db) == {
        "statuses": {"completed": 2, "no_show": 1, "booked": 1},
        "items": 2, "price": 4500 + 2500, "discount": 500, "tax": 360, "tip": 800 + 400,
        "clients": 3,
    }  # fmt: skip
    # 10:00 in New York on 2 November (after the clocks went back) is 15:00 UTC.
    assert query(db, "SELECT start_utc, end_utc FROM appointments WHERE source_id = 'A1'") == [
        (int(datetime.fromisoformat("2026-11-02T15:00:00+00:00").timestamp()),
         int(datetime.fromisoformat("2026-11-02T15:45:00+00:00").timestamp()))
    ]  # fmt: skip
    assert query(db, "SELECT name, timezone FROM locations") == [("Main", "America/New_York")]
    assert query(db, "SELECT phone FROM clients WHERE display_name = 'Cy Park'") == [
        ("+15559876543",)
    ]
    assert query(db, "SELECT status_raw FROM appointments WHERE source_id = 'A3'") == [
        ("no-show",)
    ]


def test_square_transactions_joined_to_items(db: Database) -> None:
    tx, items = run_import(db, "square_transactions.csv", "square_items.csv")
    assert (tx.status, items.status) == ("landed", "landed")
    assert (tx.platform, items.platform) == ("square_transactions", "square_items")
    assert (tx.rows_read, tx.rejected, items.rows_read) == (4, 0, 4)
    # The refund of T1001 is in the payments file only: it lands as an adjustment of that sale.
    assert totals(db) == {
        "statuses": {"completed": 3},
        # Five sold and refunded lines, and the payments file's tips for two visits on lines
        # of their own (an item file read again alone must not take them off).
        "items": 7, "price": 4500 + 4500 + 1500 + 2500 - 4500, "discount": 500,
        "tax": 360 + 360 + 80 - 360, "tip": 800 + 1000, "clients": 2,
    }  # fmt: skip
    assert query(db, "SELECT DISTINCT name FROM locations") == [("Main St",)]
    assert query(db, "SELECT kind FROM sale_items WHERE name = 'Pomade'") == [("product",)]
    assert query(db, "SELECT COUNT(*) FROM appointments WHERE client_id IS NULL") == [(1,)]
    assert query(
        db, "SELECT a.source_id, i.unit_price_cents FROM sale_items i JOIN appointments a "
        "ON a.id = i.appointment_id WHERE i.kind = 'adjustment' AND i.unit_price_cents != 0"
    ) == [("T1001", -4500)]
    assert tx.money == items.money
    assert tx.money is not None
    assert (tx.money["sales_cents"], tx.money["adjustments_cents"], tx.money["net_cents"]) == (
        13000, -4500, 13000 - 4500 - 500
    )  # fmt: skip
    assert (tx.money["tax_cents"], tx.money["tips_cents"], tx.lines) == (440, 1800, 7)


def test_square_transactions_alone(db: Database) -> None:
    r = one(db, "square_transactions.csv")
    # Every row lands; the refund row is a line of a visit the same file creates.
    assert (r.rows_read, r.inserted, r.updated, r.rejected) == (4, 4, 0, 0)
    t = totals(db)
    assert (t["items"], t["price"], t["discount"], t["tax"], t["tip"]) == (
        4, 4500 + 6000 + 2500 - 4500, 500, 360 + 440 - 360, 1800
    )  # fmt: skip
    assert query(db, "SELECT payment_method, unit_price_cents FROM sale_items ORDER BY 2") == [
        ("card", -4500), ("cash", 2500), ("card", 4500), ("card", 6000)
    ]  # fmt: skip
    # The visit keeps the sale's date, not the refund's.
    assert query(db, "SELECT start_utc FROM appointments WHERE source_id = 'T1001'") == [
        (int(pd.Timestamp("2026-11-15 10:18:15", tz="America/New_York").timestamp()),)
    ]


def test_square_customers_then_transactions_match_by_id(db: Database) -> None:
    r = one(db, "square_customers.csv")
    assert (r.platform, r.inserted) == ("square_customers", 3)
    assert query(db, "SELECT email, phone FROM clients ORDER BY display_name") == [
        ("ann@example.com", "+15551234567"),
        ("bob@example.com", "+15552223344"),
        (None, None),
    ]
    one(db, "square_transactions.csv")
    assert totals(db)["clients"] == 3  # CUST1 and CUST2 are the same people


def test_acuity(db: Database) -> None:
    r = one(db, "acuity.csv")
    assert (r.platform, r.rows_read, r.inserted) == ("acuity", 3, 3)
    assert totals(db) == {
        "statuses": {"completed": 2, "cancelled": 1}, "items": 2, "price": 7000,
        "discount": 0, "tax": 0, "tip": 0, "clients": 3,
    }  # fmt: skip
    # "November 2, 2026 5:00 pm" in New York.
    assert query(db, "SELECT start_utc FROM appointments WHERE source_id = '880001'") == [
        (int(datetime.fromisoformat("2026-11-02T22:00:00+00:00").timestamp()),)
    ]
    assert query(db, "SELECT phone FROM clients WHERE email = 'ann@example.com'") == [
        ("+15551234567",)
    ]


def test_fresha(db: Database) -> None:
    r = one(db, "fresha.csv")
    assert (r.platform, r.rows_read, r.inserted) == ("fresha", 5, 5)
    assert totals(db) == {
        "statuses": {"completed": 2, "no_show": 1, "cancelled": 1, "confirmed": 1},
        "items": 2, "price": 4500 + 103550, "discount": 0, "tax": 0, "tip": 0,
        "clients": 3,
    }  # fmt: skip
    start, end = query(db, "SELECT start_utc, end_utc FROM appointments WHERE source_id='#1201'")[0]
    assert end - start == 45 * 60
    # 1h 30min slot
    start, end = query(db, "SELECT start_utc, end_utc FROM appointments WHERE source_id='#1203'")[0]
    assert end - start == 90 * 60


def test_setmore_series_ids_and_past_confirmed(db: Database) -> None:
    r = one(db, "setmore.csv")
    assert (r.platform, r.rows_read, r.inserted) == ("setmore", 3, 3)
    assert totals(db) == {
        "statuses": {"completed": 2, "cancelled": 1}, "items": 2, "price": 9000,
        "discount": 0, "tax": 0, "tip": 0, "clients": 2,
    }  # fmt: skip
    assert query(db, "SELECT phone FROM clients WHERE display_name = 'Raj Patel'") == [
        ("+447700900123",)
    ]


def test_booksy_polish_semicolons_title_and_total_rows(db: Database) -> None:
    r = one(db, "booksy.csv")
    assert (r.platform, r.rows_read, r.inserted) == ("booksy", 4, 4)
    assert totals(db) == {
        "statuses": {"completed": 2, "no_show": 1, "cancelled": 1}, "items": 2,
        "price": 8000 + 108000, "discount": 0, "tax": 0, "tip": 0, "clients": 3,
    }  # fmt: skip
    # A nameless client with the phone number in the name cell.
    assert query(db, "SELECT display_name, phone FROM clients WHERE phone LIKE '+48%'") == [
        ("+48600700800", "+48600700800")
    ]


def test_calendly_time_zones_cancel_and_no_show(db: Database) -> None:
    r = one(db, "calendly.csv")
    assert (r.platform, r.rows_read, r.inserted) == ("calendly", 3, 3)
    assert totals(db)["statuses"] == {"completed": 1, "cancelled": 1, "no_show": 1}
    # Gus is in Chicago: 09:00 CST is 15:00 UTC.
    assert query(db, "SELECT start_utc FROM appointments WHERE source_id = 'INV2'") == [
        (int(datetime.fromisoformat("2026-11-03T15:00:00+00:00").timestamp()),)
    ]


def test_glossgenius_payments_joined_to_line_items(db: Database) -> None:
    pay, lines = run_import(db, "glossgenius_payments.csv", "glossgenius_items.csv")
    assert (pay.status, lines.status) == ("landed", "landed")
    assert totals(db) == {
        "statuses": {"completed": 3, "cancelled": 1}, "items": 4,
        "price": 4500 + 1200 + 2500 + 1800, "discount": 400, "tax": 440, "tip": 900 + 500,
        "clients": 2,
    }  # fmt: skip
    # "11-13-26, 7:57 PM" is evening, not morning.
    assert query(db, "SELECT start_utc FROM appointments WHERE source_id = 'ch_01'") == [
        (int(datetime.fromisoformat("2026-11-14T00:57:00+00:00").timestamp()),)
    ]


def test_vagaro_xlsx_with_title_rows_totals_and_excel_dates(db: Database, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Transaction List"])
    ws.append(["Date range: 11/01/2026 - 11/30/2026"])
    ws.append([])
    ws.append(["Checkout Date", "Transaction ID", "Appointment Date", "Customer",
               "Service/Product/GC/Package/Membership/Class", "Transaction Type", "Sold By",
               "Source", "Qty", "Price", "Tax", "Tip", "Disc", "Amt Paid"])  # fmt: skip
    checkout = datetime(2026, 11, 5, 10, 50)
    ws.append([checkout, "V1", datetime(2026, 11, 5, 10, 0), "Ann Lee", "Skin Fade", "Service",
               "Marco", "Online", 1, "$45.00", "$3.60", "$8.00", "($5.00)", "$51.60"])
    ws.append([checkout, "V1", datetime(2026, 11, 5, 10, 0), "Ann Lee", "Pomade", "Product",
               "Marco", "Online", 2, "$15.00", "$2.40", "$0.00", "$0.00", "$32.40"])
    ws.append([datetime(2026, 11, 6, 15, 0), "V2", "11/06/2026 02:30 PM", "Bob Stone",
               "Beard Trim", "Service", "Dee", "Walk-In", 1, "$25.00", "$0.00", "$5.00",
               "$0.00", "$30.00"])
    ws.append(["Total", None, None, None, None, None, None, None, 4, "$85.00", "$6.00",
               "$13.00", "($5.00)", "$114.00"])
    path = tmp_path / "Transaction List.xlsx"
    wb.save(path)
    r = one(db, path)
    assert (r.platform, r.rows_read, r.status) == ("vagaro", 3, "landed")
    assert totals(db) == {
        "statuses": {"completed": 2}, "items": 3, "price": 4500 + 2 * 1500 + 2500,
        "discount": 500, "tax": 600, "tip": 1300, "clients": 2,
    }  # fmt: skip
    assert query(db, "SELECT channel FROM appointments ORDER BY id") == [("online",), ("walk_in",)]
