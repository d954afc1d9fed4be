"""What was sold at each completed visit, and the people around the chairs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from barberbi_desktop.demo import catalog
from barberbi_desktop.demo.process import DemoSpec
from barberbi_desktop.demo.schedule import OPEN_HOURS

ADDON_COLS = np.array([i for i, m in enumerate(catalog.MENU) if m.role == "addon"])
RETAIL_TAX_BP = 887
PAY_MODELS = (
    ("commission", 5000, None, None),
    ("booth_rent", None, 30000, None),
    ("commission", 4500, None, None),
    ("hourly", None, None, 2000),
    ("commission", 5500, None, None),
    ("booth_rent", None, 35000, None),
)
TRAINING_TOPICS = (
    "Advanced fading workshop",
    "Straight razor safety",
    "Beard design masterclass",
    "Colour and grey blending",
    "Consultation skills",
    "Six Figure Barber business course",
)
BRAND_EVENTS = (
    ("social_campaign", "Instagram before/after series"),
    ("community_event", "Back-to-school free cuts day"),
    ("referral_promo", "Bring a friend: $10 off both"),
    ("content", "YouTube styling tutorial"),
)


def _items(appts: pd.DataFrame, mask: np.ndarray, **cols: Any) -> pd.DataFrame:
    rows = appts[mask]
    base = {
        "loc": rows["loc"].to_numpy(),
        "local_appt": rows["local_appt"].to_numpy(),
        "client": rows["client"].to_numpy(),
        "sold_at": rows["end"].to_numpy(),
    }
    return pd.DataFrame(
        {**base, **{k: (v[mask] if isinstance(v, np.ndarray) else v) for k, v in cols.items()}}
    )


def build_sales(
    rng: np.random.Generator,
    appts: pd.DataFrame,
    addons: np.ndarray,
    prices: np.ndarray,
    traits: pd.DataFrame,
) -> pd.DataFrame:
    """Service, add-on and retail lines with discounts, tax, tips and payment methods."""
    done = appts[appts["status"] == "completed"].reset_index(drop=True)
    n = len(done)
    everything = np.ones(n, dtype=bool)
    client = done["client"].to_numpy()
    row = done["visit_row"].to_numpy()
    service = done["service"].to_numpy()
    price = prices[row, service]
    first = ~done["client"].duplicated().to_numpy()
    discount_rate = np.where(
        first & (rng.random(n) < 0.25), 0.15, np.where(rng.random(n) < 0.02, 0.10, 0.0)
    )
    addon_mask = addons[row]
    addon_prices = prices[row][:, ADDON_COLS] * addon_mask
    service_total = price + addon_prices.sum(axis=1)
    tipped = rng.random(n) < traits["tip_prop"].to_numpy()[client]
    tip = np.where(
        tipped, np.round(traits["tip_pct"].to_numpy()[client] * service_total / 100) * 100, 0
    ).astype(np.int64)
    method = rng.choice(catalog.PAYMENT_METHODS, n, p=[0.7, 0.15, 0.15])
    names = np.array([m.name for m in catalog.MENU])
    frames = [
        _items(
            done,
            everything,
            kind="service",
            service_id=service + 1,
            name=names[service],
            quantity=1,
            unit_price_cents=price,
            discount_cents=np.round(price * discount_rate).astype(np.int64),
            tax_cents=0,
            tip_cents=tip,
            payment_method=method,
        )
    ]
    for j, col in enumerate(ADDON_COLS):
        frames.append(
            _items(
                done,
                addon_mask[:, j],
                kind="service",
                service_id=col + 1,
                name=names[col],
                quantity=1,
                unit_price_cents=prices[row, col],
                discount_cents=0,
                tax_cents=0,
                tip_cents=0,
                payment_method=method,
            )
        )
    retail = rng.random(n) < traits["retail_prop"].to_numpy()[client]
    product = rng.integers(0, len(catalog.PRODUCTS), n)
    product_price = np.array([p for _, p in catalog.PRODUCTS])[product]
    frames.append(
        _items(
            done,
            retail,
            kind="product",
            service_id=None,
            name=np.array([p for p, _ in catalog.PRODUCTS])[product],
            quantity=1,
            unit_price_cents=product_price,
            discount_cents=0,
            tax_cents=np.round(product_price * RETAIL_TAX_BP / 10000).astype(np.int64),
            tip_cents=0,
            payment_method=method,
        )
    )
    return pd.concat(frames, ignore_index=True)


def _working_hours(hours: np.ndarray, b: int) -> dict[str, list[int]]:
    return {
        str(wd): [int(hours[b, wd, 0]), int(hours[b, wd, 1])]
        for wd in range(7)
        if hours[b, wd, 0] >= 0
    }


def build_people(
    rng: np.random.Generator,
    spec: DemoSpec,
    loc: int,
    tz: str,
    appts: pd.DataFrame,
    traits: pd.DataFrame,
    hours: np.ndarray,
) -> dict[str, Any]:
    """Location, barbers, clients, reviews, training log and brand events."""
    n_barbers = hours.shape[0]
    name = "BarberBI Demo Shop" if spec.size == "shop" else f"{catalog.LOCATION_NAMES[loc]} Barbers"
    locations = pd.DataFrame(
        {
            "loc": [loc],
            "name": [name],
            "timezone": [tz],
            "currency": ["USD"],
            "opening_hours": [{str(wd): list(h) for wd, h in OPEN_HOURS.items()}],
            "retail_tax_bp": [RETAIL_TAX_BP],
        }
    )
    offset = loc * n_barbers
    barbers = pd.DataFrame(
        {
            "loc": loc,
            "local_barber": np.arange(n_barbers),
            "name": [
                catalog.BARBER_NAMES[(offset + b) % len(catalog.BARBER_NAMES)]
                + ("" if spec.size == "shop" else f" ({catalog.LOCATION_NAMES[loc]})")
                for b in range(n_barbers)
            ],
            "pay_model": [PAY_MODELS[b % len(PAY_MODELS)][0] for b in range(n_barbers)],
            "commission_bp": [PAY_MODELS[b % len(PAY_MODELS)][1] for b in range(n_barbers)],
            "weekly_booth_rent_cents": [
                PAY_MODELS[b % len(PAY_MODELS)][2] for b in range(n_barbers)
            ],
            "hourly_rate_cents": [PAY_MODELS[b % len(PAY_MODELS)][3] for b in range(n_barbers)],
            "working_hours": [_working_hours(hours, b) for b in range(n_barbers)],
            "hired_on": spec.start,
        }
    )
    seen = appts.groupby("client")["start"].min()
    completed = appts[appts["status"] == "completed"].groupby("client")["start"].min()
    ids = seen.index.to_numpy()
    n = ids.size
    first = rng.choice(catalog.FIRST_NAMES, n)
    last = rng.choice(catalog.LAST_NAMES, n)
    has_email = rng.random(n) < 0.7
    has_phone = rng.random(n) < 0.85
    area = rng.choice([212, 305, 312, 404, 415, 512, 617, 702, 713, 818], n)
    serial = loc * 1_000_000 + ids
    clients = pd.DataFrame(
        {
            "loc": loc,
            "local_client": ids,
            "display_name": np.char.add(np.char.add(first.astype(str), " "), last.astype(str)),
            "email": np.where(
                has_email,
                [
                    f"{f.lower()}.{s.lower()}{k}@example.com"
                    for f, s, k in zip(first, last, serial, strict=True)
                ],
                None,
            ),
            "phone": np.where(
                has_phone, [f"+1{a}{k:07d}" for a, k in zip(area, serial, strict=True)], None
            ),
            "first_seen": completed.reindex(ids).to_numpy(),
            "referral_source": rng.choice(catalog.REFERRAL_SOURCES, n, p=catalog.REFERRAL_WEIGHTS),
        }
    )
    done = appts[appts["status"] == "completed"]
    reviewed = done[rng.random(len(done)) < 0.035]
    quality = rng.uniform(0.6, 0.9, n_barbers)
    five = rng.random(len(reviewed)) < quality[reviewed["barber"].to_numpy()]
    rating = np.where(five, 5, rng.choice([4, 3, 2, 1], len(reviewed), p=[0.7, 0.2, 0.06, 0.04]))
    reviews = pd.DataFrame(
        {
            "loc": loc,
            "local_appt": reviewed["local_appt"].to_numpy(),
            "barber": reviewed["barber"].to_numpy(),
            "client": reviewed["client"].to_numpy(),
            "posted": reviewed["end"] + pd.to_timedelta(rng.integers(2, 72, len(reviewed)), "h"),
            "rating": rating,
            "source": rng.choice(
                ["google", "yelp", "booking_app"], len(reviewed), p=[0.6, 0.2, 0.2]
            ),
        }
    )
    n_training = rng.poisson(spec.days / 365 * 5, n_barbers)
    training = pd.DataFrame(
        {
            "loc": loc,
            "barber": np.repeat(np.arange(n_barbers), n_training),
            "occurred_on": [
                spec.start + timedelta(days=int(d))
                for d in rng.integers(0, spec.days, n_training.sum())
            ],
            "hours": rng.choice([2.0, 3.0, 4.0, 6.0, 8.0], n_training.sum()),
            "topic": rng.choice(TRAINING_TOPICS, n_training.sum()),
        }
    )
    n_events = rng.poisson(spec.days / 30)
    kinds = rng.integers(0, len(BRAND_EVENTS), n_events)
    brand = pd.DataFrame(
        {
            "loc": loc,
            "occurred_on": [
                spec.start + timedelta(days=int(d)) for d in rng.integers(0, spec.days, n_events)
            ],
            "kind": [BRAND_EVENTS[k][0] for k in kinds],
            "description": [BRAND_EVENTS[k][1] for k in kinds],
            "cost_cents": rng.choice([0, 5000, 15000, 30000], n_events),
        }
    )
    return {
        "locations": locations,
        "barbers": barbers,
        "clients": clients,
        "reviews": reviews,
        "training_log": training,
        "brand_events": brand,
    }
