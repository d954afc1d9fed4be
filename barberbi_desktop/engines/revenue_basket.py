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


@dataclass
class Baskets:
    """Visits as rows of a 0/1 matrix over the frequent items, for whole-matrix arithmetic."""

    items: list[str]
    matrix: np.ndarray  # visits x items, bool
    visit: np.ndarray  # appointment id per row
    client: np.ndarray  # client id per row (NaN if none)
    when: np.ndarray  # visit time (naive UTC) per row
    n_all: int  # every visit, including those with no frequent item


def matrix(b: pd.DataFrame, min_support: float) -> Baskets:
    n_all = int(b["appointment_id"].nunique())
    counts = b.groupby("name")["appointment_id"].nunique()
    items = sorted(counts[counts / max(n_all, 1) >= min_support].index)
    f = b[b["name"].isin(items)]
    visits = f.drop_duplicates("appointment_id").sort_values("appointment_id")
    row = np.searchsorted(visits["appointment_id"].to_numpy(), f["appointment_id"].to_numpy())
    col = pd.Categorical(f["name"], categories=items).codes
    m = np.zeros((len(visits), len(items)), dtype=bool)
    m[row, col] = True
    client = (visits["client_id"].to_numpy(dtype=float, na_value=np.nan) if "client_id" in visits
              else np.full(len(visits), np.nan))  # fmt: skip
    when = (visits["sold_at"].dt.tz_convert(None).to_numpy() if "sold_at" in visits
            else np.full(len(visits), np.datetime64("NaT"), dtype="datetime64[ns]"))
    return Baskets(items, m, visits["appointment_id"].to_numpy(), client, when, n_all)


def rules(b: pd.DataFrame, settings: BasketSettings) -> pd.DataFrame:
    """Support, confidence and lift of every single-item rule A -> B above the thresholds."""
    cols = ["antecedent", "consequent", "n_ab", "support", "confidence", "lift"]
    if b.empty:
        return pd.DataFrame(columns=cols)
    bk = matrix(b, settings.min_support)
    x = bk.matrix.astype(np.float32)  # BLAS; counts stay exact far beyond any shop's size
    both = np.rint(x.T @ x).astype(np.int64)
    single = np.diag(both).astype(float)
    n = bk.n_all
    a_idx, c_idx = np.nonzero(~np.eye(len(bk.items), dtype=bool))
    n_ab = both[a_idx, c_idx]
    r = pd.DataFrame({
        "antecedent": np.array(bk.items, dtype=object)[a_idx],
        "consequent": np.array(bk.items, dtype=object)[c_idx],
        "n_ab": n_ab, "support": n_ab / n, "confidence": n_ab / single[a_idx],
    })  # fmt: skip
    r["lift"] = r["confidence"] / (single[c_idx] / n)
    keep = (r["support"] >= settings.min_support) & (r["confidence"] >= settings.min_confidence) & (
        r["lift"] >= settings.min_lift)
    return r[keep].sort_values(["lift", "confidence"], ascending=False).reset_index(drop=True)


def _client_matrices(bk: Baskets, split: pd.Timestamp) -> tuple[np.ndarray, ...]:
    """Per client: items bought before the split, items on the first visit after it."""
    has_client = ~np.isnan(bk.client)
    clients, inv = np.unique(bk.client[has_client], return_inverse=True)
    m, when = bk.matrix[has_client], bk.when[has_client]
    before_rows = when < split.to_datetime64()
    before = np.zeros((len(clients), len(bk.items)), dtype=bool)
    np.logical_or.at(before, inv[before_rows], m[before_rows])
    after_idx = np.flatnonzero(~before_rows)
    order = after_idx[np.lexsort((when[after_idx], inv[after_idx]))]
    first = order[np.r_[True, inv[order][1:] != inv[order][:-1]]] if len(order) else order
    nxt = np.zeros_like(before)
    has_next = np.zeros(len(clients), dtype=bool)
    nxt[inv[first]] = m[first]
    has_next[inv[first]] = True
    return clients, before, nxt, has_next


