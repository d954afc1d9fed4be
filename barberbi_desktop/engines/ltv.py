"""Client lifetime value, churn risk and segments, with an honest back-test.

Two views of each client's next ``H`` days are combined: the probabilistic
BG/NBD + Gamma-Gamma model and a gradient-boosting model trained on a time
split. Their weights come from a *validation* window (cutoff ``as_of - 2H``);
the figures reported as model quality come from a separate *test* window
(cutoff ``as_of - H``), so no reported number was tuned on itself. Nothing
after ``as_of`` is ever read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from barberbi_desktop.engines.btyd import BetaGeoModel, GammaGammaModel
from barberbi_desktop.engines.data import NotEnoughData, RunState, ShopData
from barberbi_desktop.engines.features import (
    behaviour,
    completed_days,
    future_revenue,
    prepare_visits,
)
from barberbi_desktop.engines.segments import SEGMENT_ORDER, assign_segments, segment_actions
from barberbi_desktop.engines.validation import churn_metrics, spend_metrics

FEATURES = (
    "frequency",
    "recency",
    "T",
    "monetary",
    "total_revenue",
    "visits",
    "gap_mean",
    "gap_cv",
    "days_since_last",
    "premium_share",
    "retail_share",
    "tip_rate",
    "lead_days",
    "online_share",
    "walk_in_share",
    "loyalty",
    "no_show_rate",
    "cancel_rate",
    "has_booking",
)
MIN_CLIENTS = 30
MAX_TRAIN = 50_000


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
class Predictions:
    """Every model's view of the next H days for the clients known at one cutoff."""

    features: pd.DataFrame
    bg: BetaGeoModel
    gg: GammaGammaModel
    baseline: pd.Series
    bgnbd: pd.Series
    ml: pd.Series | None
    churn_bgnbd: pd.Series
    churn_clf: pd.Series | None


@dataclass(frozen=True)
class LtvResult:
    as_of: date
    scores: pd.DataFrame
    segments: pd.DataFrame
    bgnbd: dict[str, Any]
    gamma_gamma: dict[str, Any]
    backtest: dict[str, Any]
    weights: dict[str, float]
    notes: tuple[str, ...] = field(default=())

    def summary(self) -> dict[str, Any]:
        counts = self.scores["segment"].value_counts()
        return {
            "engine": "ltv",
            "as_of": self.as_of.isoformat(),
            "clients": len(self.scores),
            "bgnbd": self.bgnbd,
            "gamma_gamma": self.gamma_gamma,
            "backtest": self.backtest,
            "ensemble_weights": self.weights,
            "segments": {name: int(counts.get(name, 0)) for name in SEGMENT_ORDER},
            "notes": list(self.notes),
        }


def _matrix(features: pd.DataFrame) -> np.ndarray:
    return features.reindex(columns=list(FEATURES)).astype(float).to_numpy()


class _Cutoffs:
    """Features per cutoff day, computed once however many models ask."""

    def __init__(self, visits: pd.DataFrame, as_of: pd.Timestamp) -> None:
        self.visits = visits
        self.first_day = visits["day"].min()
        self.days = completed_days(visits, as_of)
        self._cache: dict[pd.Timestamp, pd.DataFrame] = {}

    def features(self, cutoff: pd.Timestamp) -> pd.DataFrame:
        if cutoff not in self._cache:
            self._cache[cutoff] = behaviour(self.visits, cutoff, self.days)
        return self._cache[cutoff]

    def has_history(self, cutoff: pd.Timestamp, days: int) -> bool:
        return bool(cutoff - pd.Timedelta(days=days) > self.first_day)


