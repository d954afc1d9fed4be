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

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from barberbi_desktop.engines import noshow_backtest as bt
from barberbi_desktop.engines.data import RunState, ShopData
from barberbi_desktop.engines.noshow_features import (
    DAY_NS,
    FEATURES,
    AtCutoff,
    Bookings,
    at_cutoff,
    client_rate,
    prepare,
    row_features,
)
from barberbi_desktop.engines.noshow_report import (
    num,
    reasons,
    records,
    records_clients,
    reliability,
)
from barberbi_desktop.engines.noshow_state import ClientState

NO_INFO = (
    "No-show risk needs no-shows: the imported exports record none (they hold completed "
    "visits only, or every booking kept), so there is nothing to learn from."
)
NO_BOOKINGS = "No-show risk needs bookings: the shop has none yet; import an export first."
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
    scorer: Scorer | None = None  # kept in memory to score later bookings (`rescore`)
    # The replay's bookings: appointment_id, week (cutoff), outcome and every method's
    # prediction; for checking the back-test, not stored.
    replayed: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> dict[str, Any]:
        """The small parts, stored as the run's metrics: the bookings and clients go to
        tables of their own (``jobs.noshow_job``)."""
        up = self.upcoming
        at_stake = {
            "bookings": len(up),
            "expected_no_shows": num(up["risk"].sum()) if len(up) else 0.0,
            "expected_minutes": num((up["risk"] * up["minutes"]).sum()) if len(up) else 0.0,
            "expected_cents": int(np.rint((up["risk"] * up["price_cents"]).sum()))
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
            "counts": {"upcoming": len(up), "clients": len(self.clients)},
        }

    def upcoming_records(self) -> list[dict[str, Any]]:
        """The listed bookings as JSON rows (the command line's ``upcoming``)."""
        return records(self.upcoming)

    def client_records(self) -> dict[str, dict[str, Any]]:
        """Reliability per client id as JSON rows."""
        return records_clients(self.clients)


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


def _predictions(
    b: Bookings, at: AtCutoff, rows: np.ndarray, settings: NoShowSettings
) -> dict[str, np.ndarray]:
    """Every candidate's and baseline's probabilities for ``rows`` at one cutoff."""
    out = {
        "shop_rate": np.full(len(rows), at.shop_rate),
        "client_rate": client_rate(at.history, at.client_prior)[rows],
    }
    train = bt.training_rows(at.outcome, b.start_ns, at.cutoff_ns, settings.seed)
    y = b.no_show[train].astype(int)
    if y.sum() < bt.MIN_TRAIN_MISSES or y.sum() == len(y):
        return out
    x_train = at.features(train)
    columns, _ = _columns(b, x_train)
    x = at.features(rows)
    for name in bt.MODELS:
        model = bt.fit(name, x_train, y, b.start_ns[train], columns)
        out[name] = model.predict(x)
    return out


