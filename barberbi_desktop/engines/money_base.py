"""One base for every money figure the Six Figure gaps and the Revenue roadmap state.

Both tabs claimed yearly amounts on their own bases: Six Figure listed gaps of
$453,237, $358,317 and $200,160 a year, each near the shop's whole revenue, while
Revenue said its six ideas were worth $13,491. Both now scale the last 90 days to a
year the same way, cap each idea at a stated share of that yearly revenue, name the
area each idea works on (ideas in one area overlap: filling chairs and raising revenue
per open hour are partly the same money) and total only one idea per area, itself
capped. The rule is documented in METRICS.md ("One base for money figures").
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from barberbi_desktop.engines.data import ShopData

WINDOW_DAYS = 90
YEAR = 365 / WINDOW_DAYS
IDEA_SHARE = 0.25  # no single idea is worth more than a quarter of a year's revenue
TOTAL_SHARE = 0.5  # ideas in different areas, together, at most half of it

# The area each Six Figure metric and each roadmap idea works on; ideas in one area
# overlap, ideas in different areas add up.
AREAS: dict[str, str] = {
    "utilisation": "chair time",
    "revenue_per_available_hour": "chair time",
    "idle_minutes": "chair time",
    "missed_rate": "chair time",
    "no_show_deposits": "chair time",
    "offpeak_incentive": "chair time",
    "peak_pricing": "prices and ticket",
    "price": "prices and ticket",
    "avg_service_ticket": "prices and ticket",
    "revenue_per_booked_hour": "prices and ticket",
    "premium_revenue_share": "prices and ticket",
    "premium_buyer_share": "prices and ticket",
    "premium_client_share": "prices and ticket",
    "price_increases": "prices and ticket",
    "discount_frequency": "prices and ticket",
    "discount_depth": "prices and ticket",
    "price_consistency": "prices and ticket",
    "upsell": "add-ons and retail",
    "bundle": "add-ons and retail",
    "retail_attachment": "add-ons and retail",
    "retention_90d": "clients coming back",
    "first_visit_return": "clients coming back",
    "rebooking_rate": "clients coming back",
    "visits_per_client_year": "clients coming back",
    "pay_model": "pay models",
}


def area(key: str) -> str:
    return AREAS.get(key, key.replace("_", " "))


def yearly_revenue_cents(data: ShopData, as_of: date) -> float | None:
    """Completed visits' net revenue over the last 90 days to ``as_of``, scaled to a
    year (a shorter history is scaled from the days it has); None without visits."""
    appts = data.appointments
    if appts.empty:
        return None
    start = pd.to_datetime(appts["start"], utc=True)
    end = pd.Timestamp(as_of, tz="UTC") + pd.Timedelta(days=1)
    since = max(end - pd.Timedelta(days=WINDOW_DAYS), start.min().floor("D"))
    done = (appts["status"] == "completed") & (start >= since) & (start < end)
    days = (end - since).days
    total = float(pd.to_numeric(appts.loc[done, "revenue_cents"], errors="coerce").sum())
    if days <= 0 or not done.any() or total <= 0:
        return None
    return total * 365 / days


def ceiling(yearly_cents: float | None) -> float | None:
    return None if yearly_cents is None else yearly_cents * IDEA_SHARE


def base_summary(yearly_cents: float | None, ideas: list[tuple[str, float]]) -> dict[str, Any]:
    """The base, the ceiling and the combined worth of ``ideas`` (area, capped cents):
    the best idea per area, summed, at most `TOTAL_SHARE` of the yearly revenue."""
    best: dict[str, float] = {}
    for where, cents in ideas:
        best[where] = max(best.get(where, 0.0), cents)
    combined = sum(best.values())
    if yearly_cents is not None:
        combined = min(combined, yearly_cents * TOTAL_SHARE)
    return {
        "yearly_revenue_cents": None if yearly_cents is None else round(yearly_cents),
        "idea_ceiling_cents": None if yearly_cents is None else round(yearly_cents * IDEA_SHARE),
        "combined_cents": round(combined),
        "idea_share": IDEA_SHARE,
        "total_share": TOTAL_SHARE,
    }
