"""How the no-show engine chooses and fits its method, for either event it learns
(no-shows, late cancellations): the weekly replay of the last 13 weeks, the choice
between the candidates and the client's own rate, and the fit at the cutoff.

Shared by `noshow` and `late_cancel`; it knows nothing of words shown to the owner
beyond `noshow_backtest.choose`'s sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from barberbi_desktop.engines import noshow_backtest as bt
from barberbi_desktop.engines.data import RunState
from barberbi_desktop.engines.noshow_features import (
    DAY_NS,
    FEATURES,
    AtCutoff,
    Bookings,
    at_cutoff,
    client_rate,
)
from barberbi_desktop.engines.noshow_state import ClientState

if TYPE_CHECKING:
    from barberbi_desktop.engines.late_cancel import LateCancel


@dataclass(frozen=True)
class NoShowSettings:
    horizon_days: int = 14  # bookings listed in the result
    replay_weeks: int = 13  # about 90 days
    seed: int = 23
    interval: float = 0.8  # reliability: the central 80% of the Beta posterior


def columns_used(b: Bookings, x: pd.DataFrame) -> tuple[list[str], list[str]]:
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
    columns, _ = columns_used(b, x_train)
    x = at.features(rows)
    for name in bt.MODELS:
        model = bt.fit(name, x_train, y, b.start_ns[train], columns)
        out[name] = model.predict(x)
    return out


def replay(
    b: Bookings,
    cutoff_ns: int,
    settings: NoShowSettings,
    state: RunState,
    span: tuple[float, float] = (0.1, 0.7),
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Week by week over the last ``replay_weeks``: train on what was known at each
    week's start, predict that week's bookings made by then, score the pooled weeks.
    ``span`` is the share of the run's progress bar the replay moves through."""
    pooled: dict[str, list[np.ndarray]] = {}
    truth: list[np.ndarray] = []
    ids: list[np.ndarray] = []
    week_of: list[np.ndarray] = []
    weeks = 0
    week_ns = 7 * DAY_NS
    for k in range(settings.replay_weeks, 0, -1):
        done = (settings.replay_weeks - k) / settings.replay_weeks
        state.step(span[0] + (span[1] - span[0]) * done, f"Replaying the week {k} weeks back")
        t = cutoff_ns - k * week_ns
        at = at_cutoff(b, t)
        rows = np.flatnonzero(
            at.upcoming & (b.start_ns <= t + week_ns) & b.recorded & (b.no_show | b.other)
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
    late: LateCancel | None = None  # the late-cancellation side, learnt in the same run


def choose_and_fit(
    b: Bookings,
    at: AtCutoff,
    as_of: date,
    clients: ClientState,
    settings: NoShowSettings,
    state: RunState,
    event: str = "no_show",
    span: tuple[float, float] = (0.1, 0.75),
) -> tuple[Scorer, pd.DataFrame]:
    """Replay, choose by the replay, and fit the chosen candidate at the cutoff."""
    backtest, replayed = replay(b, at.cutoff_ns, settings, state, (span[0], span[1] - 0.05))
    pooled = {"weeks": backtest["weeks"], **{k: v for k, v in backtest.items() if
                                             isinstance(v, dict)}}  # fmt: skip
    method, sentence = bt.choose(pooled, event)
    said = report(backtest, method)
    if method not in bt.MODELS:
        return Scorer(as_of, "client_rate", None, None, sentence, said, clients), replayed
    state.step(span[1], "Fitting at the cutoff")
    train = bt.training_rows(at.outcome, b.start_ns, at.cutoff_ns, settings.seed)
    y = b.no_show[train].astype(int)
    x_train = at.features(train)
    used, left_out = columns_used(b, x_train)
    fitted = bt.fit(method, x_train, y, b.start_ns[train], used)
    scorer = Scorer(
        as_of, "model", method, fitted, sentence, said, clients, tuple(used), tuple(left_out)
    )
    return scorer, replayed


def report(backtest: dict[str, Any], method: str) -> dict[str, Any]:
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
