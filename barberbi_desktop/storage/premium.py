"""Which services are premium: priced at or above the owner's threshold.

The threshold is a shop setting (``services.premium_threshold_cents``); the
flag is stored on each service so engines read it without knowing the rule.
A service's price is its list price where a service list gave one, else the
price it is most often sold at; a service with neither keeps its flag, since
an unknown price says nothing about whether it is premium.
Plain SQL on a raw cursor (sqlite3 or psycopg), so an import can mark inside its
own transaction.
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy import text

from barberbi_desktop.storage.pg import is_psycopg, qmark

if TYPE_CHECKING:
    from barberbi_desktop.storage.db import Database

KEY = "services.premium_threshold_cents"
DEFAULT_CENTS = 5000  # $50: above a standard cut, where a deluxe service starts
MAX_CENTS = 1_000_000  # the most one line of a bill may be (parse.MAX_ITEM_CENTS)

# The price a service is most often sold at (ties: the higher price).
_SOLD_AT = (
    "(SELECT i.unit_price_cents FROM sale_items i WHERE i.service_id = services.id "
    "AND i.unit_price_cents IS NOT NULL GROUP BY i.unit_price_cents "
    "ORDER BY count(*) DESC, i.unit_price_cents DESC LIMIT 1)"
)
PRICE = f"coalesce(services.list_price_cents, {_SOLD_AT})"


def threshold(cur: sqlite3.Cursor) -> int:
    """The threshold in cents as saved, else the default."""
    row = cur.execute(qmark(cur, "SELECT value FROM settings WHERE key = ?"), (KEY,)).fetchone()
    if row is None:
        return DEFAULT_CENTS
    value = json.loads(row[0]) if isinstance(row[0], str) else row[0]
    return int(value)


def mark(cur: sqlite3.Cursor, cents: int, where: str = "1 = 1", params: tuple = ()) -> int:
    """Set ``premium`` from the price for the services ``where`` selects (``?``
    placeholders); returns how many flags changed."""
    # SQLite before 3.39 has no IS DISTINCT FROM; PostgreSQL's IS NOT takes no expression.
    differs = "IS DISTINCT FROM" if is_psycopg(cur) else "IS NOT"
    sql = (
        f"UPDATE services SET premium = ({PRICE} >= ?) WHERE ({where}) "
        f"AND {PRICE} IS NOT NULL AND premium {differs} ({PRICE} >= ?)"
    )
    cur.execute(qmark(cur, sql), (cents, *params, cents))
    return int(cur.rowcount)


def load_services(db: Database) -> pd.DataFrame:
    """Services with list price, average price sold, duration and premium flag; ``basis``
    is the price the threshold is compared with (list price, else the price most sold at)."""
    sold = (
        "(SELECT avg(i.unit_price_cents) FROM sale_items i WHERE i.service_id = services.id "
        "AND i.kind = 'service' AND i.unit_price_cents IS NOT NULL)"
    )
    with db.read() as conn:
        rows = conn.execute(
            text(
                f"SELECT services.id, name, category, list_price_cents, {sold}, {PRICE}, "
                "duration_min, premium, active FROM services "
                "ORDER BY active DESC, category, name"
            )
        ).all()
    frame = pd.DataFrame(
        rows,
        columns=["id", "name", "category", "list_price_cents", "sold_cents", "basis_cents",
                 "duration_min", "premium", "active"],
    )  # fmt: skip
    frame["premium"] = frame["premium"].astype(bool)
    frame["active"] = frame["active"].astype(bool)
    return frame
