"""Small, valid, awkward shops built straight as `ShopData` frames (no database).

A shop is described by a handful of knobs (`ShopSpec`) that hypothesis draws; the
rows themselves come from a numpy generator seeded by the spec, so one example
costs milliseconds. The rows are shaped like the database rows the importer
writes (epoch seconds, NULL where an export says nothing, tips 0 where it has no
tips column) and turned into frames by the frame loader's own conversion, then
given the per-visit sums by `with_visit_totals`, so the column names and dtypes
are exactly what `load_shop_data` hands an engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from barberbi_desktop.engines.data import ShopData
from barberbi_desktop.storage import frames

ZONES = ("America/New_York", "Europe/Warsaw", "Australia/Sydney", "UTC", "America/Los_Angeles")
MENU = (  # name, category, list price (cents; 0 = a free consultation), minutes
    ("Skin Fade", "cut", 4500, 45),
    ("Beard Trim", "beard", 2500, 20),
    ("Free Consultation", "other", 0, 15),
    ("Kids Cut", "cut", 2000, 30),
    ("Hot Towel Shave", "treatment", 3500, 30),
    ("Cut & Beard Package", "package", 6500, 60),
    ("Grey Blending", "colour", 5500, 45),
)
HOURS = {str(d): [540, 1080] for d in range(6)}  # Mon-Sat 9:00-18:00


@dataclass(frozen=True)
class ShopSpec:
    seed: int
    locations: int = 1
    barbers: int = 3
    visits: int = 120
    clients: int = 40
    days: int = 400  # how far back the history reaches from as_of
    single_day: bool = False
    month_gaps: bool = False  # the visits fall in two clusters months apart
    only_future: bool = False  # every appointment is a booking after as_of
    has_tips: bool = True
    has_booked_at: bool = True
    has_cancelled_at: bool = False  # when cancelled bookings were cancelled (Fresha's)
    has_status: bool = True  # False: past visits completed, future ones booked
    has_end: bool = True
    has_channel: bool = True
    time_known_share: float = 1.0
    free_share: float = 0.05  # visits whose service is the $0 consultation
    adjustment_share: float = 0.05  # visits with a refund, comp or correction line
    unknown_price_share: float = 0.0
    seller_share: float = 0.0  # lines sold by another barber than the visit's
    working_hours: bool = True  # False: imported barbers, no hours set
    premium: bool = True  # False: imported services, never premium
    reviews: int = 0
    training: int = 0
    referrals: bool = False
    pay_models: bool = False  # booth rent and hourly barbers, with and without rates


def _epoch(ts: pd.Timestamp | datetime) -> int:
    return int(pd.Timestamp(ts).timestamp())


def _frame(table: str, rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """Rows in the loader's column order, converted exactly as a load converts them."""
    aliases = [alias for _, alias, _, _ in frames._COLUMNS[table]]
    raw = pd.DataFrame.from_records(rows, columns=aliases)
    return frames._to_frame(table, pa.Table.from_pandas(raw, preserve_index=False))


