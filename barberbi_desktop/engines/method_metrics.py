"""The named metrics of the six Six Figure Barber principles.

Each metric returns its value, or ``None`` with a reason when the data cannot
tell, and an estimate of the yearly revenue (in cents) that reaching its target
would bring, or ``None`` where no honest estimate exists. Formulas, windows
and targets are documented in docs/METRICS.md; the window is the 90 days
ending on the analysed day unless a metric says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from barberbi_desktop.engines.method_context import WINDOW_DAYS, MethodContext

YEAR = 365 / WINDOW_DAYS  # scales a 90-day amount to a year


@dataclass(frozen=True)
class Reading:
    value: float | None
    reason: str | None = None
    stake_cents: float | None = None


@dataclass(frozen=True)
class MetricSpec:
    key: str
    principle: str
    label: str
    target: float
    higher_is_better: bool
    unit: str  # cents, share, count, hours, minutes, rating, visits
    shop_only: bool = False


Compute = Callable[[MethodContext, float], Reading]
NO_VISITS = "no completed visits in the last 90 days"


def _gap(value: float, target: float) -> float:
    return max(target - value, 0.0)


def avg_service_ticket(ctx: MethodContext, target: float) -> Reading:
    done = ctx.completed()
    if done.empty:
        return Reading(None, NO_VISITS)
    value = float((done["service"] - done["discount"]).mean())
    return Reading(value, stake_cents=_gap(value, target) * len(done) * YEAR)


def premium_revenue_share(ctx: MethodContext, target: float) -> Reading:
    lines = ctx.items_window(WINDOW_DAYS)
    lines = lines[lines["kind"].isin(["service", "package"])]
    total = lines["amount"].sum()
    if total <= 0:
        return Reading(None, NO_VISITS)
    value = float(lines.loc[lines["premium"], "amount"].sum() / total)
    premium_price = lines.loc[lines["premium"], "price"].mean()
    standard_price = lines.loc[~lines["premium"], "price"].mean()
    if not (premium_price > standard_price > 0):
        return Reading(value)
    # Moving that share of service revenue from standard to premium services, at the
    # shop's own price ratio between the two.
    uplift = premium_price / standard_price - 1
    return Reading(value, stake_cents=_gap(value, target) * total * YEAR * uplift)


def premium_buyer_share(ctx: MethodContext, target: float) -> Reading:
    done = ctx.completed()
    if done.empty:
        return Reading(None, NO_VISITS)
    bought = done.groupby("client_id")["premium"].any()
    value = float(bought.mean())
    spend = done.groupby("client_id")["revenue"].sum()
    extra = spend[bought].mean() - spend[~bought].mean() if bought.any() and (~bought).any() else 0
    return Reading(value, stake_cents=_gap(value, target) * len(bought) * max(extra, 0) * YEAR)


def discount_frequency(ctx: MethodContext, target: float) -> Reading:
    done = ctx.completed()
    if done.empty:
        return Reading(None, NO_VISITS)
    value = float((done["discount"] > 0).mean())
    excess = 1 - target / value if value > target else 0.0
    return Reading(value, stake_cents=done["discount"].sum() * YEAR * excess)


def discount_depth(ctx: MethodContext, target: float) -> Reading:
    done = ctx.completed()
    discounted = done[done["discount"] > 0]
    if discounted.empty:
        return Reading(0.0, stake_cents=0.0) if len(done) else Reading(None, NO_VISITS)
    gross = discounted["service"] + discounted["product"]
    value = float((discounted["discount"] / gross.where(gross > 0)).mean())
    excess = 1 - target / value if value > target else 0.0
    return Reading(value, stake_cents=discounted["discount"].sum() * YEAR * excess)


def price_consistency(ctx: MethodContext, target: float) -> Reading:
    lines = ctx.items_window(WINDOW_DAYS)
    lines = lines[lines["kind"].isin(["service", "package"]) & lines["service_id"].notna()]
    by = lines.groupby(["service_id", "barber_id"])["price"].mean().groupby("service_id")
    cv = (by.std() / by.mean()).dropna()
    if cv.empty:
        return Reading(None, "no service was sold by two or more barbers in the last 90 days")
    volume = lines.groupby("service_id").size().reindex(cv.index)
    return Reading(float(np.average(cv, weights=volume)))


def price_increases(ctx: MethodContext, target: float) -> Reading:
    if ctx.history_days() < 365 + 30:
        return Reading(None, "needs more than 13 months of sales history")
    lines = ctx.items[ctx.items["kind"].isin(["service", "package"])]
    recent = ctx.items_window(30)
    recent = recent[recent["kind"].isin(["service", "package"])]
    old = lines[
        (lines["day"] > ctx.as_of - pd.Timedelta(days=395))
        & (lines["day"] <= ctx.as_of - pd.Timedelta(days=365))
    ]
    now_price = recent.groupby("service_id")["price"].median()
    then_price = old.groupby("service_id")["price"].median()
    both = now_price.index.intersection(then_price.index)
    if both.empty:
        return Reading(None, "no service was sold both a year ago and in the last 30 days")
    return Reading(float((now_price[both] > then_price[both]).mean()))


def tip_rate(ctx: MethodContext, target: float) -> Reading:
    done = ctx.completed()
    service = done["service"].sum()
    if service <= 0:
        return Reading(None, NO_VISITS)
    return Reading(float(done["tip"].sum() / service))  # tips are the barbers', not the shop's


def retention_90d(ctx: MethodContext, target: float) -> Reading:
    a = ctx.appts[ctx.appts["status"] == "completed"]
    before = a[ctx.days(180, 90).loc[a.index]]
    cohort = before["client_id"].unique()
    if len(cohort) == 0:
        return Reading(None, "no clients visited 90 to 180 days ago")
    recent = a[ctx.days(90).loc[a.index]]
    value = float(np.isin(cohort, recent["client_id"].unique()).mean())
    yearly = recent.groupby("client_id")["revenue"].sum().mean() * YEAR if len(recent) else 0
    return Reading(value, stake_cents=_gap(value, target) * len(cohort) * yearly)


def first_visit_return(ctx: MethodContext, target: float) -> Reading:
    a = ctx.appts[ctx.appts["status"] == "completed"]
    first = a.groupby("client_id")["day"].min()
    cohort = first[
        (first > ctx.as_of - pd.Timedelta(days=180)) & (first <= ctx.as_of - pd.Timedelta(days=90))
    ]
    if cohort.empty:
        return Reading(None, "no first visits 90 to 180 days ago")
    later = a[a["client_id"].isin(cohort.index) & (a["day"] <= ctx.as_of)]
    second = later.merge(cohort.rename("first"), left_on="client_id", right_index=True)
    second = second[
        (second["day"] > second["first"])
        & (second["day"] <= second["first"] + pd.Timedelta(days=90))
    ]
    value = float(cohort.index.isin(second["client_id"]).mean())
    per_client = a[ctx.days(365).loc[a.index]].groupby("client_id")["revenue"].sum().mean()
    new_per_year = len(cohort) * YEAR
    return Reading(value, stake_cents=_gap(value, target) * new_per_year * (per_client or 0))


def rebooking_rate(ctx: MethodContext, target: float) -> Reading:
    a = ctx.appts.sort_values(["client_id", "start"])
    nxt_booked = a.groupby("client_id")["booked_at"].shift(-1)
    done = (a["status"] == "completed") & ctx.days(WINDOW_DAYS, 1).loc[a.index]
    if not done.any():
        return Reading(None, NO_VISITS)
    rebooked = nxt_booked <= a["end"] + pd.Timedelta(days=1)
    return Reading(float(rebooked[done].mean()))


def premium_client_share(ctx: MethodContext, target: float, ticket: float = 7500) -> Reading:
    done = ctx.completed()
    if done.empty:
        return Reading(None, NO_VISITS)
    avg = done.groupby("client_id")["revenue"].mean()
    premium = avg >= ticket
    value = float(premium.mean())
    spend = done.groupby("client_id")["revenue"].sum()
    extra = (
        spend[premium].mean() - spend[~premium].mean() if premium.any() and (~premium).any() else 0
    )
    return Reading(value, stake_cents=_gap(value, target) * len(avg) * max(extra, 0) * YEAR)


def visits_per_client_year(ctx: MethodContext, target: float) -> Reading:
    if ctx.history_days() < 365:
        return Reading(None, "needs a full year of visit history")
    done = ctx.completed(365)
    if done.empty:
        return Reading(None, "no completed visits in the last year")
    per_client = done.groupby("client_id")["day"].nunique()
    value = float(per_client.mean())
    ticket = done["revenue"].sum() / per_client.sum()
    return Reading(value, stake_cents=_gap(value, target) * len(per_client) * ticket)


def _reviews(ctx: MethodContext) -> pd.DataFrame | None:
    return ctx.reviews if len(ctx.reviews) else None


NO_REVIEWS = "no reviews recorded: import them or add them in Settings"


def review_count(ctx: MethodContext, target: float) -> Reading:
    reviews = _reviews(ctx)
    if reviews is None:
        return Reading(None, NO_REVIEWS)
    recent = reviews[
        (reviews["day"] > ctx.as_of - pd.Timedelta(days=WINDOW_DAYS))
        & (reviews["day"] <= ctx.as_of)
    ]
    return Reading(float(len(recent)))


def review_rating(ctx: MethodContext, target: float) -> Reading:
    reviews = _reviews(ctx)
    if reviews is None:
        return Reading(None, NO_REVIEWS)
    year = reviews[
        (reviews["day"] > ctx.as_of - pd.Timedelta(days=365)) & (reviews["day"] <= ctx.as_of)
    ]
    if year.empty:
        return Reading(None, "no reviews in the last year")
    return Reading(float(year["rating"].mean()))


def referral_share(ctx: MethodContext, target: float) -> Reading:
    clients = ctx.clients
    if clients.empty or clients["referral_source"].isna().all():
        return Reading(None, "no referral sources recorded for clients")
    done = ctx.appts[ctx.appts["status"] == "completed"]
    first = done.groupby("client_id")["day"].min()
    new = first[first > ctx.as_of - pd.Timedelta(days=WINDOW_DAYS)].index
    if len(new) == 0:
        return Reading(None, "no new clients in the last 90 days")
    source = clients.set_index("client_id")["referral_source"].reindex(new).astype(str)
    return Reading(float((source == "referral").mean()))


def online_booking_share(ctx: MethodContext, target: float) -> Reading:
    w = ctx.window()
    known = w[~w["channel"].isin(["None", "nan", ""])]
    if known.empty:
        return Reading(None, "the exports do not say how appointments were booked")
    return Reading(float((known["channel"] == "online").mean()))


def utilisation(ctx: MethodContext, target: float) -> Reading:
    available = ctx.working_minutes()
    if available <= 0:
        return Reading(None, "no working hours recorded for the barbers")
    w = ctx.window()
    booked = w.loc[w["status"].isin(["completed", "no_show"]), "minutes"].sum()
    value = float(booked / available)
    done = w[w["status"] == "completed"]
    per_hour = done["revenue"].sum() / (done["minutes"].sum() / 60) if len(done) else 0
    return Reading(value, stake_cents=_gap(value, target) * available / 60 * per_hour * YEAR)


def revenue_per_booked_hour(ctx: MethodContext, target: float) -> Reading:
    done = ctx.completed()
    hours = done["minutes"].sum() / 60
    if hours <= 0:
        return Reading(None, NO_VISITS)
    value = float(done["revenue"].sum() / hours)
    return Reading(value, stake_cents=_gap(value, target) * hours * YEAR)


def revenue_per_available_hour(ctx: MethodContext, target: float) -> Reading:
    hours = ctx.working_minutes() / 60
    if hours <= 0:
        return Reading(None, "no working hours recorded for the barbers")
    value = float(ctx.completed()["revenue"].sum() / hours)
    return Reading(value, stake_cents=_gap(value, target) * hours * YEAR)


def missed_rate(ctx: MethodContext, target: float) -> Reading:
    w = ctx.window()
    w = w[w["status"].isin(["completed", "no_show", "cancelled"])]
    if w.empty:
        return Reading(None, "no appointments in the last 90 days")
    missed = w["status"].isin(["no_show", "cancelled"])
    value = float(missed.mean())
    ticket = w.loc[~missed, "revenue"].mean() if (~missed).any() else 0
    excess = max(value - target, 0.0) * len(w)
    return Reading(value, stake_cents=excess * ticket * YEAR)


def idle_minutes(ctx: MethodContext, target: float) -> Reading:
    w = ctx.window()
    w = w[w["status"].isin(["completed", "no_show"])].sort_values(["barber_id", "start"])
    same_day = (w["barber_id"].eq(w["barber_id"].shift())) & (w["day"].eq(w["day"].shift()))
    gaps = ((w["start"] - w["end"].shift()).dt.total_seconds() / 60)[same_day]
    gaps = gaps[gaps >= 0]
    if gaps.empty:
        return Reading(None, "no days with two or more appointments in the last 90 days")
    value = float(gaps.mean())
    done = w[w["status"] == "completed"]
    per_minute = done["revenue"].sum() / done["minutes"].sum() if len(done) else 0
    return Reading(value, stake_cents=max(value - target, 0) * len(gaps) * per_minute * YEAR)


def training_hours(ctx: MethodContext, target: float) -> Reading:
    if not len(ctx.training):
        return Reading(None, "no training logged: add courses and workshops in Settings")
    year = ctx.training[
        (ctx.training["day"] > ctx.as_of - pd.Timedelta(days=365))
        & (ctx.training["day"] <= ctx.as_of)
    ]
    barbers = max(len(ctx.barbers), 1)
    return Reading(float(year["hours"].sum() / barbers))


def new_service_share(ctx: MethodContext, target: float) -> Reading:
    if ctx.history_days() < 365 + WINDOW_DAYS:
        return Reading(None, "needs 15 months of sales history to tell new services from old")
    lines = ctx.items[ctx.items["kind"].isin(["service", "package"])]
    first_sold = lines.groupby("service_id")["day"].min()
    new = first_sold[first_sold > ctx.as_of - pd.Timedelta(days=365)].index
    recent = ctx.items_window(WINDOW_DAYS)
    recent = recent[recent["kind"].isin(["service", "package"])]
    total = recent["amount"].sum()
    if total <= 0:
        return Reading(None, NO_VISITS)
    return Reading(float(recent.loc[recent["service_id"].isin(new), "amount"].sum() / total))


def price_growth(ctx: MethodContext, target: float) -> Reading:
    if ctx.history_days() < 365 + WINDOW_DAYS:
        return Reading(None, "needs 15 months of sales history")
    lines = ctx.items[ctx.items["kind"].isin(["service", "package"])]
    now = ctx.items_window(WINDOW_DAYS)
    now = now[now["kind"].isin(["service", "package"])]
    then = lines[
        (lines["day"] > ctx.as_of - pd.Timedelta(days=365 + WINDOW_DAYS))
        & (lines["day"] <= ctx.as_of - pd.Timedelta(days=365))
    ]
    p_now, p_then = (
        now.groupby("service_id")["price"].mean(),
        then.groupby("service_id")["price"].mean(),
    )
    both = p_now.index.intersection(p_then.index)
    if both.empty:
        return Reading(None, "no service sold both now and a year ago")
    volume = now.groupby("service_id").size()[both]
    value = float(np.average(p_now[both] / p_then[both] - 1, weights=volume))
    return Reading(value, stake_cents=_gap(value, target) * now["amount"].sum() * YEAR)


SPECS: tuple[tuple[MetricSpec, Compute], ...] = (
    (
        MetricSpec(
            "avg_service_ticket",
            "premium_positioning",
            "Average service ticket",
            10000,
            True,
            "cents",
        ),
        avg_service_ticket,
    ),
    (
        MetricSpec(
            "premium_revenue_share",
            "premium_positioning",
            "Premium share of service revenue",
            0.30,
            True,
            "share",
        ),
        premium_revenue_share,
    ),
    (
        MetricSpec(
            "premium_buyer_share",
            "premium_positioning",
            "Clients buying a premium service",
            0.25,
            True,
            "share",
        ),
        premium_buyer_share,
    ),
    (
        MetricSpec(
            "discount_frequency", "value_pricing", "Visits with a discount", 0.05, False, "share"
        ),
        discount_frequency,
    ),
    (
        MetricSpec(
            "discount_depth", "value_pricing", "Average discount when given", 0.10, False, "share"
        ),
        discount_depth,
    ),
    (
        MetricSpec(
            "price_consistency",
            "value_pricing",
            "Price spread across barbers",
            0.05,
            False,
            "share",
            shop_only=True,
        ),
        price_consistency,
    ),
    (
        MetricSpec(
            "price_increases",
            "value_pricing",
            "Services with a price rise in 12 months",
            0.50,
            True,
            "share",
            shop_only=True,
        ),
        price_increases,
    ),
    (
        MetricSpec(
            "tip_rate", "value_pricing", "Tips as a share of service revenue", 0.18, True, "share"
        ),
        tip_rate,
    ),
    (
        MetricSpec(
            "retention_90d", "client_relationships", "90-day retention", 0.85, True, "share"
        ),
        retention_90d,
    ),
    (
        MetricSpec(
            "first_visit_return",
            "client_relationships",
            "First-visit return rate",
            0.60,
            True,
            "share",
        ),
        first_visit_return,
    ),
    (
        MetricSpec(
            "rebooking_rate", "client_relationships", "Rebooked at checkout", 0.60, True, "share"
        ),
        rebooking_rate,
    ),
    (
        MetricSpec(
            "premium_client_share", "client_relationships", "Premium clients", 0.30, True, "share"
        ),
        premium_client_share,
    ),
    (
        MetricSpec(
            "visits_per_client_year",
            "client_relationships",
            "Visits per client per year",
            8.0,
            True,
            "visits",
        ),
        visits_per_client_year,
    ),
    (
        MetricSpec("review_count", "brand_building", "Reviews in 90 days", 15, True, "count"),
        review_count,
    ),
    (
        MetricSpec("review_rating", "brand_building", "Average rating", 4.8, True, "rating"),
        review_rating,
    ),
    (
        MetricSpec(
            "referral_share", "brand_building", "New clients from referrals", 0.30, True, "share"
        ),
        referral_share,
    ),
    (
        MetricSpec("online_booking_share", "brand_building", "Booked online", 0.60, True, "share"),
        online_booking_share,
    ),
    (
        MetricSpec("utilisation", "business_efficiency", "Utilisation", 0.75, True, "share"),
        utilisation,
    ),
    (
        MetricSpec(
            "revenue_per_booked_hour",
            "business_efficiency",
            "Revenue per booked hour",
            9000,
            True,
            "cents",
        ),
        revenue_per_booked_hour,
    ),
    (
        MetricSpec(
            "revenue_per_available_hour",
            "business_efficiency",
            "Revenue per available hour",
            6500,
            True,
            "cents",
        ),
        revenue_per_available_hour,
    ),
    (
        MetricSpec(
            "missed_rate", "business_efficiency", "No-shows and cancellations", 0.05, False, "share"
        ),
        missed_rate,
    ),
    (
        MetricSpec(
            "idle_minutes",
            "business_efficiency",
            "Idle minutes between appointments",
            15,
            False,
            "minutes",
        ),
        idle_minutes,
    ),
    (
        MetricSpec(
            "training_hours",
            "skill_development",
            "Training hours per barber (12 months)",
            40,
            True,
            "hours",
        ),
        training_hours,
    ),
    (
        MetricSpec(
            "new_service_share",
            "skill_development",
            "Revenue from services new this year",
            0.10,
            True,
            "share",
        ),
        new_service_share,
    ),
    (
        MetricSpec(
            "price_growth",
            "skill_development",
            "Service price growth (year on year)",
            0.05,
            True,
            "share",
        ),
        price_growth,
    ),
)
