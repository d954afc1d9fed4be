"""Capacity and demand: how full the chairs are, when, and what empty time costs.

Utilisation is booked minutes over working minutes, counted per hour cell of
the shop's own wall clock, so "Saturday 10:00" means the same thing in every
location. Booked means the chair was held: completed, booked, confirmed and
no-show visits (a no-show still blocked the slot); cancellations freed it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from barberbi_desktop.engines import known
from barberbi_desktop.engines.data import NotEnoughData, ShopData, time_known

HELD = ("completed", "booked", "confirmed", "no_show")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class CapacitySettings:
    window_days: int = 90
    peak_utilisation: float = 0.85
    idle_utilisation: float = 0.45
    min_cell_hours: float = 20.0  # working hours a slot needs in the window to be judged
    unsellable_gap_min: int = 15  # a gap shorter than the shortest service cannot be sold


@dataclass
class CapacityResult:
    window: tuple[date, date]
    by_barber: pd.DataFrame  # barber_id, name, working_min, booked_min, utilisation
    by_location: pd.DataFrame  # location_id, working_min, booked_min, utilisation
    by_slot: pd.DataFrame  # weekday, hour, working_min, booked_min, utilisation, lead_days
    peak_slots: pd.DataFrame
    idle_slots: pd.DataFrame
    revenue_per_minute: float  # cents per booked, completed minute (NaN: no visit lengths)
    lost: dict[str, float] = field(default_factory=dict)
    # Why utilisation (or part of it) cannot be told: barbers without working hours,
    # visits without a time of day. The shop's utilisation is then unknown.
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        total_work = float(self.by_barber["working_min"].sum())
        total_booked = float(self.by_barber["booked_min"].sum())
        return {
            "window": [d.isoformat() for d in self.window],
            "utilisation": round(total_booked / total_work, 4)
            if total_work and not self.notes
            else None,
            "notes": self.notes,
            "peak_slots": _slot_names(self.peak_slots),
            "idle_slots": _slot_names(self.idle_slots),
            "lost": {k: round(v, 1) for k, v in self.lost.items()},
            "slots": [
                {"weekday": int(r.weekday), "hour": int(r.hour),
                 "utilisation": round(float(r.utilisation), 4),
                 "working_hours": round(float(r.working_min) / 60, 1)}
                for r in self.by_slot.itertuples()
            ],
        }


def _slot_names(frame: pd.DataFrame) -> list[str]:
    return [f"{WEEKDAYS[int(w)]} {int(h):02d}:00" for w, h in zip(frame["weekday"],
                                                                  frame["hour"], strict=True)]


def _hour_cells(day: np.ndarray, begin: np.ndarray, end: np.ndarray, key: np.ndarray
                ) -> pd.DataFrame:
    """Split intervals [begin, end) (minutes after midnight) into hour cells with minutes."""
    begin = np.clip(begin, 0, 24 * 60)
    end = np.clip(end, 0, 24 * 60)
    ok = end > begin
    day, begin, end, key = day[ok], begin[ok], end[ok], key[ok]
    first = begin // 60
    last = (end - 1) // 60
    count = (last - first + 1).astype(np.int64)
    rep = np.repeat(np.arange(len(begin)), count)
    hour = first[rep] + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
    lo = np.maximum(begin[rep], hour * 60)
    hi = np.minimum(end[rep], (hour + 1) * 60)
    return pd.DataFrame({"day": day[rep], "hour": hour, "key": key[rep], "minutes": hi - lo})


def _working_cells(barbers: pd.DataFrame, days: pd.DatetimeIndex) -> pd.DataFrame:
    rows = []
    weekday = days.day_of_week
    for b in barbers.itertuples():
        hours = b.working_hours if isinstance(b.working_hours, dict) else {}
        for wd, span in hours.items():
            if not span or len(span) != 2:
                continue
            on = days[weekday == int(wd)]
            rows.append(pd.DataFrame({"day": on.values, "key": b.barber_id,
                                      "begin": span[0], "end": span[1]}))
    if not rows:
        return pd.DataFrame(columns=["day", "hour", "key", "minutes"])
    spans = pd.concat(rows, ignore_index=True)
    return _hour_cells(spans["day"].to_numpy(), spans["begin"].to_numpy(np.int64),
                       spans["end"].to_numpy(np.int64), spans["key"].to_numpy())


def _durations(appts: pd.DataFrame, services: pd.DataFrame) -> pd.Series:
    """Each visit's length (end minus start, else its service's duration), capped at a
    working day; unknown stays NaN rather than a guessed default."""
    return known.visit_minutes(appts, services).clip(5, 8 * 60)


def analyse(data: ShopData, as_of: date, settings: CapacitySettings | None = None
            ) -> CapacityResult:
    s = settings or CapacitySettings()
    end = pd.Timestamp(as_of)
    start = end - pd.Timedelta(days=s.window_days)
    appts = data.appointments
    local = data.local_start()
    in_window = (local >= start) & (local < end) & appts["status"].isin(HELD)
    a = appts[in_window].copy()
    if a.empty:
        raise NotEnoughData(
            f"No appointments between {start.date()} and {end.date()}, so utilisation "
            "cannot be measured yet."
        )
    a["local"] = local[in_window]
    a["minutes"] = _durations(a, data.services)
    a["day"] = a["local"].dt.normalize()
    # Hour cells need a time of day and a length; barbers need working hours. Visits
    # without them still count for no-shows and revenue, never for utilisation.
    a["timed"] = time_known(a).to_numpy() & a["minutes"].notna().to_numpy()
    roster = known.rostered(data.barbers)
    with_hours = set(roster.index[roster.to_numpy()])
    notes = []
    lacking = set(a["barber_id"].dropna().astype("int64")) - with_hours
    if lacking:
        notes.append(known.no_hours(known.barber_names(data.barbers, sorted(lacking))))
    if int(a["timed"].sum()) < known.MIN_TIMED_SHARE * len(a):
        notes.append(known.too_few_timed(int(a["timed"].sum()), len(a)))
    t = a[a["timed"] & a["barber_id"].isin(list(with_hours))]
    begin = (t["local"].dt.hour * 60 + t["local"].dt.minute).to_numpy(np.int64)
    booked = _hour_cells(t["day"].to_numpy(), begin, begin + t["minutes"].round().to_numpy(
        np.int64), t["barber_id"].to_numpy(np.int64))
    days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D")
    working = _working_cells(data.barbers[data.barbers["barber_id"].isin(list(with_hours))], days)
    if working.empty:
        notes = notes or [known.NO_HOURS]
        working = pd.DataFrame({"day": pd.Series(dtype="datetime64[ns]"),
                                "hour": pd.Series(dtype="int64"), "key": pd.Series(dtype="int64"),
                                "minutes": pd.Series(dtype="int64")})  # fmt: skip
    cells = working.groupby(["day", "hour", "key"], as_index=False)["minutes"].sum().rename(
        columns={"minutes": "working_min"})
    held = booked.groupby(["day", "hour", "key"], as_index=False)["minutes"].sum().rename(
        columns={"minutes": "booked_raw"})
    cells = cells.merge(held, on=["day", "hour", "key"], how="left").fillna({"booked_raw": 0})
    cells["booked_min"] = np.minimum(cells["booked_raw"], cells["working_min"])
    cells["weekday"] = pd.DatetimeIndex(cells["day"]).day_of_week
    outside = float(booked["minutes"].sum() - cells["booked_min"].sum())

    names = data.barbers.set_index("barber_id")
    by_barber = cells.groupby("key", as_index=False)[["working_min", "booked_min"]].sum()
    by_barber = by_barber.rename(columns={"key": "barber_id"})
    by_barber["name"] = by_barber["barber_id"].map(names["name"])
    by_barber["location_id"] = by_barber["barber_id"].map(names["location_id"])
    by_barber["utilisation"] = by_barber["booked_min"] / by_barber["working_min"]
    by_location = by_barber.groupby("location_id", as_index=False)[
        ["working_min", "booked_min"]].sum()
    by_location["utilisation"] = by_location["booked_min"] / by_location["working_min"]

    by_slot = cells.groupby(["weekday", "hour"], as_index=False)[
        ["working_min", "booked_min"]].sum()
    by_slot["utilisation"] = by_slot["booked_min"] / by_slot["working_min"]
    lead = (a["start"] - a["booked_at"]).dt.total_seconds() / 86400
    a["weekday"], a["hour"] = a["local"].dt.day_of_week, a["local"].dt.hour
    lead_by_slot = lead.groupby([a["weekday"], a["hour"]]).median().rename("lead_days")
    by_slot = by_slot.merge(lead_by_slot.reset_index(), on=["weekday", "hour"], how="left")
    done = a[(a["status"] == "completed") & a["minutes"].notna()]
    done_minutes = float(done["minutes"].sum())
    rev_per_min = float(done["revenue_cents"].sum()) / done_minutes if done_minutes else np.nan
    slot_rev = done.groupby(["weekday", "hour"])["revenue_cents"].sum().rename("revenue_cents")
    by_slot = by_slot.merge(slot_rev.reset_index(), on=["weekday", "hour"], how="left").fillna(
        {"revenue_cents": 0})
    # Slots are judged only when every held visit could be placed in its hour cell.
    judged = by_slot[(by_slot["working_min"] >= s.min_cell_hours * 60) & (len(notes) == 0)]
    lead_q = float(np.nanquantile(by_slot["lead_days"], 0.5)) if by_slot["lead_days"].notna(
    ).any() else 0.0
    peak = judged[(judged["utilisation"] >= s.peak_utilisation)
                  & (judged["lead_days"].fillna(0) >= lead_q)]
    idle = judged[judged["utilisation"] <= s.idle_utilisation]

    no_show = a[a["status"] == "no_show"]
    gaps = _unsellable_gaps(a[a["timed"]], s.unsellable_gap_min)
    lost = {
        "no_show_visits": float(len(no_show)),
        "no_show_minutes": float(no_show["minutes"].sum()),
        "no_show_revenue_cents": float(no_show["minutes"].sum() * rev_per_min),
        "gap_minutes": gaps,
        "gap_revenue_cents": gaps * rev_per_min,
        "outside_hours_minutes": outside,
    }
    return CapacityResult((start.date(), end.date()), by_barber, by_location,
                          by_slot, peak.reset_index(drop=True), idle.reset_index(drop=True),
                          rev_per_min, lost, notes)  # fmt: skip


def _unsellable_gaps(a: pd.DataFrame, shortest: int) -> float:
    """Minutes between one visit's end and the next visit's start, too short to sell."""
    x = a.dropna(subset=["barber_id"]).sort_values(["barber_id", "local"])
    ends = x["local"] + pd.to_timedelta(x["minutes"], unit="min")
    same = (x["barber_id"].to_numpy()[1:] == x["barber_id"].to_numpy()[:-1]) & (
        x["day"].to_numpy()[1:] == x["day"].to_numpy()[:-1])
    gap = (x["local"].to_numpy()[1:] - ends.to_numpy()[:-1]) / np.timedelta64(1, "m")
    small = same & (gap > 0) & (gap < shortest)
    return float(gap[small].sum())
