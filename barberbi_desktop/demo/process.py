"""The stochastic processes behind the demo shop, and the truth they use.

Clients follow BG/NBD (Fader, Hardie & Lee 2005): a Poisson visit rate from
Gamma(r, alpha) and, after every repeat visit, dropout with a probability from
Beta(a, b). Per-visit budgets follow the Gamma-Gamma spend model and choose
from a real menu whose prices rise a few times; each service's demand answers
its price with a known elasticity. These constants are stored in the database
as ground truth so engines can be checked against them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from barberbi_desktop.demo import catalog

BGNBD_TRUTH = {"r": 1.6, "alpha": 48.0, "a": 0.9, "b": 8.0, "time_unit": "day"}
# Gamma-Gamma for the per-visit budget in dollars: z ~ Gamma(p, nu), nu ~ Gamma(q, gamma).
SPEND_TRUTH = {"p": 6.0, "q": 4.0, "gamma": 27.5, "currency_unit": "dollar"}
NO_SHOW_PER_VISIT = 0.075
# What moves a booking's odds of a no-show, on top of the client's own propensity
# (log odds ratios). Real shops report the same directions: bookings made weeks ahead
# are forgotten, online bookings cost the client nothing to abandon, first-timers and
# clients who missed recently miss again, early and late slots and Mondays are missed
# more, and nobody misses a walk-in.
NO_SHOW_EFFECTS = {
    "online": 0.35,
    "lead_per_doubling": 0.32,  # per doubling of the lead time beyond 3 days
    "lead_doublings": (-1.5, 2.5),  # clipped: same day ... about 17 days and more
    "first_visit": 0.7,
    "recent_miss": 0.55,  # per miss among the client's last 6 bookings (up to 3)
    "weekday": {0: 0.3, 4: 0.1, 5: -0.2},  # Monday, Friday, Saturday
    "early": 0.35,  # before 10:00
    "late": 0.2,  # from 17:00
    "offset": -0.45,  # keeps the shop's overall rate near NO_SHOW_PER_VISIT
}
# A candidate missed booking is drawn before a visit with this many times the client's
# base odds (at most one per visit), then kept with its true odds over that: the odds
# of a no-show among bookings that look alike are then exactly the true odds (capped
# at the candidate rate).
CANDIDATE_ODDS = 4.0
CANCEL_PER_VISIT = 0.085
FUTURE_DAYS = 21
TARGET_UTILISATION = 0.72


@dataclass(frozen=True)
class DemoSpec:
    size: str = "shop"
    seed: int = 7
    end: date = field(default_factory=date.today)
    days: int = 730

    @property
    def n_locations(self) -> int:
        return 10 if self.size == "chain" else 1

    @property
    def clients_per_location(self) -> int:
        return 21_500 if self.size == "chain" else 2_000

    @property
    def start(self) -> date:
        return self.end - timedelta(days=self.days)


def season_warp(n_days: int, start: date) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative demand intensity by day: busier in summer and December."""
    days = np.arange(n_days + 1)
    doy = np.array([(start + timedelta(days=int(d))).timetuple().tm_yday for d in days])
    month = np.array([(start + timedelta(days=int(d))).month for d in days])
    intensity = 1.0 + 0.10 * np.sin(2 * np.pi * (doy - 100) / 365.25) + 0.15 * (month == 12)
    intensity = intensity / intensity.mean()
    cumulative = np.concatenate([[0.0], np.cumsum(intensity[:-1])])
    return days.astype(float), cumulative


def simulate_visits(rng: np.random.Generator, n: int, horizon: float) -> tuple[np.ndarray, ...]:
    """BG/NBD visit times in operational time for n clients acquired in [0, horizon)."""
    t = BGNBD_TRUTH
    lam = rng.gamma(t["r"], 1.0 / t["alpha"], n)
    drop_p = rng.beta(t["a"], t["b"], n)
    # A shop that opened two years ago: a launch wave, then a steady inflow.
    launch = rng.random(n) < 0.3
    first = np.where(launch, rng.uniform(0, 90, n), rng.uniform(0, horizon, n))
    owners, times = [np.arange(n)], [first]
    idx, cur = np.arange(n), first
    while idx.size:
        cur = cur + rng.exponential(1.0 / lam[idx])
        inside = cur < horizon
        idx, cur = idx[inside], cur[inside]
        owners.append(idx)
        times.append(cur)
        alive = rng.random(idx.size) >= drop_p[idx]
        idx, cur = idx[alive], cur[alive]
    return np.concatenate(owners), np.concatenate(times), lam, drop_p


