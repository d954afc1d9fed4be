"""The CDNOW purchase log as a shop: the LTV engine's external hold-out (issue #20, item 5).

CDNOW_sample.txt (see tests/data/README.md) has one line per purchase: master id, sample
id, date (yyyymmdd), CDs bought, dollars. A shop has visits, so each customer's purchases
on one day become one completed visit with their summed value in cents. The export is a
receipt log: no time of day (``time_known`` False, the visit placed at local noon), no
booking times, no channel. Dates move forward 28 years (1997 -> 2025), which keeps every
weekday, so week 0 starts on Wednesday 1 January 2025 and the 78 weeks end on 30 June 2026.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from barberbi_desktop.engines.data import ShopData

SAMPLE = Path(__file__).parent / "data" / "CDNOW_sample.txt"
YEARS = 28
WEEK0 = date(1997 + YEARS, 1, 1)
ZONE = "America/New_York"


def as_of_week(week: int) -> date:
    """The last day of the first ``week`` weeks (week 39 ends on 30 September, as the
    published calibration period does)."""
    return WEEK0 + timedelta(days=7 * week - 1)


def purchases() -> pd.DataFrame:
    log = pd.read_csv(
        SAMPLE, sep=r"\s+", header=None, names=["master_id", "client_id", "day", "cds", "usd"]
    )
    day = pd.to_datetime(log["day"].astype(str), format="%Y%m%d") + pd.DateOffset(years=YEARS)
    log = log.assign(day=day, cents=(log["usd"] * 100).round().astype("int64"))
    return log.groupby(["client_id", "day"], as_index=False)["cents"].sum()


def cdnow_shop() -> ShopData:
    visits = purchases()
    n = len(visits)
    start = (visits["day"] + pd.Timedelta(hours=12)).dt.tz_localize(ZONE).dt.tz_convert("UTC")
    cents = visits["cents"].to_numpy()
    appts = pd.DataFrame(
        {
            "appointment_id": range(1, n + 1),
            "client_id": visits["client_id"].to_numpy(),
            "barber_id": 1,
            "location_id": 1,
            "service_id": 1,
            "start": start,
            "end": start,
            "booked_at": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]"),
            "status": "completed",
            "channel": None,
            "source_platform": "cdnow",
            "time_known": False,
            "service_cents": cents,
            "product_cents": 0,
            "adjustment_cents": 0,
            "discount_cents": 0,
            "tax_cents": 0,
            "tip_cents": 0,
            "item_count": 1,
            "unknown_price_items": 0,
            "revenue_cents": cents,
        }
    )
    empty = pd.DataFrame()
    return ShopData(
        appointments=appts,
        sale_items=pd.DataFrame({"appointment_id": [], "service_id": [], "kind": []}),
        clients=pd.DataFrame({"client_id": visits["client_id"].unique()}),
        barbers=pd.DataFrame({"barber_id": [1], "location_id": [1]}),
        services=pd.DataFrame({"service_id": [1], "premium": [False]}),
        locations=pd.DataFrame({"location_id": [1], "timezone": [ZONE]}),
        reviews=empty,
        training_log=empty,
        brand_events=empty,
    )


def actual_spend(as_of: date, days: int = 90) -> pd.Series:
    """Each customer's spend in cents in the ``days`` after ``as_of`` (what the engine
    never sees)."""
    visits = purchases()
    after = pd.Timestamp(as_of)
    window = visits[(visits["day"] > after) & (visits["day"] <= after + pd.Timedelta(days=days))]
    return window.groupby("client_id")["cents"].sum()
