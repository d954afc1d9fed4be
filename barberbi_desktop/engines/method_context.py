"""What methodology metrics look at: the shop's history, grouped, as of one day.

Built once per run from `ShopData` (local times, durations, premium flags,
per-item prices, and everything that does not depend on the day analysed:
each client's next booking, first visits, each service's first sale). Every
row carries a group key ``g``: 0 for the whole shop, or the barber's id, so
one grouped pass scores the shop or all barbers at once, and moving the
analysed day (the monthly trajectory) costs only a cheap cut.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from barberbi_desktop.engines import known
from barberbi_desktop.engines.data import ShopData, next_booking, time_known

WINDOW_DAYS = 90
LOOKBACK_DAYS = 460  # the longest any metric looks back (365 + 90), with a margin


@dataclass(frozen=True)
class MethodContext:
    appts: pd.DataFrame  # one row per appointment (all statuses), local times
    items: pd.DataFrame  # the service lines of visits, with local day and barber
    barbers: pd.DataFrame
    services: pd.DataFrame
    clients: pd.DataFrame
    reviews: pd.DataFrame
    training: pd.DataFrame
    as_of: pd.Timestamp  # local midnight ending the day analysed
    by_barber: bool = False  # groups: False -> one group 0 (the shop); True -> barber ids
    first_day: pd.Timestamp | None = None
    stakes: bool = True  # the revenue at stake per metric (the trajectory needs scores only)
    any_premium: bool = True  # some service is marked premium (imported ones never are)
    # Slices already cut for this context; not an init field, so `replace` starts afresh.
    _slices: dict[tuple[object, ...], pd.DataFrame] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def is_shop(self) -> bool:
        return not self.by_barber

    @property
    def groups(self) -> pd.Index:
        if self.by_barber:
            return pd.Index(self.barbers["barber_id"].astype("int64").unique(), name="g")
        return pd.Index([0], name="g")

    def _slice(self, key: tuple[object, ...], make: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        if key not in self._slices:
            self._slices[key] = make()
        return self._slices[key]

    def window(self, days: int = WINDOW_DAYS) -> pd.DataFrame:
        return self.span(days)

    def completed(self, days: int = WINDOW_DAYS) -> pd.DataFrame:
        return self._slice(
            ("completed", days), lambda: self.window(days)[self.window(days)["done"]]
        )

    @staticmethod
    def pair_keys(frame: pd.DataFrame) -> np.ndarray:
        """One integer per (group, client), so set operations run in numpy, not merges.

        A visit without a client gets the key of no real client (2**32 - 1); metrics
        about clients leave those rows out with `has_client`.
        """
        client = frame["client_id"].to_numpy(dtype="float64", na_value=np.nan)
        return frame["g"].to_numpy(dtype="int64") * 2**32 + np.nan_to_num(
            client, nan=2**32 - 1
        ).astype("int64")

    @staticmethod
    def has_client(frame: pd.DataFrame) -> np.ndarray:
        return frame["client_id"].notna().to_numpy(dtype=bool)

    def span(self, start_days_ago: int, end_days_ago: int = 0) -> pd.DataFrame:
        """Appointments whose day is in (as_of - start, as_of - end]."""
        return self._slice(
            ("span", start_days_ago, end_days_ago),
            lambda: _day_range(self.appts, self.as_of, start_days_ago, end_days_ago),
        )

    def items_window(self, start_days_ago: int, end_days_ago: int = 0) -> pd.DataFrame:
        return self._slice(
            ("items", start_days_ago, end_days_ago),
            lambda: _day_range(self.items, self.as_of, start_days_ago, end_days_ago),
        )

    def history_days(self) -> float:
        if self.first_day is None:
            return 0.0
        return float((self.as_of - self.first_day) / pd.Timedelta(days=1))

    def working_minutes(self, days: int = WINDOW_DAYS) -> pd.Series:
        """Minutes each group's barbers were rostered in the window, from weekly hours."""
        start = self.as_of - pd.Timedelta(days=days - 1)
        calendar = pd.date_range(start, self.as_of, freq="D")
        weekday_counts = np.bincount(calendar.day_of_week, minlength=7)
        per_barber = pd.Series(
            [
                sum(
                    weekday_counts[int(wd)] * max(span[1] - span[0], 0)
                    for wd, span in (hours or {}).items()
                )
                for hours in self.barbers["working_hours"]
            ],
            index=self.barbers["barber_id"].astype("int64"),
            dtype=float,
        )
        if self.by_barber:
            return per_barber.groupby(level=0).sum().reindex(self.groups, fill_value=0.0)
        return pd.Series([per_barber.sum()], index=self.groups)

    def grouped_by_barber(self, barber_ids: np.ndarray) -> MethodContext:
        """The same history with barbers as the groups (only those listed)."""

        def regroup(frame: pd.DataFrame) -> pd.DataFrame:
            if not len(frame) or "barber_id" not in frame:
                return frame
            return frame.assign(g=frame["barber_id"].fillna(-1).astype("int64"))

        return replace(
            self,
            appts=regroup(self.appts),
            items=regroup(self.items),
            reviews=regroup(self.reviews),
            training=regroup(self.training),
            barbers=self.barbers[self.barbers["barber_id"].isin(barber_ids)],
            by_barber=True,
        )

    def cut(
        self, as_of: pd.Timestamp, lookback_days: int = LOOKBACK_DAYS, stakes: bool = True
    ) -> MethodContext:
        """The context as of another day, holding only the rows any metric can look at.

        Every metric bounds its dates by ``as_of`` and looks back at most 455 days
        (a year plus a window); whatever depends on older history (first visits,
        each service's first sale, the first day) was computed on the full history
        when the context was built. Appointments and items are sorted by day, so
        the cut is two binary searches, not a scan.
        """

        def rows(frame: pd.DataFrame) -> pd.DataFrame:
            if not len(frame) or "day" not in frame:
                return frame
            return _day_range(frame, as_of, lookback_days)

        return replace(
            self, as_of=as_of, appts=rows(self.appts), items=rows(self.items), stakes=stakes
        )

    @property
    def first_col(self) -> str:
        """Each client's first completed day: with the shop, or with this group's barber."""
        return "first_barber" if self.by_barber else "first_shop"


