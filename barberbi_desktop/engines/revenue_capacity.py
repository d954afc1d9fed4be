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

from barberbi_desktop.engines.data import NotEnoughData, ShopData

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
    revenue_per_minute: float  # cents per booked, completed minute
    lost: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        total_work = float(self.by_barber["working_min"].sum())
        total_booked = float(self.by_barber["booked_min"].sum())
        return {
            "window": [d.isoformat() for d in self.window],
            "utilisation": round(total_booked / total_work, 4) if total_work else None,
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
    minutes = (appts["end"] - appts["start"]).dt.total_seconds() / 60
    by_service = appts["service_id"].map(services.set_index("service_id")["duration_min"])
    fallback = minutes[minutes > 0].median() if (minutes > 0).any() else 30.0
    return minutes.where(minutes > 0).fillna(by_service).fillna(fallback).clip(5, 8 * 60)


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
    begin = (a["local"].dt.hour * 60 + a["local"].dt.minute).to_numpy(np.int64)
    booked = _hour_cells(a["day"].to_numpy(), begin, begin + a["minutes"].round().to_numpy(
        np.int64), a["barber_id"].fillna(-1).to_numpy(np.int64))
    days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D")
    working = _working_cells(data.barbers, days)
    if working.empty:
        raise NotEnoughData(
            "No barber has working hours set, so utilisation (booked over working time) "
            "cannot be measured; add working hours in Settings."
        )
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
    done = a[a["status"] == "completed"]
    rev_per_min = float(done["revenue_cents"].sum() / done["minutes"].sum()) if len(done) else 0.0
    slot_rev = done.groupby(["weekday", "hour"])["revenue_cents"].sum().rename("revenue_cents")
    by_slot = by_slot.merge(slot_rev.reset_index(), on=["weekday", "hour"], how="left").fillna(
        {"revenue_cents": 0})
    judged = by_slot[by_slot["working_min"] >= s.min_cell_hours * 60]
    lead_q = float(np.nanquantile(by_slot["lead_days"], 0.5)) if by_slot["lead_days"].notna(
    ).any() else 0.0
    peak = judged[(judged["utilisation"] >= s.peak_utilisation)
                  & (judged["lead_days"].fillna(0) >= lead_q)]
    idle = judged[judged["utilisation"] <= s.idle_utilisation]

    no_show = a[a["status"] == "no_show"]
    gaps = _unsellable_gaps(a, s.unsellable_gap_min)
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
                          rev_per_min, lost)  # fmt: skip


def _unsellable_gaps(a: pd.DataFrame, shortest: int) -> float:
    """Minutes between one visit's end and the next visit's start, too short to sell."""
    x = a.dropna(subset=["barber_id"]).sort_values(["barber_id", "local"])
    ends = x["local"] + pd.to_timedelta(x["minutes"], unit="min")
    same = (x["barber_id"].to_numpy()[1:] == x["barber_id"].to_numpy()[:-1]) & (
        x["day"].to_numpy()[1:] == x["day"].to_numpy()[:-1])
    gap = (x["local"].to_numpy()[1:] - ends.to_numpy()[:-1]) / np.timedelta64(1, "m")
    small = same & (gap > 0) & (gap < shortest)
    return float(gap[small].sum())
