"""When the demo's cancelled bookings were cancelled, so that late cancellations can be
learnt the way a real shop's Fresha export lets them be.

Which bookings are cancelled is decided elsewhere (`location._with_missed`); here each
cancelled booking gets its cancellation instant. Owners describe the same pattern:
a few clients habitually cancel at the last minute, online bookings are dropped more
casually, and a booking made a day ahead can only be cancelled late. So each client
has a propensity to cancel late (Beta, drawn here), shifted by channel and lead time
(``LATE_CANCEL_EFFECTS``, stored in ``ground_truth``); a late cancellation falls in the
last ``LATE_HOURS`` before the start, an early one anywhere between booking and then.

Its own random stream (seeded from the demo's seed and the location), so adding
cancellation times left every other part of the demo as it was.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LATE_HOURS = 24
LATE_CANCEL_EFFECTS = {
    "client_beta": (1.2, 2.4),  # each client's base share of cancellations made late
    "online": 0.5,  # log odds ratio
    "lead_per_doubling": -0.35,  # per doubling of the lead time beyond 3 days
    "lead_doublings": (-1.5, 2.5),
}


def timing(rng: np.random.Generator, appts: pd.DataFrame, n_clients: int) -> pd.DataFrame:
    """Add ``cancelled_at`` (UTC; NaT unless cancelled) and ``p_late_given_cancel``."""
    e = LATE_CANCEL_EFFECTS
    late_prop = rng.beta(*e["client_beta"], n_clients)
    gone = (appts["status"] == "cancelled").to_numpy()
    a = appts.loc[gone]
    start, booked = a["start"], a["booked_at"]
    lead = (start - booked).dt.total_seconds().to_numpy() / 86_400
    lo, hi = e["lead_doublings"]
    doublings = np.clip(np.log2(np.maximum(lead, 1e-3) / 3.0), lo, hi)
    base = late_prop[a["client"].to_numpy()]
    logit = (
        np.log(base / (1 - base))
        + e["online"] * (a["channel"].to_numpy() == "online")
        + e["lead_per_doubling"] * doublings
    )
    p_late = 1 / (1 + np.exp(-logit))
    window = lead * 24 <= LATE_HOURS  # booked inside the window: any cancellation is late
    p_late = np.where(window, 1.0, p_late)
    late = rng.random(len(a)) < p_late
    u = rng.random(len(a))
    hours_before = np.where(
        late,
        np.minimum(u * LATE_HOURS, lead * 24),
        LATE_HOURS + u * np.maximum(lead * 24 - LATE_HOURS, 0),
    )
    at = start - pd.to_timedelta(np.rint(hours_before * 60), unit="min")
    out = appts.copy()
    # Whole seconds (the database's unit), never before the booking was made.
    at = at.where(at >= booked, booked).dt.ceil("s")
    out["cancelled_at"] = at.reindex(out.index).astype(start.dtype)
    out["p_late_given_cancel"] = np.nan
    out.loc[gone, "p_late_given_cancel"] = p_late
    return out
