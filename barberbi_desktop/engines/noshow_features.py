"""Per-booking features for the no-show engine, as the shop knew them at a cutoff.

One sort of the held bookings (every status except cancelled) by client and start,
then, for each cutoff, a handful of cumulative sums: a booking's client history
counts only visits that had *happened* by the cutoff (or, for a booking before the
cutoff, before the booking itself), so nothing after the cutoff is ever read. The
same pass gives the training rows (bookings whose outcome was known) and the rows to
score (bookings after the cutoff that were made by then), which is what makes a
weekly replay cheap on two million appointments.

The client's own rate is shrunk toward the shop's with empirical Bayes: a
beta-binomial fitted to every client's (missed, booked) counts at the cutoff, so a
client with one booking and one miss is not called a certain no-show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln

from barberbi_desktop.engines.data import ShopData
from barberbi_desktop.engines.known import booking_channel, source_codes, visit_minutes

DAY_NS = 86_400 * 10**9
CHANNELS = ("online", "phone", "walk_in")
# Column order of the model matrix; the engine leaves out what the data cannot fill.
FEATURES = (
    "client_logit",
    "prior_booked",
    "missed_recent",
    "booked_recent",
    "first_visit",
    "days_since_last",
    "lead_days",
    "channel_online",
    "channel_phone",
    "channel_walk_in",
    "weekday",
    "hour",
    "price",
    "minutes",
    "barber_logit",
)
RECENT = 6  # "missed 2 of their last 6"


@dataclass(frozen=True)
class Bookings:
    """Held bookings sorted by (client, start), as plain arrays."""

    frame: pd.DataFrame  # appointment_id, client_id, barber_id, start, booked_at, status, ...
    client_key: np.ndarray  # int64 per row; a booking with no client is its own group
    group_start: np.ndarray  # index of the first row of the row's client group
    start_ns: np.ndarray
    booked_ns: np.ndarray  # the smallest int64 when unknown (then treated as known)
    booked_known: np.ndarray
    no_show: np.ndarray
    completed: np.ndarray
    recorded: np.ndarray  # the row's source records no-shows at all
    features_known: dict[str, bool]


def _ns(series: pd.Series) -> np.ndarray:
    values = series.to_numpy(dtype="datetime64[ns]", na_value=np.datetime64("NaT"))
    return values.view("int64")


def prepare(data: ShopData) -> Bookings:
    """Sort and annotate the held bookings once; every cutoff reuses this."""
    appts = data.appointments
    status = appts["status"].astype("object").to_numpy()
    held = status != "cancelled"
    a = appts.loc[held]
    local = data.local_start().loc[held] if len(a) else pd.Series(dtype="datetime64[ns]")
    price = _price(a, data.services)
    minutes = visit_minutes(a, data.services) if len(a) else pd.Series(dtype=float)
    channel = a["channel"].astype("object") if "channel" in a else pd.Series(None, index=a.index)
    has_channel = booking_channel(channel) if len(a) else np.zeros(0, bool)
    client = pd.to_numeric(a["client_id"], errors="coerce").to_numpy(dtype=float)
    key = np.where(np.isnan(client), -1 - np.arange(len(a)), np.nan_to_num(client, nan=0))
    frame = pd.DataFrame(
        {
            "appointment_id": a["appointment_id"].to_numpy(),
            "client_id": client,
            "barber_id": pd.to_numeric(a["barber_id"], errors="coerce").to_numpy(dtype=float),
            "start": a["start"].to_numpy(),
            "status": status[held],
            "channel": channel.to_numpy(),
            "weekday": local.dt.day_of_week.to_numpy(dtype=float),
            "hour": (local.dt.hour + local.dt.minute / 60).to_numpy(dtype=float),
            "price_cents": price.to_numpy(dtype=float),
            "minutes": minutes.to_numpy(dtype=float),
            "key": key.astype(np.int64),
        }
    )
    start_ns = _ns(a["start"])
    booked = _ns(a["booked_at"]) if "booked_at" in a else np.full(len(a), np.iinfo(np.int64).min)
    booked_known = booked != np.iinfo(np.int64).min
    source = source_codes(a)
    no_show = status[held] == "no_show"
    recorded = np.isin(source, np.unique(source[no_show]))
    if "time_known" in a:
        frame.loc[~a["time_known"].fillna(True).astype(bool).to_numpy(), "hour"] = np.nan
    frame["start_ns"] = start_ns
    # Unknown booking time: the booking counts as known at any cutoff (NO_BOOKED_AT).
    frame["booked_ns"] = np.where(booked_known, booked, np.iinfo(np.int64).min)
    frame["booked_known"] = booked_known
    frame["no_show"] = no_show
    frame["completed"] = status[held] == "completed"
    frame["recorded"] = recorded
    frame["has_channel"] = has_channel
    frame = frame.sort_values(["key", "start_ns"], kind="stable").reset_index(drop=True)
    key_sorted = frame["key"].to_numpy()
    first = np.r_[True, key_sorted[1:] != key_sorted[:-1]] if len(frame) else np.zeros(0, bool)
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(frame)), 0))
    known = {
        "lead_days": bool(booked_known.any()),
        "channel": bool(has_channel.any()),
        "hour": bool(frame["hour"].notna().any()),
        "price": bool(frame["price_cents"].notna().any()),
        "minutes": bool(frame["minutes"].notna().any()),
        "barber": bool(frame["barber_id"].notna().any()),
    }
    return Bookings(
        frame=frame,
        client_key=key_sorted,
        group_start=group_start,
        start_ns=frame["start_ns"].to_numpy(),
        booked_ns=frame["booked_ns"].to_numpy(),
        booked_known=frame["booked_known"].to_numpy(),
        no_show=frame["no_show"].to_numpy() & frame["recorded"].to_numpy(),
        completed=frame["completed"].to_numpy(),
        recorded=frame["recorded"].to_numpy(),
        features_known=known,
    )


def _price(appts: pd.DataFrame, services: pd.DataFrame) -> pd.Series:
    """What the booking is worth: its service's list price, else the service's median
    sold price, else unknown. One figure per service, never the booking's own sale: a
    missed or future booking has no sale, so a sold amount would tell the model (and
    the money at stake) which bookings were kept."""
    listed = pd.Series(np.nan, index=appts.index)
    service = appts["service_id"]
    if len(services) and {"service_id", "list_price_cents"} <= set(services):
        prices = pd.to_numeric(services.set_index("service_id")["list_price_cents"], "coerce")
        prices = prices[~prices.index.duplicated()]
        listed = service.map(prices.where(prices > 0)).astype(float)
    if "service_cents" in appts and listed.isna().any():
        sold = appts["service_cents"].astype(float)
        done = (appts["status"].astype("object") == "completed") & (sold > 0)
        median = sold[done].groupby(service[done]).median()
        listed = listed.fillna(service.map(median).astype(float))
    return listed


def beta_prior(missed: np.ndarray, booked: np.ndarray) -> tuple[float, float]:
    """Empirical-Bayes Beta(alpha, beta) of clients' no-show rates (beta-binomial ML).

    Fitted on the unique (booked, missed) pairs with their counts, so it costs the same
    for a chain as for a shop. Falls back on a weak prior at the pooled rate."""
    use = booked > 0
    total_b, total_m = booked[use].sum(), missed[use].sum()
    rate = (total_m + 0.5) / (total_b + 1.0) if total_b else 0.05
    fallback = (2.0 * rate, 2.0 * (1 - rate))
    if use.sum() < 30 or total_m == 0:
        return fallback
    pairs, counts = np.unique(np.c_[booked[use], missed[use]], axis=0, return_counts=True)
    n, k = pairs[:, 0].astype(float), pairs[:, 1].astype(float)

    def nll(theta: np.ndarray) -> float:
        a, b = np.exp(theta)
        return -float(np.sum(counts * (betaln(k + a, n - k + b) - betaln(a, b))))

    start = np.log([max(fallback[0], 0.05), max(fallback[1], 0.5)])
    fit = minimize(nll, start, method="L-BFGS-B", bounds=[(-6.0, 8.0), (-4.0, 10.0)])
    if not fit.success and not np.isfinite(fit.fun):
        return fallback
    a, b = np.exp(fit.x)
    return float(a), float(b)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class AtCutoff:
    """Every held booking's features as known at one cutoff."""

    cutoff_ns: int
    features: pd.DataFrame  # FEATURES columns, one row per booking (Bookings order)
    past: np.ndarray  # the booking's start is at or before the cutoff
    outcome: np.ndarray  # past, from a recording source, completed or no-show
    upcoming: np.ndarray  # after the cutoff and booked by then
    prior_booked: np.ndarray
    prior_missed: np.ndarray
    missed_recent: np.ndarray
    booked_recent: np.ndarray
    first_visit: np.ndarray
    days_since_last: np.ndarray
    lead_days: np.ndarray
    client_prior: tuple[float, float]
    shop_rate: float


