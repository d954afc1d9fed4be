"""Per-booking features for the no-show engine, as the shop knew them at a cutoff.

One sort of the held bookings (every status except cancelled; for late cancellations,
also the bookings cancelled in their last day, whose time the export gives) by client
and start,
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

from dataclasses import dataclass, field

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
LATE = "late_cancel"
LATE_HOURS = 24  # a cancellation in the last day before the start is late
NO_END = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Bookings:
    """Held bookings sorted by (client, start), as plain arrays."""

    frame: pd.DataFrame  # appointment_id, client_id, barber_id, start, booked_at, status, ...
    client_key: np.ndarray  # int64 per row; a booking with no client is its own group
    group_start: np.ndarray  # index of the first row of the row's client group
    start_ns: np.ndarray
    booked_ns: np.ndarray  # the smallest int64 when unknown (then treated as known)
    booked_known: np.ndarray
    no_show: np.ndarray  # the event learnt: a no-show, or a late cancellation (`LATE`)
    completed: np.ndarray
    recorded: np.ndarray  # the row's source records the event at all
    features_known: dict[str, bool]
    prices: pd.Series  # what a booking of each service is worth (`service_prices`)
    channel_code: np.ndarray  # index in CHANNELS, -1 when the row's channel is not known
    barber_code: np.ndarray  # index in barber_ids, -1 when no barber
    barber_ids: np.ndarray
    # A known outcome other than the event (completed; for late cancellations also a
    # no-show), and when a booking stopped being upcoming before its start (a late
    # cancellation's time; the largest int64 otherwise).
    other: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    gone_ns: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def __len__(self) -> int:
        return len(self.start_ns)


def _ns(series: pd.Series) -> np.ndarray:
    """Instants as int64 nanoseconds since the epoch (UTC), NaT as the smallest int64.

    Through a naive datetime64[ns] array: asking a zone-aware column for datetime64
    directly walks it as Python objects (8 s for a chain's two million starts)."""
    values = series
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values.astype("datetime64[ns]").to_numpy().view("int64")


def late_cancelled(appts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Which bookings were cancelled in their last ``LATE_HOURS``, and each row's
    cancellation instant (ns; NO_END when not cancelled or the export does not say)."""
    status = appts["status"].astype("object").to_numpy()
    at = _ns(appts["cancelled_at"]) if "cancelled_at" in appts else np.full(len(appts), NO_NS)
    known = (status == "cancelled") & (at != NO_NS)
    start = _ns(appts["start"])
    # One cancelled after its start is a missed visit tidied up, not a cancellation the
    # client made: left out (its outcome would otherwise be "known" before it was).
    late = known & (at >= start - LATE_HOURS * 3_600 * 10**9) & (at <= start)
    return late, np.where(known, at, NO_END)


def prepare(data: ShopData, prices: pd.Series | None = None, event: str = "no_show") -> Bookings:
    """Sort and annotate the held bookings once; every cutoff reuses this. ``prices``
    (per service) comes from an earlier full run when only new bookings are read.

    ``event`` ``LATE`` learns late cancellations instead of no-shows: the bookings are
    then those still held a day before their start (the kept ones and the late
    cancellations), so a risk is the chance that a booking still in the book is
    cancelled too late to fill; a cancellation made earlier freed its chair in time."""
    appts = data.appointments
    status = appts["status"].astype("object").to_numpy()
    held = status != "cancelled"
    if event == LATE:
        late, cancelled_ns = late_cancelled(appts)
        held = held | late
    else:  # no-shows: no cancelled booking is held, so none is ever "gone" early
        late, cancelled_ns = np.zeros(len(appts), bool), np.full(len(appts), NO_END)
    a = appts.loc[held]
    local = data.local_start().loc[held] if len(a) else pd.Series(dtype="datetime64[ns]")
    prices = service_prices(a, data.services) if prices is None else prices
    price = a["service_id"].map(prices).astype(float) if len(a) else pd.Series(dtype=float)
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
            "service_id": pd.to_numeric(a["service_id"], errors="coerce").to_numpy(dtype=float),
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
    all_sources = source_codes(appts)  # codes comparable across held and cancelled rows
    source = all_sources[held]
    no_show = status[held] == "no_show"
    if event == LATE:  # sources that say when their cancellations came
        timed = np.unique(all_sources[(status == "cancelled") & (cancelled_ns != NO_END)])
        recorded = np.isin(source, timed)
        other = no_show | (status[held] == "completed")
        no_show = late[held]
    else:
        recorded = np.isin(source, np.unique(source[no_show]))
        other = status[held] == "completed"
    if "time_known" in a:
        frame.loc[~a["time_known"].fillna(True).astype(bool).to_numpy(), "hour"] = np.nan
    frame["start_ns"] = start_ns
    # Unknown booking time: the booking counts as known at any cutoff (NO_BOOKED_AT).
    frame["booked_ns"] = booked
    frame["booked_known"] = booked_known
    frame["no_show"] = no_show
    frame["completed"] = status[held] == "completed"
    frame["recorded"] = recorded
    frame["other"] = other
    frame["gone_ns"] = np.where(late[held], cancelled_ns[held], NO_END)
    frame["has_channel"] = has_channel
    order = np.lexsort((start_ns, frame["key"].to_numpy()))
    frame = frame.take(order).reset_index(drop=True)
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
    chan = frame["channel"].to_numpy()
    code = np.full(len(frame), -1, dtype=np.int8)
    for i, name in enumerate(CHANNELS):
        code[chan == name] = i
    code[~frame["has_channel"].to_numpy()] = -1
    barber_code, barber_ids = pd.factorize(frame["barber_id"], use_na_sentinel=True)
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
        prices=prices,
        channel_code=code,
        barber_code=np.asarray(barber_code, dtype=np.int64),
        barber_ids=np.asarray(barber_ids, dtype=float),
        other=frame["other"].to_numpy(),
        gone_ns=frame["gone_ns"].to_numpy(dtype=np.int64),
    )


def service_prices(appts: pd.DataFrame, services: pd.DataFrame) -> pd.Series:
    """What a booking of each service is worth: its list price, else its median sold
    price, else unknown. One figure per service, never the booking's own sale: a
    missed or future booking has no sale, so a sold amount would tell the model (and
    the money at stake) which bookings were kept."""
    prices = pd.Series(dtype=float)
    if len(services) and {"service_id", "list_price_cents"} <= set(services):
        listed = pd.to_numeric(services.set_index("service_id")["list_price_cents"], "coerce")
        prices = listed[~listed.index.duplicated()].where(lambda v: v > 0).dropna()
    if "service_cents" in appts and len(appts):
        sold = appts["service_cents"].astype(float)
        done = (appts["status"].astype("object") == "completed") & (sold > 0)
        median = sold[done].groupby(appts["service_id"][done]).median()
        extra = median[~median.index.isin(prices.index)].astype(float)
        if not len(prices):  # no concat with an empty side: pandas 2.1 warns of its dtype
            prices = extra
        elif len(extra):
            prices = pd.concat([prices, extra])
    return prices.astype(float)


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
    # One int64 per pair: a one-dimensional unique is ten times faster than axis=0.
    both = booked[use].astype(np.int64) << 32 | missed[use].astype(np.int64)
    pairs, counts = np.unique(both, return_counts=True)
    n, k = (pairs >> 32).astype(float), (pairs & 0xFFFFFFFF).astype(float)

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
class History:
    """A client's history as known at a cutoff, per row: what every feature that is not
    the booking's own reads."""

    prior_booked: np.ndarray  # bookings with a known outcome
    prior_missed: np.ndarray
    missed_recent: np.ndarray  # among the last RECENT held bookings
    booked_recent: np.ndarray
    first_visit: np.ndarray  # no completed visit yet
    last_done_ns: np.ndarray  # start of the last completed visit, the smallest int64 if none


@dataclass(frozen=True)
class AtCutoff:
    """Every held booking's history as known at one cutoff (integer arrays: cheap on a
    chain); the model's feature rows are built only for the rows asked (`features`)."""

    b: Bookings
    cutoff_ns: int
    past: np.ndarray  # the booking's start is at or before the cutoff
    outcome: np.ndarray  # past, from a recording source, completed or no-show
    upcoming: np.ndarray  # after the cutoff and booked by then
    history: History
    client_keys: np.ndarray  # every client's key, ascending
    clients: History  # each client's history at the cutoff (what a booking after it sees)
    client_prior: tuple[float, float]
    shop_rate: float
    barber_logit: np.ndarray  # per barber code

    @property
    def prior_booked(self) -> np.ndarray:
        return self.history.prior_booked

    @property
    def prior_missed(self) -> np.ndarray:
        return self.history.prior_missed

    def features(self, rows: np.ndarray) -> pd.DataFrame:
        h = self.history
        part = History(*(getattr(h, f)[rows] for f in History.__dataclass_fields__))
        return row_features(self.b, rows, part, self.client_prior, self.barber_logit)

    def lead_days(self, rows: np.ndarray) -> np.ndarray:
        return _lead(self.b, rows)

    def days_since_last(self, rows: np.ndarray) -> np.ndarray:
        return _since(self.b.start_ns[rows], self.history.last_done_ns[rows])


NO_NS = np.iinfo(np.int64).min


def _lead(b: Bookings, rows: np.ndarray) -> np.ndarray:
    return np.where(
        b.booked_known[rows], (b.start_ns[rows] - b.booked_ns[rows]) / DAY_NS, np.nan
    ).astype(float)


def _since(start_ns: np.ndarray, last_ns: np.ndarray) -> np.ndarray:
    return np.where(last_ns != NO_NS, (start_ns - last_ns) / DAY_NS, np.nan).astype(float)


def client_rate(history: History, prior: tuple[float, float]) -> np.ndarray:
    a, b_ = prior
    return (history.prior_missed + a) / (history.prior_booked + a + b_)


def row_features(
    b: Bookings,
    rows: np.ndarray,
    history: History,
    prior: tuple[float, float],
    barber_logit: np.ndarray,
) -> pd.DataFrame:
    """The model matrix (FEATURES columns) for ``rows`` of ``b`` given their clients'
    ``history``; the same for the replay, the fit and the scoring of new bookings."""
    f = b.frame
    code = b.channel_code[rows]
    known = code >= 0
    price = f["price_cents"].to_numpy(dtype=float)[rows]
    bc = b.barber_code[rows]
    barber = barber_logit[np.maximum(bc, 0)] if len(barber_logit) else np.full(len(rows), np.nan)
    days_since = _since(b.start_ns[rows], history.last_done_ns)
    columns = {
        "client_logit": _logit(client_rate(history, prior)),
        "prior_booked": np.log1p(history.prior_booked),
        "missed_recent": history.missed_recent.astype(float),
        "booked_recent": history.booked_recent.astype(float),
        "first_visit": history.first_visit.astype(float),
        "days_since_last": np.log1p(np.clip(days_since, 0, None)),
        "lead_days": np.log1p(np.clip(_lead(b, rows), 0, None)),
        "channel_online": np.where(known, code == 0, np.nan),
        "channel_phone": np.where(known, code == 1, np.nan),
        "channel_walk_in": np.where(known, code == 2, np.nan),
        "weekday": f["weekday"].to_numpy(dtype=float)[rows],
        "hour": f["hour"].to_numpy(dtype=float)[rows],
        "price": np.log1p(np.where(price > 0, price, np.nan) / 100),
        "minutes": f["minutes"].to_numpy(dtype=float)[rows],
        "barber_logit": np.where(bc >= 0, barber, np.nan),
    }
    matrix = np.column_stack([np.asarray(columns[c], dtype=float) for c in FEATURES])
    return pd.DataFrame(matrix if len(rows) else np.zeros((0, len(FEATURES))), columns=FEATURES)


def at_cutoff(b: Bookings, cutoff_ns: int) -> AtCutoff:
    """Every held booking's history at ``cutoff_ns``: one pass of cumulative sums."""
    n = len(b.start_ns)
    idx = np.arange(n)
    past = b.start_ns <= cutoff_ns
    outcome = past & b.recorded & (b.no_show | b.other)
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
    begin = np.maximum(s, end - RECENT)
    last_done = np.maximum.accumulate(np.where(done, idx, -1)) if n else np.zeros(0, np.int64)
    j = np.where(end > s, last_done[np.maximum(end - 1, 0)], -1)
    j = np.where(j >= s, j, -1)
    history = History(
        prior_booked=c_out[end] - c_out[s],
        prior_missed=c_miss[end] - c_miss[s],
        missed_recent=c_miss[end] - c_miss[begin],
        booked_recent=c_out[end] - c_out[begin],
        first_visit=(c_done[end] - c_done[s]) == 0,
        last_done_ns=np.where(j >= 0, b.start_ns[np.maximum(j, 0)], NO_NS),
    )
    upcoming = ~past & (b.booked_ns <= cutoff_ns) & (b.gone_ns > cutoff_ns)
    # Each client's totals at the cutoff (the last row of the group holds them).
    last_row = np.r_[s[1:] != s[:-1], True] if n else np.zeros(0, bool)
    totals_b = c_out[s[last_row] + past_in_group[last_row]] - c_out[s[last_row]]
    totals_m = c_miss[s[last_row] + past_in_group[last_row]] - c_miss[s[last_row]]
    real = b.client_key[last_row] >= 0
    alpha, beta = beta_prior(totals_m[real], totals_b[real])
    ends = np.flatnonzero(last_row)[real]
    first_rows, stop = s[ends], s[ends] + past_in_group[ends]
    recent_from = np.maximum(first_rows, stop - RECENT)
    jc = np.where(stop > first_rows, last_done[np.maximum(stop - 1, 0)], -1)
    jc = np.where(jc >= first_rows, jc, -1)
    clients = History(
        prior_booked=c_out[stop] - c_out[first_rows],
        prior_missed=c_miss[stop] - c_miss[first_rows],
        missed_recent=c_miss[stop] - c_miss[recent_from],
        booked_recent=c_out[stop] - c_out[recent_from],
        first_visit=(c_done[stop] - c_done[first_rows]) == 0,
        last_done_ns=np.where(jc >= 0, b.start_ns[np.maximum(jc, 0)], NO_NS),
    )
    shop_rate = float(c_miss[-1] / c_out[-1]) if n and c_out[-1] else float("nan")
    return AtCutoff(
        b=b,
        cutoff_ns=cutoff_ns,
        past=past,
        outcome=outcome,
        upcoming=upcoming,
        history=history,
        client_keys=b.client_key[ends],
        clients=clients,
        client_prior=(alpha, beta),
        shop_rate=shop_rate,
        barber_logit=_barber_logit(b, outcome, missed, shop_rate),
    )


def _barber_logit(
    b: Bookings, outcome: np.ndarray, missed: np.ndarray, shop_rate: float, m: float = 50.0
) -> np.ndarray:
    """Each barber's past no-show rate (by barber code), shrunk toward the shop's by
    ``m`` bookings."""
    k = len(b.barber_ids)
    if not np.isfinite(shop_rate) or not k:
        return np.full(k, np.nan)
    ok = b.barber_code >= 0
    booked = np.bincount(b.barber_code[ok & outcome], minlength=k).astype(float)
    miss = np.bincount(b.barber_code[ok & missed], minlength=k).astype(float)
    return _logit((miss + m * shop_rate) / (booked + m))