def _fit_predict(cut: _Cutoffs, cutoff: pd.Timestamp, s: LtvSettings) -> Predictions | None:
    feats = cut.features(cutoff)
    if len(feats) < MIN_CLIENTS or (feats["frequency"] > 0).sum() < MIN_CLIENTS:
        return None
    h = s.horizon_days
    bg = BetaGeoModel(s.penalizer).fit(feats["frequency"], feats["recency"], feats["T"])
    gg = GammaGammaModel(s.penalizer).fit(feats["frequency"], feats["monetary"])
    args = (feats["frequency"], feats["recency"], feats["T"])
    visits = bg.expected_visits(h, *args)
    spend = gg.expected_spend(feats["frequency"], feats["monetary"])
    index = feats.index
    baseline = feats["total_revenue"] / np.maximum(feats["T"], h) * h
    churn_bg = pd.Series(bg.p_no_visit(s.churn_days, *args), index=index)
    ml = churn_clf = None
    train_cut = cutoff - pd.Timedelta(days=max(h, s.churn_days))
    if cut.has_history(train_cut, h):
        train = cut.features(train_cut)
        if len(train) > MAX_TRAIN:  # a seeded sample is plenty for 19 features, and 4x faster
            train = train.sample(MAX_TRAIN, random_state=s.seed).sort_index()
        target = future_revenue(cut.visits, train_cut, h).reindex(train.index).fillna(0)
        came = future_revenue(cut.visits, train_cut, s.churn_days).reindex(train.index)
        reg = HistGradientBoostingRegressor(
            loss="poisson", max_iter=100, learning_rate=0.08, random_state=s.seed
        )
        reg.fit(_matrix(train), target.to_numpy())
        ml = pd.Series(reg.predict(_matrix(feats)), index=index)
        clf = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.08, random_state=s.seed)
        clf.fit(_matrix(train), came.isna().to_numpy())
        churn_clf = pd.Series(clf.predict_proba(_matrix(feats))[:, 1], index=index)
    return Predictions(
        feats, bg, gg, baseline, pd.Series(visits * spend, index=index), ml, churn_bg, churn_clf
    )


def _inverse_error_weights(errors: dict[str, float]) -> dict[str, float]:
    inv = {k: 1.0 / max(v, 1e-9) for k, v in errors.items()}
    total = sum(inv.values())
    return {k: v / total for k, v in inv.items()}


def _combine(
    p: Predictions, w: dict[str, float], cw: dict[str, float]
) -> tuple[pd.Series, pd.Series]:
    spend = p.bgnbd * w.get("bgnbd_gg", 1.0)
    churn = p.churn_bgnbd * cw.get("bgnbd", 1.0)
    if p.ml is not None and "ml" in w:
        spend = spend + p.ml * w["ml"]
    if p.churn_clf is not None and "classifier" in cw:
        churn = churn + p.churn_clf * cw["classifier"]
    return spend, churn


def _weights(
    cut: _Cutoffs, as_of: pd.Timestamp, s: LtvSettings, notes: list[str]
) -> tuple[dict[str, float], dict[str, float]]:
    """Ensemble weights from the validation window (inverse MSE, inverse Brier)."""
    h = pd.Timedelta(days=s.horizon_days)
    val = _fit_predict(cut, as_of - 2 * h, s) if cut.has_history(as_of - 2 * h, 1) else None
    if val is None or val.ml is None or val.churn_clf is None:
        notes.append(
            "Too little history for a validation window: the learned and "
            "probabilistic models are weighted equally."
        )
        return {"bgnbd_gg": 0.5, "ml": 0.5}, {"bgnbd": 0.5, "classifier": 0.5}
    cutoff = as_of - 2 * h
    actual = (
        future_revenue(cut.visits, cutoff, s.horizon_days).reindex(val.features.index).fillna(0)
    )
    came = future_revenue(cut.visits, cutoff, s.churn_days).reindex(val.features.index)
    mse = {
        "bgnbd_gg": float(((val.bgnbd - actual) ** 2).mean()),
        "ml": float(((val.ml - actual) ** 2).mean()),
    }
    churned = came.isna().astype(float)
    brier = {
        "bgnbd": float(((val.churn_bgnbd - churned) ** 2).mean()),
        "classifier": float(((val.churn_clf - churned) ** 2).mean()),
    }
    return _inverse_error_weights(mse), _inverse_error_weights(brier)


