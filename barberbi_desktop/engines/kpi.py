"""Live KPIs: today, 7, 30 and 90 days against the prior period and the target.

Each KPI is computed for a window of local days ending on ``as_of`` and for the
window of the same length just before it. "Today" also gets an expected band
from the shop's own history for the same weekday (the last eight), scaled to
the time of day, so "today is slow" means slower than the usual Tuesday by
this hour, not slower than the average day. Definitions are in docs/METRICS.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from barberbi_desktop.engines import known, kpi_charts
from barberbi_desktop.engines.data import RunState, ShopData, next_booking, time_known
from barberbi_desktop.engines.kpi_health import health_score

WINDOWS = {"today": 1, "7d": 7, "30d": 30, "90d": 90}
KPIS = (
    "revenue",
    "visits",
    "avg_ticket",
    "utilisation",
    "rebooking_rate",
    "retention_90d",
    "no_show_rate",
    "cancellation_rate",
    "new_clients",
    "returning_clients",
    "new_client_share",
    "retail_attachment",
    "tip_rate",
    "revenue_per_hour",
)
LOWER_IS_BETTER = {"no_show_rate", "cancellation_rate"}


@dataclass(frozen=True)
class KpiSettings:
    # Targets: money in cents; revenue and visits per day (scaled by the window's days).
    targets: dict[str, float] = field(
        default_factory=lambda: {
            "revenue": 150_000,
            "visits": 25,
            "avg_ticket": 6500,
            "utilisation": 0.75,
            "rebooking_rate": 0.6,
            "retention_90d": 0.85,
            "no_show_rate": 0.05,
            "cancellation_rate": 0.05,
            "new_client_share": 0.15,
            "retail_attachment": 0.2,
            "tip_rate": 0.18,
            "revenue_per_hour": 6500,
        }
    )
    band_weeks: int = 8


@dataclass(frozen=True)
class KpiResult:
    as_of: date
    now: datetime
    values: pd.DataFrame  # kpi, window, value, prior, target, change, reason (when unknown)
    health: float | None
    health_parts: dict[str, float]
    today_band: dict[str, Any]
    charts: dict[str, Any] = field(default_factory=dict)  # see engines/kpi_charts.py
    health_unknown: dict[str, str] = field(default_factory=dict)  # kpi -> why it is left out
    health_reason: str | None = None  # why the score is unknown (health is None)

    def summary(self) -> dict[str, Any]:
        def clean(v: Any) -> Any:
            return None if v is None or (isinstance(v, float) and np.isnan(v)) else v

        return {
            "engine": "kpi",
            "as_of": self.as_of.isoformat(),
            "now": self.now.isoformat(),
            "health": self.health,
            "health_parts": self.health_parts,
            "health_unknown": self.health_unknown,
            "health_reason": self.health_reason,
            "today_band": self.today_band,
            "charts": self.charts,
            "kpis": [
                {k: clean(v) for k, v in row.items()}
                for row in self.values.to_dict(orient="records")
            ],
        }


def _local(data: ShopData, as_of: pd.Timestamp) -> pd.DataFrame:
    """Appointments in local time, up to ``as_of``, with each client's next booking.

    The next booking is found among everything *booked* by the end of ``as_of``
    (usually a future visit), which is what "rebooked at checkout" needs. Each row
    also says which fields its import source records at all (see engines/known.py).
    """
    a = data.appointments
    local = data.local_start()
    minutes = known.visit_minutes(a, data.services)
    status = a["status"].astype("category")
    frame = pd.DataFrame(
        {
            "client_id": a["client_id"],
            "barber_id": a["barber_id"],
            "status": status,
            "start": local,
            "day": local.dt.normalize(),
            "minutes": minutes,
            "time_known": time_known(a).to_numpy(),
            "timed": time_known(a).to_numpy() & minutes.notna().to_numpy(),
            "revenue": a["revenue_cents"].astype(float),
            "service": a["service_cents"].astype(float),
            "tip": a["tip_cents"].astype(float),
            "retail": a["product_cents"] > 0,
            "booked_at": data.local_time("booked_at"),
            "source": known.source_codes(a),
        }
    )
    frame["end"] = frame["start"] + pd.to_timedelta(frame["minutes"].fillna(0), unit="min")
    day_end = as_of + pd.Timedelta(days=1)
    # Which sources record tips, products, booking times and missed visits at all, from
    # everything up to the analysed day.
    past = (frame["day"] <= as_of).to_numpy()
    source = frame["source"].to_numpy()
    for column, has in (
        ("tips_src", frame["tip"].to_numpy() > 0),
        ("retail_src", frame["retail"].to_numpy(dtype=bool)),
        ("booked_src", frame["booked_at"].notna().to_numpy()),
        ("status_src", status.isin(known.MISSED).to_numpy(dtype=bool)),
    ):
        frame[column] = known.recorded(source, has & past)
    in_view = frame[(frame["day"] <= as_of) | (frame["booked_at"] < day_end)]
    client = in_view["client_id"].to_numpy(dtype="float64", na_value=np.nan)
    start = in_view["start"].to_numpy()
    in_view = in_view.assign(
        next_booked=next_booking(client, start, in_view["booked_at"].to_numpy()),
        # When the client's next appointment starts (NaT: none yet), so that a next
        # visit whose booking time is unknown is not counted as "not rebooked".
        next_start=next_booking(client, start, start),
    )
    return in_view[in_view["day"] <= as_of]


def _rostered_minutes(
    barbers: pd.DataFrame, first: pd.Timestamp, days: int, now: pd.Timestamp | None = None
) -> float:
    """Rostered minutes over the window; with ``now``, only up to that time of day."""
    if now is not None:
        minute = (now - now.normalize()) / pd.Timedelta(minutes=1)
        wd = str(now.day_of_week)
        return float(
            sum(
                min(max(minute - hours[wd][0], 0), hours[wd][1] - hours[wd][0])
                for hours in barbers["working_hours"]
                if hours and wd in hours
            )
        )
    calendar = pd.date_range(first, periods=days, freq="D")
    counts = np.bincount(calendar.day_of_week, minlength=7)
    return float(
        sum(
            counts[int(wd)] * max(span[1] - span[0], 0)
            for hours in barbers["working_hours"]
            for wd, span in (hours or {}).items()
        )
    )


@dataclass(frozen=True)
class _Visits:
    """The appointments as plain numpy columns, prepared once per run.

    Sixteen windows (eight, and the eight before them) each select from 600,000
    rows on a chain; numpy masks over a few columns cost a fraction of selecting
    whole DataFrame rows.
    """

    day: np.ndarray  # local day, datetime64[ns]
    start: np.ndarray
    end: np.ndarray
    next_booked: np.ndarray
    next_start: np.ndarray
    client: np.ndarray  # float: a visit without a client is NaN
    barber: np.ndarray  # float: a visit without a barber is NaN
    done: np.ndarray
    no_show: np.ndarray
    cancelled: np.ndarray
    minutes: np.ndarray  # NaN: the visit's length is unknown
    timed: np.ndarray  # a time of day and a length: usable for hours-based measures
    revenue: np.ndarray
    service: np.ndarray
    tip: np.ndarray
    retail: np.ndarray
    tips_src: np.ndarray  # the visit's source records tips (see engines/known.py)
    retail_src: np.ndarray
    booked_src: np.ndarray
    status_src: np.ndarray

    @classmethod
    def of(cls, a: pd.DataFrame) -> _Visits:
        # Sorted by day, a window of days is a slice found by binary search.
        a = a.iloc[np.argsort(a["day"].to_numpy(), kind="stable")]
        status = a["status"]

        def flag(column: str) -> np.ndarray:
            return a[column].to_numpy(dtype=bool)

        return cls(
            day=a["day"].to_numpy(dtype="datetime64[ns]"),
            start=a["start"].to_numpy(dtype="datetime64[ns]"),
            end=a["end"].to_numpy(dtype="datetime64[ns]"),
            next_booked=a["next_booked"].to_numpy(dtype="datetime64[ns]"),
            next_start=a["next_start"].to_numpy(dtype="datetime64[ns]"),
            client=a["client_id"].to_numpy(dtype="float64", na_value=np.nan),
            barber=a["barber_id"].to_numpy(dtype="float64", na_value=np.nan),
            done=(status == "completed").to_numpy(dtype=bool),
            no_show=(status == "no_show").to_numpy(dtype=bool),
            cancelled=(status == "cancelled").to_numpy(dtype=bool),
            minutes=a["minutes"].to_numpy(dtype="float64", na_value=np.nan),
            timed=flag("timed"),
            revenue=a["revenue"].to_numpy(dtype="float64", na_value=np.nan),
            service=a["service"].to_numpy(dtype="float64", na_value=np.nan),
            tip=a["tip"].to_numpy(dtype="float64", na_value=np.nan),
            retail=flag("retail"),
            tips_src=flag("tips_src"),
            retail_src=flag("retail_src"),
            booked_src=flag("booked_src"),
            status_src=flag("status_src"),
        )

    def between(self, first: pd.Timestamp, last: pd.Timestamp) -> slice:
        lo = np.searchsorted(self.day, first.to_datetime64(), side="left")
        hi = np.searchsorted(self.day, last.to_datetime64(), side="right")
        return slice(int(lo), int(hi))

    def cut(self, rows: slice) -> _Visits:
        """A window's rows: numpy views, nothing copied."""
        return _Visits(**{k: getattr(self, k)[rows] for k in self.__dataclass_fields__})


