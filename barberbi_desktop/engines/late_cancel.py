"""Late-cancellation risk: the chance that a booking still in the book is cancelled in
its last day, too late for the chair to be filled.

The same machinery as no-shows (`noshow_method`: the weekly replay, the choice between
the calibrated candidates and each client's own shrunk rate, the fit at the cutoff),
learnt from the bookings the exports say were cancelled late. Only an export that says
*when* a booking was cancelled can teach it (Fresha's ``Cancelled date``); a shop
whose exports do not gets the reason, and every booking's late-cancellation risk stays
unknown (None), never 0. A booking from a source that does not give cancellation
times is unknown too, even in a shop where another source does.

Learnt conditionally: among bookings still held a day before their start, those then
cancelled (``noshow_features.prepare(event=LATE)``). A cancellation made earlier left
the chair free in time and is not what the owner needs to act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from barberbi_desktop.engines.data import RunState, ShopData
from barberbi_desktop.engines.noshow_features import (
    LATE,
    LATE_HOURS,
    NO_END,
    Bookings,
    at_cutoff,
    client_rate,
    late_cancelled,
    prepare,
    row_features,
)
from barberbi_desktop.engines.noshow_method import NoShowSettings, Scorer, choose_and_fit
from barberbi_desktop.engines.noshow_state import ClientState

NO_TIMES = (
    "Late cancellations cannot be told from early ones: the exports do not say when a "
    "booking was cancelled (Fresha's appointment list does)."
)
NO_LATE = (
    f"No late-cancellation risk yet: the exports say when bookings were cancelled, but "
    f"none had been cancelled in the last {LATE_HOURS} hours before its start."
)


@dataclass(frozen=True)
class LateCancel:
    """What a run learnt about late cancellations: a scorer, or why there is none."""

    scorer: Scorer | None
    reason: str | None = None
    # The platforms whose exports gave cancellation times, as known at the full run: a
    # later rescoring reads only recent bookings, which may hold no cancellation.
    platforms: frozenset[str] = frozenset()

    def summary(self) -> dict[str, Any]:
        """The run's ``late_cancel`` part: the method and its back-test, or the reason."""
        s = self.scorer
        if s is None:
            return {"known": False, "reason": self.reason}
        backtest = dict(s.backtest)
        if "no_shows" in backtest:
            backtest["late_cancels"] = backtest.pop("no_shows")
        return {
            "known": True,
            "hours": LATE_HOURS,
            "method": s.method,
            "model": s.model,
            "sentence": s.sentence,
            "backtest": backtest,
            "features_used": list(s.used),
        }


def _platforms(appts: pd.DataFrame) -> pd.Series:
    if "source_platform" not in appts:
        return pd.Series("", index=appts.index, dtype=object)
    return appts["source_platform"].astype(object).fillna("")


def timed_platforms(data: ShopData) -> frozenset[str]:
    """The platforms some of whose cancelled bookings say when they were cancelled."""
    _, cancelled_ns = late_cancelled(data.appointments)
    return frozenset(_platforms(data.appointments)[cancelled_ns != NO_END].unique())


def learn(
    data: ShopData,
    cutoff_ns: int,
    as_of: date,
    settings: NoShowSettings,
    state: RunState,
    span: tuple[float, float],
    platforms: frozenset[str] | None = None,
) -> tuple[LateCancel, Bookings | None]:
    """Replay, choose and fit on the late cancellations known at the cutoff; also the
    prepared bookings, for `risks` in the same run (3 s a preparation on a chain; not
    kept with the scorer, which the runner holds in memory between runs).
    ``platforms``: `timed_platforms` of ``data``, when the caller has them already."""
    platforms = timed_platforms(data) if platforms is None else platforms
    if not platforms:
        return LateCancel(None, NO_TIMES), None
    b = prepare(data, event=LATE)
    at = at_cutoff(b, cutoff_ns)
    if not (at.outcome & b.no_show).any():
        return LateCancel(None, NO_LATE, platforms), b
    clients = ClientState.at(b, at)
    scorer, _ = choose_and_fit(b, at, as_of, clients, settings, state, LATE, span)
    return LateCancel(scorer, platforms=platforms), b


def with_client_counts(late: LateCancel | None, clients: pd.DataFrame) -> pd.DataFrame:
    """Add each client's late cancellations (``late_cancels`` of ``late_booked``) as
    known at the run's cutoff, from platforms that say when cancellations came; NaN
    for every client when the run learnt no late cancellations."""
    out = clients.copy()
    if late is None or late.scorer is None or not len(out):
        out["late_cancels"] = np.nan
        out["late_booked"] = np.nan
        return out
    history = late.scorer.state.history(out.index.to_numpy(dtype=np.int64))
    seen = history.prior_booked > 0  # else unknown (a new client, or untimed exports only)
    out["late_cancels"] = np.where(seen, history.prior_missed, np.nan)
    out["late_booked"] = np.where(seen, history.prior_booked, np.nan)
    return out


def new_sources(late: LateCancel | None, data: ShopData) -> bool:
    """Whether ``data`` holds cancellation times from a platform the kept run did not
    learn from (an import since then): the late side must be learnt again."""
    known = late.platforms if late is not None else frozenset()
    return bool(timed_platforms(data) - known)


def risks(
    data: ShopData,
    late: LateCancel | None,
    cutoff_ns: int,
    ids: np.ndarray,
    prepared: Bookings | None = None,
) -> np.ndarray:
    """The late-cancellation risk of each booking in ``ids`` (appointment ids) as known
    at the cutoff; NaN where unknown (no scorer, or a source without cancellation
    times). Reads only the run's kept client histories, like no-show scoring.
    ``prepared``: `learn`'s bookings of the same data."""
    out = np.full(len(ids), np.nan)
    if late is None or late.scorer is None or not len(ids):
        return out
    s = late.scorer
    b = prepared if prepared is not None else prepare(data, prices=s.state.prices, event=LATE)
    t = cutoff_ns
    appts = data.appointments
    timed_source = pd.Series(  # appointment ids are unique
        _platforms(appts).isin(late.platforms).to_numpy(), index=appts["appointment_id"]
    )
    ok = timed_source.reindex(b.frame["appointment_id"].to_numpy(), fill_value=False).to_numpy(
        dtype=bool
    )
    rows = np.flatnonzero((b.start_ns > t) & (b.booked_ns <= t) & (b.gone_ns > t) & ok)
    history = s.state.history(b.client_key[rows])
    if s.fitted is not None:
        x = row_features(b, rows, history, s.state.prior, s.state.barbers(b))
        p = s.fitted.predict(x)
    else:
        p = client_rate(history, s.state.prior)
    found = pd.Series(p, index=b.frame["appointment_id"].to_numpy()[rows])
    found = found[~found.index.duplicated()]
    return found.reindex(pd.Index(ids)).to_numpy(dtype=float)
