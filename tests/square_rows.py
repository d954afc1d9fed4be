"""Invented Square "Items" exports (Reports > Item Sales > Export), for tests that need many.

The header and the way values are written (US dates, seconds in the time, ``$`` amounts
with a minus before the sign for discounts, one row per item sold) follow
tests/data/imports/square_items.csv. People are made up from counters and short name lists.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

# The header line as Square writes it.
_HEADER_LINE = (
    "Date,Time,Time Zone,Category,Item,Qty,Price Point Name,SKU,Modifiers Applied,Gross Sales,"
    "Discounts,Net Sales,Tax,Transaction ID,Payment ID,Device Name,Notes,Details,Event Type,"
    "Location,Dining Option,Customer ID,Customer Name,Customer Reference ID,Itemization Type,"
    "Employee,Channel,Card Brand,PAN Suffix"
)
HEADER = _HEADER_LINE.split(",")
FIRST = ["Ann", "Bob", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun"]
LAST = ["Lee", "Stone", "Marsh", "Okafor", "Novak", "Reyes", "Quinn", "Sato"]
STAFF = ["Marco Diaz", "Dee Jones", "Tomasz Wrona"]
# (category, item, itemization type, gross cents, tax cents)
ITEMS = [
    ("Haircuts", "Skin Fade", "Service", 4500, 360),
    ("Beard", "Beard Trim", "Service", 2500, 0),
    ("Haircuts", "Kids Cut", "Service", 3000, 240),
    ("Retail", "Pomade", "Physical Item", 1500, 80),
]


@dataclass
class Totals:
    """What the rows hold, in cents, as the shop would add it up from the file."""

    visits: int = 0
    lines: int = 0
    gross: int = 0
    discounts: int = 0
    tax: int = 0


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) / 100:,.2f}"


def square_item_rows(first: int, last: int) -> list[list[str]]:
    """The rows of transactions T``first``..T``last``: every third has a product too, every
    fifth a $5.00 discount on its service. A transaction's rows are the same in every file."""
    rows = []
    for n in range(first, last + 1):
        day = date(2026, 1, 1) + timedelta(days=n % 300)
        when = (day.strftime("%m/%d/%Y"), f"{9 + n % 9:02d}:{n % 60:02d}:{(n * 7) % 60:02d}")
        client = n % 700
        who = (f"CUST{client}", f"{FIRST[client % 10]} {LAST[client % 8]}")
        sold = [ITEMS[n % 3]] + ([ITEMS[3]] if n % 3 == 0 else [])
        for i, (category, item, itype, gross, tax) in enumerate(sold):
            discount = -500 if i == 0 and n % 5 == 0 else 0
            rows.append([
                *when, "Eastern Time (US & Canada)", category, item, "1", "Regular",
                "POM-1" if itype == "Physical Item" else "", "", _money(gross),
                _money(discount), _money(gross + discount), _money(tax), f"T{n}", f"P{n}",
                "iPad", "", "", "Payment", "Main St", "", *who, "", itype,
                STAFF[n % len(STAFF)], "Point of Sale", "Visa", f"{4000 + n % 1000}",
            ])  # fmt: skip
    return rows


def write_square_items(path: Path, first: int, last: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        out.writerows(square_item_rows(first, last))
    return path


def totals(rows: list[list[str]]) -> Totals:
    """Add up rows read back from files (duplicates across files counted once)."""
    cents = lambda text: round(float(text.replace("$", "").replace(",", "")) * 100)  # noqa: E731
    col = {name: i for i, name in enumerate(HEADER)}
    unique = {tuple(r) for r in rows}
    out = Totals(visits=len({r[col["Transaction ID"]] for r in unique}), lines=len(unique))
    for r in unique:
        out.gross += cents(r[col["Gross Sales"]])
        out.discounts -= cents(r[col["Discounts"]])
        out.tax += cents(r[col["Tax"]])
    return out