NO_VISITS = "no completed visits in this window"


@dataclass(frozen=True)
class _Roster:
    """The barbers, and which of them have working hours (utilisation needs them)."""

    barbers: pd.DataFrame
    with_hours: set[float]

    @classmethod
    def of(cls, barbers: pd.DataFrame) -> _Roster:
        set_ = known.rostered(barbers)
        return cls(barbers, {float(b) for b in set_.index[set_.to_numpy()]})

    def missing(self, worked: np.ndarray) -> list[str]:
        """Names of the barbers in ``worked`` (ids) who have no working hours."""
        ids = {float(b) for b in np.unique(worked[~np.isnan(worked)])} - self.with_hours
        return known.barber_names(self.barbers, sorted(int(b) for b in ids))


def _utilisation(
    v: _Visits, w: np.ndarray, roster: _Roster, start: pd.Timestamp, days: int,
    now: pd.Timestamp | None,
) -> tuple[float, str | None]:
    """Held minutes over rostered minutes, or why that cannot be told."""
    held = w & (v.done | v.no_show)
    missing = roster.missing(v.barber[held])
    if missing:
        return float("nan"), known.no_hours(missing)
    rostered = _rostered_minutes(roster.barbers, start, days, now) if roster.with_hours else 0.0
    if not rostered:
        return float("nan"), known.NO_HOURS if not roster.with_hours else "nobody was rostered"
    timed = int((held & v.timed).sum())
    if timed < known.MIN_TIMED_SHARE * int(held.sum()):
        return float("nan"), known.too_few_timed(timed, int(held.sum()))
    return float(np.nansum(v.minutes[held & v.timed])) / rostered, None


