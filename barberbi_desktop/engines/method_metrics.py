"""The named metrics of the six Six Figure Barber principles.

Each metric is computed for every group of the context at once (the shop, or
every barber) and returns, per group, its value (NaN with one reason where the
data cannot tell) and an estimate of the yearly revenue in cents that reaching
the target would bring (NaN where no honest estimate exists). Formulas,
windows and targets are documented in docs/METRICS.md; the window is the 90
days ending on the analysed day unless a metric says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from barberbi_desktop.engines import known
from barberbi_desktop.engines.method_context import WINDOW_DAYS, MethodContext

YEAR = 365 / WINDOW_DAYS  # scales a 90-day amount to a year


@dataclass(frozen=True)
class Reading:
    value: pd.Series  # by group; NaN: unknown
    reason: str | None = None  # why a value is unknown
    stake_cents: pd.Series | None = None  # by group; NaN or None: no estimate
    reasons: pd.Series | None = None  # by group, where groups are unknown for different reasons

    def why(self, group: int) -> str | None:
        if self.reasons is not None:
            own = self.reasons.get(group)
            if isinstance(own, str) and own:
                return own
        return self.reason


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


Stake = pd.Series | Callable[[], pd.Series] | None


def _out(
    ctx: MethodContext,
    value: pd.Series,
    reason: str | None = None,
    stake: Stake = None,
    reasons: pd.Series | None = None,
) -> Reading:
    """A reading per group. ``stake`` may be a function: it is only called when the
    context wants stakes (the monthly trajectory does not, and most of a metric's
    cost is its stake)."""
    groups = ctx.groups
    value = value.reindex(groups).astype(float)
    value = value.where(np.isfinite(value))  # a ratio over nothing is unknown, never inf
    if callable(stake):
        stake = stake() if ctx.stakes else None
    return Reading(
        value, reason, None if stake is None else stake.reindex(groups).astype(float), reasons
    )


def _none(ctx: MethodContext, reason: str) -> Reading:
    return Reading(pd.Series(np.nan, index=ctx.groups), reason)


def _gap(value: pd.Series, target: float) -> pd.Series:
    return (target - value).clip(lower=0)


def _per_client(frame: pd.DataFrame, column: str, how: str) -> pd.Series:
    """Aggregate ``column`` per (group, client)."""
    return frame.groupby(["g", "client_id"])[column].agg(how)


def _split_mean(flag: pd.Series, spend: pd.Series) -> pd.Series:
    """Per group: mean spend of flagged clients minus mean spend of the others."""
    frame = pd.DataFrame({"flag": flag, "spend": spend})
    means = frame.groupby([frame.index.get_level_values("g"), "flag"])["spend"].mean().unstack()
    if True not in means or False not in means:
        return pd.Series(0.0, index=means.index)
    return (means[True] - means[False]).fillna(0).clip(lower=0)


def avg_service_ticket(ctx: MethodContext, target: float) -> Reading:
    done = ctx.completed()
    net = (done["service"] - done["discount"]).groupby(done["g"])
    value = net.mean()
    return _out(ctx, value, NO_VISITS, lambda: _gap(value, target) * net.size() * YEAR)


def _service_lines(ctx: MethodContext, start: int, end: int = 0) -> pd.DataFrame:
    lines = ctx.items_window(start, end)
    return lines[lines["is_service"]]


def _priced(lines: pd.DataFrame) -> pd.DataFrame:
    """Lines with a real price: a $0 consultation or an unknown price says nothing about
    what a service costs (and a ratio over it is meaningless)."""
    return lines[lines["price"] > 0]


def premium_revenue_share(ctx: MethodContext, target: float) -> Reading:
    if not ctx.any_premium:
        return _none(ctx, known.NO_PREMIUM)
    lines = _service_lines(ctx, WINDOW_DAYS)
    total = lines.groupby("g")["amount"].sum()
    premium = lines[lines["premium"]].groupby("g")["amount"].sum().reindex(total.index).fillna(0)
    value = premium / total.where(total > 0)

    def stake() -> pd.Series:
        # Moving that share of service revenue from standard to premium services, at
        # the group's own price ratio between the two.
        priced = _priced(lines)
        p_price = priced[priced["premium"]].groupby("g")["price"].mean()
        s_price = priced[~priced["premium"]].groupby("g")["price"].mean()
        uplift = p_price / s_price - 1
        return _gap(value, target) * total * YEAR * uplift.where(uplift > 0)

    return _out(ctx, value, NO_VISITS, stake)


def premium_buyer_share(ctx: MethodContext, target: float) -> Reading:
    if not ctx.any_premium:
        return _none(ctx, known.NO_PREMIUM)
    done = ctx.completed()
    done = done[done["client_id"].notna()]
    bought = _per_client(done, "premium", "any")
    value = bought.groupby(level="g").mean()

    def stake() -> pd.Series:
        extra = _split_mean(bought, _per_client(done, "revenue", "sum"))
        return _gap(value, target) * bought.groupby(level="g").size() * extra * YEAR

    return _out(ctx, value, NO_VISITS, stake)


def _excess(value: pd.Series, target: float) -> pd.Series:
    return (1 - target / value).where(value > target, 0.0)


def _discounts(ctx: MethodContext) -> tuple[pd.DataFrame, str]:
    """The window's visits from sources that record discounts, and the reason if none."""
    done = ctx.completed()
    covered = done[done["discount_src"]]
    return covered, known.NO_DISCOUNTS if len(done) else NO_VISITS


