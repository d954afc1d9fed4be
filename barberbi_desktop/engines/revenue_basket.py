"""What sells together: association rules, their back-test, next-best offers, bundles.

A basket is the set of things sold on one completed visit (services and
products, by name). Rules are single item to single item, which is what a
barber can actually say at the chair ("want a beard trim with that?"). Each
rule is checked on a time split: among clients who bought the antecedent
before the split without the consequent, how many bought the consequent on
their next visit after it, against how often anyone did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from barberbi_desktop.engines.data import ShopData


@dataclass(frozen=True)
class BasketSettings:
    min_support: float = 0.01
    min_confidence: float = 0.05
    min_lift: float = 1.1
    test_days: int = 90
    bundle_discount: float = 0.10
    addon_elasticity: float = -1.0  # how an add-on's take-up answers a lower effective price


def baskets(data: ShopData, end: pd.Timestamp) -> pd.DataFrame:
    """One row per (visit, item name) for completed visits before ``end``."""
    appts = data.appointments
    done = appts[(appts["status"] == "completed") & (appts["start"].dt.tz_convert(None) < end)]
    items = data.sale_items[data.sale_items["appointment_id"].isin(done["appointment_id"])
                            & data.sale_items["kind"].isin(["service", "product", "package"])]
    out = items[["appointment_id", "client_id", "sold_at", "name", "unit_price_cents"]].copy()
    out["name"] = out["name"].astype(str)
    return out.drop_duplicates(["appointment_id", "name"])


def rules(b: pd.DataFrame, settings: BasketSettings) -> pd.DataFrame:
    """Support, confidence and lift of every single-item rule A -> B above the thresholds."""
    n = b["appointment_id"].nunique()
    if n == 0:
        return pd.DataFrame(columns=["antecedent", "consequent", "support", "confidence", "lift"])
    item_count = b.groupby("name")["appointment_id"].nunique()
    frequent = item_count[item_count / n >= settings.min_support].index
    f = b[b["name"].isin(frequent)]
    pairs = f.merge(f, on="appointment_id", suffixes=("_a", "_b"))
    pairs = pairs[pairs["name_a"] != pairs["name_b"]]
    both = pairs.groupby(["name_a", "name_b"])["appointment_id"].nunique().rename("n_ab")
    r = both.reset_index().rename(columns={"name_a": "antecedent", "name_b": "consequent"})
    r["support"] = r["n_ab"] / n
    r["confidence"] = r["n_ab"] / r["antecedent"].map(item_count)
    r["lift"] = r["confidence"] / (r["consequent"].map(item_count) / n)
    keep = (r["support"] >= settings.min_support) & (r["confidence"] >= settings.min_confidence) & (
        r["lift"] >= settings.min_lift)
    return r[keep].sort_values(["lift", "confidence"], ascending=False).reset_index(drop=True)


def validate(b_all: pd.DataFrame, r: pd.DataFrame, split: pd.Timestamp) -> pd.DataFrame:
    """Next-visit take-up after the split for clients the rule would have targeted."""
    if r.empty:
        return r.assign(tested_clients=0, next_visit_rate=np.nan, base_rate=np.nan,
                        validated_lift=np.nan)
    b_all = b_all.dropna(subset=["client_id"])
    when = b_all["sold_at"].dt.tz_convert(None)
    before, after = b_all[when < split], b_all[when >= split]
    first_after = after.sort_values("sold_at").groupby("client_id")["appointment_id"].first()
    next_visit = after[after["appointment_id"].isin(first_after.values)]
    next_items = next_visit.groupby("client_id")["name"].agg(set)
    bought_before = before.groupby("client_id")["name"].agg(set)
    clients = bought_before.index.intersection(next_items.index)
    rows = []
    for rule in r.itertuples():
        targeted = [c for c in clients if rule.antecedent in bought_before[c]
                    and rule.consequent not in bought_before[c]]
        eligible = [c for c in clients if rule.consequent not in bought_before[c]]
        hit = sum(rule.consequent in next_items[c] for c in targeted)
        base = sum(rule.consequent in next_items[c] for c in eligible)
        rate = hit / len(targeted) if targeted else np.nan
        base_rate = base / len(eligible) if eligible else np.nan
        rows.append((len(targeted), rate, base_rate,
                     rate / base_rate if base_rate and base_rate > 0 else np.nan))
    v = pd.DataFrame(rows, columns=["tested_clients", "next_visit_rate", "base_rate",
                                    "validated_lift"])
    return pd.concat([r.reset_index(drop=True), v], axis=1)


def next_best_offers(b: pd.DataFrame, r: pd.DataFrame) -> pd.DataFrame:
    """For each client: the validated rule whose antecedent they buy and consequent they do not."""
    good = r[(r["validated_lift"] > 1) & (r["tested_clients"] >= 10)]
    if good.empty or b.empty:
        return pd.DataFrame(columns=["client_id", "offer", "because", "probability"])
    b = b.dropna(subset=["client_id"])
    last_visit = b.sort_values("sold_at").groupby("client_id")["appointment_id"].last()
    last_items = b[b["appointment_id"].isin(last_visit.values)].groupby("client_id")["name"].agg(
        set)
    ever = b.groupby("client_id")["name"].agg(set)
    ranked = good.sort_values("next_visit_rate", ascending=False)
    out = []
    for client, items in last_items.items():
        owned = ever.get(client, set())
        for rule in ranked.itertuples():
            if rule.antecedent in items and rule.consequent not in owned:
                out.append((client, rule.consequent, rule.antecedent, rule.next_visit_rate))
                break
    return pd.DataFrame(out, columns=["client_id", "offer", "because", "probability"])


def bundles(b: pd.DataFrame, r: pd.DataFrame, data: ShopData, settings: BasketSettings,
            weeks: float) -> list[dict[str, Any]]:
    """Service pairs bought together more than chance: a package price and its adoption.

    Visits with A but not B are offered B inside a package at ``bundle_discount`` off
    the pair; the effective price cut on B moves B's take-up by the add-on elasticity.
    Visits that already buy both get the discount too, which is the package's cost.
    """
    services = set(data.services["name"].astype(str))
    pairs = r[r["antecedent"].isin(services) & r["consequent"].isin(services)
              & (r["antecedent"] < r["consequent"])]  # fmt: skip
    if pairs.empty:
        return []
    price = b.groupby("name")["unit_price_cents"].median()
    visits = b.groupby("appointment_id")["name"].agg(set)
    out = []
    for p in pairs.head(5).itertuples():
        a, c = p.antecedent, p.consequent
        pa, pc = float(price[a]), float(price[c])
        with_a = visits[visits.map(lambda s, a=a: a in s)]
        both = int(with_a.map(lambda s, c=c: c in s).sum())
        only_a = len(with_a) - both
        package = int(round((pa + pc) * (1 - settings.bundle_discount) / 50.0) * 50)
        effective_cut = ((pa + pc) - package) / pc  # the whole discount lands on the add-on
        uplift = (1 - effective_cut) ** settings.addon_elasticity - 1  # extra take-up share
        base_rate = both / max(len(with_a), 1)
        new_buyers = only_a * base_rate * uplift
        per_week = 1 / weeks
        gain = (new_buyers * (package - pa) - both * ((pa + pc) - package)) * per_week * 52
        out.append({
            "services": [a, c], "package_price_cents": package, "list_total_cents": int(pa + pc),
            "current_pair_rate": base_rate, "expected_adoption": base_rate * (1 + uplift),
            "gain_cents": gain, "lift": float(p.lift),
        })  # fmt: skip
    return out


def analyse(data: ShopData, as_of: date, settings: BasketSettings | None = None
            ) -> dict[str, Any]:
    s = settings or BasketSettings()
    end = pd.Timestamp(as_of)
    split = end - pd.Timedelta(days=s.test_days)
    b_all = baskets(data, end)
    train = b_all[b_all["sold_at"].dt.tz_convert(None) < split]
    r = validate(b_all, rules(train, s), split)
    offers = next_best_offers(b_all, r)
    weeks = max((end - train["sold_at"].dt.tz_convert(None).min()).days / 7, 1) if len(
        train) else 1
    return {"rules": r, "offers": offers, "bundles": bundles(train, r, data, s, weeks)}
