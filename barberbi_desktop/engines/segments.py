"""Client segments with explicit rules, and what to do about each segment.

Rules are applied in order and the first that matches wins; each client keeps
the sentence of the rule that placed them, so the owner can see *why*. Value
quantiles are taken over clients who are not lapsed, so a shop's many
one-visit-long-ago clients do not drag the bar down.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from barberbi_desktop.engines.ltv import LtvSettings

SEGMENT_ORDER = ("Premium VIP", "High Value", "Regular", "Developing", "At-Risk", "Lapsed")

ACTIONS = {
    "Premium VIP": "Thank them personally, offer first pick of prime slots and the next "
    "premium upgrade; never let them leave without the next booking.",
    "High Value": "Ask them to pre-book the next visit at checkout and offer a loyalty perk.",
    "Regular": "Send a rebooking reminder timed to their own rhythm.",
    "Developing": "Make the second visit easy: a personal follow-up and a rebooking offer "
    "within three weeks of the first visit.",
    "At-Risk": "Call this week: a personal check-in from their barber and an offer to rebook.",
    "Lapsed": "Send a win-back message with a time-limited offer; remove after two tries.",
}
# What is at stake: the value still expected from clients we keep, and for those
# slipping away, the yearly revenue they used to bring.
STAKE = {
    "Premium VIP": "ltv",
    "High Value": "ltv",
    "Regular": "ltv",
    "Developing": "ltv",
    "At-Risk": "annual",
    "Lapsed": "annual",
}


def _weeks(days: float) -> str:
    weeks = days / 7
    return f"{weeks:.0f} weeks" if weeks >= 1.5 else f"{days:.0f} days"


def assign_segments(scores: pd.DataFrame, s: LtvSettings) -> pd.DataFrame:
    out = scores.copy()
    gap, since = out["gap_days"], out["days_since_last"]
    out["overdue"] = (out["frequency"] >= 2) & (since > s.overdue_factor * gap) & (since - gap > 14)
    out["overdue_text"] = np.where(
        out["overdue"],
        [
            f"usually every {_weeks(g)}, last seen {_weeks(d)} ago"
            for g, d in zip(gap, since, strict=True)
        ],
        None,
    )
    lapsed = (out["p_alive"] < s.lapsed_p_alive) | (since > 365)
    active_ltv = out.loc[~lapsed, "ltv_cents"]
    vip_bar = active_ltv.quantile(s.vip_quantile) if len(active_ltv) else np.inf
    high_bar = active_ltv.quantile(s.high_value_quantile) if len(active_ltv) else np.inf
    # At-Risk is for clients who had come back at least once: a one-visit client who
    # does not return is a Developing client the shop never won, not one it is losing.
    at_risk = ((out["churn_risk"] >= s.at_risk_churn) | out["overdue"]) & (out["frequency"] >= 1)
    vip = (out["ltv_cents"] >= vip_bar) & (out["frequency"] >= 2)
    high = out["ltv_cents"] >= high_bar
    developing = out["frequency"] <= 1
    conditions = [lapsed, at_risk, vip, high, developing]
    names = ["Lapsed", "At-Risk", "Premium VIP", "High Value", "Developing"]
    out["segment"] = np.select(conditions, names, default="Regular")
    out["value_tier"] = np.select([vip, high], ["Premium VIP", "High Value"], default="")
    dollars = lambda cents: f"${cents / 100:,.0f}"  # noqa: E731
    rules = {
        "Lapsed": lambda r: (
            f"P(alive) {r.p_alive:.2f} below {s.lapsed_p_alive:.2f}"
            if r.p_alive < s.lapsed_p_alive
            else f"no visit for {_weeks(r.days_since_last)}"
        ),
        "At-Risk": lambda r: (
            f"overdue: {r.overdue_text}"
            if r.overdue
            else f"churn risk {r.churn_risk:.2f} at or above {s.at_risk_churn:.2f}"
        ),
        "Premium VIP": lambda r: (
            f"12-month value {dollars(r.ltv_cents)} in the top "
            f"{100 - 100 * s.vip_quantile:.0f}% (from {dollars(vip_bar)})"
        ),
        "High Value": lambda r: (
            f"12-month value {dollars(r.ltv_cents)} in the top "
            f"{100 - 100 * s.high_value_quantile:.0f}% "
            f"(from {dollars(high_bar)})"
        ),
        "Developing": lambda r: f"{int(r.visits)} visit{'s' if r.visits > 1 else ''} so far",
        "Regular": lambda r: (
            f"returning client, churn risk {r.churn_risk:.2f}, "
            f"12-month value {dollars(r.ltv_cents)}"
        ),
    }
    out["segment_rule"] = [
        rules[seg](row) for seg, row in zip(out["segment"], out.itertuples(), strict=True)
    ]
    out["action"] = out["segment"].map(ACTIONS)
    return out


def segment_actions(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per segment: size, recommended action, and revenue at stake in cents."""
    annual = scores["total_revenue_cents"] / np.maximum(scores["age_days"], 30) * 365
    stake = np.where(scores["segment"].map(STAKE) == "annual", annual, scores["ltv_cents"])
    frame = pd.DataFrame({"segment": scores["segment"], "stake": stake})
    grouped = frame.groupby("segment")["stake"].agg(["size", "sum"])
    rows = [
        {
            "segment": name,
            "clients": int(grouped["size"].get(name, 0)),
            "revenue_at_stake_cents": round(float(grouped["sum"].get(name, 0.0))),
            "stake_basis": (
                "yearly revenue they used to bring"
                if STAKE[name] == "annual"
                else "expected 12-month value"
            ),
            "action": ACTIONS[name],
        }
        for name in SEGMENT_ORDER
    ]
    return pd.DataFrame(rows)