def discount_frequency(ctx: MethodContext, target: float) -> Reading:
    done, why = _discounts(ctx)
    value = (done["discount"] > 0).groupby(done["g"]).mean()
    return _out(
        ctx,
        value,
        why,
        lambda: done.groupby("g")["discount"].sum() * YEAR * _excess(value, target),
    )


def discount_depth(ctx: MethodContext, target: float) -> Reading:
    done, why = _discounts(ctx)
    discounted = done[done["discount"] > 0]
    gross = discounted["service"] + discounted["product"]
    depth = (discounted["discount"] / gross.where(gross > 0)).groupby(discounted["g"]).mean()
    seen = done.groupby("g").size()
    value = depth.reindex(seen.index).fillna(0.0)  # visits but no discounts: depth 0

    def stake() -> pd.Series:
        yearly = discounted.groupby("g")["discount"].sum().reindex(seen.index).fillna(0) * YEAR
        return yearly * _excess(value, target)

    return _out(ctx, value, why, stake)


def price_consistency(ctx: MethodContext, target: float) -> Reading:
    lines = _priced(_service_lines(ctx, WINDOW_DAYS))
    lines = lines[lines["service_id"].notna() & lines["barber_id"].notna()]
    by = lines.groupby(["service_id", "barber_id"])["price"].mean().groupby("service_id")
    cv = (by.std() / by.mean()).dropna()
    if cv.empty:
        return _none(ctx, "no service was sold by two or more barbers in the last 90 days")
    volume = lines.groupby("service_id").size().reindex(cv.index)
    return _out(ctx, pd.Series({0: float(np.average(cv, weights=volume))}))


def price_increases(ctx: MethodContext, target: float) -> Reading:
    if ctx.history_days() < 365 + 30:
        return _none(ctx, "needs more than 13 months of sales history")
    now = _priced(_service_lines(ctx, 30)).groupby("service_id")["price"].median()
    then = _priced(_service_lines(ctx, 395, 365)).groupby("service_id")["price"].median()
    both = now.index.intersection(then.index)
    if both.empty:
        return _none(ctx, "no service was sold both a year ago and in the last 30 days")
    return _out(ctx, pd.Series({0: float((now[both] > then[both]).mean())}))


def tip_rate(ctx: MethodContext, target: float) -> Reading:
    done = ctx.completed()
    tipped = done[done["tips_src"]]
    sums = tipped.groupby("g")[["tip", "service"]].sum()
    # Tips are the barbers' money, not the shop's: no stake.
    return _out(
        ctx,
        sums["tip"] / sums["service"].where(sums["service"] > 0),
        known.NO_TIPS
        if len(done) and not len(tipped)
        else "no service revenue in the last 90 days"
        if len(done)
        else NO_VISITS,
    )


