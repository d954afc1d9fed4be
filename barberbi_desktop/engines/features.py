"""Per-client features at a cutoff day, shared by the engines.

Everything here looks only at appointments whose local day is on or before
the cutoff (bookings count if they were *made* by then), which is what makes
time-split training and back-tests honest: nothing after the cutoff can leak
into a feature.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from barberbi_desktop.engines.data import ShopData

DAY = np.timedelta64(1, "D")


def prepare_visits(data: ShopData) -> pd.DataFrame:
    """One row per appointment with its local day and the columns features need."""
    a = data.appointments
    local = data.local_start()
    premium_ids = set(data.services.loc[data.services["premium"], "service_id"])
    items = data.sale_items
    premium_appts = items.loc[items["service_id"].isin(premium_ids), "appointment_id"]
    lead = (a["start"] - a["booked_at"]).dt.total_seconds() / 86400
    booked_local = data.local_time("booked_at")
    return pd.DataFrame(
        {
            "client_id": a["client_id"],
            "barber_id": a["barber_id"],
            "status": a["status"].astype(str),
            "day": local.dt.normalize(),
            "booked_day": booked_local.dt.normalize(),
            "revenue": a["revenue_cents"].astype(float),
            "service": a["service_cents"].astype(float),
            "tip": a["tip_cents"].astype(float),
            "retail": a["product_cents"] > 0,
            "premium": a["appointment_id"].isin(premium_appts),
            "lead_days": lead.clip(lower=0),
            "channel": a["channel"].astype(str),
        }
    ).dropna(subset=["client_id"])


def completed_days(visits: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Completed visits up to the cutoff, one row per client and day (same-day visits merge)."""
    done = visits[(visits["status"] == "completed") & (visits["day"] <= cutoff)]
    return (
        done.groupby(["client_id", "day"], sort=True, observed=True)
        .agg(
            revenue=("revenue", "sum"),
            service=("service", "sum"),
            tip=("tip", "sum"),
            retail=("retail", "max"),
            premium=("premium", "max"),
            barber_id=("barber_id", "first"),
            lead_days=("lead_days", "mean"),
            channel=("channel", "first"),
        )
        .reset_index()
    )


def rfm(days: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """frequency (repeat visit days), recency and T in days, monetary in cents.

    ``monetary`` is the mean revenue of the repeat visits (the first excluded),
    NaN for clients with none, as the Gamma-Gamma model expects.
    """
    g = days.groupby("client_id", sort=True)
    first, last, n = g["day"].min(), g["day"].max(), g["day"].size()
    total = g["revenue"].sum()
    first_revenue = days.drop_duplicates("client_id").set_index("client_id")["revenue"]
    repeat = (n - 1).astype(int)
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = (total - first_revenue.reindex(total.index)) / repeat.replace(0, np.nan)
    return pd.DataFrame(
        {
            "frequency": repeat,
            "recency": (last - first) / DAY,
            "T": (cutoff - first) / DAY,
            "monetary": monetary,
            "total_revenue": total,
            "visits": n,
        }
    )


def behaviour(
    visits: pd.DataFrame, cutoff: pd.Timestamp, all_days: pd.DataFrame | None = None
) -> pd.DataFrame:
    """RFM plus habits: rhythm, premium, tips, no-shows, lead time, channel, loyalty, retail.

    ``all_days`` (`completed_days` at the latest cutoff) can be passed in when features
    are needed at several cutoffs: merging same-day visits does not depend on the cutoff.
    """
    if all_days is None:
        days = completed_days(visits, cutoff)
    else:
        days = all_days[all_days["day"] <= cutoff]
    out = rfm(days, cutoff)
    g = days.groupby("client_id", sort=True)
    gaps = days["day"].diff() / DAY
    gaps[days["client_id"].ne(days["client_id"].shift())] = np.nan
    gap = gaps.groupby(days["client_id"])
    out["gap_mean"] = gap.mean()
    out["gap_cv"] = gap.std() / gap.mean()
    out["days_since_last"] = out["T"] - out["recency"]
    out["premium_share"] = g["premium"].mean()
    out["retail_share"] = g["retail"].mean()
    service = g["service"].sum()
    out["tip_rate"] = (g["tip"].sum() / service.where(service > 0)).fillna(0)
    out["lead_days"] = g["lead_days"].mean()
    by_client = days["client_id"]
    out["online_share"] = (days["channel"] == "online").groupby(by_client).mean()
    out["walk_in_share"] = (days["channel"] == "walk_in").groupby(by_client).mean()
    top = days.groupby(["client_id", "barber_id"]).size().groupby("client_id").max()
    out["loyalty"] = top / out["visits"]
    seen = visits[(visits["day"] <= cutoff) & visits["client_id"].isin(out.index)]
    for name, status in (("no_show_rate", "no_show"), ("cancel_rate", "cancelled")):
        out[name] = (seen["status"] == status).groupby(seen["client_id"]).mean()
    # A booking made by the cutoff for a later day, whatever became of it: its
    # outcome (kept, missed, cancelled) was not known at the cutoff.
    upcoming = visits[(visits["booked_day"] <= cutoff) & (visits["day"] > cutoff)]
    out["has_booking"] = out.index.isin(upcoming["client_id"]).astype(float)
    return out


def future_revenue(visits: pd.DataFrame, cutoff: pd.Timestamp, days: int) -> pd.Series:
    """Revenue of completed visits in (cutoff, cutoff + days], by client."""
    window = visits[
        (visits["status"] == "completed")
        & (visits["day"] > cutoff)
        & (visits["day"] <= cutoff + pd.Timedelta(days=days))
    ]
    return window.groupby("client_id")["revenue"].sum()
