"""A realistic barbershop (or chain) whose ground truth the engines must recover.

`process` draws who visits when and what they buy; `schedule` books those
visits onto barbers' real hours without double booking; `location` layers
no-shows, cancellations, walk-ins, lead times, rebooking, tips, retail and
reviews on top. Everything is vectorised so the chain size (2,000,000
appointments) simulates in well under two minutes, and the same seed and end
date always give the same shop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from barberbi_desktop.demo import cancels, catalog
from barberbi_desktop.demo.location import build_location
from barberbi_desktop.demo.process import (
    BGNBD_TRUTH,
    CANCEL_PER_VISIT,
    CANDIDATE_ODDS,
    NO_SHOW_EFFECTS,
    NO_SHOW_PER_VISIT,
    SPEND_TRUTH,
    DemoSpec,
    price_matrix,
)


@dataclass
class DemoShop:
    """Plain frames ready to be written; ids are final database ids."""

    locations: pd.DataFrame
    barbers: pd.DataFrame
    services: pd.DataFrame
    clients: pd.DataFrame
    appointments: pd.DataFrame
    sale_items: pd.DataFrame
    reviews: pd.DataFrame
    training_log: pd.DataFrame
    brand_events: pd.DataFrame
    truth: dict[str, Any]


def simulate(spec: DemoSpec) -> DemoShop:
    """Simulate the whole shop (or chain) for `spec`."""
    rng = np.random.default_rng(spec.seed)
    parts = [build_location(rng, spec, i) for i in range(spec.n_locations)]
    frames = {
        key: pd.concat([p[key] for p in parts], ignore_index=True)
        for key in (
            "locations",
            "barbers",
            "clients",
            "appointments",
            "sale_items",
            "reviews",
            "training_log",
            "brand_events",
        )
    }
    _assign_ids(frames)
    services = pd.DataFrame(
        {
            "service_id": np.arange(1, len(catalog.MENU) + 1),
            "name": [m.name for m in catalog.MENU],
            "category": [m.category for m in catalog.MENU],
            "list_price_cents": price_matrix(np.array([spec.days]))[0],
            "duration_min": [m.duration_min for m in catalog.MENU],
            "premium": [m.premium for m in catalog.MENU],
        }
    )
    truth = {
        "bgnbd": BGNBD_TRUTH,
        "spend": SPEND_TRUTH,
        "elasticity": {m.name: m.elasticity for m in catalog.MENU},
        "price_changes": [
            {
                "service": s,
                "date": (spec.start + timedelta(days=d)).isoformat(),
                "new_price_cents": p,
            }
            for s, d, p in catalog.PRICE_CHANGES
        ],
        "no_show_per_visit": NO_SHOW_PER_VISIT,
        "no_show_effects": NO_SHOW_EFFECTS,
        "no_show_candidate_odds": CANDIDATE_ODDS,
        # Each appointment's true no-show probability, in appointment-id order (ids run
        # from 1), in units of 1e-4: what the no-show engine's risks should rank alike.
        "no_show_p_1e4": np.rint(frames["appointments"]["p_no_show"].to_numpy() * 1e4)
        .astype(np.int64)
        .tolist(),
        "cancel_per_visit": CANCEL_PER_VISIT,
        "late_cancel_hours": cancels.LATE_HOURS,
        "late_cancel_effects": cancels.LATE_CANCEL_EFFECTS,
        "history_start": spec.start.isoformat(),
        "history_end": spec.end.isoformat(),
        "size": spec.size,
        "seed": spec.seed,
    }
    return DemoShop(services=services, truth=truth, **frames)


def _assign_ids(frames: dict[str, pd.DataFrame]) -> None:
    """Replace per-location keys with global 1-based ids, consistently across frames."""
    frames["locations"]["location_id"] = np.arange(1, len(frames["locations"]) + 1)
    for key, col in (("barbers", "barber_id"), ("clients", "client_id")):
        frame = frames[key]
        frame[col] = np.arange(1, len(frame) + 1)
    barber_map = frames["barbers"].set_index(["loc", "local_barber"])["barber_id"]
    client_map = frames["clients"].set_index(["loc", "local_client"])["client_id"]
    appts = frames["appointments"]
    appts["appointment_id"] = np.arange(1, len(appts) + 1)
    appts["barber_id"] = barber_map.reindex(
        pd.MultiIndex.from_arrays([appts["loc"], appts["barber"]])
    ).to_numpy()
    appts["client_id"] = client_map.reindex(
        pd.MultiIndex.from_arrays([appts["loc"], appts["client"]])
    ).to_numpy()
    appt_key = pd.Series(
        appts["appointment_id"].to_numpy(),
        index=pd.MultiIndex.from_arrays([appts["loc"], appts["local_appt"]]),
    )
    items = frames["sale_items"]
    items["appointment_id"] = appt_key.reindex(
        pd.MultiIndex.from_arrays([items["loc"], items["local_appt"]])
    ).to_numpy()
    items["item_id"] = np.arange(1, len(items) + 1)
    for key in ("reviews", "training_log"):
        frame = frames[key]
        frame["barber_id"] = barber_map.reindex(
            pd.MultiIndex.from_arrays([frame["loc"], frame["barber"]])
        ).to_numpy()
    for key in (
        "appointments",
        "sale_items",
        "reviews",
        "training_log",
        "brand_events",
        "barbers",
        "clients",
    ):
        frames[key]["location_id"] = frames[key]["loc"] + 1