def _day_range(
    frame: pd.DataFrame, as_of: pd.Timestamp, start_days_ago: int, end_days_ago: int = 0
) -> pd.DataFrame:
    """Rows whose day is in (as_of - start, as_of - end]: a zero-copy slice.

    Appointments and items are kept sorted by day, so a window is two binary
    searches and a view; a boolean mask would copy every column of every row,
    and that copying was a third of the methodology's time.
    """
    day = frame["day"].to_numpy()
    lo = (as_of - pd.Timedelta(days=start_days_ago)).to_datetime64()
    hi = (as_of - pd.Timedelta(days=end_days_ago)).to_datetime64()
    first, last = np.searchsorted(day, [lo, hi], side="right")
    return frame.iloc[first:last]


def _channel(channel: pd.Series) -> pd.Series:
    """Booking channel as a category; an unknown one reads "nan" (the metrics skip it)."""
    channel = channel.astype("category")
    if "nan" not in channel.cat.categories:
        channel = channel.cat.add_categories(["nan"])
    return channel.fillna("nan")


def _lookup(keys: np.ndarray, table: pd.Series) -> np.ndarray:
    """``table[key]`` for every key (NaT/NaN where absent), without ``Series.map``: on an
    empty table pandas 3 casts the dates to float and fails."""
    if not len(table):
        return np.full(len(keys), np.datetime64("NaT"), dtype="datetime64[ns]")
    return table.reindex(keys).to_numpy(dtype="datetime64[ns]")


