"""Booking visits onto barbers' working hours without double booking.

Within one barber-day, visits are taken in order of preferred start time and
each starts at ``max(preferred, previous end)``. Writing ``C`` for the summed
durations before a visit, that recurrence is a running maximum of
``preferred - C``, so a whole chain's bookings are placed with one grouped
``cummax`` instead of a Python loop; a mirrored running minimum pulls a late
day back inside closing time. Visits that would run past closing are
offered to another barber that day or the next working day; what still does
not fit is turned away, as a full shop would.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Shop hours in minutes after local midnight, Monday = 0; Sunday closed.
OPEN_HOURS: dict[int, tuple[int, int]] = {
    0: (600, 1080),
    1: (540, 1140),
    2: (540, 1140),
    3: (540, 1200),
    4: (540, 1200),
    5: (480, 1020),
}
SLOT = 15


def barber_hours(rng: np.random.Generator, n_barbers: int) -> np.ndarray:
    """hours[b, weekday] = (start, end) in minutes, (-1, -1) on a day off.

    Everyone works Saturdays; each barber takes one weekday off and some start
    an hour late, as real rotas do.
    """
    hours = np.full((n_barbers, 7, 2), -1, dtype=np.int64)
    for b in range(n_barbers):
        day_off = int(rng.integers(0, 4))
        late = bool(rng.random() < 0.3)
        for wd, (start, end) in OPEN_HOURS.items():
            if wd == day_off:
                continue
            hours[b, wd] = (start + (60 if late and wd < 5 else 0), end)
    return hours


def _place(
    frame: pd.DataFrame, hours: np.ndarray, pack: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start minute of every visit, whether it cannot fit, and its barber-day group.

    A forward pass starts each visit at ``max(preferred, previous end)``; a
    backward pass then pulls visits earlier, in order, just enough for the last
    one to finish by closing. Only a day whose bookings exceed its hours is left
    with a visit starting before opening, which is what "overflow" means.
    Visits flagged in ``pack`` give up their preferred time (last resort).
    """
    wd = frame["weekday"].to_numpy()
    b = frame["barber"].to_numpy()
    open_, close = hours[b, wd, 0], hours[b, wd, 1]
    dur = frame["dur"].to_numpy()
    # A client who likes 17:30 books the last slot that still fits on a short day.
    pref = np.clip(frame["pref_minute"].to_numpy(), open_, np.maximum(open_, close - dur))
    if pack is not None:
        pref = np.where(pack, open_, pref)
    group = b * 100_000 + frame["day"].to_numpy()
    order = np.lexsort((pref, group))
    g, d, p = group[order], dur[order], pref[order]
    run = np.cumsum(np.r_[True, g[1:] != g[:-1]])
    before = pd.Series(d).groupby(run).cumsum().to_numpy() - d
    forward = pd.Series(p - before).groupby(run).cummax().to_numpy() + before
    after = pd.Series(d).groupby(run).transform("sum").to_numpy() - before  # this and later
    latest = np.minimum(forward, close[order] - d) + after
    backward = pd.Series(latest[::-1]).groupby(run[::-1]).cummin().to_numpy()[::-1] - after
    start = np.empty_like(backward)
    start[order] = backward
    return start, (start < open_) | (open_ < 0), group


def _make_room(
    rng: np.random.Generator,
    v: pd.DataFrame,
    hours: np.ndarray,
    weekday0: int,
    expendable: np.ndarray,
) -> np.ndarray:
    """Which expendable rows to drop: in random order, until each barber-day's
    bookings fit its hours (or no expendable row is left there)."""
    wd = (weekday0 + v["day"].to_numpy()) % 7
    b = v["barber"].to_numpy()
    span = np.maximum(hours[b, wd, 1] - hours[b, wd, 0], 0)
    group = b * 100_000 + v["day"].to_numpy()
    dur = v["dur"].to_numpy()
    total = pd.Series(dur).groupby(group).transform("sum").to_numpy()
    excess = total - span
    order = np.lexsort((rng.random(len(v)), ~expendable, group))
    g, d, e = group[order], np.where(expendable[order], dur[order], 0), expendable[order]
    run = np.cumsum(np.r_[True, g[1:] != g[:-1]])
    before = pd.Series(d).groupby(run).cumsum().to_numpy() - d
    drop_sorted = e & (before < excess[order])
    drop = np.zeros(len(v), dtype=bool)
    drop[order] = drop_sorted
    return drop


def assign_slots(
    rng: np.random.Generator,
    visits: pd.DataFrame,
    hours: np.ndarray,
    weekday0: int,
    expendable: np.ndarray | None = None,
) -> pd.DataFrame:
    """Give every visit a barber, day and start minute; drop what cannot fit.

    ``visits`` needs day, barber, dur and pref_minute; the result adds weekday
    and start_minute and keeps only placed visits. Rows flagged ``expendable`` (the
    demo's candidate no-shows) give way first: on a day booked past its hours just
    enough of them are dropped to make room, so they seldom cost the shop a visit.
    """
    v = visits.copy()
    n_barbers = hours.shape[0]
    if expendable is not None and expendable.any():
        v = v[~_make_room(rng, v, hours, weekday0, expendable)]
    for attempt in range(4):
        v["weekday"] = (weekday0 + v["day"].to_numpy()) % 7
        start, overflow, group = _place(v, hours)
        if attempt == 3 and overflow.any():
            start, overflow, _ = _place(v, hours, pack=np.isin(group, group[overflow]))
        v["start_minute"] = start
        if attempt == 3 or not overflow.any():
            break
        idx = np.flatnonzero(overflow)
        other = rng.integers(0, n_barbers, idx.size)
        works = hours[other, v["weekday"].to_numpy()[idx], 0] >= 0
        move_barber = works & (rng.random(idx.size) < 0.6)
        barber = v["barber"].to_numpy().copy()
        day = v["day"].to_numpy().copy()
        barber[idx[move_barber]] = other[move_barber]
        day[idx[~move_barber]] += 1
        v["barber"], v["day"] = barber, day
    v = v[~overflow].copy()
    # A move to the next day may have landed on a closed day in the last pass.
    return v[hours[v["barber"].to_numpy(), v["weekday"].to_numpy(), 0] >= 0]
