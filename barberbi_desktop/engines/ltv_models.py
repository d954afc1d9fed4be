"""Every model's view of each client's next H days at one cutoff.

A cutoff's predictions read only the data on or before it, so the same code scores the
validation window, the test window and the final run. Models that cannot be fitted on
what a shop has (too few repeat clients, no positive spend, one outcome only) are left
out of that cutoff rather than forced: the caller compares what exists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from barberbi_desktop.engines.btyd import BetaGeoModel, GammaGammaModel
from barberbi_desktop.engines.features import behaviour, completed_days, future_revenue

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
MIN_CLIENTS = 30  # repeat clients BG/NBD needs, and clients a learned model trains on
MIN_SPEND_CLIENTS = 10  # repeat clients with positive spend Gamma-Gamma needs
MAX_TRAIN = 50_000


class Cutoffs:
    """Features per cutoff day, computed once however many models ask."""

    def __init__(self, visits: pd.DataFrame, as_of: pd.Timestamp) -> None:
        self.visits = visits
        self.days = completed_days(visits, as_of)
        self.first_day = self.days["day"].min()
        self._cache: dict[pd.Timestamp, pd.DataFrame] = {}

    def features(self, cutoff: pd.Timestamp) -> pd.DataFrame:
        if cutoff not in self._cache:
            self._cache[cutoff] = behaviour(self.visits, cutoff, self.days)
        return self._cache[cutoff]

    def has_history(self, cutoff: pd.Timestamp, days: int) -> bool:
        return bool(cutoff - pd.Timedelta(days=days) > self.first_day)

    def spend_between(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
        """Net revenue of completed visits in (start, end], by client."""
        d = self.days
        window = d[(d["day"] > start) & (d["day"] <= end)]
        return window.groupby("client_id")["revenue"].sum()


@dataclass(frozen=True)
class Predictions:
    """Predicted spend in cents over the next H days by model, and churn by model."""

    features: pd.DataFrame
    bg: BetaGeoModel
    gg: GammaGammaModel | None
    per_visit: np.ndarray
    spend: dict[str, pd.Series]
    churn: dict[str, pd.Series]
    learned_with: tuple[str, ...]


def _bg_usable(bg: BetaGeoModel) -> bool:
    return bool(np.all(np.isfinite(bg.params)) and np.all(bg.params > 0) and bg.a != 1.0)


def spend_per_visit(
    feats: pd.DataFrame, penalizer: float
) -> tuple[GammaGammaModel | None, np.ndarray]:
    """Gamma-Gamma's expected spend per visit, or each client's own average without it.

    Net spend can be negative (a refund larger than the visit); Gamma-Gamma is fitted on
    clients whose repeat visits averaged above zero and reads a negative average as zero.
    With fewer than 10 such clients, or a fit with no finite mean, each client's own
    average visit (never below zero) stands in.
    """
    freq, money = feats["frequency"], feats["monetary"]
    if int(((freq > 0) & (money > 0)).sum()) >= MIN_SPEND_CLIENTS:
        gg = GammaGammaModel(penalizer).fit(freq, money)
        per_visit = gg.expected_spend(freq.to_numpy(), money.clip(lower=0).to_numpy())
        if np.isfinite(gg.population_mean_spend) and np.all(np.isfinite(per_visit)):
            return gg, np.maximum(per_visit, 0.0)
    own = (feats["total_revenue"] / feats["visits"]).clip(lower=0)
    return None, own.fillna(0).to_numpy()


def baselines(
    cut: Cutoffs, feats: pd.DataFrame, cutoff: pd.Timestamp, h: int
) -> dict[str, pd.Series]:
    """What a shop would guess without a model, never below zero: nothing, the same as the
    last H days, or the client's spend per day since their first visit (counted over at
    least H days, so a client first seen yesterday is not projected at 90 times a visit)."""
    index = feats.index
    last = cut.spend_between(cutoff - pd.Timedelta(days=h), cutoff).reindex(index).fillna(0)
    rate = feats["total_revenue"] / np.maximum(feats["T"], h) * h
    return {
        "zero": pd.Series(0.0, index=index),
        "last_period": last.clip(lower=0),
        "own_rate": rate.clip(lower=0),
    }


def _informative(train: pd.DataFrame, usable: tuple[str, ...]) -> list[str]:
    """Usable features that vary in the training set: an all-missing or constant column
    says nothing (and an all-missing one breaks HistGradientBoosting's binning)."""
    return [c for c in usable if train[c].nunique(dropna=False) > 1]


def _learned(
    cut: Cutoffs,
    cutoff: pd.Timestamp,
    feats: pd.DataFrame,
    usable: tuple[str, ...],
    h: int,
    churn_days: int,
    seed: int,
) -> tuple[pd.Series | None, pd.Series | None, tuple[str, ...]]:
    """Gradient boosting trained on an earlier cutoff's features and what followed it.

    The spend target is net revenue clipped at zero: the Poisson loss needs non-negative
    targets, and a refund is not negative demand the model should predict.
    """
    train_cut = cutoff - pd.Timedelta(days=max(h, churn_days))
    if not cut.has_history(train_cut, h):
        return None, None, ()
    train = cut.features(train_cut)
    if len(train) < MIN_CLIENTS:
        return None, None, ()
    if len(train) > MAX_TRAIN:  # a seeded sample is plenty for 19 features, and 4x faster
        train = train.sample(MAX_TRAIN, random_state=seed).sort_index()
    columns = _informative(train, usable)
    if not columns:
        return None, None, ()
    x_train = train[columns].astype(float).to_numpy()
    x_now = feats[columns].astype(float).to_numpy()
    target = future_revenue(cut.visits, train_cut, h).reindex(train.index).fillna(0).clip(lower=0)
    ml = clf = None
    with threadpool_limits(limits=1, user_api="openmp"):
        ml, clf = _boosted(x_train, x_now, target, cut, train_cut, churn_days, feats.index, seed)
    return ml, clf, tuple(columns)


def _boosted(x_train: np.ndarray, x_now: np.ndarray, target: pd.Series, cut: Cutoffs,
             train_cut: pd.Timestamp, churn_days: int, index: pd.Index,
             seed: int) -> tuple[pd.Series | None, pd.Series | None]:
    """The gradient-boosted spend and churn models, on one OpenMP thread.

    Their OpenMP threads spin while they wait for a core: on a two-core shop computer
    busy with the window or another engine, two threads made a demo run 5-10 times
    slower (2 s alone, 10-19 s beside a busy process); one thread costs little alone.
    """
    ml = clf = None
    if target.sum() > 0:
        reg = HistGradientBoostingRegressor(
            loss="poisson", max_iter=100, learning_rate=0.08, random_state=seed
        )
        reg.fit(x_train, target.to_numpy())
        ml = pd.Series(reg.predict(x_now), index=index)
    gone = future_revenue(cut.visits, train_cut, churn_days).reindex(target.index).isna()
    if 0 < gone.sum() < len(gone):
        model = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.08, random_state=seed)
        model.fit(x_train, gone.to_numpy())
        clf = pd.Series(model.predict_proba(x_now)[:, 1], index=index)
    return ml, clf