def _window_kpis(
    v: _Visits,
    first_visit: pd.Series,
    roster: _Roster,
    end: pd.Timestamp,
    days: int,
    now: pd.Timestamp | None,
) -> tuple[dict[str, float], dict[str, str]]:
    """The window's KPIs, and for each unknown one the reason."""
    start = end - pd.Timedelta(days=days - 1)
    prior = v.cut(v.between(start - pd.Timedelta(days=90), start - pd.Timedelta(days=1)))
    prior_clients = np.unique(prior.client[prior.done & ~np.isnan(prior.client)])
    v = v.cut(v.between(start, end))
    back = np.unique(v.client[v.done])
    w = np.ones(len(v.day), dtype=bool)
    if now is not None:  # today so far: only what has already started
        w &= v.start <= now.to_datetime64()
    done = w & v.done
    held = w & (v.done | v.no_show | v.cancelled)
    visits = float(done.sum())
    revenue = float(np.nansum(v.revenue[done]))
    lengths = done & ~np.isnan(v.minutes)
    hours = float(np.nansum(v.minutes[lengths])) / 60
    client = v.client[done]
    clients = np.unique(client[~np.isnan(client)]).astype("int64")
    firsts = first_visit.reindex(clients)
    new = float(((firsts >= start) & (firsts <= end)).sum())
    # A visit whose client's next appointment has an unknown booking time cannot be
    # judged; one with no next appointment was not rebooked. NaT compares False.
    judged = done & v.booked_src & (np.isnat(v.next_start) | ~np.isnat(v.next_booked))
    rebooked = v.next_booked[judged] <= v.end[judged] + np.timedelta64(1, "D")
    tipped = done & v.tips_src
    service = float(np.nansum(v.service[tipped]))
    retail = done & v.retail_src
    missed = held & v.status_src
    n_missed = float(missed.sum())
    nan = float("nan")
    utilisation, why_util = _utilisation(v, w, roster, start, days, now)
    values = {
        "revenue": revenue,
        "visits": visits,
        "avg_ticket": revenue / visits if visits else nan,
        "utilisation": utilisation,
        "rebooking_rate": float(rebooked.mean()) if judged.any() else nan,
        # A 90-day measure by definition: shorter windows do not report it.
        "retention_90d": float(np.isin(prior_clients, back).mean())
        if len(prior_clients) and days == 90
        else nan,
        "no_show_rate": float((missed & v.no_show).sum() / n_missed) if n_missed else nan,
        "cancellation_rate": float((missed & v.cancelled).sum() / n_missed) if n_missed else nan,
        "new_clients": new,
        "returning_clients": float(len(clients) - new),
        "new_client_share": new / len(clients) if len(clients) else nan,
        "retail_attachment": float(v.retail[retail].mean()) if retail.any() else nan,
        "tip_rate": float(np.nansum(v.tip[tipped]) / service) if service > 0 else nan,
        "revenue_per_hour": float(np.nansum(v.revenue[lengths])) / hours if hours else nan,
    }
    reasons = {
        "avg_ticket": NO_VISITS,
        "utilisation": why_util or "",
        "rebooking_rate": known.NO_BOOKED_AT if visits and not (done & v.booked_src).any()
        else NO_VISITS if not visits else "no visit's next booking time is known",
        "retention_90d": "a 90-day measure, shown for the 90-day window only"
        if days != 90
        else "no clients visited in the 90 days before the window",
        "no_show_rate": known.NO_STATUSES if held.any() else "no appointments in this window",
        "new_client_share": NO_VISITS,
        "retail_attachment": known.NO_PRODUCTS if visits else NO_VISITS,
        "tip_rate": known.NO_TIPS if visits and not tipped.any() else "no service revenue",
        "revenue_per_hour": known.NO_LENGTHS if visits else NO_VISITS,
    }
    reasons["cancellation_rate"] = reasons["no_show_rate"]
    return values, {k: r for k, r in reasons.items() if np.isnan(values[k]) and r}


