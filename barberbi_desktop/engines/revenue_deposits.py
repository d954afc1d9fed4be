"""Card deposits against no-shows: who to ask, and what it is worth.

With each client's no-show risk (the no-show engine's stored run, handed in by the
job) the stake is each client's own: their risk times the chair time they hold a
year, at the shop's revenue per minute, scaled so that all clients together hold
the loss the shop really had. Deposits are then proposed only for the clients
whose risk is at least twice the shop's usual rate (the same cut as the
Dashboard's bookings at risk), and the gain is the share of *their* loss that
deposits would save. Without risks every booking is taken as equally likely
to be missed and the recommendation says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from barberbi_desktop.engines import known
from barberbi_desktop.engines.data import ShopData
from barberbi_desktop.engines.revenue_capacity import HELD, CapacityResult

AT_RISK_MULTIPLE, AT_RISK_FLOOR = 2.0, 0.10  # as storage.at_risk: twice the usual, >= 10%


@dataclass(frozen=True)
class ClientRisks:
    """Each client's chance that their next booking is a no-show, from a no-show run."""

    risks: pd.DataFrame  # client_id, risk
    method: str  # "model" or "client_rate"
    as_of: date
    base_rate: float | None = None  # the shop's usual no-show rate in the run's back-test


@dataclass(frozen=True)
class DepositPlan:
    model_yearly_loss_cents: float  # risk x chair time x revenue a minute, every client
    yearly_loss_cents: float  # the yearly loss to no-shows, shared out by the risks
    target_loss_cents: float  # ... of the clients proposed for deposits
    target_clients: int
    clients: int  # clients with held bookings in the window
    cut: float
    bands: list[dict[str, Any]]  # expected loss per risk band (the "segments")

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__}


def _held(data: ShopData, cap: CapacityResult) -> pd.DataFrame:
    """The capacity window's held bookings (a no-show held the chair) with their length."""
    start, end = (pd.Timestamp(d) for d in cap.window)
    local = data.local_start()
    appts = data.appointments
    a = appts[(local >= start) & (local < end) & appts["status"].isin(HELD)]
    return a.assign(minutes=known.visit_minutes(a, data.services).clip(5, 8 * 60))


def plan(data: ShopData, cap: CapacityResult, risks: ClientRisks) -> DepositPlan | None:
    """Each client's expected yearly loss and the group deposits are proposed for; None
    when the shop's revenue per minute or the clients' chair time is unknown."""
    rate = cap.revenue_per_minute
    if not np.isfinite(rate) or rate <= 0:
        return None
    held = _held(data, cap)
    if held.empty:
        return None
    mine = held[held["client_id"].notna()]
    minutes = mine["minutes"].groupby(mine["client_id"].astype("int64")).sum(min_count=1)
    minutes = minutes.dropna()
    if minutes.empty:
        return None
    weeks = max((cap.window[1] - cap.window[0]).days / 7, 1)
    yearly_minutes = minutes * 52 / weeks
    shop_rate = risks.base_rate
    if shop_rate is None or not np.isfinite(shop_rate):
        shop_rate = float((held["status"] == "no_show").mean())
    risk = risks.risks.drop_duplicates("client_id").set_index("client_id")["risk"]
    # A client the run has no risk for gets the shop's usual rate, stated in the evidence.
    client_risk = risk.reindex(yearly_minutes.index).astype(float).fillna(shop_rate)
    model_loss = client_risk * yearly_minutes * rate
    # The risks say who holds the loss; the total is the one the shop really had (the
    # same figure as the capacity analysis), so the idea never quotes two totals.
    observed = float(cap.lost.get("no_show_revenue_cents", 0.0)) * 52 / weeks
    total = float(model_loss.sum())
    loss = model_loss * (observed / total) if total > 0 and observed > 0 else model_loss
    cut = max(AT_RISK_MULTIPLE * shop_rate, AT_RISK_FLOOR)
    target = client_risk >= cut
    edges = [0.0, shop_rate, cut, 1.0 + 1e-9]
    names = [f"under {shop_rate:.0%}", f"{shop_rate:.0%} to {cut:.0%}", f"{cut:.0%} or more"]
    band = pd.cut(client_risk, edges, right=False, labels=names)
    bands = [
        {"band": name, "clients": int((band == name).sum()),
         "yearly_loss_cents": float(loss[band == name].sum())}
        for name in names
    ]  # fmt: skip
    return DepositPlan(
        model_yearly_loss_cents=total,
        yearly_loss_cents=float(loss.sum()),
        target_loss_cents=float(loss[target].sum()),
        target_clients=int(target.sum()),
        clients=len(loss),
        cut=cut,
        bands=bands,
    )
