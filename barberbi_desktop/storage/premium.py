"""The premium price threshold: at or above it a service counts as premium.

No export says which services are premium, so the Six Figure premium metrics
read nothing on a real shop until the owner names a price. Saving the
threshold re-marks every service from its list price, or, for a service a
booking export created (no list price), from the average price it sold at;
a service whose price is unknown is not marked premium.

Stand-in: the `lists` branch adds `premium_threshold_cents` and
`save_premium_threshold` to storage/shop_config.py with the same names and
signatures; the Settings page imports them from here until the two are
reconciled.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import text

from barberbi_desktop.errors import InputError
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.settings import get_setting, set_setting
from barberbi_desktop.storage.users import audit

KEY = "services.premium_threshold_cents"
DEFAULT_CENTS = 5000
MAX_CENTS = 1_000_000  # the most one item may cost in an import ($10,000)

# List price, else the mean known price of its service lines (adjustments left out).
_PRICE = (
    "coalesce(s.list_price_cents, (SELECT avg(i.unit_price_cents) FROM sale_items i "
    "WHERE i.service_id = s.id AND i.kind = 'service' AND i.unit_price_cents IS NOT NULL))"
)


def premium_threshold_cents(db: Database) -> int:
    value = get_setting(db, KEY)
    return DEFAULT_CENTS if value is None else int(value)


def save_premium_threshold(db: Database, cents: int, user_id: int | None) -> int:
    """Store the threshold and re-mark the services; returns how many flags changed."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise InputError("Premium services: the threshold must be an amount of money.")
    if not 1 <= cents <= MAX_CENTS:
        raise InputError(
            f"Premium services: the threshold must be between $0.01 and ${MAX_CENTS // 100:,}."
        )
    before = premium_threshold_cents(db)
    set_setting(db, KEY, None if cents == DEFAULT_CENTS else cents)
    with db.write() as conn:
        flipped = conn.execute(
            text(
                f"UPDATE services AS s SET premium = NOT premium "
                f"WHERE premium <> coalesce({_PRICE} >= :t, 0)"
            ),
            {"t": cents},
        ).rowcount
        if flipped:  # the engines' caches and skips key on the data version
            conn.execute(text("UPDATE shop_state SET data_version = data_version + 1"))
    if cents != before or flipped:
        audit(
            db,
            user_id,
            "settings_changed",
            {
                "section": "services",
                "premium threshold $": [before / 100, cents / 100],
                "services re-marked": flipped,
            },
        )
    return flipped


def load_services(db: Database) -> pd.DataFrame:
    """Services with list price, average price sold, duration and premium flag; ``basis``
    is the price the threshold is compared with (list price, else the average sold)."""
    sold = (
        "(SELECT avg(i.unit_price_cents) FROM sale_items i WHERE i.service_id = s.id "
        "AND i.kind = 'service' AND i.unit_price_cents IS NOT NULL)"
    )
    with db.read() as conn:
        rows = conn.execute(
            text(
                f"SELECT s.id, s.name, s.category, s.list_price_cents, {sold}, {_PRICE}, "
                "s.duration_min, s.premium, s.active FROM services s "
                "ORDER BY s.active DESC, s.category, s.name"
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
