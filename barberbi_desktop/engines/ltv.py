"""Client lifetime value, churn risk and segments, with an honest back-test.

Candidates for each client's spend over the next ``H`` days: BG/NBD + Gamma-Gamma, a
gradient-boosting model trained on a time split, their blend, and three rules a shop
would use without us (see `ltv_backtest`). Three cutoffs keep the figures honest:

- *validation* (cutoff ``as_of - 2H``): sets the blend's weight and chooses the model in
  use, by RMSE, among the blend, BG/NBD + Gamma-Gamma and the best simple rule;
- *test* (cutoff ``as_of - H``): the reported quality of every candidate, and of the
  model in use against the simple rules; nothing is chosen or tuned here;
- *final* (``as_of``): the model in use scores every client.

Nothing after ``as_of`` is ever read. Features the shop's data cannot fill are left out
of the learned models (`features.usable_features`) and listed in the run's metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from barberbi_desktop.engines.data import NotEnoughData, RunState, ShopData
from barberbi_desktop.engines.features import prepare_visits, usable_features
from barberbi_desktop.engines.ltv_backtest import choose, gains, label, spend_scores
from barberbi_desktop.engines.ltv_models import (
    FEATURES,
    MIN_CLIENTS,
    Cutoffs,
    Predictions,
    fit_predict,
)
from barberbi_desktop.engines.segments import SEGMENT_ORDER, assign_segments, segment_actions
from barberbi_desktop.engines.validation import churn_metrics

__all__ = ["FEATURES", "LtvResult", "LtvSettings", "run"]


@dataclass(frozen=True)
class LtvSettings:
    horizon_days: int = 90  # H: prediction and back-test window
    churn_days: int = 90  # churn = no visit in this many days
    ltv_months: int = 12
    monthly_discount: float = 0.01
    penalizer: float = 0.0
    seed: int = 0
    vip_quantile: float = 0.95
    high_value_quantile: float = 0.80
    at_risk_churn: float = 0.7
    lapsed_p_alive: float = 0.25
    overdue_factor: float = 1.5


@dataclass(frozen=True)
class LtvResult:
    as_of: date
    scores: pd.DataFrame
    segments: pd.DataFrame
    bgnbd: dict[str, Any]
    gamma_gamma: dict[str, Any]
    backtest: dict[str, Any]
    weights: dict[str, float]
    model: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = field(default=())

    def summary(self) -> dict[str, Any]:
        counts = self.scores["segment"].value_counts()
        return {
            "engine": "ltv",
            "as_of": self.as_of.isoformat(),
            "clients": len(self.scores),
            "bgnbd": self.bgnbd,
            "gamma_gamma": self.gamma_gamma,
            "model": self.model,
            "backtest": self.backtest,
            "ensemble_weights": self.weights,
            "segments": {name: int(counts.get(name, 0)) for name in SEGMENT_ORDER},
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class _Window:
    """One cutoff's predictions and what the clients then actually did."""

    cutoff: pd.Timestamp
    pred: Predictions
    actual: pd.Series
    churned: pd.Series


def _fit(
    cut: Cutoffs, cutoff: pd.Timestamp, usable: tuple[str, ...], s: LtvSettings
) -> Predictions | None:
    return fit_predict(
        cut,
        cutoff,
        usable,
        horizon_days=s.horizon_days,
        churn_days=s.churn_days,
        penalizer=s.penalizer,
        seed=s.seed,
    )


def _window(
    cut: Cutoffs, cutoff: pd.Timestamp, usable: tuple[str, ...], s: LtvSettings
) -> _Window | None:
    if not cut.has_history(cutoff, 1):
        return None
    pred = _fit(cut, cutoff, usable, s)
    if pred is None:
        return None
    index = pred.features.index
    actual = cut.spend_between(cutoff, cutoff + pd.Timedelta(days=s.horizon_days))
    came = cut.spend_between(cutoff, cutoff + pd.Timedelta(days=s.churn_days))
    churned = pd.Series(~index.isin(came.index), index=index)
    return _Window(cutoff, pred, actual.reindex(index).fillna(0), churned)


def _blend(pred: Predictions, ml_weight: float | None) -> pd.Series | None:
    if ml_weight is None or "ml" not in pred.spend:
        return None
    return (1 - ml_weight) * pred.spend["bgnbd_gg"] + ml_weight * pred.spend["ml"]


def _blend_weight(w: _Window) -> float:
    """The learned model's share in the blend with the lowest validation RMSE (a tenth-step
    grid; on a tie the smaller share, so the blend is BG/NBD unless the learned model helps)."""
    bg, ml = w.pred.spend["bgnbd_gg"], w.pred.spend["ml"]
    grid = np.linspace(0, 1, 11)
    rmse = [float((((1 - g) * bg + g * ml - w.actual) ** 2).mean()) for g in grid]
    return float(grid[int(np.argmin(rmse))])


