"""Six Figure Barber methodology tracker: metric, principle and overall scores.

Score mapping (stated, monotonic): for a metric where more is better,
``score = 100 * min(value / target, 1)``; where less is better,
``score = 100 * min(target / value, 1)`` (100 at or below target). A
principle's score is the weighted mean of its metrics that have data; a
principle with none says why instead of scoring zero. The same code scores the
shop, each barber, and each month of the trajectory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from barberbi_desktop.engines import money_base
from barberbi_desktop.engines.data import NotEnoughData, RunState, ShopData
from barberbi_desktop.engines.method_context import MethodContext, build_context
from barberbi_desktop.engines.method_metrics import SPECS, MetricSpec, Reading
from barberbi_desktop.engines.pathway import pathways

PRINCIPLES = {
    "premium_positioning": "Premium service positioning",
    "value_pricing": "Value-based pricing",
    "client_relationships": "Client relationship excellence",
    "brand_building": "Professional brand building",
    "business_efficiency": "Business efficiency",
    "skill_development": "Continuous skill development",
}


@dataclass(frozen=True)
class MethodologySettings:
    targets: dict[str, float] = field(default_factory=dict)  # metric key -> target override
    metric_weights: dict[str, float] = field(default_factory=dict)  # default 1 each
    principle_weights: dict[str, float] = field(default_factory=dict)  # default 1 each
    six_figure_cents: int = 10_000_000
    trajectory_months: int = 24
    seed: int = 0

    def target(self, spec: MetricSpec) -> float:
        return float(self.targets.get(spec.key, spec.target))


def score(value: float, target: float, higher_is_better: bool) -> float:
    if higher_is_better:
        return 100.0 * min(max(value / target, 0.0), 1.0) if target > 0 else 100.0
    if value <= target:
        return 100.0
    return 100.0 * min(target / value, 1.0)


@dataclass(frozen=True)
class MetricScore:
    spec: MetricSpec
    value: float | None
    target: float
    score: float | None
    reason: str | None
    stake_cents: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.spec.key,
            "label": self.spec.label,
            "value": self.value,
            "target": self.target,
            "score": self.score,
            "unit": self.spec.unit,
            "higher_is_better": self.spec.higher_is_better,
            "reason_if_null": self.reason,
        }


@dataclass(frozen=True)
class PrincipleScore:
    key: str
    score: float | None
    reason: str | None
    metrics: tuple[MetricScore, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": PRINCIPLES[self.key],
            "score": self.score,
            "reason_if_null": self.reason,
            "metrics": [m.as_dict() for m in self.metrics],
        }


@dataclass(frozen=True)
class Scorecard:
    principles: tuple[PrincipleScore, ...]
    overall: float | None


def _card(metrics: dict[str, list[MetricScore]], s: MethodologySettings) -> Scorecard:
    principles = []
    for key, items in metrics.items():
        scored = [
            (m.score, s.metric_weights.get(m.spec.key, 1.0)) for m in items if m.score is not None
        ]
        if scored:
            value = float(np.average([v for v, _ in scored], weights=[w for _, w in scored]))
            principles.append(PrincipleScore(key, value, None, tuple(items)))
        else:
            reasons = "; ".join(sorted({m.reason for m in items if m.reason}))
            principles.append(
                PrincipleScore(key, None, f"not enough data: {reasons}", tuple(items))
            )
    scored_p = [
        (p.score, s.principle_weights.get(p.key, 1.0)) for p in principles if p.score is not None
    ]
    overall = (
        float(np.average([v for v, _ in scored_p], weights=[w for _, w in scored_p]))
        if scored_p
        else None
    )
    return Scorecard(tuple(principles), overall)


def _number(series: pd.Series | None, group: int) -> float | None:
    if series is None:
        return None
    value = series.get(group, np.nan)
    return None if pd.isna(value) else float(value)


def evaluate(ctx: MethodContext, s: MethodologySettings) -> dict[int, Scorecard]:
    """A scorecard for every group of the context (the shop, or each barber)."""
    readings = []
    for spec, compute in SPECS:
        target = s.target(spec)
        if spec.shop_only and not ctx.is_shop:
            reading = Reading(
                pd.Series(np.nan, index=ctx.groups), "measured for the whole shop only"
            )
        else:
            reading = compute(ctx, target)
        readings.append((spec, target, reading))
    cards = {}
    for group in ctx.groups:
        metrics: dict[str, list[MetricScore]] = {p: [] for p in PRINCIPLES}
        for spec, target, reading in readings:
            value = _number(reading.value, group)
            metrics[spec.principle].append(
                MetricScore(
                    spec,
                    value,
                    target,
                    None if value is None else score(value, target, spec.higher_is_better),
                    reading.why(int(group)) if value is None else None,
                    None if value is None else _number(reading.stake_cents, group),
                )
            )
        cards[int(group)] = _card(metrics, s)
    return cards


@dataclass(frozen=True)
class MethodologyResult:
    as_of: date
    shop: Scorecard
    barbers: dict[int, tuple[str, Scorecard]]
    gaps: list[dict[str, Any]]
    trajectory: pd.DataFrame  # month, principle (or "overall"), score
    pathway: list[dict[str, Any]]
    money_base: dict[str, Any] | None = None  # money_base.base_summary: the yearly base

    def summary(self) -> dict[str, Any]:
        return {
            "engine": "methodology",
            "as_of": self.as_of.isoformat(),
            "overall": self.shop.overall,
            "principles": [p.as_dict() for p in self.shop.principles],
            "barbers": [
                {
                    "barber_id": bid,
                    "name": name,
                    "overall": card.overall,
                    "principles": {p.key: p.score for p in card.principles},
                }
                for bid, (name, card) in self.barbers.items()
            ],
            "gaps": self.gaps,
            "money_base": self.money_base,
            "trajectory": [
                {
                    "month": m.strftime("%Y-%m"),
                    **{k: (None if pd.isna(v) else round(v, 1)) for k, v in row.items()},
                }
                for m, row in self.trajectory.pivot(
                    index="month", columns="principle", values="score"
                ).iterrows()
            ]
            if len(self.trajectory)
            else [],
            "pathway": self.pathway,
        }


def _gaps(card: Scorecard, yearly_cents: float | None = None) -> list[dict[str, Any]]:
    """The metrics below target, ranked by the yearly revenue at stake, each stake capped
    at the shared ceiling (money_base) and tagged with the area it overlaps in."""
    from barberbi_desktop.engines.method_advice import advice

    top = money_base.ceiling(yearly_cents)
    rows = []
    for p in card.principles:
        for m in p.metrics:
            if m.score is None or m.score >= 100:
                continue
            raw = m.stake_cents
            stake = None if raw is None else raw if top is None else min(raw, top)
            capped = stake is not None and raw is not None and stake < raw
            rows.append(
                {
                    "metric": m.spec.key,
                    "label": m.spec.label,
                    "principle": PRINCIPLES[p.key],
                    "value": m.value,
                    "target": m.target,
                    "score": round(m.score, 1),
                    "revenue_at_stake_yearly": None if stake is None else round(stake / 100, 2),
                    "capped": capped,
                    "area": money_base.area(m.spec.key),
                    "recommendation": advice(m.spec.key, m.value, m.target, stake, capped),
                }
            )
    rows.sort(
        key=lambda r: (
            r["revenue_at_stake_yearly"] is None,
            -(r["revenue_at_stake_yearly"] or 0),
            r["score"],
        )
    )
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
        row["overlaps_with"] = [
            r["label"] for r in rows if r["area"] == row["area"] and r is not row
        ]
    return rows


TRAJECTORY_COLUMNS = ["month", "principle", "score"]


def _trajectory(ctx: MethodContext, s: MethodologySettings, state: RunState) -> pd.DataFrame:
    """Month-end scores once 90 days of history exist (none yet: an empty frame that still
    has its columns, which the store and the summary read)."""
    if ctx.first_day is None:
        return pd.DataFrame(columns=TRAJECTORY_COLUMNS)
    first = ctx.first_day + pd.Timedelta(days=90)
    # An offset, not the alias: month-end is "ME" from pandas 2.2 and "M" before it.
    month_end = pd.offsets.MonthEnd()
    ends = pd.date_range(first, ctx.as_of, freq=month_end)[-s.trajectory_months :]
    rows: list[dict[str, Any]] = []
    for i, month_end in enumerate(ends):
        state.step(0.5 + 0.4 * i / max(len(ends), 1), f"Scoring {month_end:%B %Y}")
        card = evaluate(ctx.cut(month_end.normalize(), stakes=False), s)[0]
        rows.extend(
            {"month": month_end, "principle": p.key, "score": p.score} for p in card.principles
        )
        rows.append({"month": month_end, "principle": "overall", "score": card.overall})
    return pd.DataFrame(rows, columns=TRAJECTORY_COLUMNS)


def run(
    data: ShopData, settings: MethodologySettings, as_of: date, state: RunState | None = None
) -> MethodologyResult:
    state = state or RunState()
    as_of_ts = pd.Timestamp(as_of)
    state.step(0.05, "Preparing the shop's history")
    history = build_context(data, as_of_ts)
    # The rows any metric reads as of the day: a view, nothing copied. Later days are
    # never read (each visit's next booking was already found on the full history).
    ctx = history.cut(as_of_ts)
    if ctx.first_day is None or ctx.first_day > as_of_ts:
        raise NotEnoughData("No completed visits yet: the methodology needs visit history.")
    state.step(0.15, "Scoring the shop")
    shop = evaluate(ctx, settings)[0]
    state.step(0.3, "Scoring each barber")
    active = ctx.window()["barber_id"].dropna().unique()
    names = ctx.barbers.set_index("barber_id")["name"]
    barbers = {
        bid: (str(names[bid]), card)
        for bid, card in evaluate(ctx.grouped_by_barber(active), settings).items()
    }
    trajectory = _trajectory(history, settings, state)
    state.step(0.95, "Projecting each barber's path to six figures")
    paths = pathways(
        ctx.appts,
        ctx.barbers[ctx.barbers["barber_id"].isin(active)],
        as_of_ts,
        settings.six_figure_cents,
        settings.seed,
    )
    yearly = money_base.yearly_revenue_cents(data, as_of)
    gaps = _gaps(shop, yearly)
    base = money_base.base_summary(
        yearly,
        [(g["area"], g["revenue_at_stake_yearly"] * 100) for g in gaps
         if g["revenue_at_stake_yearly"] is not None],
    )  # fmt: skip
    return MethodologyResult(
        as_of, shop, barbers, gaps, trajectory, [p.as_dict() for p in paths], base
    )