def _today_band(
    a: pd.DataFrame, as_of: pd.Timestamp, now: pd.Timestamp, weeks: int
) -> dict[str, Any]:
    """Revenue expected by this time of day, from the same weekday's recent history.

    Only visits with a time of day take part, today's as well as the past days':
    a visit known only by its day cannot be placed before or after this hour.
    """
    a = a[a["time_known"]]
    today = a[(a["status"] == "completed") & (a["day"] == as_of) & (a["start"] <= now)]
    revenue_so_far = float(today["revenue"].sum())
    same = [as_of - pd.Timedelta(weeks=k) for k in range(1, weeks + 1)]
    done = a[(a["status"] == "completed") & a["day"].isin(same)]
    if done["day"].nunique() < 3:
        return {"available": False, "reason": "fewer than three past days of this weekday"}
    clock = now - as_of
    by_day = done.groupby("day")
    totals = by_day["revenue"].sum().reindex(same, fill_value=0.0)
    so_far = done[done["start"] - done["day"] <= clock].groupby("day")["revenue"].sum()
    so_far = so_far.reindex(same, fill_value=0.0)
    low, mid, high = np.percentile(so_far, [10, 50, 90])
    status = "slow" if revenue_so_far < low else "busy" if revenue_so_far > high else "usual"
    return {
        "available": True,
        "weekday": as_of.day_name(),
        "days_compared": len(same),
        "expected_low": float(low),
        "expected": float(mid),
        "expected_high": float(high),
        "full_day_expected": float(np.median(totals)),
        "so_far": revenue_so_far,
        "status": status,
    }


