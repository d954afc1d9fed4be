"""No-shows that a model can learn the way it would in a real shop.

Each past visit may be preceded, a week earlier (same weekday, same barber), by a
*candidate* booking that the client then missed. Candidates are drawn at
``CANDIDATE_ODDS`` times the client's base odds, go through slotting and booking
times like any booking, and are kept as no-shows with probability true odds over
that rate. Among bookings that look alike (channel, lead time, slot, history) the
odds of a no-show are then the true odds, which is what ``ground_truth`` stores for
every appointment (``no_show_p_1e4``, in appointment-id order, in units of 1e-4).
The client's history (first visit, misses among the last six bookings) is carried
booking by booking, so one vectorised step per booking rank, not per row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from barberbi_desktop.demo.process import CANDIDATE_ODDS, NO_SHOW_EFFECTS

RECENT = 6
_BITS = np.array([bin(i).count("1") for i in range(1 << RECENT)])


def base_odds(traits: pd.DataFrame, client: np.ndarray) -> np.ndarray:
    prop = traits["no_show_prop"].to_numpy()[client]
    return prop / (1 - prop)


def candidates(rng: np.random.Generator, past: pd.DataFrame, traits: pd.DataFrame) -> pd.DataFrame:
    """Candidate missed bookings, one week before some past visits."""
    spawn = np.minimum(1.0, CANDIDATE_ODDS * base_odds(traits, past["client"].to_numpy()))
    cand = past[rng.random(len(past)) < spawn].assign(status="candidate")
    cand["day"] = cand["day"] - 7
    return cand[cand["day"] >= 0]


def _slot_odds(appts: pd.DataFrame) -> np.ndarray:
    """Log-odds shifts that depend on the booking alone (not the client's history)."""
    e = NO_SHOW_EFFECTS
    lead = (appts["start"] - appts["booked_at"]).dt.total_seconds().to_numpy() / 86_400
    lo, hi = e["lead_doublings"]
    doublings = np.clip(np.log2(np.maximum(lead, 1e-3) / 3.0), lo, hi)
    minute = appts["start_minute"].to_numpy()
    weekday = appts["weekday"].to_numpy()
    shift = (
        e["offset"]
        + e["online"] * (appts["channel"].to_numpy() == "online")
        + e["lead_per_doubling"] * doublings
        + e["early"] * (minute < 600)
        + e["late"] * (minute >= 1020)
    )
    for day, value in e["weekday"].items():
        shift = shift + value * (weekday == day)
    return shift


def decide(
    rng: np.random.Generator, appts: pd.DataFrame, traits: pd.DataFrame, survival: float = 1.0
) -> pd.DataFrame:
    """Keep some candidates as no-shows, drop the rest, and add each appointment's true
    no-show probability (``p_no_show``)."""
    appts = appts.sort_values(["client", "start"], kind="stable").reset_index(drop=True)
    n = len(appts)
    client = appts["client"].to_numpy()
    status = appts["status"].to_numpy().astype(object)
    odds0 = base_odds(traits, client)
    cap = np.minimum(1.0, CANDIDATE_ODDS * odds0)
    shift = _slot_odds(appts)
    walk_in = appts["channel"].to_numpy() == "walk_in"
    rank = pd.Series(client).groupby(client).cumcount().to_numpy()
    recent = np.zeros(len(traits), dtype=np.int64)  # bit mask of the last six outcomes
    done = np.zeros(len(traits), dtype=bool)
    p_true = np.zeros(n)
    kept = np.zeros(n, dtype=bool)
    u = rng.random(n)
    order = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[order], np.arange(rank.max() + 2)) if n else [0]
    e = NO_SHOW_EFFECTS
    for r in range(len(bounds) - 1):
        idx = order[bounds[r] : bounds[r + 1]]
        c = client[idx]
        misses = np.minimum(_BITS[recent[c]], 3)
        odds = odds0[idx] * np.exp(
            shift[idx] + e["first_visit"] * ~done[c] + e["recent_miss"] * misses
        )
        odds = np.where(walk_in[idx], 0.0, np.minimum(odds, cap[idx]))
        p_true[idx] = survival * odds / (1 + survival * odds)
        st = status[idx]
        cand = st == "candidate"
        keep = cand & (u[idx] < odds / cap[idx])
        kept[idx] = keep
        outcome = keep | (st == "completed")
        oc = c[outcome]
        recent[oc] = ((recent[oc] << 1) | keep[outcome]) & ((1 << RECENT) - 1)
        done[c[st == "completed"]] = True
    status[kept] = "no_show"
    appts["status"] = status
    appts["p_no_show"] = p_true
    return appts[status != "candidate"].reset_index(drop=True)