def client_traits(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Per-client habits; the preferred barber is drawn later, once the rota is sized."""
    s = SPEND_TRUTH
    channel_pref = rng.dirichlet([6.0, 2.0, 2.0], n)
    return pd.DataFrame(
        {
            "nu": rng.gamma(s["q"], 1.0 / s["gamma"], n),
            "kid": rng.random(n) < 0.06,
            "loyalty": rng.beta(8, 2, n),
            "pref_weekday": rng.choice(6, n, p=[0.08, 0.12, 0.14, 0.18, 0.22, 0.26]),
            "regularity": rng.beta(2, 2, n),
            "pref_minute": rng.choice([570, 720, 900, 1050], n, p=[0.15, 0.2, 0.3, 0.35])
            + rng.integers(-6, 7, n) * 15,
            "addon_prop": rng.beta(1.5, 3.0, n),
            "retail_prop": rng.beta(1.2, 6.0, n),
            "tip_prop": rng.beta(6, 2, n),
            "tip_pct": np.clip(rng.normal(0.18, 0.04, n), 0.08, 0.3),
            "rebook_prop": rng.beta(1.5, 3.0, n),
            "no_show_prop": rng.beta(1.0, 1.0 / NO_SHOW_PER_VISIT - 1.0, n),
            "p_online": channel_pref[:, 0],
            "p_phone": channel_pref[:, 1],
        }
    )


def price_matrix(days: np.ndarray) -> np.ndarray:
    """Price in cents of every menu item on every visit's day (n_visits x n_menu)."""
    prices = np.tile([m.price_cents for m in catalog.MENU], (days.size, 1)).astype(np.int64)
    names = [m.name for m in catalog.MENU]
    for name, day, new_price in catalog.PRICE_CHANGES:
        prices[days >= day, names.index(name)] = new_price
    return prices


def choose_services(
    rng: np.random.Generator, visits: pd.DataFrame, traits: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pick a primary service and add-ons per visit; price moves demand by its elasticity.

    Returns (primary menu index or -1 for a visit lost to price, add-on mask, price matrix).
    """
    menu = catalog.MENU
    n = len(visits)
    prices = price_matrix(visits["day"].to_numpy())
    base = np.array([m.price_cents for m in menu], dtype=float)
    elasticity = np.array([m.elasticity for m in menu])
    accept_p = (prices / base) ** elasticity  # 1 until a price rises, then below 1
    role = np.array([m.role for m in menu])
    pop = np.array([m.popularity for m in menu])
    client = visits["client"].to_numpy()
    budget = rng.gamma(SPEND_TRUTH["p"], 1.0 / traits["nu"].to_numpy()[client]) * 100.0
    primary_cols = np.flatnonzero(role == "primary")
    # Taste is set by the menu as the client first knew it (base prices), so that a
    # price change moves demand only through the service's own elasticity: the
    # stored elasticities are then exactly what an estimator should recover.
    closeness = np.exp(-0.5 * ((base[primary_cols] - budget[:, None]) / 1800.0) ** 2)
    weights = pop[primary_cols] * (closeness + 0.02)
    cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    pick = primary_cols[(cum < rng.random(n)[:, None]).sum(axis=1).clip(max=primary_cols.size - 1)]
    kid = traits["kid"].to_numpy()[client]
    pick = np.where(kid, int(np.flatnonzero(role == "kids")[0]), pick)
    rows = np.arange(n)
    declined = rng.random(n) >= accept_p[rows, pick]
    # A client put off by a price rise skips this visit (books elsewhere or waits).
    # Trading down to a cheaper cut would be realistic too, but it would move the
    # cheaper cut's demand with other services' prices and blur its own elasticity.
    pick = np.where(declined, -1, pick)
    addon_cols = np.flatnonzero(role == "addon")
    remaining = budget - base[np.maximum(pick, 0)]
    addon_p = (
        traits["addon_prop"].to_numpy()[client][:, None]
        * pop[addon_cols]
        * np.where(remaining[:, None] > 0.5 * base[addon_cols], 1.0, 0.25)
    )
    addons = rng.random((n, addon_cols.size)) < addon_p * accept_p[:, addon_cols]
    addons &= (pick >= 0)[:, None] & ~kid[:, None]
    return pick, addons, prices
