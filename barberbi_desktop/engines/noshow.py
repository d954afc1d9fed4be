"""No-show risk for upcoming bookings, and each client's reliability.

For every booking that starts after the cutoff and was made by then (a booking
without a booking time counts as made: some exports do not say, and the result
says so), the probability that it ends as a no-show, with its reasons in words
("booked online 3 weeks ahead; missed 2 of their last 6"). The method is chosen by
replaying the last 13 weeks (`noshow_backtest`): a calibrated model is used only if
it beat each client's own shrunk rate there, else that rate is. Late cancellations
need to know when a booking was cancelled; no export the importer reads keeps that,
so their risk is unknown (None) with the reason, never 0.

Money and time at stake come from the booking's service price (its sale where rung
up, else the list price) and its length (``known.visit_minutes``); unknown stays
unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from scipy.stats import beta as beta_dist

from barberbi_desktop.engines import noshow_backtest as bt
from barberbi_desktop.engines.data import RunState, ShopData
from barberbi_desktop.engines.noshow_features import (
    DAY_NS,
    FEATURES,
    AtCutoff,
    Bookings,
    at_cutoff,
    prepare,
)

NO_INFO = (
    "No-show risk needs no-shows: the imported exports record none (they hold completed "
    "visits only, or every booking kept), so there is nothing to learn from."
)
NO_BOOKED_AT = (
    "The exports do not say when bookings were made: every booking after the cutoff is "
    "treated as known, and lead time is left out."
)
NO_LATE_CANCEL = (
    "Late cancellations cannot be told from early ones: the exports do not say when a "
    "booking was cancelled."
)
LATE_HOURS = 24


@dataclass(frozen=True)
class NoShowSettings:
    horizon_days: int = 14  # bookings listed in the result
    replay_weeks: int = 13  # about 90 days
    seed: int = 23
    interval: float = 0.8  # reliability: the central 80% of the Beta posterior


@dataclass(frozen=True)
class NoShowResult:
    as_of: date
    cutoff: datetime
    method: str  # "model" | "client_rate" | "none"
    model: str | None  # which candidate when method == "model"
    sentence: str
    notes: list[str]
    upcoming: pd.DataFrame  # one row per booking in the horizon, soonest first
    clients: pd.DataFrame  # reliability per client id
    backtest: dict[str, Any]
    base_rate: float | None
    features_used: list[str] = field(default_factory=list)
    features_left_out: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        up = self.upcoming
        at_stake = {
            "bookings": int(len(up)),
            "expected_no_shows": _num(up["risk"].sum()) if len(up) else 0.0,
            "expected_minutes": _num((up["risk"] * up["minutes"]).sum()) if len(up) else 0.0,
            "expected_cents": int(round((up["risk"] * up["price_cents"]).sum()))
            if len(up)
            else 0,
        }
        return {
            "engine": "noshow",
            "as_of": self.as_of.isoformat(),
            "cutoff": self.cutoff.isoformat(),
            "method": self.method,
            "model": self.model,
            "sentence": self.sentence,
            "notes": self.notes,
            "base_rate": self.base_rate,
            "features_used": self.features_used,
            "features_left_out": self.features_left_out,
            "late_cancel": {"known": False, "reason": NO_LATE_CANCEL},
            "backtest": self.backtest,
            "at_stake": at_stake,
            "upcoming": _records(up),
            "clients": _clients(self.clients),
        }


def _num(value: Any) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def _records(up: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for r in up.itertuples(index=False):
        out.append(
            {
                "appointment_id": int(r.appointment_id),
                "start": r.start.isoformat(),
                "client_id": None if r.client_id != r.client_id else int(r.client_id),
                "barber": r.barber,
                "barber_id": None if r.barber_id != r.barber_id else int(r.barber_id),
                "risk": _num(r.risk),
                "late_cancel_risk": None,
                "price_cents": None if r.price_cents != r.price_cents else int(r.price_cents),
                "minutes": _num(r.minutes),
                "reasons": r.reasons,
            }
        )
    return out


def _clients(clients: pd.DataFrame) -> dict[str, dict[str, Any]]:
    cols = ["missed", "booked", "own_rate", "rate_low", "rate_high", "next_risk"]
    values = clients[cols].to_numpy(dtype=float)
    ids = clients.index.to_numpy()
    return {
        str(int(c)): {
            "missed": int(v[0]),
            "booked": int(v[1]),
            "own_rate": _num(v[2]),
            "rate_low": _num(v[3]),
            "rate_high": _num(v[4]),
            "next_risk": _num(v[5]),
        }
        for c, v in zip(ids, values, strict=True)
    }


def cutoff_for(data: ShopData, as_of: date, now: datetime | None = None) -> pd.Timestamp:
    """The instant the analysis stands at: ``now`` (naive, shop time) if given, else the
    end of ``as_of`` in the shop's zone (its first location's, as the scheduler uses)."""
    zone = "UTC"
    if len(data.locations) and "timezone" in data.locations:
        zone = str(data.locations.sort_values("location_id")["timezone"].iloc[0] or "UTC")
    local = now if now is not None else datetime.combine(as_of + timedelta(days=1), time())
    return pd.Timestamp(local.replace(tzinfo=ZoneInfo(zone))).tz_convert("UTC")


def _columns(b: Bookings, x: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Features the data fills at all, and those left out (unknown is not a value)."""
    known = b.features_known
    need = {
        "lead_days": known["lead_days"],
        "channel_online": known["channel"],
        "channel_phone": known["channel"],
        "channel_walk_in": known["channel"],
        "hour": known["hour"],
        "price": known["price"],
        "minutes": known["minutes"],
        "barber_logit": known["barber"],
    }
    used, out = [], []
    for col in FEATURES:
        values = x[col].to_numpy()
        ok = need.get(col, True) and np.isfinite(values).any() and np.nanstd(values) > 0
        (used if ok else out).append(col)
    return used, out


