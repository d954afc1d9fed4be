"""Per-client features at a cutoff day, shared by the engines.

Everything here looks only at appointments whose local day is on or before
the cutoff (bookings count if they were *made* by then), which is what makes
time-split training and back-tests honest: nothing after the cutoff can leak
into a feature.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from barberbi_desktop.engines.data import NotEnoughData, ShopData

DAY = np.timedelta64(1, "D")


def _or(frame: pd.DataFrame, column: str, default: object) -> pd.Series:
    """A column an export may not have (hand-built frames, receipt logs), else a default."""
    if column in frame:
        return frame[column]
    return pd.Series(default, index=frame.index)


def prepare_visits(data: ShopData) -> pd.DataFrame:
    """One row per appointment with its local day and the columns features need.

    Optional columns may be missing: no ``booked_at`` (a receipt log) gives no booking
    day or lead time; no ``status`` means every listed visit happened; no ``channel``
    leaves the channel unknown (None, never a made-up "walk-in").
    """
    a = data.appointments
    if "revenue_cents" not in a or "client_id" not in a or "start" not in a:
        raise NotEnoughData(
            "The visits have no client, start or revenue: clients cannot be scored."
        )
    local = data.local_start()
    if "booked_at" in a:
        booked_local = data.local_time("booked_at")
        lead = (a["start"] - a["booked_at"]).dt.total_seconds() / 86400
    else:
        booked_local = pd.Series(pd.NaT, index=a.index, dtype="datetime64[ns]")
        lead = pd.Series(np.nan, index=a.index)
    services = data.services
    premium_ids = (
        set(services.loc[services["premium"].fillna(False).astype(bool), "service_id"])
        if {"premium", "service_id"} <= set(services.columns)
        else set()
    )
    items = data.sale_items
    premium_appts = (
        items.loc[items["service_id"].isin(premium_ids), "appointment_id"]
        if {"service_id", "appointment_id"} <= set(items.columns)
        else pd.Series([], dtype=float)
    )
    channel = _or(a, "channel", None).astype(object)
    revenue = a["revenue_cents"].astype(float)
    return pd.DataFrame(
        {
            "client_id": a["client_id"],
            "barber_id": _or(a, "barber_id", np.nan),
            "status": _or(a, "status", "completed").astype(str),
            "day": local.dt.normalize(),
            "booked_day": booked_local.dt.normalize(),
            "revenue": revenue,
            "service": _or(a, "service_cents", np.nan).astype(float),
            "tip": _or(a, "tip_cents", np.nan).astype(float),
            "retail": _or(a, "product_cents", 0).fillna(0).astype(float) > 0,
            "premium": _or(a, "appointment_id", np.nan).isin(premium_appts),
            "lead_days": lead.clip(lower=0),
            "channel": channel.where(channel.notna(), None),
        }
    ).dropna(subset=["client_id", "day"])


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
    out["tip_rate"] = g["tip"].sum() / service.where(service > 0)  # no service: unknown
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


# Features that need data an export may not have, with the sentence saying what is
# missing. A feature the shop's data cannot fill is left out of the learned models,
# never filled with zeros that the model would read as behaviour.
def usable_features(
    visits: pd.DataFrame, as_of: pd.Timestamp, candidates: tuple[str, ...]
) -> tuple[tuple[str, ...], dict[str, str]]:
    """Which of ``candidates`` the data up to ``as_of`` can fill, and why the rest cannot.

    ``has_booking`` needs bookings made by ``as_of`` for a later day: an export of past
    visits (no booking times, or every booking made on its visit day) would show every
    client as unbooked at ``as_of`` while the training cutoffs, whose later visits are in
    the file, show real bookings; the model would learn from a signal it never gets.
    """
    past = visits[visits["day"] <= as_of]
    done = past[past["status"] == "completed"]
    made = visits["booked_day"].notna() & (visits["booked_day"] <= as_of)
    checks = {
        "lead_days": (past["booked_day"].notna().any(), "the data has no booking times"),
        "has_booking": (
            (made & (visits["day"] > as_of)).any(),
            "the data holds no booking made by the scoring day for a later visit",
        ),
        "online_share": (past["channel"].notna().any(), "the data has no booking channel"),
        "walk_in_share": (past["channel"].notna().any(), "the data has no booking channel"),
        "no_show_rate": ((past["status"] == "no_show").any(), "the data records no no-shows"),
        "cancel_rate": (
            (past["status"] == "cancelled").any(),
            "the data records no cancellations",
        ),
        "tip_rate": ((done["tip"] > 0).any(), "the data records no tips"),
        "premium_share": (done["premium"].any(), "no service is marked premium"),
        "retail_share": (done["retail"].any(), "the data has no product sales"),
        "loyalty": (done["barber_id"].nunique() > 1, "the data names fewer than two barbers"),
    }
    left_out = {name: why for name, (ok, why) in checks.items() if name in candidates and not ok}
    return tuple(c for c in candidates if c not in left_out), left_out


def future_revenue(visits: pd.DataFrame, cutoff: pd.Timestamp, days: int) -> pd.Series:
    """Revenue of completed visits in (cutoff, cutoff + days], by client."""
    window = visits[
        (visits["status"] == "completed")
        & (visits["day"] > cutoff)
        & (visits["day"] <= cutoff + pd.Timedelta(days=days))
    ]
    return window.groupby("client_id")["revenue"].sum()
