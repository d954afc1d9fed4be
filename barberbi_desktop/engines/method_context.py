"""The slice of a shop that methodology metrics look at: one scope, one day.

Built once per run from `ShopData` (local times, durations, premium flags,
per-item prices), then cut cheaply per barber and per month, so the same
metric code scores the shop, each barber and every month of the trajectory.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from barberbi_desktop.engines.data import ShopData

WINDOW_DAYS = 90


@dataclass(frozen=True)
class MethodContext:
    appts: pd.DataFrame  # one row per appointment (all statuses), local times
    items: pd.DataFrame  # service and product lines with local day and barber
    barbers: pd.DataFrame
    services: pd.DataFrame
    clients: pd.DataFrame
    reviews: pd.DataFrame
    training: pd.DataFrame
    as_of: pd.Timestamp  # local midnight ending the day analysed
    barber_id: int | None = None  # None: the whole shop
    first_day: pd.Timestamp | None = None

    @property
    def is_shop(self) -> bool:
        return self.barber_id is None

    def days(self, start_days_ago: int, end_days_ago: int = 0) -> pd.Series:
        """Appointments whose local day is in (as_of - start, as_of - end]."""
        day = self.appts["day"]
        return (day > self.as_of - pd.Timedelta(days=start_days_ago)) & (
            day <= self.as_of - pd.Timedelta(days=end_days_ago)
        )

    def window(self, days: int = WINDOW_DAYS) -> pd.DataFrame:
        return self.appts[self.days(days)]

    def completed(self, days: int = WINDOW_DAYS) -> pd.DataFrame:
        w = self.window(days)
        return w[w["status"] == "completed"]

    def items_window(self, start_days_ago: int, end_days_ago: int = 0) -> pd.DataFrame:
        day = self.items["day"]
        return self.items[
            (day > self.as_of - pd.Timedelta(days=start_days_ago))
            & (day <= self.as_of - pd.Timedelta(days=end_days_ago))
        ]

    def history_days(self) -> float:
        if self.first_day is None:
            return 0.0
        return float((self.as_of - self.first_day) / pd.Timedelta(days=1))

    def working_minutes(self, days: int = WINDOW_DAYS) -> float:
        """Minutes the scope's barbers were rostered in the window, from their weekly hours."""
        start = self.as_of - pd.Timedelta(days=days - 1)
        calendar = pd.date_range(start, self.as_of, freq="D")
        weekday_counts = np.bincount(calendar.day_of_week, minlength=7)
        total = 0.0
        for hours in self.barbers["working_hours"]:
            for weekday, span in (hours or {}).items():
                total += weekday_counts[int(weekday)] * max(span[1] - span[0], 0)
        return total

    def for_barber(self, barber_id: int) -> MethodContext:
        return replace(
            self,
            appts=self.appts[self.appts["barber_id"] == barber_id],
            items=self.items[self.items["barber_id"] == barber_id],
            barbers=self.barbers[self.barbers["barber_id"] == barber_id],
            reviews=self.reviews[self.reviews["barber_id"] == barber_id]
            if len(self.reviews)
            else self.reviews,
            training=self.training[self.training["barber_id"] == barber_id]
            if len(self.training)
            else self.training,
            barber_id=barber_id,
        )

    def at(self, as_of: pd.Timestamp) -> MethodContext:
        return replace(self, as_of=as_of)


def build_context(data: ShopData, as_of: pd.Timestamp) -> MethodContext:
    a = data.appointments
    local = data.local_start()
    premium_ids = set(data.services.loc[data.services["premium"].astype(bool), "service_id"])
    items = data.sale_items
    premium_appts = set(items.loc[items["service_id"].isin(premium_ids), "appointment_id"])
    tz = data.locations.set_index("location_id")["timezone"]
    booked = pd.Series(pd.NaT, index=a.index, dtype="datetime64[ns]")
    for loc_id, idx in a.groupby("location_id", observed=True).groups.items():
        booked.loc[idx] = (
            a.loc[idx, "booked_at"]
            .dt.tz_convert(tz.get(loc_id, "UTC"))
            .dt.tz_localize(None)
            .astype("datetime64[ns]")
        )
    minutes = (a["end"] - a["start"]).dt.total_seconds() / 60
    appts = pd.DataFrame(
        {
            "appointment_id": a["appointment_id"],
            "client_id": a["client_id"],
            "barber_id": a["barber_id"],
            "status": a["status"].astype(str),
            "start": local,
            "end": local + pd.to_timedelta(minutes.fillna(0), unit="min"),
            "day": local.dt.normalize(),
            "booked_at": booked,
            "minutes": minutes,
            "service": a["service_cents"].astype(float),
            "product": a["product_cents"].astype(float),
            "discount": a["discount_cents"].astype(float),
            "tip": a["tip_cents"].astype(float),
            "revenue": a["revenue_cents"].astype(float),
            "premium": a["appointment_id"].isin(premium_appts),
            "channel": a["channel"].astype(str),
        }
    )
    appt_info = appts.set_index("appointment_id")[["barber_id", "day"]]
    lines = items[items["appointment_id"].notna()].join(appt_info, on="appointment_id")
    lines = lines.assign(
        premium=lines["service_id"].isin(premium_ids),
        price=lines["unit_price_cents"].astype(float),
        amount=lines["unit_price_cents"].astype(float) * lines["quantity"],
    )
    done = appts[appts["status"] == "completed"]
    training = data.training_log
    if len(training):
        training = training.assign(day=pd.to_datetime(training["occurred_on"]))
    reviews = data.reviews
    if len(reviews):
        reviews = reviews.assign(
            day=reviews["posted"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
        )
    return MethodContext(
        appts=appts,
        items=lines,
        barbers=data.barbers,
        services=data.services,
        clients=data.clients,
        reviews=reviews,
        training=training,
        as_of=as_of,
        first_day=done["day"].min() if len(done) else None,
    )
