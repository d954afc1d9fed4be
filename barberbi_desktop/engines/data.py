"""The one input every engine takes: a bundle of plain DataFrames.

It lives in ``engines`` (not ``storage``) because engines may import nothing
else of the package; storage builds it, tests build it by hand.

Column contract (all money in integer cents, all instants tz-aware UTC):

- appointments: appointment_id, client_id, barber_id, location_id, service_id,
  start, end, booked_at, status, channel, source_platform, time_known (False:
  the export gave the day but no time of day, so the visit counts for revenue
  and visits but not for hours), and the per-visit sums of its sale items:
  service_cents, product_cents, adjustment_cents (refunds, comps and
  corrections: zero or negative), discount_cents, tax_cents, tip_cents,
  item_count, unknown_price_items. ``revenue_cents`` is the net: services +
  products + adjustments - discounts (tips and tax excluded). A frame built by
  hand may lack ``time_known`` and ``adjustment_cents``; read them with
  ``time_known(appts)`` and ``.get``.
- sale_items: item_id, appointment_id, client_id, location_id, barber_id (the
  line's own seller where the export names one, else null: the visit's
  barber), sold_at, kind (service, product, package, gift_card, adjustment),
  service_id, name, quantity, unit_price_cents (negative on adjustments; null
  when the export did not say), discount_cents, tax_cents, tip_cents,
  payment_method.
- clients, barbers, services, locations, reviews, training_log, brand_events:
  one row per record, ids as in the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np
import pandas as pd

ProgressFn = Callable[[float, str], None]
CancelFn = Callable[[], bool]


class Cancelled(Exception):
    """Raised by an engine when its cancel check says stop."""


class NotEnoughData(ValueError):
    """The shop's data cannot support this analysis yet; the message says what is missing."""


@dataclass(frozen=True)
class RunState:
    """Progress reporting and cancellation for a running engine (Orange-style)."""

    progress: ProgressFn = field(default=lambda _f, _m: None)
    cancelled: CancelFn = field(default=lambda: False)

    def step(self, fraction: float, message: str) -> None:
        if self.cancelled():
            raise Cancelled(message)
        self.progress(fraction, message)


@dataclass(frozen=True)
class ShopData:
    appointments: pd.DataFrame
    sale_items: pd.DataFrame
    clients: pd.DataFrame
    barbers: pd.DataFrame
    services: pd.DataFrame
    locations: pd.DataFrame
    reviews: pd.DataFrame
    training_log: pd.DataFrame
    brand_events: pd.DataFrame
    start: datetime | None = None
    end: datetime | None = None

    def at_location(self, location_id: int) -> ShopData:
        """The same bundle holding one location's data only, for its location manager.

        Visits, sale lines, barbers, reviews and brand events are the location's own;
        clients are those who visited or bought there or call it home; training follows
        the location's barbers; the service catalogue is the whole shop's."""

        def own(frame: pd.DataFrame, column: str = "location_id") -> pd.DataFrame:
            if column not in frame.columns:
                return frame
            return frame[frame[column] == location_id].reset_index(drop=True)

        appts, items, barbers = own(self.appointments), own(self.sale_items), own(self.barbers)
        clients = self.clients
        if "client_id" in clients.columns:
            seen = pd.concat([appts.get("client_id", pd.Series(dtype="Int64")),
                              items.get("client_id", pd.Series(dtype="Int64"))]).dropna()
            keep = clients["client_id"].isin(seen)
            if "home_location_id" in clients.columns:
                keep |= clients["home_location_id"] == location_id
            clients = clients[keep.fillna(False).astype(bool)].reset_index(drop=True)
        training = self.training_log
        if "barber_id" in training.columns and "barber_id" in barbers.columns:
            training = training[training["barber_id"].isin(barbers["barber_id"])]
            training = training.reset_index(drop=True)
        return replace(
            self, appointments=appts, sale_items=items, clients=clients, barbers=barbers,
            locations=own(self.locations), reviews=own(self.reviews),
            brand_events=own(self.brand_events), training_log=training,
        )  # fmt: skip

    def local_start(self) -> pd.Series:
        """Each appointment's start in its location's wall-clock time (tz-naive).

        Engines reason about weekdays and opening hours, which only make sense
        in the shop's own time zone.
        """
        return self.local_time("start")

    def local_time(self, column: str) -> pd.Series:
        """Any instant column of the appointments in its location's wall-clock time."""
        appts = self.appointments
        tz_by_location = self.locations.set_index("location_id")["timezone"]
        location = appts["location_id"]
        by_zone: dict[str, list[int]] = {}
        for loc_id in location.dropna().unique():
            by_zone.setdefault(str(tz_by_location.get(loc_id, "UTC")), []).append(loc_id)
        if len(by_zone) <= 1:  # one zone (most shops, and chains in one city): no masks
            zone = next(iter(by_zone), "UTC")
            return appts[column].dt.tz_convert(zone).dt.tz_localize(None).astype("datetime64[ns]")
        out = pd.Series(pd.NaT, index=appts.index, dtype="datetime64[ns]")
        for zone, ids in by_zone.items():
            rows = location.isin(ids).to_numpy()
            local = appts.loc[rows, column].dt.tz_convert(zone).dt.tz_localize(None)
            out.loc[rows] = local.astype("datetime64[ns]")
        return out


def next_booking(client: np.ndarray, start: np.ndarray, booked_at: np.ndarray) -> np.ndarray:
    """For each appointment, when the same client's next appointment was booked (NaT if
    none, or if the appointment has no client): "rebooked at checkout" is that booking
    made within a day of the visit.

    A stable sort of two numpy columns, not a reordering and grouping of the whole
    frame (which was most of the time the KPI and methodology engines spent preparing).
    ``client`` is float so that a missing client is NaN, which never equals another.
    """
    order = np.lexsort((start, client))
    booked = booked_at.astype("datetime64[ns]")[order]
    same = client[order][1:] == client[order][:-1]
    following = np.full(len(order), np.datetime64("NaT"), dtype="datetime64[ns]")
    following[:-1][same] = booked[1:][same]
    out = np.empty_like(following)
    out[order] = following
    return out


def time_known(appts: pd.DataFrame) -> pd.Series:
    """Which visits have a real time of day (an export may give only the day).

    Hours-based measures (utilisation, hourly charts, idle gaps) must leave the
    others out rather than place them at midnight.
    """
    if "time_known" not in appts:
        return pd.Series(True, index=appts.index)
    return appts["time_known"].fillna(True).astype(bool)
