"""Commission, booth rent or tiered commission: who earns what at each barber's real volume.

Volume is the barber's service revenue over the last year (annualised when
they have been there less), net of discounts; products and tips are left out
because none of the three models shares them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from barberbi_desktop.engines.data import ShopData


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


def compare(data: ShopData, as_of: date, settings: PaySettings | None = None
            ) -> list[dict[str, Any]]:
    s = settings or PaySettings()
    end = pd.Timestamp(as_of)
    start = end - pd.Timedelta(days=s.window_days)
    a = data.appointments
    local = a["start"].dt.tz_convert(None)
    done = a[(a["status"] == "completed") & (local >= start) & (local < end)]
    volume = (done["service_cents"] - done["discount_cents"]).groupby(done["barber_id"]).sum()
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
        models = {
            "commission": {"shop": yearly - commission_barber, "barber": commission_barber},
            "booth_rent": {"shop": float(rent), "barber": yearly - rent},
            "tiered_commission": {"shop": yearly - tiered_barber, "barber": tiered_barber},
        }
        # The volume at which booth rent and commission pay the shop the same.
        break_even = rent / (1 - c_bp / 10_000)
        current = b.pay_model if b.pay_model in models else "commission"
        best_for_shop = max(models, key=lambda m: models[m]["shop"])
        out.append({
            "barber_id": int(b.barber_id), "name": b.name, "current_model": current,
            "yearly_service_cents": yearly, "commission_bp": int(c_bp),
            "yearly_booth_rent_cents": int(rent), "models": models,
            "break_even_yearly_cents": break_even, "best_for_shop": best_for_shop,
            "shop_gain_if_switched_cents": models[best_for_shop]["shop"]
            - models[current]["shop"],
            "barber_change_if_switched_cents": models[best_for_shop]["barber"]
            - models[current]["barber"],
        })  # fmt: skip
    return out