def run(
    data: ShopData,
    settings: KpiSettings,
    as_of: date,
    now: datetime | None = None,
    state: RunState | None = None,
) -> KpiResult:
    """KPIs as of ``as_of``; ``now`` (local, naive) cuts today at the current time."""
    state = state or RunState()
    as_of_ts = pd.Timestamp(as_of)
    now_ts = pd.Timestamp(now) if now is not None else as_of_ts + pd.Timedelta(days=1)
    state.step(0.1, "Reading the recent days")
    a = _local(data, as_of_ts)
    first_visit = a[a["status"] == "completed"].groupby("client_id")["day"].min()
    # The frames may cover only recent months: a client's recorded first visit (kept on
    # the client) decides who is new, so a regular is not "new" at the window's edge.
    clients = data.clients
    if len(clients) and "first_seen" in clients and len(data.locations):
        tz = data.locations["timezone"].iloc[0]
        seen = (
            pd.to_datetime(clients.set_index("client_id")["first_seen"], utc=True)
            .dropna()
            .dt.tz_convert(tz)
            .dt.tz_localize(None)
            .dt.normalize()
        )
        first_visit = pd.concat([first_visit, seen]).groupby(level=0).min()
    visits = _Visits.of(a)
    roster = _Roster.of(data.barbers)
    rows = []
    for window, days in WINDOWS.items():
        cut = now_ts if window == "today" else None
        current, reasons = _window_kpis(visits, first_visit, roster, as_of_ts, days, cut)
        prior_end = as_of_ts - pd.Timedelta(days=days)
        prior_cut = now_ts - pd.Timedelta(days=7) if window == "today" else None
        if window == "today":  # compare today with the same weekday last week
            prior_end = as_of_ts - pd.Timedelta(days=7)
        prior, _ = _window_kpis(visits, first_visit, roster, prior_end, days, prior_cut)
        for kpi in KPIS:
            target = settings.targets.get(kpi)
            if target is not None and kpi in ("revenue", "visits"):
                target = target * days
            value, before = current[kpi], prior[kpi]
            change = (value - before) / before if before and not np.isnan(before) else np.nan
            rows.append(
                {
                    "kpi": kpi,
                    "window": window,
                    "value": value,
                    "prior": before,
                    "target": target,
                    "change": change,
                    "reason": reasons.get(kpi),
                }
            )
    values = pd.DataFrame(rows)
    health, parts, unknown, why = health_score(values, LOWER_IS_BETTER)
    band = _today_band(
        a, as_of_ts, min(now_ts, as_of_ts + pd.Timedelta(days=1)), settings.band_weeks
    )
    state.step(0.9, "Drawing the charts")
    cut_now = min(now_ts, as_of_ts + pd.Timedelta(days=1))
    charts = {
        "today": kpi_charts.today_curve(a, as_of_ts, cut_now, settings.band_weeks),
        "weeks": kpi_charts.weekly_forecast(a, as_of_ts),
        "barbers": kpi_charts.barber_visits(a, data.barbers, as_of_ts),
    }
    return KpiResult(
        as_of, now_ts.to_pydatetime(), values, health, parts, band, charts, unknown, why
    )
