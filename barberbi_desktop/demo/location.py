"""One simulated location: rota, bookings, sales, reviews and training.

Ids here are local to the location (``local_client``, ``barber``,
``local_appt``); `simulate` turns them into database ids for the whole chain.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from barberbi_desktop.demo import cancels, catalog, noshows
from barberbi_desktop.demo.process import (
    CANCEL_PER_VISIT,
    FUTURE_DAYS,
    TARGET_UTILISATION,
    DemoSpec,
    choose_services,
    client_traits,
    price_matrix,
    season_warp,
    simulate_visits,
)
from barberbi_desktop.demo.sales import build_people, build_sales
from barberbi_desktop.demo.schedule import OPEN_HOURS, assign_slots, barber_hours

MENU_DUR = np.array([m.duration_min for m in catalog.MENU])
ADDON_COLS = np.array([i for i, m in enumerate(catalog.MENU) if m.role == "addon"])


def _visits(rng: np.random.Generator, spec: DemoSpec, traits: pd.DataFrame) -> pd.DataFrame:
    """Who comes on which day, snapped to their favourite weekday and to open days."""
    n = len(traits)
    grid, cumulative = season_warp(spec.days + FUTURE_DAYS, spec.start)
    owner, op_time, _, _ = simulate_visits(rng, n, cumulative[-1])
    day = np.floor(np.interp(op_time, cumulative, grid)).astype(np.int64)
    weekday0 = spec.start.weekday()
    wd = (weekday0 + day) % 7
    snap = rng.random(day.size) < traits["regularity"].to_numpy()[owner]
    delta = (traits["pref_weekday"].to_numpy()[owner] - wd + 3) % 7 - 3
    snapped = np.where(snap, day + delta, day)
    snapped = np.where(snapped < 0, snapped + 7, snapped)
    # Two visits of one week snapped onto the same favourite day would merge into
    # one and bias the visit process; the later one keeps its own day instead.
    order = np.lexsort((op_time, owner))
    clash = np.zeros(day.size, dtype=bool)
    clash[order] = pd.DataFrame({"c": owner[order], "d": snapped[order]}).duplicated().to_numpy()
    day = np.where(clash, day, snapped)
    closed = (weekday0 + day) % 7 == 6
    day = np.where(closed, day + rng.choice([-1, 1], day.size), day)
    day = np.where(day < 0, day + 2, day)
    visits = pd.DataFrame({"client": owner, "day": day, "t": op_time})
    visits = visits[visits["day"] < spec.days + FUTURE_DAYS]
    visits = visits.sort_values(["client", "t"]).drop_duplicates(["client", "day"])
    return visits.drop(columns="t").reset_index(drop=True)


def _size_rota(visits: pd.DataFrame, spec: DemoSpec) -> int:
    """Barbers needed for the recent demand at the target utilisation."""
    recent = visits["day"].between(spec.days - 180, spec.days - 1)
    demand = visits.loc[recent, "dur"].sum() * 1.08  # no-shows hold their slots too
    weekly = sum(e - s for s, e in OPEN_HOURS.values()) * 5 / 6  # one day off a week
    need = int(np.ceil(demand / (weekly * 180 / 7 * TARGET_UTILISATION)))
    return int(np.clip(need, 4, 6)) if spec.size == "shop" else max(need, 4)


def _assign_barbers(
    rng: np.random.Generator,
    visits: pd.DataFrame,
    traits: pd.DataFrame,
    hours: np.ndarray,
    weekday0: int,
) -> np.ndarray:
    """Loyal clients wait for their barber's next working day; others take whoever is in."""
    n_barbers = hours.shape[0]
    client = visits["client"].to_numpy()
    loyal = rng.random(len(visits)) < traits["loyalty"].to_numpy()[client]
    barber = np.where(
        loyal, traits["pref_barber"].to_numpy()[client], rng.integers(0, n_barbers, len(visits))
    )
    day = visits["day"].to_numpy().copy()
    for _ in range(7):
        off = hours[barber, (weekday0 + day) % 7, 0] < 0
        if not off.any():
            break
        day = np.where(off & loyal, day + 1, day)
        barber = np.where(off & ~loyal, rng.integers(0, n_barbers, len(visits)), barber)
    visits["day"] = day
    return barber


def _with_missed(
    rng: np.random.Generator, visits: pd.DataFrame, traits: pd.DataFrame, spec: DemoSpec
) -> pd.DataFrame:
    """Add the cancellations and candidate no-shows that came before some visits."""
    past = visits[visits["day"] < spec.days]
    cancelled = past[rng.random(len(past)) < CANCEL_PER_VISIT].assign(status="cancelled")
    cancelled["day"] = cancelled["day"] - rng.integers(2, 10, len(cancelled))
    # Candidate no-shows: `noshows.decide` keeps some once their slot and lead are known.
    missed = pd.concat([noshows.candidates(rng, past, traits), cancelled], ignore_index=True)
    missed = missed[missed["day"] >= 0]
    visits = visits.assign(status=np.where(visits["day"] < spec.days, "completed", "booked"))
    # A client is in one chair at a time: a missed booking never shares a day with another.
    both = pd.concat([visits, missed], ignore_index=True)
    return both.drop_duplicates(["client", "day"]).reset_index(drop=True)


