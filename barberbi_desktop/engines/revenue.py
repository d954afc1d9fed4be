"""Where money is left on the table: capacity, pricing, upsell, bundles, pay, a roadmap.

Pure: pandas, numpy and statsmodels over a `ShopData`. Every recommendation is
built from this shop's numbers and carries its evidence, an expected yearly
gain with a range, a confidence and a risk; the roadmap ranks them by gain
times confidence. Where the data cannot support a figure the result says so
instead of inventing one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pandas as pd

from barberbi_desktop.engines import money_base
from barberbi_desktop.engines import revenue_basket as basket
from barberbi_desktop.engines import revenue_capacity as capacity
from barberbi_desktop.engines import revenue_deposits as deposits
from barberbi_desktop.engines import revenue_pay as pay
from barberbi_desktop.engines import revenue_pricing as pricing
from barberbi_desktop.engines.data import NotEnoughData, RunState, ShopData


@dataclass(frozen=True)
class RevenueSettings:
    capacity: capacity.CapacitySettings = field(default_factory=capacity.CapacitySettings)
    pricing: pricing.PricingSettings = field(default_factory=pricing.PricingSettings)
    basket: basket.BasketSettings = field(default_factory=basket.BasketSettings)
    pay: pay.PaySettings = field(default_factory=pay.PaySettings)
    peak_premium: float = 0.10
    offpeak_discount: float = 0.15
    no_show_reduction: float = 0.4  # assumed effect of card deposits on no-shows (a setting)


@dataclass(frozen=True)
class Recommendation:
    kind: str
    title: str
    detail: str
    gain_cents: float
    gain_low_cents: float
    gain_high_cents: float
    confidence: float
    risk: str
    horizon: str  # now, month, quarter
    evidence: dict[str, Any]

    @property
    def score(self) -> float:
        return self.gain_cents * self.confidence

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "score": self.score}


@dataclass
class RevenueResult:
    as_of: date
    capacity: capacity.CapacityResult | None
    capacity_note: str | None
    elasticities: list[pricing.Elasticity]
    price_moves: list[dict[str, Any]]
    rules: pd.DataFrame
    offers: pd.DataFrame
    bundles: list[dict[str, Any]]
    pay: list[dict[str, Any]]
    roadmap: list[Recommendation]
    money_base: dict[str, Any] | None = None  # money_base.base_summary: the yearly base

    def summary(self) -> dict[str, Any]:
        return {
            "engine": "revenue",
            "as_of": self.as_of.isoformat(),
            "capacity": {**self.capacity.summary(), "note": self.capacity_note}
            if self.capacity
            else {"note": self.capacity_note},
            "elasticities": [e.as_dict() for e in self.elasticities],
            "rules": _records(self.rules.head(20)),
            "offers": len(self.offers),
            "bundles": self.bundles,
            "pay": self.pay,
            "roadmap": [
                {**r.as_dict(), "rank": i + 1, "area": money_base.area(r.kind)}
                for i, r in enumerate(self.roadmap)
            ],
            "money_base": self.money_base,
        }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: (None if v != v else v) for k, v in row.items()}
            for row in frame.to_dict("records")]  # fmt: skip


def _money(cents: float) -> str:
    return f"${cents / 100:,.0f}"


def _capacity_recs(cap: capacity.CapacityResult, els: list[pricing.Elasticity],
                   s: RevenueSettings) -> list[Recommendation]:
    recs = []
    weeks = max((cap.window[1] - cap.window[0]).days / 7, 1)
    mean_e = (sum(e.estimate * e.weekly_visits for e in els) / sum(e.weekly_visits for e in els)
              if els and sum(e.weekly_visits for e in els) else s.pricing.prior_elasticity)
    if len(cap.peak_slots):
        rev = float(cap.peak_slots["revenue_cents"].sum()) / weeks * 52
        # Full slots: demand lost to the premium moves to other hours rather than away,
        # so the high end ignores it and the low end assumes all of it is lost.
        low = rev * ((1 + s.peak_premium) ** (1 + mean_e) - 1)
        high = rev * s.peak_premium
        recs.append(Recommendation(
            "peak_pricing",
            f"Charge {s.peak_premium:.0%} more at the busiest hours",
            f"{', '.join(capacity._slot_names(cap.peak_slots))} run at "
            f"{cap.peak_slots['utilisation'].mean():.0%} of capacity with bookings made "
            f"{cap.peak_slots['lead_days'].median():.1f} days ahead; a premium there earns "
            f"about {_money((low + high) / 2)} a year.",
            (low + high) / 2, low, high, 0.6, "medium", "month",
            {"slots": capacity._slot_names(cap.peak_slots), "yearly_revenue_cents": rev,
             "elasticity_used": mean_e},
        ))  # fmt: skip
    if len(cap.idle_slots):
        rev = float(cap.idle_slots["revenue_cents"].sum()) / weeks * 52
        d = s.offpeak_discount
        gain = rev * ((1 - d) ** (1 + mean_e) - 1)
        if gain > 0:
            recs.append(Recommendation(
                "offpeak_incentive", f"Offer {d:.0%} off in the quietest hours",
                f"{', '.join(capacity._slot_names(cap.idle_slots))} are under "
                f"{s.capacity.idle_utilisation:.0%} full.", gain, gain * 0.5, gain * 1.5, 0.4,
                "medium", "month", {"slots": capacity._slot_names(cap.idle_slots)}))
    return recs


def _deposit_rec(cap: capacity.CapacityResult, data: ShopData, s: RevenueSettings,
                 risks: deposits.ClientRisks | None) -> Recommendation | None:
    """Deposits for the clients the no-show risks single out; without risks, for every
    online booking, saying that each booking is then taken as equally likely to miss."""
    lost = cap.lost
    if not lost.get("no_show_revenue_cents", 0) > 0:
        return None
    weeks = max((cap.window[1] - cap.window[0]).days / 7, 1)
    yearly = lost["no_show_revenue_cents"] / weeks * 52
    held = (f"{int(lost['no_show_visits'])} no-shows in {round(weeks)} weeks held "
            f"{lost['no_show_minutes'] / 60:.0f} chair-hours worth {_money(yearly)} a year")
    cut = s.no_show_reduction
    p = deposits.plan(data, cap, risks) if risks is not None else None
    if risks is None or p is None or not p.target_clients or not p.target_loss_cents > 0:
        why = ("no no-show risks per client yet" if risks is None else
               "no client's risk stands out from the shop's usual rate")
        gain = yearly * cut
        return Recommendation(
            "no_show_deposits", "Take a card deposit for online bookings",
            f"{held}; if deposits cut no-shows by {cut:.0%} (an assumption) that is the gain. "
            f"Every booking is taken as equally likely to be missed ({why}).",
            gain, gain * 0.5, yearly * 0.6, 0.4, "low", "now",
            {**lost, "assumed_reduction": cut, "risks": None})  # fmt: skip
    gain = p.target_loss_cents * cut
    share = p.target_loss_cents / p.yearly_loss_cents if p.yearly_loss_cents else 0.0
    source = ("the no-show model's risk for their next booking, or their own rate's likely "
              "level where none is booked" if risks.method == "model"
              else "their own past rate, which beat the model in its replay")
    return Recommendation(
        "no_show_deposits",
        f"Take a card deposit from the {p.target_clients} clients most likely to miss",
        f"{held}. {p.target_clients} of {p.clients} clients have a {p.cut:.0%} or higher "
        f"chance of missing ({source}, as of {risks.as_of:%d %b}); by their risks they hold "
        f"{share:.0%} of that loss, {_money(p.target_loss_cents)} a year. If deposits cut "
        f"their no-shows by {cut:.0%} "
        "(an assumption) that is the gain, and the other clients are spared the card step.",
        gain, gain * 0.5, p.target_loss_cents * 0.6, 0.5, "low", "now",
        {**lost, "assumed_reduction": cut, "risks": risks.method, "plan": p.as_dict()})  # fmt: skip


def run(data: ShopData, settings: RevenueSettings, as_of: date,
        state: RunState | None = None,
        no_show_risks: deposits.ClientRisks | None = None) -> RevenueResult:
    """``no_show_risks``: each client's risk from the latest no-show run, if any; the
    deposit recommendation then targets the clients most likely to miss."""
    state = state or RunState()
    s = settings
    if data.appointments.empty:
        raise NotEnoughData("The shop has no appointments yet; import some history first.")
    state.step(0.05, "Measuring capacity")
    try:
        cap = capacity.analyse(data, as_of, s.capacity)
        cap_note = "; ".join(cap.notes) or None
    except NotEnoughData as exc:
        cap, cap_note = None, str(exc)
    state.step(0.3, "Estimating price elasticity")
    els = pricing.estimate(data, as_of, s.pricing)
    full = set()
    moves = pricing.recommend_prices(els, s.pricing, full)
    state.step(0.55, "Finding what sells together")
    b = basket.analyse(data, as_of, s.basket)
    state.step(0.8, "Comparing pay models")
    pays = pay.compare(data, as_of, s.pay)
    recs: list[Recommendation] = []
    if cap is not None:
        recs += _capacity_recs(cap, els, s)
        deposit = _deposit_rec(cap, data, s, no_show_risks)
        recs += [deposit] if deposit is not None else []
    for m in moves:
        recs.append(Recommendation(
            "price", f"Raise {m['service']} from {_money(m['price_cents'])} to "
            f"{_money(m['new_price_cents'])}",
            f"Elasticity {m['elasticity']:.2f} ({m['interval'][0]:.2f} to {m['interval'][1]:.2f},"
            f" {m['source']}); about {m['weekly_visits']:.0f} a week.",
            m["gain_cents"], m["gain_low_cents"], m["gain_high_cents"], m["confidence"],
            m["risk"], "month", m))  # fmt: skip
    rules = b["rules"]
    for r in rules[(rules["validated_lift"] > 1) & (rules["tested_clients"] >= 10)].head(
            3).itertuples():
        price = _item_price(data, r.consequent)
        targeted_year = r.tested_clients * 365 / s.basket.test_days
        gain = targeted_year * (r.next_visit_rate - r.base_rate) * price
        if gain <= 0:
            continue
        recs.append(Recommendation(
            "upsell", f"Offer {r.consequent} to {r.antecedent} clients",
            f"{r.confidence:.0%} of {r.antecedent} visits include {r.consequent} (lift "
            f"{r.lift:.1f}); in the last {s.basket.test_days} days {r.next_visit_rate:.0%} of "
            f"targeted clients took it on their next visit against {r.base_rate:.0%} of all.",
            gain, gain * 0.5, gain * 1.5, 0.5, "low", "now",
            {k: getattr(r, k) for k in ("support", "confidence", "lift", "tested_clients",
                                        "next_visit_rate", "base_rate")}))  # fmt: skip
    for bd in b["bundles"]:
        if bd["gain_cents"] <= 0:
            continue
        recs.append(Recommendation(
            "bundle",
            f"Package {' + '.join(bd['services'])} at {_money(bd['package_price_cents'])}",
            f"Bought together {bd['lift']:.1f}x more than chance; {bd['current_pair_rate']:.0%} "
            f"of visits with the first already add the second, about "
            f"{bd['expected_adoption']:.0%} expected with the package.",
            bd["gain_cents"], bd["gain_cents"] * 0.3, bd["gain_cents"] * 1.5, 0.35, "medium",
            "quarter", bd))  # fmt: skip
    recs += _pay_recs(pays)
    yearly = money_base.yearly_revenue_cents(data, as_of)
    recs = [_capped(r, money_base.ceiling(yearly)) for r in recs]
    recs.sort(key=lambda r: r.score, reverse=True)
    base = money_base.base_summary(yearly, [(money_base.area(r.kind), r.gain_cents)
                                            for r in recs])  # fmt: skip
    state.step(1.0, "Done")
    return RevenueResult(as_of, cap, cap_note, els, moves, rules, b["offers"], b["bundles"],
                         pays, recs, base)


def _capped(rec: Recommendation, top: float | None) -> Recommendation:
    """The shared ceiling (money_base): no idea above a quarter of a year's revenue."""
    if top is None or rec.gain_high_cents <= top:
        return rec
    return replace(rec, gain_cents=min(rec.gain_cents, top),
                   gain_low_cents=min(rec.gain_low_cents, top), gain_high_cents=top,
                   evidence={**rec.evidence, "capped_from_cents": rec.gain_cents})  # fmt: skip