def at_cutoff(b: Bookings, cutoff_ns: int) -> AtCutoff:
    """Features of every held booking at ``cutoff_ns``: one pass of cumulative sums."""
    n = len(b.start_ns)
    idx = np.arange(n)
    past = b.start_ns <= cutoff_ns
    outcome = past & b.recorded & (b.no_show | b.completed)
    missed = past & b.no_show
    done = past & b.completed
    c_out = np.r_[0, np.cumsum(outcome)]
    c_miss = np.r_[0, np.cumsum(missed)]
    c_done = np.r_[0, np.cumsum(done)]
    # Past rows of a client come first (sorted by start): a later row sees them all.
    past_in_group = np.zeros(n, dtype=np.int64)
    if n:
        counts = np.bincount(b.group_start, weights=past, minlength=n).astype(np.int64)
        past_in_group = counts[b.group_start]
    end = np.minimum(idx, b.group_start + past_in_group)  # history is rows [group_start, end)
    s = b.group_start
    prior_booked = c_out[end] - c_out[s]
    prior_missed = c_miss[end] - c_miss[s]
    begin = np.maximum(s, end - RECENT)
    missed_recent = c_miss[end] - c_miss[begin]
    booked_recent = c_out[end] - c_out[begin]
    first_visit = (c_done[end] - c_done[s]) == 0
    last_done = np.maximum.accumulate(np.where(done, idx, -1)) if n else np.zeros(0, np.int64)
    j = np.where(end > s, last_done[np.maximum(end - 1, 0)], -1)
    j = np.where(j >= s, j, -1)
    days_since = np.where(
        j >= 0, (b.start_ns - b.start_ns[np.maximum(j, 0)]) / DAY_NS, np.nan
    ).astype(float)
    lead = np.where(b.booked_known, (b.start_ns - b.booked_ns) / DAY_NS, np.nan).astype(float)
    upcoming = ~past & (b.booked_ns <= cutoff_ns)
    # Each client's totals at the cutoff (the last row of the group holds them).
    last_row = np.r_[s[1:] != s[:-1], True] if n else np.zeros(0, bool)
    totals_b = c_out[s[last_row] + past_in_group[last_row]] - c_out[s[last_row]]
    totals_m = c_miss[s[last_row] + past_in_group[last_row]] - c_miss[s[last_row]]
    real = b.client_key[last_row] >= 0
    alpha, beta = beta_prior(totals_m[real], totals_b[real])
    shop_rate = float(c_miss[-1] / c_out[-1]) if n and c_out[-1] else float("nan")
    client_rate = (prior_missed + alpha) / (prior_booked + alpha + beta)
    f = b.frame
    barber_logit = _barber_logit(f["barber_id"].to_numpy(), outcome, missed, shop_rate)
    channel = f["channel"].to_numpy()
    known = f["has_channel"].to_numpy()
    price = f["price_cents"].to_numpy(dtype=float)
    features = pd.DataFrame(
        {
            "client_logit": _logit(client_rate),
            "prior_booked": np.log1p(prior_booked),
            "missed_recent": missed_recent.astype(float),
            "booked_recent": booked_recent.astype(float),
            "first_visit": first_visit.astype(float),
            "days_since_last": np.log1p(np.clip(days_since, 0, None)),
            "lead_days": np.log1p(np.clip(lead, 0, None)),
            "channel_online": np.where(known, channel == "online", np.nan),
            "channel_phone": np.where(known, channel == "phone", np.nan),
            "channel_walk_in": np.where(known, channel == "walk_in", np.nan),
            "weekday": f["weekday"].to_numpy(dtype=float),
            "hour": f["hour"].to_numpy(dtype=float),
            "price": np.log1p(np.where(price > 0, price, np.nan) / 100),
            "minutes": f["minutes"].to_numpy(dtype=float),
            "barber_logit": barber_logit,
        }
    ).astype(float)
    return AtCutoff(
        cutoff_ns=cutoff_ns,
        features=features,
        past=past,
        outcome=outcome,
        upcoming=upcoming,
        prior_booked=prior_booked,
        prior_missed=prior_missed,
        missed_recent=missed_recent,
        booked_recent=booked_recent,
        first_visit=first_visit,
        days_since_last=days_since,
        lead_days=lead,
        client_prior=(alpha, beta),
        shop_rate=shop_rate,
    )


def _barber_logit(
    barber: np.ndarray, outcome: np.ndarray, missed: np.ndarray, shop_rate: float, m: float = 50.0
) -> np.ndarray:
    """Each barber's past no-show rate, shrunk toward the shop's by ``m`` bookings."""
    if not np.isfinite(shop_rate):
        return np.full(len(barber), np.nan)
    codes, uniques = pd.factorize(pd.Series(barber), use_na_sentinel=True)
    if not len(uniques):
        return np.full(len(barber), np.nan)
    ok = codes >= 0
    booked = np.bincount(codes[ok & outcome], minlength=len(uniques)).astype(float)
    miss = np.bincount(codes[ok & missed], minlength=len(uniques)).astype(float)
    rate = (miss + m * shop_rate) / (booked + m)
    return np.where(ok, _logit(rate)[np.maximum(codes, 0)], np.nan)