def fit_predict(
    cut: Cutoffs,
    cutoff: pd.Timestamp,
    usable: tuple[str, ...],
    *,
    horizon_days: int,
    churn_days: int,
    penalizer: float,
    seed: int,
) -> Predictions | None:
    """All models at one cutoff, or None with fewer than 30 repeat clients by then."""
    feats = cut.features(cutoff)
    if len(feats) < MIN_CLIENTS or int((feats["frequency"] > 0).sum()) < MIN_CLIENTS:
        return None
    args = (feats["frequency"], feats["recency"], feats["T"])
    bg = BetaGeoModel(penalizer).fit(*args)
    if not _bg_usable(bg):
        return None
    gg, per_visit = spend_per_visit(feats, penalizer)
    index = feats.index
    visits = bg.expected_visits(horizon_days, *args)
    quiet = bg.p_no_visit(churn_days, *args)
    if not (np.isfinite(visits).all() and np.isfinite(quiet).all()):
        return None
    spend = {
        "bgnbd_gg": pd.Series(np.maximum(visits * per_visit, 0.0), index=index),
        **baselines(cut, feats, cutoff, horizon_days),
    }
    churn = {"bgnbd": pd.Series(np.clip(quiet, 0, 1), index=index)}
    ml, clf, learned_with = _learned(cut, cutoff, feats, usable, horizon_days, churn_days, seed)
    if ml is not None and np.isfinite(ml.to_numpy()).all():
        spend["ml"] = ml.clip(lower=0)
    if clf is not None and np.isfinite(clf.to_numpy()).all():
        churn["classifier"] = clf
    return Predictions(feats, bg, gg, per_visit, spend, churn, learned_with)