def build_context(data: ShopData, as_of: pd.Timestamp) -> MethodContext:
    a = data.appointments
    local = data.local_start()
    services = data.services
    premium_flag = (
        services["premium"].fillna(False).astype(bool)
        if "premium" in services
        else pd.Series(False, index=services.index)
    )
    premium_ids = set(services.loc[premium_flag.to_numpy(), "service_id"])
    items = data.sale_items
    premium_appts = set(items.loc[items["service_id"].isin(premium_ids), "appointment_id"])
    booked = data.local_time("booked_at")
    minutes = known.visit_minutes(a, services)
    status = a["status"].astype("category")
    source = known.source_codes(a)
    clock = time_known(a).to_numpy()
    appts = pd.DataFrame(
        {
            "appointment_id": a["appointment_id"],
            "client_id": a["client_id"],
            "barber_id": a["barber_id"],
            "status": status,
            "start": local,
            "end": local + pd.to_timedelta(minutes.fillna(0), unit="min"),
            "day": local.dt.normalize(),
            "booked_at": booked,
            "minutes": minutes,
            "timed": clock & minutes.notna().to_numpy(),
            "service": a["service_cents"].astype(float),
            "product": a["product_cents"].astype(float),
            "discount": a["discount_cents"].astype(float),
            "tip": a["tip_cents"].astype(float),
            "revenue": a["revenue_cents"].astype(float),
            "premium": a["appointment_id"].isin(premium_appts),
            "channel": _channel(a["channel"]),
            # Which import sources record tips, discounts, booking times and missed
            # visits at all (engines/known.py): a metric uses only their visits.
            "tips_src": known.recorded(source, a["tip_cents"].to_numpy() > 0),
            "discount_src": known.recorded(source, a["discount_cents"].to_numpy() > 0),
            "booked_src": known.recorded(source, booked.notna().to_numpy()),
            "status_src": known.recorded(source, status.isin(known.MISSED).to_numpy(bool)),
            "channel_src": known.recorded(source, known.booking_channel(a["channel"])),
        }
    )
    client = appts["client_id"].to_numpy(dtype="float64", na_value=np.nan)
    start = appts["start"].to_numpy()
    # The client's next appointment (any barber, any outcome), when it was booked, and
    # when it starts (a next visit with no booking time cannot say whether it was rebooked).
    next_booked = next_booking(client, start, appts["booked_at"].to_numpy())
    next_start = next_booking(client, start, start)
    done_rows = (appts["status"] == "completed").to_numpy()
    completed_days = appts.loc[done_rows]
    first_shop = _lookup(client, completed_days.groupby("client_id")["day"].min())
    # Each client's first completed day with each barber, keyed by one integer per pair.
    barber = appts["barber_id"].to_numpy(dtype="float64", na_value=np.nan)
    both = ~(np.isnan(client) | np.isnan(barber))
    pair = np.where(both, np.nan_to_num(barber) * 2**32 + np.nan_to_num(client), np.nan)
    first_pair = (
        pd.Series(appts["day"].to_numpy()[done_rows & both]).groupby(pair[done_rows & both]).min()
    )
    appts = appts.assign(
        next_booked=next_booked,
        next_start=next_start,
        first_shop=first_shop,
        first_barber=_lookup(pair, first_pair),
        g=0,
        done=done_rows,
    )
    # Sorted by local start (ties by client, as before), so a window of days is a slice.
    appts = appts.iloc[np.lexsort((client, start))]
    appt_info = appts.set_index("appointment_id")[["barber_id", "day"]]
    # Metrics read only the service lines of visits (never refund or correction lines),
    # and only these columns of them.
    service_rows = items["appointment_id"].notna() & items["kind"].isin(["service", "package"])
    lines = items.loc[
        service_rows.to_numpy(), ["appointment_id", "service_id", "unit_price_cents", "quantity"]
    ].join(appt_info, on="appointment_id")
    lines = lines.assign(
        premium=lines["service_id"].isin(premium_ids),
        price=lines["unit_price_cents"].astype(float),
        amount=lines["unit_price_cents"].astype(float) * lines["quantity"],
        is_service=True,
        g=0,
    )
    first_sold = lines.loc[lines["is_service"]].groupby("service_id")["day"].min()
    lines["first_sold"] = _lookup(
        lines["service_id"].to_numpy(dtype="float64", na_value=np.nan), first_sold
    )
    lines = lines.sort_values("day", kind="stable")  # sorted by day: see MethodContext.cut
    done = appts[appts["status"] == "completed"]
    training = data.training_log
    if len(training):
        training = training.assign(day=pd.to_datetime(training["occurred_on"]), g=0)
    reviews = data.reviews
    if len(reviews):
        reviews = reviews.assign(
            day=reviews["posted"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize(), g=0
        )
    return MethodContext(
        appts=appts,
        items=lines,
        barbers=data.barbers,
        services=services,
        clients=data.clients,
        reviews=reviews,
        training=training,
        as_of=as_of,
        first_day=done["day"].min() if len(done) else None,
        any_premium=bool(premium_flag.any()),
    )