def _churn_weights(w: _Window | None) -> dict[str, float]:
    """Inverse Brier score on the validation window; BG/NBD alone without one."""
    if w is None or "classifier" not in w.pred.churn:
        return {"bgnbd": 1.0}
    y = w.churned.astype(float)
    inv = {k: 1 / max(float(((p - y) ** 2).mean()), 1e-9) for k, p in w.pred.churn.items()}
    return {k: v / sum(inv.values()) for k, v in inv.items()}


def _churn(pred: Predictions, weights: dict[str, float]) -> pd.Series:
    usable = {k: v for k, v in weights.items() if k in pred.churn}
    total = sum(usable.values())
    return sum(pred.churn[k] * (v / total) for k, v in usable.items()).clip(0, 1)


def _spend(pred: Predictions, model: str, ml_weight: float | None) -> pd.Series | None:
    return _blend(pred, ml_weight) if model == "ensemble" else pred.spend.get(model)


def _validate(
    cut: Cutoffs, as_of: pd.Timestamp, usable: tuple[str, ...], s: LtvSettings
) -> tuple[_Window | None, dict[str, Any], float | None]:
    """Choose the model in use on the validation window: (window, report, the blend's ML
    weight).

    Models are compared only where every candidate can be fitted: the learned model needs
    ``H + max(H, churn_days)`` days of history before the validation cutoff. Earlier, the
    fits being compared would have seen clients for less than the horizon they predict (a
    shop's first months, when nearly every client is new), which says little about the
    scoring day; BG/NBD, the standard model, is used then and the test window reports how
    it did.
    """
    h = s.horizon_days
    cutoff = as_of - pd.Timedelta(days=2 * h)
    needed = h + max(h, s.churn_days)
    val = _window(cut, cutoff, usable, s) if cut.has_history(cutoff, needed) else None
    if val is None:
        reason = (
            f"comparing models needs {2 * h + needed} days of history"
            if not cut.has_history(cutoff, needed)
            else f"fewer than {MIN_CLIENTS} repeat clients {2 * h} days before the scoring day"
        )
        return None, {"available": False, "reason": reason, "model": "bgnbd_gg"}, None
    scores = {name: spend_scores(p, val.actual) for name, p in val.pred.spend.items()}
    ml_weight = None
    if "ml" in val.pred.spend:
        ml_weight = _blend_weight(val)
        scores["ensemble"] = spend_scores(_blend(val.pred, ml_weight), val.actual)
    return (
        val,
        {
            "available": True,
            "start": (val.cutoff + pd.Timedelta(days=1)).date().isoformat(),
            "end": (val.cutoff + pd.Timedelta(days=h)).date().isoformat(),
            "chosen_by": "lowest RMSE among the combined model, BG/NBD and the best simple rule",
            "ensemble_ml_weight": ml_weight,
            "spend": scores,
            "model": choose(scores),
        },
        ml_weight,
    )


def _test(
    test: _Window | None, model: str, ml_weight: float | None, cw: dict[str, float], s: LtvSettings
) -> dict[str, Any]:
    """Every candidate's figures on the test window, which chose nothing."""
    if test is None:
        return {
            "available": False,
            "reason": f"fewer than {MIN_CLIENTS} repeat clients before the last "
            f"{s.horizon_days} days",
        }
    p = test.pred
    spend = dict(p.spend)
    blended = _blend(p, ml_weight)
    if blended is not None:
        spend["ensemble"] = blended
    report = {name: spend_scores(pred, test.actual) for name, pred in spend.items()}
    churns = {**p.churn, "blend": _churn(p, cw)}
    return {
        "available": True,
        "holdout_start": (test.cutoff + pd.Timedelta(days=1)).date().isoformat(),
        "holdout_end": (test.cutoff + pd.Timedelta(days=s.horizon_days)).date().isoformat(),
        "spend": report,
        "churn": {name: churn_metrics(pr, test.churned) for name, pr in churns.items()},
        "in_use_scored": model in report,
    }


def _lifetime_value(p: Predictions, spend_h: pd.Series, model: str, s: LtvSettings) -> pd.Series:
    """Discounted expected revenue over ``ltv_months``: BG/NBD's monthly visit profile times
    the spend per visit. When the model in use is the blend, scaled so the first H days
    agree with it (within x0.5 to x2); a simple rule says nothing beyond its H days, so it
    leaves the profile as it is."""
    f = p.features
    args = (f["frequency"], f["recency"], f["T"])
    months = np.arange(s.ltv_months + 1)
    cumulative = np.stack(
        [p.bg.expected_visits(30.4375 * m, *args) if m else np.zeros(len(f)) for m in months]
    )
    discount = (1 + s.monthly_discount) ** -months[1:]
    ltv = pd.Series(
        (np.diff(cumulative, axis=0) * discount[:, None]).sum(axis=0) * p.per_visit, index=f.index
    )
    if model != "ensemble":
        return ltv
    ratio = (spend_h / p.spend["bgnbd_gg"].replace(0, np.nan)).clip(0.5, 2.0).fillna(1.0)
    return ltv * ratio