def _backtest(
    cut: _Cutoffs, as_of: pd.Timestamp, s: LtvSettings, w: dict[str, float], cw: dict[str, float]
) -> dict[str, Any]:
    """Hold out the last H days: fit on what came before, score what happened."""
    cutoff = as_of - pd.Timedelta(days=s.horizon_days)
    test = _fit_predict(cut, cutoff, s)
    if test is None:
        return {"available": False, "reason": "fewer than 30 repeat clients before the hold-out"}
    index = test.features.index
    actual = future_revenue(cut.visits, cutoff, s.horizon_days).reindex(index).fillna(0)
    churned = future_revenue(cut.visits, cutoff, s.churn_days).reindex(index).isna()
    spend, churn = _combine(test, w, cw)
    models = {"naive_baseline": test.baseline, "bgnbd_gg": test.bgnbd, "ensemble": spend}
    if test.ml is not None:
        models["ml"] = test.ml
    churns = {"bgnbd": test.churn_bgnbd, "blend": churn}
    if test.churn_clf is not None:
        churns["classifier"] = test.churn_clf
    report = {name: spend_metrics(pred, actual) for name, pred in models.items()}
    base = report["naive_baseline"]["mae"]
    return {
        "available": True,
        "holdout_start": (cutoff + pd.Timedelta(days=1)).date().isoformat(),
        "holdout_end": as_of.date().isoformat(),
        "horizon_days": s.horizon_days,
        "spend": report,
        "ensemble_mae_vs_baseline": report["ensemble"]["mae"] / base - 1 if base else None,
        "churn": {name: churn_metrics(p, churned) for name, p in churns.items()},
    }


def _lifetime_value(p: Predictions, spend_h: pd.Series, s: LtvSettings) -> pd.Series:
    """Discounted expected revenue over ``ltv_months``, shaped by BG/NBD's monthly profile
    and scaled so its first H days agree with the ensemble."""
    f = p.features
    args = (f["frequency"], f["recency"], f["T"])
    months = np.arange(s.ltv_months + 1)
    cumulative = np.stack(
        [p.bg.expected_visits(30.4375 * m, *args) if m else np.zeros(len(f)) for m in months]
    )
    per_visit = p.gg.expected_spend(f["frequency"], f["monetary"])
    discount = (1 + s.monthly_discount) ** -months[1:]
    ltv = (np.diff(cumulative, axis=0) * discount[:, None]).sum(axis=0) * per_visit
    ratio = (spend_h / p.bgnbd.replace(0, np.nan)).clip(0.5, 2.0).fillna(1.0)
    return pd.Series(ltv, index=f.index) * ratio


def run(
    data: ShopData, settings: LtvSettings, as_of: date, state: RunState | None = None
) -> LtvResult:
    """Score every client known on ``as_of``."""
    state = state or RunState()
    s = settings
    as_of_ts = pd.Timestamp(as_of)
    state.step(0.05, "Preparing visits")
    visits = prepare_visits(data)
    visits = visits[(visits["day"] <= as_of_ts) | (visits["booked_day"] <= as_of_ts)]
    cut = _Cutoffs(visits, as_of_ts)
    notes: list[str] = []
    state.step(0.15, "Fitting the validation window")
    w, cw = _weights(cut, as_of_ts, s, notes)
    state.step(0.45, f"Back-testing on the last {s.horizon_days} days")
    backtest = _backtest(cut, as_of_ts, s, w, cw)
    state.step(0.7, "Fitting on all history")
    final = _fit_predict(cut, as_of_ts, s)
    if final is None:
        raise NotEnoughData(
            "Not enough visit history to score clients: at least 30 clients "
            "with a repeat visit are needed."
        )
    if final.ml is None:
        w, cw = {"bgnbd_gg": 1.0}, {"bgnbd": 1.0}
        notes.append("Less than two horizons of history: only the probabilistic model is used.")
    spend_h, churn = _combine(final, w, cw)
    state.step(0.85, "Segmenting clients")
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
            "ltv_cents": _lifetime_value(final, spend_h, s).clip(lower=0),
            "churn_risk": churn.clip(0, 1),
        }
    )
    scores = assign_segments(scores, s)
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
            "p": final.gg.p,
            "q": final.gg.q,
            "gamma": final.gg.gamma,
            "currency_unit": "cent",
            "converged": final.gg.converged,
            "frequency_monetary_correlation": final.gg.frequency_monetary_correlation,
        },
        backtest=backtest,
        weights={
            **{f"spend_{k}": v for k, v in w.items()},
            **{f"churn_{k}": v for k, v in cw.items()},
        },
        notes=tuple(notes),
    )
