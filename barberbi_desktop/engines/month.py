"""One calendar month of the shop, against the month before: the owner report's figures.

Months are the shop's local calendar months. Revenue is services + products
+ refunds and corrections, net of discounts (tips and tax excluded), as
everywhere else. Tips, product sales and the no-show and cancellation rates are
unknown (NaN) when no import source records them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from barberbi_desktop.engines import known
from barberbi_desktop.engines.data import NotEnoughData, ShopData


@dataclass
class MonthFigures:
    month: pd.Period
    headline: pd.DataFrame  # figure, this month, prior month, change
    daily: pd.Series  # local day -> revenue cents
    by_barber: pd.DataFrame  # barber, visits, revenue, average ticket

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": str(self.month),
            "headline": self.headline.to_dict("records"),
            "by_barber": self.by_barber.to_dict("records"),
        }


def _figures(a: pd.DataFrame, first_visit: pd.Series) -> dict[str, float]:
    """The month's figures; a figure from a field no import source recorded (tips,
    products, missed visits: see engines/known.py) is NaN, shown as unknown, never 0."""
    nan = float("nan")
    done = a[a["status"] == "completed"]
    booked = a[(a["status"] != "cancelled") & a["status_src"]]
    held = a[a["status_src"]]
    revenue = float(done["revenue_cents"].sum())
    new = done["client_id"].map(first_visit).eq(done["day"]) if len(done) else pd.Series([])
    tipped, retail = done[done["tips_src"]], done[done["retail_src"]]
    return {
        "Revenue": revenue,
        "Visits": float(len(done)),
        "Average ticket": revenue / len(done) if len(done) else nan,
        "Clients": float(done["client_id"].nunique()),
        "New clients": float(done.loc[new, "client_id"].nunique()) if len(done) else 0.0,
        "Product sales": float(retail["product_cents"].sum()) if len(retail) else nan,
        "Tips": float(tipped["tip_cents"].sum()) if len(tipped) else nan,
        "No-show rate": float((booked["status"] == "no_show").mean()) if len(booked) else nan,
        "Cancellation rate": float((held["status"] == "cancelled").mean()) if len(held) else nan,
    }


MONEY = {"Revenue", "Average ticket", "Product sales", "Tips"}
SHARE = {"No-show rate", "Cancellation rate"}


def monthly(data: ShopData, month: str) -> MonthFigures:
    """The figures for ``month`` (YYYY-MM) and the month before, in local time."""
    period = pd.Period(month, freq="M")
    a = data.appointments.assign(local=data.local_start())
    a["day"] = a["local"].dt.normalize()
    source = known.source_codes(a)
    a["tips_src"] = known.recorded(source, a["tip_cents"].to_numpy() > 0)
    a["retail_src"] = known.recorded(source, a["product_cents"].to_numpy() > 0)
    a["status_src"] = known.recorded(source, a["status"].isin(known.MISSED).to_numpy(bool))
    a["period"] = a["local"].dt.to_period("M")
    this, prior = a[a["period"] == period], a[a["period"] == period - 1]
    if this.empty:
        raise NotEnoughData(f"There are no appointments in {period.strftime('%B %Y')}.")
    done_all = a[a["status"] == "completed"]
    first_visit = done_all.groupby("client_id")["day"].min()
    now, before = _figures(this, first_visit), _figures(prior, first_visit)
    rows = []
    for name, value in now.items():
        old = before[name]
        change = (value - old) / old if old and old == old and old != 0 else float("nan")
        rows.append({"figure": name, "this_month": value, "prior_month": old, "change": change})
    done = this[this["status"] == "completed"]
    days = pd.date_range(period.start_time, period.end_time.normalize(), freq="D")
    daily = done.groupby("day")["revenue_cents"].sum().reindex(days, fill_value=0)
    names = data.barbers.set_index("barber_id")["name"] if len(data.barbers) else pd.Series()
    per = done.groupby("barber_id").agg(visits=("appointment_id", "size"),
                                        revenue=("revenue_cents", "sum"))  # fmt: skip
    per["average_ticket"] = per["revenue"] / per["visits"]
    per.insert(0, "barber", per.index.map(lambda b: str(names.get(b, f"barber {b}"))))
    per = per.sort_values("revenue", ascending=False).reset_index(drop=True)
    return MonthFigures(period, pd.DataFrame(rows), daily, per)
