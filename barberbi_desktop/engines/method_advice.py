"""What to do about a metric below target, in the owner's terms and numbers."""

from __future__ import annotations


def _fmt(key: str, value: float) -> str:
    if key in ("avg_service_ticket", "revenue_per_booked_hour", "revenue_per_available_hour"):
        return f"${value / 100:,.2f}"
    if key in ("review_count", "visits_per_client_year", "training_hours", "idle_minutes"):
        return f"{value:,.1f}"
    if key == "review_rating":
        return f"{value:.2f}"
    return f"{value:.0%}"


ADVICE = {
    "avg_service_ticket": "Lift the average service ticket from {v} toward {t}: offer the next "
    "package up at booking and at the chair, and bundle beard and finishing services.",
    "premium_revenue_share": "Premium services bring {v} of service revenue (target {t}): "
    "feature them first on the booking page and give each barber a signature premium service.",
    "premium_buyer_share": "Only {v} of clients bought a premium service (target {t}): offer "
    "regulars a premium upgrade on their next visit.",
    "discount_frequency": "{v} of visits carry a discount (target at most {t}): replace "
    "blanket discounts with added value (a hot towel, a product sample).",
    "discount_depth": "Discounts average {v} off (target at most {t}): cap them and time-limit "
    "first-visit offers.",
    "price_consistency": "Prices for the same service differ by {v} between barbers (target at "
    "most {t}): publish one price list, with tiers by barber level if needed.",
    "price_increases": "Only {v} of services had a price rise in the last year (target {t}): "
    "review prices yearly, in small steps, starting with the busiest services.",
    "tip_rate": "Tips are {v} of service revenue (target {t}): a sign of perceived value; "
    "invest in the consultation and the finish.",
    "retention_90d": "90-day retention is {v} (target {t}): rebook at checkout and follow up "
    "with clients who are overdue against their own rhythm.",
    "first_visit_return": "{v} of first-time clients came back within 90 days (target {t}): "
    "follow up after the first visit and offer the second booking before they leave.",
    "rebooking_rate": "{v} of visits were rebooked at checkout (target {t}): make 'same time in "
    "four weeks?' part of every checkout.",
    "premium_client_share": "{v} of clients spend at premium level (target {t}): identify the "
    "regulars closest to it and offer them the upgrade.",
    "visits_per_client_year": "Clients come {v} times a year (target {t}): suggest the right "
    "interval for their cut and remind them when it is due.",
    "review_count": "{v} reviews in 90 days (target {t}): ask happy clients for a review at "
    "checkout with a direct link.",
    "review_rating": "Average rating {v} (target {t}): read the low reviews, reply, and fix "
    "what they name.",
    "referral_share": "{v} of new clients came by referral (target {t}): start a bring-a-friend "
    "offer that rewards both.",
    "online_booking_share": "{v} of appointments were booked online (target {t}): put the "
    "booking link everywhere clients look (profile, receipts, reminders).",
    "utilisation": "Chairs are booked {v} of working time (target {t}): fill quiet hours with "
    "off-peak offers and rebooking; trim hours that never fill.",
    "revenue_per_booked_hour": "Each booked hour brings {v} (target {t}): shorten low-value "
    "slots and add services that fit the same time.",
    "revenue_per_available_hour": "Each available hour brings {v} (target {t}): raise "
    "utilisation and ticket together.",
    "missed_rate": "{v} of appointments are missed or cancelled (target at most {t}): send "
    "reminders, take deposits for long services, and keep a waitlist.",
    "idle_minutes": "{v} idle minutes between appointments on average (target at most {t}): "
    "tighten the booking grid and offer gaps to the waitlist.",
    "training_hours": "{v} hours of training per barber in the last year (target {t}): plan one "
    "course a quarter per barber.",
    "new_service_share": "Services introduced this year bring {v} of revenue (target {t}): "
    "launch one new service a year, built on the team's new skills.",
    "price_growth": "Service prices grew {v} in a year (target {t}): pair new skills with a "
    "price step for each barber.",
}


def advice(key: str, value: float | None, target: float, stake_cents: float | None,
           capped: bool = False) -> str:  # fmt: skip
    """``capped``: the stake is the one-idea ceiling (a quarter of a year's revenue), not
    the gap's own figure; several gaps at the ceiling would otherwise read as the same
    worth, as if measured."""
    text = ADVICE[key].format(
        v=_fmt(key, value) if value is not None else "unknown", t=_fmt(key, target)
    )
    if stake_cents and capped:
        text += (f" Worth up to ${stake_cents / 100:,.0f} a year at target (no single idea "
                 "is counted above a quarter of a year's revenue).")
    elif stake_cents:
        text += f" Worth about ${stake_cents / 100:,.0f} a year at target."
    return text