def _client_rate(at: AtCutoff) -> np.ndarray:
    a, b_ = at.client_prior
    return (at.prior_missed + a) / (at.prior_booked + a + b_)


def _predictions(
    b: Bookings, at: AtCutoff, rows: np.ndarray, settings: NoShowSettings
) -> dict[str, np.ndarray]:
    """Every candidate's and baseline's probabilities for ``rows`` at one cutoff."""
    out = {
        "shop_rate": np.full(len(rows), at.shop_rate),
        "client_rate": _client_rate(at)[rows],
    }
    train = bt.training_rows(at.outcome, b.start_ns, at.cutoff_ns, settings.seed)
    y = b.no_show[train].astype(int)
    if y.sum() < bt.MIN_TRAIN_MISSES or y.sum() == len(y):
        return out
    columns, _ = _columns(b, at.features.iloc[train])
    x = at.features
    for name in bt.MODELS:
        model = bt.fit(name, x.iloc[train], y, b.start_ns[train], columns)
        out[name] = model.predict(x.iloc[rows])
    return out


def _replay(
    b: Bookings, cutoff_ns: int, settings: NoShowSettings, state: RunState
) -> dict[str, Any]:
    """Week by week over the last ``replay_weeks``: train on what was known at each
    week's start, predict that week's bookings made by then, score the pooled weeks."""
    pooled: dict[str, list[np.ndarray]] = {}
    truth: list[np.ndarray] = []
    weeks = 0
    week_ns = 7 * DAY_NS
    for k in range(settings.replay_weeks, 0, -1):
        state.step(0.1 + 0.6 * (settings.replay_weeks - k) / settings.replay_weeks,
                   f"Replaying the week {k} weeks back")  # fmt: skip
        t = cutoff_ns - k * week_ns
        at = at_cutoff(b, t)
        rows = np.flatnonzero(
            at.upcoming & (b.start_ns <= t + week_ns) & b.recorded & (b.no_show | b.completed)
        )
        if not len(rows) or not np.isfinite(at.shop_rate):
            continue
        preds = _predictions(b, at, rows, settings)
        if set(bt.MODELS) - set(preds):
            preds = {k_: v for k_, v in preds.items() if k_ not in bt.MODELS}
        weeks += 1
        truth.append(b.no_show[rows].astype(int))
        for name, p in preds.items():
            pooled.setdefault(name, []).append(p)
    y = np.concatenate(truth) if truth else np.zeros(0, int)
    result: dict[str, Any] = {"weeks": weeks}
    complete = {n: np.concatenate(p) for n, p in pooled.items() if len(p) == weeks}
    for name, p in complete.items():
        result[name] = bt.scores(p, y) | {"calibration": bt.calibration(p, y)}
    result["bookings"] = int(len(y))
    result["no_shows"] = int(y.sum())
    return result


