"""Back-test metrics: how wrong each model was on data it never saw."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import brier_score_loss, roc_auc_score


def spend_metrics(predicted: pd.Series, actual: pd.Series) -> dict[str, float]:
    """Per-client errors in dollars, rank agreement, and aggregate bias (a fraction)."""
    p = predicted.to_numpy(dtype=float) / 100
    y = actual.reindex(predicted.index).fillna(0).to_numpy(dtype=float) / 100
    err = p - y
    rho = spearmanr(p, y).statistic if np.ptp(p) > 0 and np.ptp(y) > 0 else float("nan")
    return {
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "spearman": float(rho),
        "bias": float(err.sum() / y.sum()) if y.sum() > 0 else float("nan"),
        "clients": int(p.size),
    }


def churn_metrics(probability: pd.Series, churned: pd.Series) -> dict[str, float]:
    y = churned.reindex(probability.index).fillna(True).to_numpy(dtype=bool)
    p = np.clip(probability.to_numpy(dtype=float), 0, 1)
    auc = roc_auc_score(y, p) if 0 < y.sum() < y.size else float("nan")
    return {
        "roc_auc": float(auc),
        "brier": float(brier_score_loss(y, p)),
        "churn_rate": float(y.mean()),
        "clients": int(y.size),
    }