def _days(rng: np.random.Generator, spec: ShopSpec, as_of: date, n: int) -> np.ndarray:
    """Local dates of the visits, as days before (negative: after) as_of."""
    if spec.only_future:
        return -rng.integers(1, 60, size=n)
    if spec.single_day:
        return np.full(n, int(rng.integers(0, 30)))
    back = max(spec.days, 1)
    if spec.month_gaps:  # an old season, a long silence, then recent weeks
        old = rng.integers(back // 2, back + 1, size=n)
        recent = rng.integers(0, max(back // 6, 1), size=n)
        return np.where(rng.random(n) < 0.5, old, recent)
    ago = rng.integers(0, back + 1, size=n)
    future = rng.random(n) < 0.08  # a few bookings ahead
    return np.where(future, -rng.integers(1, 40, size=n), ago)


def build(spec: ShopSpec, as_of: date) -> ShopData:
    rng = np.random.default_rng(spec.seed)
    zones = [ZONES[(spec.seed + i) % len(ZONES)] for i in range(spec.locations)]
    locations = [(i + 1, f"Shop {i + 1}", z, "USD", {}, 0) for i, z in enumerate(zones)]
    barbers = []
    for b in range(1, spec.barbers + 1):
        model, rate, rent, bp = "commission", None, None, None
        if spec.pay_models:
            model = ("commission", "booth_rent", "hourly")[b % 3]
            rate = 2200 if rng.random() < 0.7 else None
            rent = 30000 if rng.random() < 0.7 else None
            bp = 5000 if rng.random() < 0.5 else None
        hours = dict(HOURS) if spec.working_hours and b % 4 != 0 else {}
        barbers.append(
            (b, (b - 1) % spec.locations + 1, f"Barber {b}", model, bp, rent, rate,
             hours, b % 5 != 0, None)
        )  # fmt: skip
    services = [
        (i + 1, name, cat, price if rng.random() > 0.1 else None, minutes,
         spec.premium and cat in ("treatment", "package", "colour"), True, None)
        for i, (name, cat, price, minutes) in enumerate(MENU)
    ]  # fmt: skip
    n_clients = max(spec.clients, 1)
    now = datetime.combine(as_of, datetime.min.time(), tzinfo=UTC)
    clients = [
        (c, f"Client {c}", None, None,
         _epoch(now - timedelta(days=int(rng.integers(0, 900)))) if rng.random() < 0.3 else None,
         (str(rng.choice(["referral", "google", "instagram"])) if spec.referrals else None),
         int(rng.integers(1, spec.locations + 1)), None)
        for c in range(1, n_clients + 1)
    ]  # fmt: skip

    n = spec.visits
    days = _days(rng, spec, as_of, n)
    minute = rng.integers(9 * 60, 18 * 60, size=n) // 15 * 15
    known_time = rng.random(n) < spec.time_known_share
    minute = np.where(known_time, minute, 0)  # a day without a time is stored at midnight
    location = rng.integers(1, spec.locations + 1, size=n)
    service = rng.integers(1, len(MENU) + 1, size=n)
    free = rng.random(n) < spec.free_share
    service = np.where(free, 3, np.where(service == 3, 1, service))
    statuses = np.array(["completed", "no_show", "cancelled", "booked", "confirmed"])
    status = statuses[rng.choice(5, size=n, p=[0.82, 0.06, 0.07, 0.03, 0.02])]
    status = np.where(days < 0, np.where(rng.random(n) < 0.7, "booked", "confirmed"), status)
    status = np.where((days >= 0) & np.isin(status, ["booked", "confirmed"]) & (days > 1),
                      "completed", status)  # fmt: skip
    if not spec.has_status:
        status = np.where(days < 0, "booked", "completed")
    client = rng.integers(1, n_clients + 1, size=n).astype(object)
    client[rng.random(n) < 0.03] = None  # a walk-in nobody wrote down
    barber = rng.integers(1, spec.barbers + 1, size=n).astype(object)
    barber[rng.random(n) < 0.03] = None
    appts, items = [], []
    item_id = 1
    for i in range(n):
        zone = zones[location[i] - 1]
        local_day = pd.Timestamp(as_of) - pd.Timedelta(days=int(days[i]))
        start = (local_day + pd.Timedelta(minutes=int(minute[i]))).tz_localize(
            zone, nonexistent="shift_forward", ambiguous=True
        )
        minutes = MENU[service[i] - 1][3]
        end = _epoch(start + pd.Timedelta(minutes=minutes)) if spec.has_end else None
        lead = pd.Timedelta(hours=int(rng.integers(0, 24 * 30)))
        booked = _epoch(start - lead) if spec.has_booked_at and rng.random() < 0.9 else None
        cancelled = None
        if spec.has_cancelled_at and status[i] == "cancelled" and rng.random() < 0.9:
            ahead = pd.Timedelta(hours=int(rng.integers(0, 96)))
            cancelled = max(_epoch(start - ahead), booked or 0)
        channel = str(rng.choice(["online", "phone", "walk_in"])) if spec.has_channel else None
        sid = int(service[i]) if rng.random() > 0.02 else None
        appts.append(
            (i + 1, client[i], barber[i], int(location[i]), sid, _epoch(start), end, booked,
             cancelled, str(status[i]), channel, "test", bool(known_time[i]))
        )  # fmt: skip
        if status[i] != "completed":
            continue
        sold = _epoch(start)
        other = rng.random() < spec.seller_share
        seller = int(rng.integers(1, spec.barbers + 1)) if other else None
        price = MENU[service[i] - 1][2]
        price = None if rng.random() < spec.unknown_price_share else price
        discount = int(rng.choice([0, 0, 0, 500])) if price else 0
        tip = int(rng.integers(0, 1500)) if spec.has_tips and rng.random() < 0.7 else 0
        kind = "package" if MENU[service[i] - 1][1] == "package" else "service"
        lines = [(kind, sid, MENU[service[i] - 1][0], price, discount, tip, seller)]
        if rng.random() < 0.25:
            lines.append(("service", 2, "Beard Trim", 2500, 0, 0, None))
        if rng.random() < 0.2:
            lines.append(("product", None, "Pomade", 1800, 0, 0, None))
        if rng.random() < spec.adjustment_share:
            lines.append(("adjustment", None, "Refund", -int(rng.integers(100, 4500)), 0, 0,
                          None))  # fmt: skip
        if rng.random() < 0.02:
            lines.append(("gift_card", None, "Gift card", 5000, 0, 0, None))
        for kind_, svc, name, unit, disc, tip_, by in lines:
            items.append(
                (item_id, i + 1, client[i], int(location[i]), by, sold, kind_, svc, name,
                 int(rng.choice([1, 1, 1, 2])) if kind_ == "product" else 1, unit, disc,
                 int(unit or 0) * 8 // 100 if unit and unit > 0 else 0, tip_, "card")
            )  # fmt: skip
            item_id += 1
    for _ in range(int(rng.integers(0, 4))):  # retail sold with no appointment
        when = _epoch(now - timedelta(days=int(rng.integers(0, max(spec.days, 1)))))
        items.append((item_id, None, None, 1, None, when, "product", None, "Pomade", 1,
                      1800, 0, 144, 0, "cash"))  # fmt: skip
        item_id += 1
    reviews = [
        (r + 1, 1, int(rng.integers(1, spec.barbers + 1)), None,
         _epoch(now - timedelta(days=int(rng.integers(0, 400)))), int(rng.integers(1, 6)),
         "google")
        for r in range(spec.reviews)
    ]  # fmt: skip
    training = [
        (t + 1, int(rng.integers(1, spec.barbers + 1)),
         (as_of - timedelta(days=int(rng.integers(0, 500)))).isoformat(),
         float(rng.integers(1, 16)), "course")
        for t in range(spec.training)
    ]  # fmt: skip
    sale_items = _frame("sale_items", items)
    appointments = frames.with_visit_totals(_frame("appointments", appts), sale_items)
    return ShopData(
        appointments=appointments,
        sale_items=sale_items,
        clients=_frame("clients", clients),
        barbers=_frame("barbers", [(*b[:7], _json(b[7]), *b[8:]) for b in barbers]),
        services=_frame("services", services),
        locations=_frame("locations", [(*x[:4], _json(x[4]), x[5]) for x in locations]),
        reviews=_frame("reviews", reviews),
        training_log=_frame("training_log", training),
        brand_events=_frame("brand_events", []),
    )


def _json(value: dict[str, Any]) -> str:
    import json

    return json.dumps(value)