def _reasons(b: Bookings, at: AtCutoff, rows: np.ndarray) -> list[str]:
    """Each booking's reasons in words, strongest first: what in its booking or its
    client's history made such bookings more (or less) often missed in this shop."""
    train = at.outcome
    y = b.no_show
    rate = y[train].mean() if train.any() else np.nan

    def lift(mask: np.ndarray) -> float:
        m = mask & train
        return float(y[m].mean() / rate) if m.sum() >= 30 and rate > 0 else 1.0

    lead = at.lead_days
    lead_edges = [(0, 1), (1, 7), (7, 21), (21, np.inf)]
    lead_lift = [lift((lead >= lo) & (lead < hi)) for lo, hi in lead_edges]
    channel = b.frame["channel"].to_numpy()
    chan_lift = {c: lift(channel == c) for c in ("online", "phone")}
    first_lift = lift(at.first_visit & (at.prior_booked == 0))
    long_gap = at.days_since_last > 120
    gap_lift = lift(long_gap)
    out = []
    for i in rows:
        parts: list[tuple[float, str]] = []
        missed, booked = int(at.missed_recent[i]), int(at.booked_recent[i])
        if at.prior_booked[i] == 0:
            parts.append((first_lift, "first booking with the shop"))
        elif missed:
            parts.append((9.0 + missed, f"missed {missed} of their last {booked}"))
        elif at.prior_booked[i] >= 4 and at.prior_missed[i] == 0:
            parts.append((0.5, f"never missed in {int(at.prior_booked[i])} bookings"))
        ld = lead[i]
        if ld == ld:
            which = next(j for j, (lo, hi) in enumerate(lead_edges) if lo <= ld < hi)
            how = f"{_lead_words(ld)}" if which else "booked the same day"
            via = channel[i] if channel[i] in chan_lift else None
            words = f"booked {via} {how[7:]}" if via and which else how
            parts.append((max(lead_lift[which], chan_lift.get(via, 1.0)), words))
        if long_gap[i] and gap_lift >= 1.2:
            months = int(round(at.days_since_last[i] / 30.4))
            parts.append((gap_lift, f"last visit {months} months ago"))
        keep = [p for p in sorted(parts, key=lambda p: -p[0]) if p[0] >= 1.15 or p[0] == 0.5]
        out.append("; ".join(w for _, w in keep[:3]) or "nothing stands out")
    return out


def _lead_words(days: float) -> str:
    if days < 1:
        return "booked the same day"
    if days < 13.5:
        return f"booked {round(days)} day{'s' if round(days) != 1 else ''} ahead"
    weeks = round(days / 7)
    return f"booked {weeks} weeks ahead"


def run(
    data: ShopData,
    settings: NoShowSettings,
    as_of: date,
    state: RunState | None = None,
    now: datetime | None = None,
) -> NoShowResult:
    """Back-test, choose, fit at the cutoff and score the bookings after it."""
    state = state or RunState()
    cutoff = cutoff_for(data, as_of, now)
    cutoff_ns = int(cutoff.value)
    state.step(0.02, "Preparing bookings")
    b = prepare(data)
    notes = [] if b.features_known["lead_days"] else [NO_BOOKED_AT]
    at = at_cutoff(b, cutoff_ns)
    if not (at.outcome & b.no_show).any():
        return _result(data, b, at, as_of, cutoff, "none", None, NO_INFO, notes, {}, None)
    backtest = _replay(b, cutoff_ns, settings, state)
    pooled = {"weeks": backtest["weeks"], **{k: v for k, v in backtest.items() if
                                             isinstance(v, dict)}}  # fmt: skip
    method, sentence = bt.choose(pooled)
    state.step(0.75, "Fitting at the cutoff")
    rows = np.flatnonzero(at.upcoming)
    used: list[str] = []
    left_out: list[str] = []
    if method in bt.MODELS:
        train = bt.training_rows(at.outcome, b.start_ns, cutoff_ns, settings.seed)
        y = b.no_show[train].astype(int)
        used, left_out = _columns(b, at.features.iloc[train])
        model = bt.fit(method, at.features.iloc[train], y, b.start_ns[train], used)
        risk = model.predict(at.features.iloc[rows])
    else:
        risk = _client_rate(at)[rows]
    report = _report(backtest, method)
    state.step(0.9, "Writing reasons")
    return _result(
        data, b, at, as_of, cutoff, "model" if method in bt.MODELS else "client_rate",
        method if method in bt.MODELS else None, sentence, notes, report, risk,
        used, left_out, settings,
    )  # fmt: skip


def _report(backtest: dict[str, Any], method: str) -> dict[str, Any]:
    """The stored back-test: the method in use's figures, the baselines', every
    candidate's, and the calibration of the method in use."""
    use = backtest.get(method, {})
    return {
        "weeks": backtest.get("weeks", 0),
        "bookings": backtest.get("bookings", 0),
        "no_shows": backtest.get("no_shows", 0),
        "method": method,
        "roc_auc": use.get("roc_auc"),
        "brier": use.get("brier"),
        "base_rate": (backtest["no_shows"] / backtest["bookings"])
        if backtest.get("bookings")
        else None,
        "baselines": {
            k: {m: backtest[k].get(m) for m in ("roc_auc", "brier")}
            for k in ("shop_rate", "client_rate")
            if k in backtest
        },
        "candidates": {
            k: {m: backtest[k].get(m) for m in ("roc_auc", "brier")}
            for k in bt.MODELS
            if k in backtest
        },
        "calibration": use.get("calibration", []),
    }


