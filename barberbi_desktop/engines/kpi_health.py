"""The business health score of a KPI run: a weighted mean of each KPI's score against
its target (docs/METRICS.md, "health").

A KPI that is unknown is left out and the weights renormalised over the rest. A
month without a visit has $0 of revenue and would score 0/100, which says "no data",
not "bad business": then the score itself is unknown, with the reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Health score: each KPI's 30-day score (same mapping as the methodology) with these weights.
HEALTH_WEIGHTS = {
    "revenue": 25,
    "utilisation": 15,
    "retention_90d": 15,
    "rebooking_rate": 10,
    "no_show_rate": 10,
    "avg_ticket": 10,
    "retail_attachment": 5,
    "tip_rate": 5,
    "new_client_share": 5,
}


def _score(value: float, target: float, lower_is_better: bool) -> float:
    if lower_is_better:
        return 100.0 if value <= target else 100.0 * target / value
    return 100.0 * min(max(value / target, 0.0), 1.0) if target > 0 else 100.0


NO_VISITS_EVER = "no visits in any window yet; import an export first"
NO_VISITS_30D = "no completed visits in the last 30 days, which the score measures"


def _health_unknown(values: pd.DataFrame, parts: dict[str, float]) -> str | None:
    """Why there is no health score, or None when there is one."""
    visits = values[values["kpi"] == "visits"]
    if not (visits["value"].fillna(0) > 0).any() and not (visits["prior"].fillna(0) > 0).any():
        return NO_VISITS_EVER
    thirty = visits[visits["window"] == "30d"]["value"]
    if not (thirty.fillna(0) > 0).any():
        return NO_VISITS_30D
    return None if parts else "no measure of the score is known"


def health_score(
    values: pd.DataFrame, lower_is_better: set[str]
) -> tuple[float | None, dict[str, float], dict[str, str], str | None]:
    """The score (None: unknown), each KPI's part, the KPIs left out with their reasons,
    and why the score is unknown (None when there is one)."""
    thirty = values[values["window"] == "30d"].set_index("kpi")
    ninety = values[values["window"] == "90d"].set_index("kpi")
    parts: dict[str, float] = {}
    unknown: dict[str, str] = {}
    for kpi in HEALTH_WEIGHTS:
        source = ninety if kpi == "retention_90d" else thirty
        v, t = source.loc[kpi, "value"], source.loc[kpi, "target"]
        if not (pd.isna(v) or pd.isna(t)):
            parts[kpi] = _score(float(v), float(t), kpi in lower_is_better)
        else:  # left out, and the weights renormalised over what is known
            unknown[kpi] = source.loc[kpi, "reason"] or "no target set"
    why = _health_unknown(values, parts)
    if why is not None:  # a shop (or location) without visits scores nothing, not 0
        return None, {}, unknown, why
    weights = [HEALTH_WEIGHTS[k] for k in parts]
    return float(np.average(list(parts.values()), weights=weights)), parts, unknown, None
