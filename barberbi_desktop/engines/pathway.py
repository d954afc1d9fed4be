"""Each barber's path to a six-figure year.

The run rate is the trailing 90 days' revenue annualised. The trend is a
least-squares line through the last 26 weekly revenues; the projected
crossing is where that line's annual run rate reaches the goal. The
probability of crossing within 12 months comes from simulating the barber's
next 52 weeks with their own week-to-week spread (and the slope's own
uncertainty), and counting the paths whose trailing-13-week run rate reaches
the goal at least once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

WEEKS = 26
PATHS = 1000
MAX_WEEKS_AHEAD = 52 * 50


@dataclass(frozen=True)
class Pathway:
    barber_id: int
    name: str
    annualised_cents: float
    goal_cents: float
    weekly_trend_cents: float  # change in weekly revenue per week
    projected_crossing: date | None
    already_there: bool
    p_cross_12m: float
    weeks_of_data: int

    def as_dict(self) -> dict[str, object]:
        return {
            "barber_id": self.barber_id,
            "name": self.name,
            "annualised": round(self.annualised_cents / 100, 2),
            "goal": round(self.goal_cents / 100, 2),
            "gap": round(max(self.goal_cents - self.annualised_cents, 0) / 100, 2),
            "weekly_trend": round(self.weekly_trend_cents / 100, 2),
            "projected_crossing": None
            if self.projected_crossing is None
            else self.projected_crossing.strftime("%Y-%m"),
            "already_there": bool(self.already_there),
            "p_cross_12m": round(self.p_cross_12m, 3),
            "weeks_of_data": self.weeks_of_data,
        }


def project(
    weekly: np.ndarray,
    trailing_90_cents: float,
    goal_cents: float,
    as_of: pd.Timestamp,
    rng: np.random.Generator,
) -> tuple[float, date | None, bool, float]:
    """(weekly trend, projected crossing day, already there, P(cross within 52 weeks))."""
    annual = trailing_90_cents * 365 / 90
    t = np.arange(-len(weekly) + 1, 1, dtype=float)
    slope, level = np.polyfit(t, weekly, 1)
    resid = weekly - (level + slope * t)
    sigma = float(np.std(resid, ddof=2)) if len(weekly) > 2 else 0.0
    se_slope = sigma / np.sqrt(((t - t.mean()) ** 2).sum()) if sigma > 0 else 0.0
    already = bool(annual >= goal_cents)
    crossing = None
    if already:
        crossing = as_of.date()
    elif slope > 0:
        weeks = float(np.ceil((goal_cents / 52 - level) / slope))
        # A nearly flat trend crosses centuries ahead (past what a date can hold): that is
        # "not on the current trend", like a falling one.
        if weeks <= MAX_WEEKS_AHEAD:
            crossing = (as_of + pd.Timedelta(weeks=max(weeks, 0))).date()
    ahead = np.arange(1, 53, dtype=float)
    slopes = rng.normal(slope, se_slope, size=(PATHS, 1))
    future = level + slopes * ahead + rng.normal(0, sigma, size=(PATHS, 52))
    past = np.tile(weekly[-13:], (PATHS, 1))
    both = np.concatenate([np.zeros((PATHS, 1)), past, future], axis=1).cumsum(axis=1)
    # Every trailing 13-week sum that includes at least one future week, from running
    # totals (a sliding-window sum per path cost more than the rest of the run).
    run_rate = (both[:, 14:] - both[:, 1:-13]) * 4  # 13 weeks x 4 = 52 weeks
    p_cross = 1.0 if already else float((run_rate >= goal_cents).any(axis=1).mean())
    return float(slope), crossing, already, p_cross


def pathways(
    appts: pd.DataFrame, barbers: pd.DataFrame, as_of: pd.Timestamp, goal_cents: float, seed: int
) -> list[Pathway]:
    """``appts`` needs barber_id, status, day (local) and revenue."""
    rng = np.random.default_rng(seed)
    done = appts[(appts["status"] == "completed") & (appts["day"] <= as_of)]
    # Every barber's weekly revenue, first day and last-90-days revenue in one pass.
    ids = done["barber_id"].to_numpy(dtype="float64", na_value=np.nan)
    known = ~np.isnan(ids)
    codes, uniques = pd.factorize(ids[known])
    day = done["day"].to_numpy()[known]
    revenue = done["revenue"].to_numpy(dtype="float64")[known]
    age = ((as_of.to_datetime64() - day) / np.timedelta64(1, "D")).astype(int) // 7
    recent_rows = day > (as_of - pd.Timedelta(days=90)).to_datetime64()
    in_range = (age >= 0) & (age < WEEKS)
    weekly_all = np.bincount(
        codes[in_range] * WEEKS + age[in_range],
        weights=revenue[in_range],
        minlength=len(uniques) * WEEKS,
    ).reshape(len(uniques), WEEKS)[:, ::-1]  # oldest week first
    recent_all = np.bincount(codes[recent_rows], weights=revenue[recent_rows],
                             minlength=len(uniques))  # fmt: skip
    first_all = pd.Series(day).groupby(codes).min()
    position = {int(b): i for i, b in enumerate(uniques)}
    out = []
    for barber in barbers.itertuples():
        i = position.get(int(barber.barber_id)) if pd.notna(barber.barber_id) else None
        if i is None:
            continue
        weeks_seen = int(min(WEEKS, (as_of - first_all[i]) / pd.Timedelta(weeks=1) + 1))
        weekly = weekly_all[i][-max(weeks_seen, 1) :]
        recent = float(recent_all[i])
        if weeks_seen < 4:
            continue
        slope, crossing, already, p = project(weekly, recent, goal_cents, as_of, rng)
        out.append(
            Pathway(
                int(barber.barber_id),
                str(barber.name),
                recent * 365 / 90,
                goal_cents,
                slope,
                crossing,
                already,
                p,
                weeks_seen,
            )
        )
    return out