def validate(b_all: pd.DataFrame, r: pd.DataFrame, split: pd.Timestamp,
             min_support: float = 0.0) -> pd.DataFrame:
    """Next-visit take-up after the split for clients the rule would have targeted."""
    empty = r.assign(tested_clients=0, next_visit_rate=np.nan, base_rate=np.nan,
                     validated_lift=np.nan)
    if r.empty or b_all.empty:
        return empty
    bk = matrix(b_all, min_support)
    _, before, nxt, has_next = _client_matrices(bk, split)
    col = {name: i for i, name in enumerate(bk.items)}
    rows = []
    for rule in r.itertuples():
        a, c = col.get(rule.antecedent), col.get(rule.consequent)
        if a is None or c is None:
            rows.append((0, np.nan, np.nan, np.nan))
            continue
        eligible = has_next & ~before[:, c]
        targeted = eligible & before[:, a]
        rate = nxt[targeted, c].mean() if targeted.any() else np.nan
        base = nxt[eligible, c].mean() if eligible.any() else np.nan
        rows.append((int(targeted.sum()), rate, base, rate / base if base and base > 0
                     else np.nan))  # fmt: skip
    v = pd.DataFrame(rows, columns=["tested_clients", "next_visit_rate", "base_rate",
                                    "validated_lift"])
    return pd.concat([r.reset_index(drop=True), v], axis=1)


def next_best_offers(b: pd.DataFrame, r: pd.DataFrame, min_support: float = 0.0
                     ) -> pd.DataFrame:
    """For each client: the validated rule whose antecedent they buy and consequent they do not."""
    cols = ["client_id", "offer", "because", "probability"]
    good = r[(r["validated_lift"] > 1) & (r["tested_clients"] >= 10)]
    if good.empty or b.empty:
        return pd.DataFrame(columns=cols)
    bk = matrix(b, min_support)
    has_client = ~np.isnan(bk.client)
    clients, inv = np.unique(bk.client[has_client], return_inverse=True)
    m, when = bk.matrix[has_client], bk.when[has_client]
    ever = np.zeros((len(clients), len(bk.items)), dtype=bool)
    np.logical_or.at(ever, inv, m)
    order = np.lexsort((when, inv))
    last = order[np.r_[inv[order][1:] != inv[order][:-1], True]]
    last_items = np.zeros_like(ever)
    last_items[inv[last]] = m[last]
    col = {name: i for i, name in enumerate(bk.items)}
    offer = np.full(len(clients), None, dtype=object)
    because = np.full(len(clients), None, dtype=object)
    prob = np.full(len(clients), np.nan)
    for rule in good.sort_values("next_visit_rate", ascending=False).itertuples():
        a, c = col.get(rule.antecedent), col.get(rule.consequent)
        if a is None or c is None:
            continue
        pick = (offer == None) & last_items[:, a] & ~ever[:, c]  # noqa: E711
        offer[pick], because[pick], prob[pick] = rule.consequent, rule.antecedent, \
            rule.next_visit_rate
    chosen = offer != None  # noqa: E711
    return pd.DataFrame({"client_id": clients[chosen].astype(np.int64), "offer": offer[chosen],
                         "because": because[chosen], "probability": prob[chosen]})


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
    bk = matrix(b, settings.min_support)
    col = {name: i for i, name in enumerate(bk.items)}
    out = []
    for p in pairs.head(5).itertuples():
        a, c = p.antecedent, p.consequent
        pa, pc = float(price[a]), float(price[c])
        if not (pa > 0 and pc > 0):  # a free or unpriced service cannot be packaged for money
            continue
        with_a = bk.matrix[:, col[a]]
        both = int((with_a & bk.matrix[:, col[c]]).sum())
        only_a = int(with_a.sum()) - both
        package = int(round((pa + pc) * (1 - settings.bundle_discount) / 50.0) * 50)
        effective_cut = ((pa + pc) - package) / pc  # the whole discount lands on the add-on
        uplift = (1 - effective_cut) ** settings.addon_elasticity - 1  # extra take-up share
        base_rate = both / max(int(with_a.sum()), 1)
        new_buyers = only_a * base_rate * uplift
        gain = (new_buyers * (package - pa) - both * ((pa + pc) - package)) / weeks * 52
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
    r = validate(b_all, rules(train, s), split, s.min_support)
    offers = next_best_offers(b_all, r, s.min_support)
    weeks = max((end - train["sold_at"].dt.tz_convert(None).min()).days / 7, 1) if len(
        train) else 1
    return {"rules": r, "offers": offers, "bundles": bundles(train, r, data, s, weeks)}