def _distinct(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct integer keys. numpy's own ``unique`` hashes, and on these
    (group << 32 | client) keys hashing was several times slower than sorting."""
    ordered = np.sort(keys)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


def _by_pair_group(keys: np.ndarray, values: np.ndarray, how: str = "mean") -> pd.Series:
    """Aggregate per-pair values up to their group (the key's high 32 bits)."""
    return pd.Series(values).groupby(keys >> 32).agg(how)


def _yearly_spend(
    frame: pd.DataFrame, keys: np.ndarray, mask: np.ndarray, scale: float
) -> pd.Series:
    """Mean spend per (group, client) over the masked visits, by group, scaled to a year."""
    per_pair = pd.Series(frame["revenue"].to_numpy()[mask]).groupby(keys[mask]).sum()
    return _by_pair_group(per_pair.index.to_numpy(), per_pair.to_numpy()) * scale


def retention_90d(ctx: MethodContext, target: float) -> Reading:
    a = ctx.window(180)  # every metric below reads only the last 180 days
    keys = ctx.pair_keys(a)
    done, day = a["done"].to_numpy() & ctx.has_client(a), a["day"].to_numpy()
    split = (ctx.as_of - pd.Timedelta(days=WINDOW_DAYS)).to_datetime64()
    cohort_mask = done & (day <= split)
    recent_mask = done & (day > split)
    cohort = _distinct(keys[cohort_mask])
    if cohort.size == 0:
        return _none(ctx, "no clients visited 90 to 180 days ago")
    back = np.isin(cohort, _distinct(keys[recent_mask]))
    value = _by_pair_group(cohort, back.astype(float))

    def stake() -> pd.Series:
        size = _by_pair_group(cohort, np.ones(cohort.size), "sum")
        yearly = _yearly_spend(a, keys, recent_mask, YEAR).reindex(size.index).fillna(0)
        return _gap(value, target) * size * yearly

    return _out(ctx, value, "no clients visited 90 to 180 days ago", stake)


def first_visit_return(ctx: MethodContext, target: float) -> Reading:
    # A client first seen 90 to 180 days ago has every visit in the last 180 days.
    a = ctx.window(180)
    keys, day = ctx.pair_keys(a), a["day"].to_numpy()
    first = a[ctx.first_col].to_numpy()
    done = a["done"].to_numpy() & ctx.has_client(a)
    lo = (ctx.as_of - pd.Timedelta(days=180)).to_datetime64()
    hi = (ctx.as_of - pd.Timedelta(days=90)).to_datetime64()
    in_cohort = done & (first > lo) & (first <= hi)
    cohort = _distinct(keys[in_cohort])
    if cohort.size == 0:
        return _none(ctx, "no first visits 90 to 180 days ago")
    again = in_cohort & (day > first) & (day <= first + np.timedelta64(90, "D"))
    value = _by_pair_group(cohort, np.isin(cohort, _distinct(keys[again])).astype(float))

    def stake() -> pd.Series:
        year = ctx.window(365)
        mask = year["done"].to_numpy() & ctx.has_client(year)
        per_client = _yearly_spend(year, ctx.pair_keys(year), mask, 1.0)
        new_per_year = _by_pair_group(cohort, np.ones(cohort.size), "sum") * YEAR
        return _gap(value, target) * new_per_year * per_client.reindex(new_per_year.index)

    return _out(ctx, value, "no first visits 90 to 180 days ago", stake)


def rebooking_rate(ctx: MethodContext, target: float) -> Reading:
    a = ctx.span(WINDOW_DAYS, 1)
    done = a[a["done"]]
    # A visit whose client's next appointment has no booking time cannot be judged; one
    # with no next appointment was not rebooked.
    judged = done[done["booked_src"] & (done["next_start"].isna() | done["next_booked"].notna())]
    rebooked = judged["next_booked"] <= judged["end"] + pd.Timedelta(days=1)
    why = NO_VISITS if not len(done) else known.NO_BOOKED_AT
    if len(done) and done["booked_src"].any():
        why = "no visit's next booking time is known"
    return _out(ctx, rebooked.groupby(judged["g"]).mean(), why)


def premium_client_share(ctx: MethodContext, target: float, ticket: float = 7500) -> Reading:
    done = ctx.completed()
    done = done[done["client_id"].notna()]
    premium = _per_client(done, "revenue", "mean") >= ticket
    value = premium.groupby(level="g").mean()

    def stake() -> pd.Series:
        extra = _split_mean(premium, _per_client(done, "revenue", "sum"))
        return _gap(value, target) * premium.groupby(level="g").size() * extra * YEAR

    return _out(ctx, value, NO_VISITS, stake)


def visits_per_client_year(ctx: MethodContext, target: float) -> Reading:
    if ctx.history_days() < 365:
        return _none(ctx, "needs a full year of visit history")
    year = ctx.window(365)
    mask = year["done"].to_numpy() & ctx.has_client(year)
    if not mask.any():
        return _none(ctx, "no completed visits in the last year")
    keys = ctx.pair_keys(year)[mask]
    # Distinct (group, client, day) as one integer: the day's offset in the year takes
    # the low nine bits, so a set of visit days is one numpy unique, not a frame.
    offset = (
        (year["day"].to_numpy()[mask] - year["day"].to_numpy()[mask].min())
        .astype("timedelta64[D]")
        .astype("int64")
    )
    pair_keys, counts = np.unique(_distinct(keys * 512 + offset) // 512, return_counts=True)
    per_pair = pd.Series(counts, index=pair_keys)
    value = _by_pair_group(pair_keys, per_pair.to_numpy().astype(float))

    def stake() -> pd.Series:
        visit_days = _by_pair_group(pair_keys, per_pair.to_numpy().astype(float), "sum")
        clients = _by_pair_group(pair_keys, np.ones(pair_keys.size), "sum")
        revenue = pd.Series(year["revenue"].to_numpy()[mask]).groupby(keys >> 32).sum()
        return _gap(value, target) * clients * revenue / visit_days

    return _out(ctx, value, "no completed visits in the last year", stake)


NO_REVIEWS = "no reviews recorded: import them or add them in Settings"


def _reviews(ctx: MethodContext, days: int) -> pd.DataFrame:
    r = ctx.reviews
    return r[(r["day"] > ctx.as_of - pd.Timedelta(days=days)) & (r["day"] <= ctx.as_of)]


def _no_reviews(ctx: MethodContext) -> str | None:
    if not len(ctx.reviews):
        return NO_REVIEWS
    if ctx.by_barber and ctx.reviews["barber_id"].isna().all():
        return "the reviews do not name a barber"
    return None


def review_count(ctx: MethodContext, target: float) -> Reading:
    if why := _no_reviews(ctx):
        return _none(ctx, why)
    counts = _reviews(ctx, WINDOW_DAYS).groupby("g").size()
    return _out(ctx, counts.reindex(ctx.groups, fill_value=0))


def review_rating(ctx: MethodContext, target: float) -> Reading:
    if why := _no_reviews(ctx):
        return _none(ctx, why)
    return _out(
        ctx, _reviews(ctx, 365).groupby("g")["rating"].mean(), "no reviews in the last year"
    )


def referral_share(ctx: MethodContext, target: float) -> Reading:
    clients = ctx.clients
    if clients.empty or clients["referral_source"].isna().all():
        return _none(ctx, "no referral sources recorded for clients")
    a = ctx.appts
    first = a[ctx.first_col]
    new = a[
        (a["status"] == "completed")
        & (a["day"] == first)
        & (first > ctx.as_of - pd.Timedelta(days=WINDOW_DAYS))
        & (first <= ctx.as_of)
    ]
    new = new[["g", "client_id"]].drop_duplicates()
    source = new["client_id"].map(clients.set_index("client_id")["referral_source"]).astype(str)
    return _out(
        ctx, (source == "referral").groupby(new["g"]).mean(), "no new clients in the last 90 days"
    )


def online_booking_share(ctx: MethodContext, target: float) -> Reading:
    w = ctx.window()
    told = w[~w["channel"].isin(["None", "nan", "", "<NA>"]) & w["channel_src"]]
    if told.empty:
        return _none(ctx, known.NO_CHANNEL if len(w) else "no appointments in the last 90 days")
    return _out(
        ctx,
        (told["channel"] == "online").groupby(told["g"]).mean(),
        "no appointments with a known booking channel in the last 90 days",
    )


def _booked_hours(w: pd.DataFrame) -> pd.DataFrame:
    """Revenue and hours of the completed visits whose length is known."""
    done = w[w["done"] & w["minutes"].notna()]
    return pd.DataFrame(
        {
            "revenue": done.groupby("g")["revenue"].sum(),
            "hours": done.groupby("g")["minutes"].sum() / 60,
        }
    )


HELD = ["completed", "no_show"]


def _hours_gate(ctx: MethodContext, w: pd.DataFrame, hours: bool, timed: bool) -> pd.Series:
    """Per group, why an hours-based measure cannot be told ("" where it can).

    ``hours``: every barber who held appointments must have working hours (a shop
    figure over some barbers' hours and all barbers' visits would be wrong).
    ``timed``: at least `known.MIN_TIMED_SHARE` of the held visits must have a time
    of day and a length.
    """
    gate = pd.Series("", index=ctx.groups, dtype=object)
    held = w[w["status"].isin(HELD)]
    if timed and len(held):
        counts = held.groupby("g")["timed"].agg(["sum", "size"]).reindex(ctx.groups)
        few = counts["sum"] < known.MIN_TIMED_SHARE * counts["size"]
        for g in counts.index[few.fillna(False).to_numpy(dtype=bool)]:
            gate[g] = known.too_few_timed(int(counts.loc[g, "sum"]), int(counts.loc[g, "size"]))
    if hours:
        roster = known.rostered(ctx.barbers)
        lacking = set(roster.index[~roster.to_numpy()])
        if ctx.by_barber:
            for g in gate.index[gate.index.isin(list(lacking))]:
                gate[g] = known.no_hours(known.barber_names(ctx.barbers, [g]))
        else:
            worked = set(held["barber_id"].dropna().astype("int64")) & lacking
            if worked:
                gate[:] = known.no_hours(known.barber_names(ctx.barbers, sorted(worked)))
    return gate


def _gated(value: pd.Series, gate: pd.Series) -> pd.Series:
    return value.where(gate.reindex(value.index).fillna("").eq(""))


def utilisation(ctx: MethodContext, target: float) -> Reading:
    available = ctx.working_minutes()
    w = ctx.window()
    gate = _hours_gate(ctx, w, hours=True, timed=True)
    held = w[w["status"].isin(HELD) & w["timed"]]
    booked = held.groupby("g")["minutes"].sum()
    value = _gated(booked.reindex(available.index).fillna(0) / available.where(available > 0), gate)

    def stake() -> pd.Series:
        b = _booked_hours(w).reindex(available.index)
        per_hour = b["revenue"] / b["hours"].where(b["hours"] > 0)
        return _gap(value, target) * available / 60 * per_hour.fillna(0) * YEAR

    return _out(ctx, value, known.NO_HOURS, stake, gate)


def revenue_per_booked_hour(ctx: MethodContext, target: float) -> Reading:
    w = ctx.window()
    b = _booked_hours(w)
    value = b["revenue"] / b["hours"].where(b["hours"] > 0)
    why = known.NO_LENGTHS if w["done"].any() else NO_VISITS
    return _out(ctx, value, why, lambda: _gap(value, target) * b["hours"] * YEAR)


def revenue_per_available_hour(ctx: MethodContext, target: float) -> Reading:
    w = ctx.window()
    gate = _hours_gate(ctx, w, hours=True, timed=False)
    hours = ctx.working_minutes() / 60
    done = w[w["done"]]
    revenue = done.groupby("g")["revenue"].sum().reindex(hours.index).fillna(0)
    value = _gated(revenue / hours.where(hours > 0), gate)
    return _out(
        ctx,
        value,
        known.NO_HOURS,
        lambda: _gap(value, target) * hours * YEAR,
        gate,
    )


def missed_rate(ctx: MethodContext, target: float) -> Reading:
    w = ctx.window()
    w = w[w["status"].isin(["completed", "no_show", "cancelled"])]
    why = known.NO_STATUSES if len(w) else "no appointments in the last 90 days"
    w = w[w["status_src"]]  # only sources that record missed visits at all
    missed = w["status"].isin(["no_show", "cancelled"])
    value = missed.groupby(w["g"]).mean()

    def stake() -> pd.Series:
        ticket = w.loc[~missed].groupby("g")["revenue"].mean()
        count = w.groupby("g").size()
        return (value - target).clip(lower=0) * count * ticket.reindex(count.index).fillna(0) * YEAR

    return _out(ctx, value, why, stake)


def idle_minutes(ctx: MethodContext, target: float) -> Reading:
    w = ctx.window()
    gate = _hours_gate(ctx, w, hours=False, timed=True)
    w = w[w["status"].isin(HELD) & w["timed"]]
    # Each barber's day in order of start, in numpy: the gap is this start minus the
    # previous appointment's end, on the same day with the same barber.
    barber = w["barber_id"].to_numpy(dtype="float64", na_value=np.nan)
    start, end, day = (w[c].to_numpy() for c in ("start", "end", "day"))
    order = np.lexsort((start, barber))
    barber, start, end, day = barber[order], start[order], end[order], day[order]
    g = w["g"].to_numpy()[order]
    gaps = (start[1:] - end[:-1]) / np.timedelta64(1, "m")
    keep = (barber[1:] == barber[:-1]) & (day[1:] == day[:-1]) & (gaps >= 0)
    value = _gated(pd.Series(gaps[keep]).groupby(g[1:][keep]).mean(), gate)

    def stake() -> pd.Series:
        b = _booked_hours(w)
        per_minute = b["revenue"] / (b["hours"] * 60).where(b["hours"] > 0)
        count = pd.Series(keep).groupby(g[1:]).sum()
        return (value - target).clip(lower=0) * count * per_minute.reindex(count.index) * YEAR

    return _out(
        ctx, value, "no days with two or more appointments in the last 90 days", stake, gate
    )


def training_hours(ctx: MethodContext, target: float) -> Reading:
    if not len(ctx.training):
        return _none(ctx, "no training logged: add courses and workshops in Settings")
    t = ctx.training
    year = t[(t["day"] > ctx.as_of - pd.Timedelta(days=365)) & (t["day"] <= ctx.as_of)]
    hours = year.groupby("g")["hours"].sum().reindex(ctx.groups, fill_value=0.0)
    barbers = 1 if ctx.by_barber else max(len(ctx.barbers), 1)
    return _out(ctx, hours / barbers)


def new_service_share(ctx: MethodContext, target: float) -> Reading:
    if ctx.history_days() < 365 + WINDOW_DAYS:
        return _none(ctx, "needs 15 months of sales history to tell new services from old")
    recent = _service_lines(ctx, WINDOW_DAYS)
    new = recent["first_sold"] > ctx.as_of - pd.Timedelta(days=365)
    total = recent.groupby("g")["amount"].sum()
    value = recent["amount"].where(new, 0).groupby(recent["g"]).sum() / total.where(total > 0)
    return _out(ctx, value, NO_VISITS)


def price_growth(ctx: MethodContext, target: float) -> Reading:
    if ctx.history_days() < 365 + WINDOW_DAYS:
        return _none(ctx, "needs 15 months of sales history")
    now = _priced(_service_lines(ctx, WINDOW_DAYS))
    then = _priced(_service_lines(ctx, 365 + WINDOW_DAYS, 365))
    p_now = now.groupby(["g", "service_id"])["price"].agg(["mean", "size"])
    p_then = then.groupby(["g", "service_id"])["price"].mean().rename("then")
    both = p_now.join(p_then, how="inner")
    if both.empty:
        return _none(ctx, "no service sold both now and a year ago")
    growth = both["mean"] / both["then"] - 1
    weighted = (growth * both["size"]).groupby(level="g").sum()
    value = weighted / both["size"].groupby(level="g").sum()
    return _out(
        ctx,
        value,
        "no service sold both now and a year ago",
        lambda: _gap(value, target) * now.groupby("g")["amount"].sum().reindex(value.index) * YEAR,
    )


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