def _replay(
    b: Bookings, cutoff_ns: int, settings: NoShowSettings, state: RunState
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Week by week over the last ``replay_weeks``: train on what was known at each
    week's start, predict that week's bookings made by then, score the pooled weeks."""
    pooled: dict[str, list[np.ndarray]] = {}
    truth: list[np.ndarray] = []
    ids: list[np.ndarray] = []
    week_of: list[np.ndarray] = []
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
        ids.append(b.frame["appointment_id"].to_numpy()[rows])
        week_of.append(np.full(len(rows), t))
        for name, p in preds.items():
            pooled.setdefault(name, []).append(p)
    y = np.concatenate(truth) if truth else np.zeros(0, int)
    result: dict[str, Any] = {"weeks": weeks}
    complete = {n: np.concatenate(p) for n, p in pooled.items() if len(p) == weeks}
    for name, p in complete.items():
        result[name] = bt.scores(p, y) | {"calibration": bt.calibration(p, y)}
    result["bookings"] = len(y)
    result["no_shows"] = int(y.sum())
    replayed = pd.DataFrame(
        {
            "appointment_id": np.concatenate(ids) if ids else np.zeros(0, np.int64),
            "cutoff": pd.to_datetime(np.concatenate(week_of) if ids else [], utc=True),
            "no_show": y,
            **complete,
        }
    )
    return result, replayed


@dataclass(frozen=True)
class Scorer:
    """What a full run decided, kept so that new bookings can be scored without a new
    replay or fit (after an import the same day): the method, the fitted model and
    the back-test that chose it."""

    as_of: date
    method: str  # "model" | "client_rate" | "none"
    model: str | None
    fitted: bt.Fitted | None
    sentence: str
    backtest: dict[str, Any]
    state: ClientState  # every client's history at the cutoff: what scoring reads
    used: tuple[str, ...] = ()
    left_out: tuple[str, ...] = ()


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
    state.step(0.02, "Preparing bookings")
    b = prepare(data)
    at = at_cutoff(b, int(cutoff.value))
    clients = ClientState.at(b, at)
    if not (at.outcome & b.no_show).any():
        said = NO_INFO if len(b) else NO_BOOKINGS
        scorer = Scorer(as_of, "none", None, None, said, {}, clients)
        return _result(data, b, as_of, cutoff, scorer, settings)
    # One thread for OpenMP and BLAS alike: on a busy two-core computer the pools'
    # spinning threads made each boosting fit ten times slower and each logistic fit
    # eight times (2.4 s -> 0.3 s on the chain's 60,000 training rows).
    with threadpool_limits(limits=1):
        scorer, replayed = _choose_and_fit(b, at, as_of, clients, settings, state)
        state.step(0.9, "Scoring bookings and writing reasons")
        result = _result(data, b, as_of, cutoff, scorer, settings)
    return replace(result, replayed=replayed)


def rescore(
    data: ShopData,
    scorer: Scorer,
    as_of: date,
    settings: NoShowSettings | None = None,
    now: datetime | None = None,
) -> NoShowResult:
    """Score the bookings known now with an earlier run's model, back-test and client
    histories: no replay, no fit, no pass over past appointments. ``data`` needs only
    the appointments from the earlier run's cutoff on (`load_shop_data(start=...)`);
    clients' histories stay as they were at that cutoff."""
    settings = settings or NoShowSettings()
    cutoff = cutoff_for(data, as_of, now)
    b = prepare(data, prices=scorer.state.prices)
    with threadpool_limits(limits=1):
        return _result(data, b, as_of, cutoff, scorer, settings)


def _choose_and_fit(
    b: Bookings,
    at: AtCutoff,
    as_of: date,
    clients: ClientState,
    settings: NoShowSettings,
    state: RunState,
) -> tuple[Scorer, pd.DataFrame]:
    backtest, replayed = _replay(b, at.cutoff_ns, settings, state)
    pooled = {"weeks": backtest["weeks"], **{k: v for k, v in backtest.items() if
                                             isinstance(v, dict)}}  # fmt: skip
    method, sentence = bt.choose(pooled)
    report = _report(backtest, method)
    if method not in bt.MODELS:
        return Scorer(as_of, "client_rate", None, None, sentence, report, clients), replayed
    state.step(0.75, "Fitting at the cutoff")
    train = bt.training_rows(at.outcome, b.start_ns, at.cutoff_ns, settings.seed)
    y = b.no_show[train].astype(int)
    x_train = at.features(train)
    used, left_out = _columns(b, x_train)
    fitted = bt.fit(method, x_train, y, b.start_ns[train], used)
    scorer = Scorer(
        as_of, "model", method, fitted, sentence, report, clients, tuple(used), tuple(left_out)
    )
    return scorer, replayed


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
    as_of: date,
    cutoff: pd.Timestamp,
    scorer: Scorer,
    settings: NoShowSettings,
) -> NoShowResult:
    """Score every booking after the cutoff that was made by then, from the kept client
    histories alone; words only for those within the horizon."""
    t = int(cutoff.value)
    state = scorer.state
    rows = np.flatnonzero((b.start_ns > t) & (b.booked_ns <= t))
    rows = rows[np.lexsort((b.frame["appointment_id"].to_numpy()[rows], b.start_ns[rows]))]
    history = state.history(b.client_key[rows])
    if scorer.fitted is not None:
        x = row_features(b, rows, history, state.prior, state.barbers(b))
        risk = scorer.fitted.predict(x)
    elif scorer.method == "client_rate":
        risk = client_rate(history, state.prior)
    else:
        risk = np.full(len(rows), np.nan)
    f = b.frame
    names = (
        data.barbers.drop_duplicates("barber_id").set_index("barber_id")["name"]
        if len(data.barbers) and "name" in data.barbers
        else pd.Series(dtype=object)
    )
    upcoming = pd.DataFrame(
        {
            "appointment_id": f["appointment_id"].to_numpy()[rows],
            "start": pd.to_datetime(b.start_ns[rows], utc=True),
            "client_id": f["client_id"].to_numpy()[rows],
            "barber_id": f["barber_id"].to_numpy()[rows],
            "risk": risk,
            "price_cents": f["price_cents"].to_numpy()[rows],
            "minutes": f["minutes"].to_numpy()[rows],
        }
    )
    clients = reliability(state, upcoming, settings.interval)
    horizon = t + settings.horizon_days * DAY_NS
    listed = np.flatnonzero(b.start_ns[rows] <= horizon)
    upcoming = upcoming.iloc[listed].reset_index(drop=True)
    barber = upcoming["barber_id"].map(names).astype(object)
    upcoming.insert(4, "barber", barber.where(barber.notna(), None))
    if scorer.method == "none":
        upcoming["reasons"] = NO_INFO
    else:
        part = type(history)(*(getattr(history, k)[listed] for k in history.__dataclass_fields__))
        upcoming["reasons"] = reasons(b, rows[listed], part, state.lifts)
    notes = [] if state.booked_known else [NO_BOOKED_AT]
    return NoShowResult(
        as_of=as_of,
        cutoff=cutoff.to_pydatetime(),
        method=scorer.method,
        model=scorer.model,
        sentence=scorer.sentence,
        notes=notes,
        upcoming=upcoming,
        clients=clients,
        backtest=scorer.backtest,
        base_rate=state.shop_rate if np.isfinite(state.shop_rate) else None,
        features_used=list(scorer.used),
        features_left_out=list(scorer.left_out),
        scorer=scorer,
    )