def _booking_times(
    rng: np.random.Generator, appts: pd.DataFrame, traits: pd.DataFrame, end_utc: pd.Timestamp
) -> pd.DataFrame:
    """Channel, booked-at instant and rebooking; future visits not yet booked are dropped."""
    appts = appts.sort_values(["client", "start"]).reset_index(drop=True)
    client = appts["client"].to_numpy()
    u = rng.random(len(appts))
    p_online = traits["p_online"].to_numpy()[client]
    p_phone = traits["p_phone"].to_numpy()[client]
    channel = np.where(u < p_online, "online", np.where(u < p_online + p_phone, "phone", "walk_in"))
    # Only a completed visit can have been a walk-in; a missed or future one was booked.
    # A candidate no-show draws like a visit (a walk-in candidate is never kept).
    walks = appts["status"].isin(["completed", "candidate"]).to_numpy()
    channel = np.where((channel == "walk_in") & ~walks, "phone", channel)
    median_days = np.where(channel == "online", 4.0, 2.0)
    lead = pd.to_timedelta(rng.lognormal(np.log(median_days), 0.9) * 1440 + 30, unit="min")
    booked = appts["start"] - lead
    done = appts["status"] == "completed"
    prev_end = appts["end"].where(done).groupby(appts["client"]).shift(1)
    prev_end = prev_end.groupby(appts["client"]).ffill()
    # Rebooking means booking the next visit at the checkout of the last one.
    rebook = (
        (rng.random(len(appts)) < traits["rebook_prop"].to_numpy()[client])
        & (appts["start"] - prev_end < pd.Timedelta(days=70)).to_numpy()
        & (channel != "walk_in")
    )
    booked = booked.where(
        ~rebook, prev_end + pd.to_timedelta(rng.integers(0, 10, len(appts)), "min")
    )
    walk_in = channel == "walk_in"
    appts["channel"] = channel
    appts["booked_at"] = booked.where(~walk_in, appts["start"]).clip(upper=appts["start"])
    future = appts["status"] == "booked"
    appts = appts[~future | (appts["booked_at"] < end_utc)].copy()
    soon = appts["start"] < end_utc + pd.Timedelta(days=2)
    appts.loc[(appts["status"] == "booked") & soon, "status"] = "confirmed"
    return appts


def build_location(rng: np.random.Generator, spec: DemoSpec, loc: int) -> dict[str, Any]:
    traits = client_traits(rng, spec.clients_per_location)
    visits = _visits(rng, spec, traits)
    pick, addons, prices = choose_services(rng, visits, traits)
    keep = pick >= 0
    visits, addons, prices = visits[keep].reset_index(drop=True), addons[keep], prices[keep]
    visits["service"] = pick[keep]
    visits["dur"] = MENU_DUR[visits["service"]] + addons @ MENU_DUR[ADDON_COLS]
    n_barbers = _size_rota(visits, spec)
    hours = barber_hours(rng, n_barbers)
    weekday0 = spec.start.weekday()
    traits["pref_barber"] = rng.choice(n_barbers, len(traits), p=rng.dirichlet([3.0] * n_barbers))
    visits["barber"] = _assign_barbers(rng, visits, traits, hours, weekday0)
    visits["pref_minute"] = traits["pref_minute"].to_numpy()[visits["client"]]
    visits["visit_row"] = np.arange(len(visits))
    wanted = _with_missed(rng, visits, traits, spec)
    expendable = (wanted["status"] == "candidate").to_numpy()
    booked = assign_slots(rng, wanted, hours, weekday0, expendable)
    # A visit pushed past the end of the history by a full day is still only booked.
    pushed = booked["day"] >= spec.days
    booked.loc[pushed & (booked["status"] == "completed"), "status"] = "booked"
    booked = booked[~(pushed & booked["status"].isin(["candidate", "cancelled"]))]

    tz = catalog.TIMEZONES[loc] if spec.size == "chain" else "America/New_York"
    local = (
        pd.Timestamp(spec.start)
        + pd.to_timedelta(booked["day"], unit="D")
        + pd.to_timedelta(booked["start_minute"], unit="min")
    )
    booked["start"] = local.dt.tz_localize(tz, nonexistent="shift_forward").dt.tz_convert("UTC")
    booked["end"] = booked["start"] + pd.to_timedelta(booked["dur"], unit="min")
    end_utc = pd.Timestamp(spec.end).tz_localize(tz).tz_convert("UTC")
    # Candidates dropped to make room on full days never became bookings; the true odds
    # of the rest are scaled by the share that survived (about even across slots).
    survival = (booked["status"] == "candidate").sum() / max(int(expendable.sum()), 1)
    appts = _booking_times(rng, booked, traits, end_utc)
    appts = noshows.decide(rng, appts, traits, float(survival))
    appts = cancels.timing(np.random.default_rng((spec.seed, loc, 12)), appts, len(traits))
    appts["local_appt"] = np.arange(len(appts))
    appts["loc"] = loc

    # A visit moved to a later day by a full rota is charged that day's prices.
    done = appts[appts["status"] == "completed"]
    prices = prices.copy()
    prices[done["visit_row"].to_numpy()] = price_matrix(done["day"].to_numpy())
    items = build_sales(rng, appts, addons, prices, traits)
    people = build_people(rng, spec, loc, tz, appts, traits, hours)
    return {"appointments": appts, "sale_items": items, **people}