def _pay_recs(pays: list[dict[str, Any]]) -> list[Recommendation]:
    """One review item for the booth rents that sit below the shop's break-even.

    Changing a pay model moves money between shop and barber rather than creating it,
    so it is raised only where a barber's booth rent is below what commission would
    keep at their volume, once for all of them, with low confidence and high risk.
    """
    below = [p for p in pays if p["current_model"] == "booth_rent"
             and p["yearly_service_cents"] > p["break_even_yearly_cents"]
             and p["shop_gain_if_switched_cents"] > 0]  # fmt: skip
    if not below:
        return []
    below.sort(key=lambda p: p["shop_gain_if_switched_cents"], reverse=True)
    total = sum(p["shop_gain_if_switched_cents"] for p in below)
    names = ", ".join(p["name"] for p in below[:3]) + (
        f" and {len(below) - 3} more" if len(below) > 3 else "")
    top = below[0]
    return [Recommendation(
        "pay_model", f"Review booth rents below break-even ({len(below)} barbers)",
        f"{names} pay booth rent below what commission would keep at their volume; for "
        f"{top['name']}, {_money(top['yearly_service_cents'])} of services a year keeps the "
        f"shop {_money(top['models'][top['best_for_shop']]['shop'])} under "
        f"{top['best_for_shop'].replace('_', ' ')} against "
        f"{_money(top['models']['booth_rent']['shop'])} in rent (break-even volume "
        f"{_money(top['break_even_yearly_cents'])}). The barbers would earn that much less: "
        "a conversation, not a switch.",
        total, 0.0, total, 0.15, "high", "quarter",
        {"barbers": [{k: p[k] for k in ("barber_id", "name", "yearly_service_cents",
                                        "break_even_yearly_cents",
                                        "shop_gain_if_switched_cents")} for p in below]},
    )]  # fmt: skip


def _item_price(data: ShopData, name: str) -> float:
    """The median price the item sells at (refund lines and unknown prices left out)."""
    items = data.sale_items
    items = items[(items["name"].astype(str) == name)
                  & items["kind"].isin(["service", "product", "package"])]  # fmt: skip
    price = items["unit_price_cents"].astype(float)
    price = price[price > 0]
    return float(price.median()) if len(price) else 0.0