def _result(
    data: ShopData,
    b: Bookings,
    at: AtCutoff,
    as_of: date,
    cutoff: pd.Timestamp,
    method: str,
    model: str | None,
    sentence: str,
    notes: list[str],
    backtest: dict[str, Any],
    risk: np.ndarray | None,
    used: list[str] | None = None,
    left_out: list[str] | None = None,
    settings: NoShowSettings | None = None,
) -> NoShowResult:
    settings = settings or NoShowSettings()
    rows = np.flatnonzero(at.upcoming)
    f = b.frame
    names = (
        data.barbers.drop_duplicates("barber_id").set_index("barber_id")["name"]
        if len(data.barbers) and "name" in data.barbers
        else pd.Series(dtype=object)
    )
    risk = np.full(len(rows), np.nan) if risk is None else risk
    upcoming = pd.DataFrame(
        {
            "appointment_id": f["appointment_id"].to_numpy()[rows],
            "start": pd.to_datetime(b.start_ns[rows], utc=True),
            "client_id": f["client_id"].to_numpy()[rows],
            "barber_id": f["barber_id"].to_numpy()[rows],
            "barber": f["barber_id"].iloc[rows].map(names).astype(object).to_numpy(),
            "risk": risk,
            "price_cents": f["price_cents"].to_numpy()[rows],
            "minutes": f["minutes"].to_numpy()[rows],
        }
    )
    upcoming["barber"] = upcoming["barber"].where(upcoming["barber"].notna(), None)
    upcoming["reasons"] = _reasons(b, at, rows) if method != "none" else NO_INFO
    upcoming["_row"] = rows
    upcoming = upcoming.sort_values(["start", "appointment_id"], kind="stable")
    clients = _reliability(b, at, upcoming, settings.interval)
    horizon = cutoff + pd.Timedelta(days=settings.horizon_days)
    listed = upcoming[upcoming["start"] <= horizon].drop(columns="_row").reset_index(drop=True)
    return NoShowResult(
        as_of=as_of,
        cutoff=cutoff.to_pydatetime(),
        method=method,
        model=model,
        sentence=sentence,
        notes=notes,
        upcoming=listed,
        clients=clients,
        backtest=backtest,
        base_rate=None if not np.isfinite(at.shop_rate) else at.shop_rate,
        features_used=used or [],
        features_left_out=left_out or [],
    )


def _reliability(
    b: Bookings, at: AtCutoff, upcoming: pd.DataFrame, interval: float
) -> pd.DataFrame:
    """Per client: bookings with a known outcome and misses by the cutoff, the own
    rate, a Beta-posterior interval (the shop's prior plus the client's counts) and the
    risk of their next booking. Clients with neither history nor a booking are left out."""
    s = b.group_start
    n = len(s)
    last_row = np.r_[s[1:] != s[:-1], True] if n else np.zeros(0, bool)
    real = last_row & (b.client_key >= 0)
    end = np.flatnonzero(real)
    first = s[end]
    past_count = np.bincount(s, weights=at.past, minlength=n)[first].astype(np.int64)
    c_out = np.r_[0, np.cumsum(at.outcome)]
    c_miss = np.r_[0, np.cumsum(at.outcome & b.no_show)]
    booked = c_out[first + past_count] - c_out[first]
    missed = c_miss[first + past_count] - c_miss[first]
    a, b_ = at.client_prior
    tail = (1 - interval) / 2
    frame = pd.DataFrame(
        {
            "missed": missed,
            "booked": booked,
            "own_rate": np.where(booked > 0, missed / np.maximum(booked, 1), np.nan),
            "rate_low": beta_dist.ppf(tail, a + missed, b_ + booked - missed),
            "rate_high": beta_dist.ppf(1 - tail, a + missed, b_ + booked - missed),
        },
        index=pd.Index(b.client_key[end], name="client_id"),
    )
    nxt = upcoming.dropna(subset=["client_id"]).drop_duplicates("client_id")
    frame["next_risk"] = nxt.set_index(nxt["client_id"].astype(np.int64))["risk"]
    keep = (frame["booked"] > 0) | frame["next_risk"].notna()
    return frame[keep]