def _scores(
    final: Predictions, spend_h: pd.Series, churn: pd.Series, model: str, s: LtvSettings
) -> pd.DataFrame:
    f = final.features
    args = (f["frequency"], f["recency"], f["T"])
    scores = pd.DataFrame(
        {
            "frequency": f["frequency"],
            "recency_days": f["recency"],
            "age_days": f["T"],
            "monetary_cents": f["monetary"],
            "days_since_last": f["days_since_last"],
            "gap_days": f["gap_mean"],
            "visits": f["visits"],
            "total_revenue_cents": f["total_revenue"],
            "p_alive": final.bg.p_alive(*args),
            "expected_visits": final.bg.expected_visits(s.horizon_days, *args),
            "predicted_spend_cents": spend_h.clip(lower=0),
            "ltv_cents": _lifetime_value(final, spend_h, model, s).clip(lower=0),
            "churn_risk": churn,
        }
    )
    return assign_segments(scores, s)


def run(
    data: ShopData, settings: LtvSettings, as_of: date, state: RunState | None = None
) -> LtvResult:
    """Score every client known on ``as_of``."""
    state = state or RunState()
    s = settings
    h = pd.Timedelta(days=s.horizon_days)
    as_of_ts = pd.Timestamp(as_of)
    state.step(0.05, "Preparing visits")
    visits = prepare_visits(data)
    visits = visits[(visits["day"] <= as_of_ts) | (visits["booked_day"] <= as_of_ts)]
    done = visits[(visits["status"] == "completed") & (visits["day"] <= as_of_ts)]
    if done.empty:
        raise NotEnoughData(
            f"No completed visits on or before {as_of:%d %b %Y}: there is no client to score yet."
        )
    cut = Cutoffs(visits, as_of_ts)
    usable, left_out = usable_features(visits, as_of_ts, FEATURES)
    notes: list[str] = []
    state.step(0.15, "Fitting on all history")
    final = _fit(cut, as_of_ts, usable, s)
    if final is None:
        raise NotEnoughData(
            f"Not enough visit history to score clients: at least {MIN_CLIENTS} clients "
            "with a repeat visit are needed."
        )
    state.step(0.4, "Choosing a model on the validation window")
    val, validation, ml_weight = _validate(cut, as_of_ts, usable, s)
    model = validation.pop("model")
    if _spend(final, model, ml_weight) is None:  # e.g. no spend to learn from any more
        notes.append(
            f"The model chosen on the validation window, {label(model, s.horizon_days)}, "
            "could not be fitted on all history: BG/NBD is used."
        )
        model = "bgnbd_gg"
    cw = _churn_weights(val)
    state.step(0.65, f"Back-testing on the last {s.horizon_days} days")
    backtest = _test(_window(cut, as_of_ts - h, usable, s), model, ml_weight, cw, s)
    in_use: dict[str, Any] = {
        "model": model,
        "label": label(model, s.horizon_days),
        "chosen_on": "validation" if validation["available"] else "default",
    }
    if not validation["available"]:
        in_use["reason"] = validation["reason"]
    if backtest.pop("in_use_scored", False):
        in_use["test"] = backtest["spend"][model]
        in_use["rmse_gain"] = gains(backtest["spend"], model)
    backtest.update({"horizon_days": s.horizon_days, "validation": validation, "in_use": in_use})
    state.step(0.85, "Segmenting clients")
    spend_h = _spend(final, model, ml_weight)
    churn = _churn(final, cw)
    scores = _scores(final, spend_h, churn, model, s)
    if "ml" not in final.spend:
        notes.append(
            "Too little history to train the learned model: BG/NBD and the simple rules "
            "are compared."
        )
    gg = final.gg
    if gg is None:
        notes.append(
            "Fewer than 10 returning clients spent more than $0 a visit: spend per visit is "
            "each client's own average, not the Gamma-Gamma model."
        )
    return LtvResult(
        as_of=as_of,
        scores=scores,
        segments=segment_actions(scores),
        bgnbd={
            "r": final.bg.r,
            "alpha": final.bg.alpha,
            "a": final.bg.a,
            "b": final.bg.b,
            "log_likelihood": final.bg.log_likelihood,
            "converged": final.bg.converged,
            "time_unit": "day",
        },
        gamma_gamma={
            "fitted": gg is not None,
            "p": gg.p if gg else None,
            "q": gg.q if gg else None,
            "gamma": gg.gamma if gg else None,
            "currency_unit": "cent",
            "converged": gg.converged if gg else None,
            "frequency_monetary_correlation": gg.frequency_monetary_correlation if gg else None,
        },
        backtest=backtest,
        weights={
            "spend_ml": ml_weight if model == "ensemble" else 0.0,
            **{f"churn_{k}": v for k, v in cw.items()},
        },
        model={
            "in_use": model,
            "label": in_use["label"],
            "features_used": list(final.learned_with),
            "features_left_out": left_out,
        },
        notes=tuple(notes),
    )
