"""Price elasticity from the shop's own price changes, and what to charge next.

Weekly counts of each service are modelled as Poisson with a fixed effect per
service, a fixed effect per week *within each service group* (main services
and add-ons each get their own season and trend), and a log-price slope for
every service whose price moved: that slope is the own-price elasticity, with
a confidence interval from the fit. A service whose price never moved, or
whose estimate is too loose to act on, falls back to a stated prior.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm

from barberbi_desktop.engines.data import ShopData


@dataclass(frozen=True)
class PricingSettings:
    prior_elasticity: float = -0.8  # conservative: more elastic than most barbershop studies
    prior_interval: tuple[float, float] = (-1.5, -0.3)
    max_ci_width: float = 1.0  # wider than this and the shop's own estimate is not used
    steps: tuple[float, ...] = (0.05, 0.10, 0.15)  # price rises considered; never more than 15%
    min_weeks: int = 8  # weeks of data on each side of a price change


@dataclass(frozen=True)
class Elasticity:
    service_id: int
    name: str
    estimate: float
    low: float
    high: float
    source: str  # "shop data" or "prior"
    reason: str
    weekly_visits: float
    price_cents: int

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def _group(data: ShopData) -> pd.Series:
    """Main service or add-on, from how each service is sold (not from its name)."""
    items = data.sale_items[data.sale_items["kind"] == "service"]
    main = data.appointments.set_index("appointment_id")["service_id"]
    # As floats: an unknown service (NA) is NaN, which equals nothing (comparing pandas'
    # NA raises under pandas 2.1).
    line = items["service_id"].to_numpy(dtype="float64", na_value=np.nan)
    visit = items["appointment_id"].map(main).to_numpy(dtype="float64", na_value=np.nan)
    is_main = line == visit
    share = pd.Series(is_main, index=items.index).groupby(items["service_id"]).mean()
    return share.map(lambda x: "main" if x >= 0.5 else "addon")


def weekly_counts(data: ShopData, as_of: date) -> pd.DataFrame:
    """Service items per week with the week's median price; full weeks before ``as_of``.

    Only lines with a real price take part: a $0 consultation has no price to respond
    to (and its log is minus infinity), and an unknown price is not a price.
    """
    items = data.sale_items
    price = items["unit_price_cents"].astype("Float64")
    items = items[(items["kind"] == "service") & items["service_id"].notna()
                  & (price > 0).fillna(False).to_numpy(dtype=bool)]  # fmt: skip
    sold = items["sold_at"].dt.tz_convert(None)
    end = pd.Timestamp(as_of)
    items = items[sold < end]
    week = sold[sold < end].dt.to_period("W").dt.start_time
    g = items.assign(week=week).groupby(["service_id", "week"]).agg(
        n=("item_id", "size"), price=("unit_price_cents", "median"))
    weeks = pd.Index(sorted(week.unique()))
    if len(weeks) > 2:
        weeks = weeks[1:-1]  # first and last weeks are partial
    full = pd.MultiIndex.from_product([g.index.levels[0], weeks], names=["service_id", "week"])
    g = g.reindex(full).reset_index()
    g["n"] = g["n"].fillna(0)
    g["price"] = g.groupby("service_id")["price"].transform(lambda p: p.ffill().bfill())
    return g.dropna(subset=["price"])


def estimate(data: ShopData, as_of: date, settings: PricingSettings | None = None
             ) -> list[Elasticity]:
    s = settings or PricingSettings()
    counts = weekly_counts(data, as_of)
    if counts.empty:
        return []
    counts["group"] = counts["service_id"].map(_group(data)).fillna("main")
    counts["lp"] = np.log(counts["price"])
    moved = []
    for sid, g in counts.groupby("service_id"):
        steps = g["price"].round().ne(g["price"].round().shift()).iloc[1:]
        if g["price"].round().nunique() > 1:
            first_change = steps[steps].index[0] if steps.any() else None
            before = (g.index < first_change).sum() if first_change is not None else 0
            if before >= s.min_weeks and len(g) - before >= s.min_weeks:
                moved.append(sid)
    fit = _fit(counts, moved) if moved else None
    names = data.services.set_index("service_id")["name"]
    out = []
    for sid, g in counts.groupby("service_id"):
        recent = g.tail(12)
        weekly, price = float(recent["n"].mean()), round(recent["price"].iloc[-1])
        name = str(names.get(sid, f"service {sid}"))
        if fit is not None and sid in moved:
            est, lo, hi = fit[sid]
            if hi - lo <= s.max_ci_width:
                out.append(Elasticity(int(sid), name, est, lo, hi, "shop data",
                                      "estimated from this shop's own price changes",
                                      weekly, price))
                continue
            reason = (f"the shop's price changes give {est:.2f} but too loosely "
                      f"({lo:.2f} to {hi:.2f}) to act on")
        elif g["price"].round().nunique() > 1:
            reason = f"the price changed, but without {s.min_weeks} weeks of data on each side"
        else:
            reason = "the price has not changed, so the data cannot show how demand responds"
        lo, hi = s.prior_interval
        out.append(Elasticity(int(sid), name, s.prior_elasticity, lo, hi, "prior",
                              f"{reason}; using the stated prior {s.prior_elasticity}",
                              weekly, price))
    return out


def _fit(counts: pd.DataFrame, moved: list[int]) -> dict[int, tuple[float, float, float]]:
    """Poisson GLM; returns service -> (elasticity, 95% low, 95% high)."""
    X = pd.get_dummies(counts["service_id"].astype(str), prefix="svc", drop_first=True,
                       dtype=float)
    # A week effect per service group, each group's first week being its baseline (the
    # service effects carry the levels), so the design has full rank.
    first_week = counts.groupby("group")["week"].transform("min")
    gw = (counts["group"] + ":" + counts["week"].astype(str)).where(counts["week"] != first_week)
    X = X.join(pd.get_dummies(gw, prefix="wk", dtype=float))
    cols = []
    for sid in moved:
        mask = counts["service_id"].eq(sid).to_numpy()
        centred = counts["lp"] - counts.loc[mask, "lp"].mean()
        X[f"e{sid}"] = np.where(mask, centred, 0.0)
        cols.append(f"e{sid}")
    X = sm.add_constant(X, has_constant="add")
    model = sm.GLM(counts["n"].to_numpy(float), X, family=sm.families.Poisson()).fit()
    ci = model.conf_int()
    return {sid: (float(model.params[c]), float(ci.loc[c, 0]), float(ci.loc[c, 1]))
            for sid, c in zip(moved, cols, strict=True)}


def revenue_change(weekly: float, price: int, step: float, elasticity: float) -> float:
    """Change in weekly revenue (cents) from raising ``price`` by ``step`` under constant
    elasticity: demand becomes q·(1+step)^e."""
    return weekly * price * ((1 + step) ** (1 + elasticity) - 1)


def recommend_prices(elasticities: list[Elasticity], settings: PricingSettings | None = None,
                     full_slots: set[int] | None = None) -> list[dict[str, Any]]:
    """A bounded price step per service where even the cautious end of the interval gains.

    Gains are yearly, in cents: the expected change at the estimate, and a range from
    the interval's ends. A step is only proposed if the interval's elastic end still
    does not lose money; a prior-based step is capped at 5% and marked high risk.
    """
    s = settings or PricingSettings()
    out = []
    for e in elasticities:
        if e.weekly_visits <= 0:
            continue
        steps = s.steps if e.source == "shop data" else s.steps[:1]
        best = None
        for step in steps:
            gain = revenue_change(e.weekly_visits, e.price_cents, step, e.estimate) * 52
            worst = revenue_change(e.weekly_visits, e.price_cents, step, e.low) * 52
            top = revenue_change(e.weekly_visits, e.price_cents, step, e.high) * 52
            if worst >= 0 and gain > 0 and (best is None or gain > best["gain"]):
                best = {"step": step, "gain": gain, "low": worst, "high": top}
        if best is None:
            continue
        new_price = int(round(e.price_cents * (1 + best["step"]) / 50.0) * 50)
        risk = "high" if e.source == "prior" else ("low" if e.high - e.low < 0.5 else "medium")
        confidence = 0.35 if e.source == "prior" else float(np.clip(1 - (e.high - e.low) / 2,
                                                                   0.3, 0.9))
        out.append({
            "service_id": e.service_id, "service": e.name, "price_cents": e.price_cents,
            "new_price_cents": new_price, "step": best["step"], "elasticity": e.estimate,
            "interval": [e.low, e.high], "source": e.source,
            "gain_cents": best["gain"], "gain_low_cents": best["low"],
            "gain_high_cents": best["high"], "risk": risk, "confidence": confidence,
            "weekly_visits": e.weekly_visits,
        })  # fmt: skip
    return out
