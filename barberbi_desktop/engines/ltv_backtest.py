"""How good the 90-day spend predictions were, against what a shop could do without us.

The baselines are what an owner would actually guess: nothing ($0 for everyone),
"same as the last 90 days", and the client's own average rate. Per-client errors
(MAE, RMSE) are not enough on their own: most clients spend nothing next quarter, so
"nothing" wins on MAE while being useless. RMSE punishes missing the big spenders, the
top-tenth share asks whether the clients ranked highest are the ones who spent, and the
totals whether the shop-wide sum is right.

The model in use is chosen on the *validation* window by RMSE among the combined model,
BG/NBD + Gamma-Gamma and the best baseline; its figures are then reported on the later
*test* window, which played no part in any choice.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

BASELINES = ("zero", "last_period", "own_rate")
MODELS = ("ensemble", "bgnbd_gg", "ml")
LABELS = {
    "ensemble": "the combined model (BG/NBD blended with a model learned from past quarters)",
    "bgnbd_gg": "the BG/NBD model",
    "ml": "the learned model",
    "zero": "'nothing' ($0 for everyone)",
    "last_period": "'same as the last {h} days'",
    "own_rate": "'each client's own average rate'",
}
TOP = 0.10


def label(model: str, horizon_days: int) -> str:
    return LABELS[model].format(h=horizon_days)


def top_share(predicted: np.ndarray, actual: np.ndarray, fraction: float = TOP) -> float:
    """Share of the actual spend held by the ``fraction`` of clients predicted highest.

    Clients tied at the cut share its remaining places pro rata, which is what a random
    order among them would give on average: a prediction that cannot tell clients apart
    ($0 for everyone) holds ``fraction`` of the spend, not whatever the file order gives.
    """
    total = float(actual.sum())
    if total <= 0 or predicted.size == 0:
        return float("nan")
    places = fraction * predicted.size
    order = np.argsort(-predicted, kind="stable")
    p, y = predicted[order], actual[order]
    cut = p[min(int(np.ceil(places)) - 1, p.size - 1)]
    above = p > cut
    tied = p == cut
    held = y[above].sum() + (places - above.sum()) / tied.sum() * y[tied].sum()
    return float(held / total)


def spend_scores(predicted: pd.Series, actual: pd.Series) -> dict[str, float | int | None]:
    """Errors per client in dollars, the top-tenth share, and predicted against actual total.

    ``actual`` is net spend (refunds come off), so it can be negative for a client;
    predictions are never below zero.
    """
    p = predicted.to_numpy(dtype=float) / 100
    y = actual.reindex(predicted.index).fillna(0).to_numpy(dtype=float) / 100
    err = p - y
    total, predicted_total = float(y.sum()), float(p.sum())
    return {
        "mae": float(np.mean(np.abs(err))) if p.size else float("nan"),
        "rmse": float(np.sqrt(np.mean(err**2))) if p.size else float("nan"),
        "top10_share": top_share(p, y),
        "best_top10_share": top_share(y, y),
        "predicted_total": predicted_total,
        "actual_total": total,
        "total_error": predicted_total / total - 1 if total > 0 else float("nan"),
        "clients": int(p.size),
    }


def best_baseline(scores: dict[str, dict[str, Any]]) -> str:
    return min(BASELINES, key=lambda name: scores[name]["rmse"])


def choose(validation: dict[str, dict[str, Any]]) -> str:
    """The candidate with the lowest validation RMSE; on a tie the simpler one."""
    candidates = [best_baseline(validation), "bgnbd_gg"]
    if "ensemble" in validation:
        candidates.append("ensemble")
    return min(candidates, key=lambda name: validation[name]["rmse"])


def gains(test: dict[str, dict[str, Any]], model: str) -> dict[str, float | None]:
    """How much smaller the model's test RMSE was than each baseline's (0.18 = 18%)."""
    mine = test[model]["rmse"]
    return {
        name: (1 - mine / test[name]["rmse"]) if test[name]["rmse"] > 0 else None
        for name in BASELINES
        if name != model
    }


def _pct(value: float) -> str:
    return f"{abs(value) * 100:.0f}%"


def _span(start: str, end: str) -> str:
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    return f"{first.day} {first:%b} to {last.day} {last:%b %Y}"


def describe(backtest: dict[str, Any]) -> str:
    """The back-test in plain words for an owner (the Clients tab and the command line)."""
    in_use = backtest.get("in_use") or {}
    if not in_use:
        return "No model comparison yet."
    h = int(backtest.get("horizon_days", 90))
    val = backtest.get("validation") or {}
    if in_use.get("chosen_on") == "validation" and val.get("start"):
        why = (
            "chosen because its predictions were the closest (RMSE) over "
            f"{_span(val['start'], val['end'])}"
        )
    else:
        why = f"the standard model ({in_use.get('reason', 'too little history to compare')})"
    first = f"Predictions use {label(in_use['model'], h)}, {why}."
    test = in_use.get("test")
    if not backtest.get("available") or not test:
        return f"{first} No back-test yet: {backtest.get('reason', 'too little history')}."
    parts = []
    vs = {k: v for k, v in (in_use.get("rmse_gain") or {}).items() if v is not None}
    if vs:
        rival = min(vs, key=lambda k: vs[k])  # the hardest simple rule to beat
        word = "closer than" if vs[rival] >= 0 else "further off than"
        parts.append(
            f"it was {_pct(vs[rival])} {word} {label(rival, h)} (RMSE, the typical error "
            "per client)"
        )
    if np.isfinite(test.get("top10_share") or np.nan):
        parts.append(
            f"the tenth of clients it ranked highest spent {_pct(test['top10_share'])} "
            "of all that was spent"
        )
    if np.isfinite(test.get("total_error") or np.nan):
        parts.append(
            f"it expected ${test['predicted_total']:,.0f} in total against "
            f"${test['actual_total']:,.0f} actually spent"
        )
    if not parts:
        return first
    window = _span(backtest["holdout_start"], backtest["holdout_end"])
    listed = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return f"{first} On the last {h} days ({window}), kept out of every choice, {listed}."


def describe_churn(backtest: dict[str, Any]) -> str:
    """Churn risk's test-window ranking quality (ROC AUC) in plain words, or ""."""
    auc = ((backtest.get("churn") or {}).get("blend") or {}).get("roc_auc")
    if auc is None or not np.isfinite(auc):
        return ""
    h = int(backtest.get("horizon_days", 90))
    return (
        f"Churn risk: of two clients, one who then stayed away {h} days and one who came "
        f"back, the first had the higher risk {auc:.0%} of the time (50% is a coin toss)."
    )
