"""Commission, booth rent or tiered commission: who earns what at each barber's real volume.

Volume is the barber's service revenue over the last year (annualised when
they have been there less), net of discounts, with each service line counted
for the barber who sold it; products and tips are left out because none of the
models shares them. A barber paid by the hour also gets the hourly model: the
shop keeps the volume less the hourly rate times the rostered hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from barberbi_desktop.engines import known
from barberbi_desktop.engines.data import ShopData

# Each pay model by the name an owner uses; the keys never reach the screen.
PAY_MODEL_NAMES = {
    "commission": "Commission",
    "booth_rent": "Booth rent",
    "tiered_commission": "Tiered commission",
    "hourly": "Hourly",
}


@dataclass(frozen=True)
class PaySettings:
    commission_bp: int = 4500  # the barber's share under commission, when the barber has none
    weekly_booth_rent_cents: int = 25_000
    tier_threshold_monthly_cents: int = 600_000  # tiered: lower share up to here per month
    tier_low_bp: int = 4000
    tier_high_bp: int = 5500
    window_days: int = 365


def tiered_barber_share(yearly_cents: float, s: PaySettings) -> float:
    threshold = s.tier_threshold_monthly_cents * 12
    low = min(yearly_cents, threshold) * s.tier_low_bp / 10_000
    high = max(yearly_cents - threshold, 0) * s.tier_high_bp / 10_000
    return low + high


def _volume(data: ShopData, done: pd.DataFrame) -> pd.Series:
    """Each barber's service revenue, net of discounts, over the completed visits ``done``.

    A service line sold by another barber than the visit's (``sale_items.barber_id``)
    counts for its seller. Refund and correction lines are left out: they adjust the
    shop's takings, not the volume a commission is paid on.
    """
    volume = (done["service_cents"] - done["discount_cents"]).groupby(done["barber_id"]).sum()
    items = data.sale_items
    if not len(items) or "barber_id" not in items:
        return volume
    lines = items[items["kind"].isin(["service", "package"]) & items["barber_id"].notna()
                  & items["appointment_id"].isin(done["appointment_id"])]  # fmt: skip
    visit_barber = lines["appointment_id"].map(done.set_index("appointment_id")["barber_id"])
    seller = lines["barber_id"].to_numpy(dtype=float, na_value=np.nan)
    moved = lines[seller != visit_barber.to_numpy(dtype=float, na_value=np.nan)]
    if not len(moved):
        return volume
    amount = (moved["unit_price_cents"].astype(float) * moved["quantity"]).fillna(0) - moved[
        "discount_cents"].astype(float)  # fmt: skip
    out = volume.astype(float).sub(amount.groupby(visit_barber[moved.index]).sum(), fill_value=0)
    return out.add(amount.groupby(moved["barber_id"]).sum(), fill_value=0)


def _weekly_hours(hours: object) -> float | None:
    """Rostered hours a week from a barber's working hours (None when none are set)."""
    if not known.has_hours(hours):
        return None
    assert isinstance(hours, dict)
    return sum(max(span[1] - span[0], 0) for span in hours.values() if span) / 60


def compare(data: ShopData, as_of: date, settings: PaySettings | None = None
            ) -> list[dict[str, Any]]:
    s = settings or PaySettings()
    end = pd.Timestamp(as_of)
    start = end - pd.Timedelta(days=s.window_days)
    a = data.appointments
    local = a["start"].dt.tz_convert(None)
    done = a[(a["status"] == "completed") & (local >= start) & (local < end)]
    volume = _volume(data, done)
    first = local[a["status"] == "completed"].groupby(a["barber_id"]).min()
    out = []
    for b in data.barbers.itertuples():
        if b.barber_id not in volume.index:
            continue
        days = max(min((end - max(first.get(b.barber_id, start), start)).days, s.window_days), 28)
        yearly = float(volume[b.barber_id]) * 365 / days
        c_bp = b.commission_bp if pd.notna(b.commission_bp) else s.commission_bp
        rent = (b.weekly_booth_rent_cents if pd.notna(b.weekly_booth_rent_cents)
                else s.weekly_booth_rent_cents) * 52  # fmt: skip
        commission_barber = yearly * c_bp / 10_000
        tiered_barber = tiered_barber_share(yearly, s)
        models: dict[str, dict[str, float] | None] = {
            "commission": {"shop": yearly - commission_barber, "barber": commission_barber},
            "booth_rent": {"shop": float(rent), "barber": yearly - rent},
            "tiered_commission": {"shop": yearly - tiered_barber, "barber": tiered_barber},
        }
        note = None
        pay_model = getattr(b, "pay_model", None)
        if pay_model == "hourly":
            # Paid by the hour: the shop keeps the volume less the wage for the rostered
            # hours. Without a rate or hours the wage, and so this model, is unknown.
            rate = getattr(b, "hourly_rate_cents", None)
            weekly = _weekly_hours(getattr(b, "working_hours", None))
            if rate is None or pd.isna(rate) or weekly is None:
                missing = " and ".join(
                    w for w, gone in (("hourly rate", rate is None or pd.isna(rate)),
                                      ("working hours", weekly is None)) if gone)  # fmt: skip
                models["hourly"] = None
                note = (f"paid by the hour, but {b.name}'s {missing} are not set, so the "
                        "shop's share is unknown: set them in Settings > Barbers")  # fmt: skip
            else:
                wage = float(rate) * weekly * 52
                models["hourly"] = {"shop": yearly - wage, "barber": wage}
        # The volume at which booth rent and commission pay the shop the same.
        break_even = rent / (1 - c_bp / 10_000)
        current = pay_model if pay_model in models else "commission"
        shop = {m: v["shop"] for m, v in models.items() if v is not None}
        best_for_shop = max(shop, key=lambda m: shop[m])
        now = models[current]
        best = models[best_for_shop]
        assert best is not None
        out.append({
            "barber_id": int(b.barber_id), "name": b.name, "current_model": current,
            "yearly_service_cents": yearly, "commission_bp": int(c_bp),
            "yearly_booth_rent_cents": int(rent), "models": models,
            "break_even_yearly_cents": break_even, "best_for_shop": best_for_shop,
            "shop_gain_if_switched_cents": None if now is None else best["shop"] - now["shop"],
            "barber_change_if_switched_cents": None if now is None
            else best["barber"] - now["barber"],
            "note": note,
        })  # fmt: skip
    return out
