"""What a full no-show run knows about every client at its cutoff, kept in memory so
that bookings made later (after an import the same day) are scored from it alone.

A booking after the cutoff sees its client's whole history up to the cutoff, so one
row per client (counts, last six outcomes, last completed visit) is all its features
read besides the booking's own fields; the same rows give each client's reliability.
Scoring new bookings is then a lookup and a prediction on those bookings only, not a
sort and recompute over every appointment the shop ever had.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from barberbi_desktop.engines.noshow_features import (
    NO_NS,
    AtCutoff,
    Bookings,
    History,
    _logit,
)


@dataclass(frozen=True)
class Lifts:
    """How much more often (times the shop's rate) bookings like these were missed, as
    known at the cutoff: the weights behind each reason's words."""

    lead: tuple[float, ...]  # by LEAD_EDGES band
    channel: dict[str, float]
    first: float
    gap: float


LEAD_EDGES = ((0.0, 1.0), (1.0, 7.0), (7.0, 21.0), (21.0, np.inf))
LONG_GAP_DAYS = 120


def lifts(b: Bookings, at: AtCutoff) -> Lifts:
    train = at.outcome
    y = b.no_show
    rate = y[train].mean() if train.any() else np.nan

    def lift(mask: np.ndarray) -> float:
        m = mask & train
        return float(y[m].mean() / rate) if m.sum() >= 30 and rate > 0 else 1.0

    every = np.arange(len(b))
    lead = at.lead_days(every)
    channel = b.frame["channel"].to_numpy()
    return Lifts(
        lead=tuple(lift((lead >= lo) & (lead < hi)) for lo, hi in LEAD_EDGES),
        channel={c: lift(channel == c) for c in ("online", "phone")},
        first=lift(at.history.first_visit & (at.prior_booked == 0)),
        gap=lift(at.days_since_last(every) > LONG_GAP_DAYS),
    )


@dataclass(frozen=True)
class ClientState:
    cutoff_ns: int
    keys: np.ndarray  # client keys, ascending
    clients: History  # aligned with keys
    prior: tuple[float, float]  # the Beta prior of clients' rates
    shop_rate: float
    barber_ids: np.ndarray
    barber_logit: np.ndarray  # aligned with barber_ids
    prices: pd.Series  # per service
    lifts: Lifts
    booked_known: bool  # the exports say when bookings were made

    @classmethod
    def at(cls, b: Bookings, at: AtCutoff) -> ClientState:
        return cls(
            cutoff_ns=at.cutoff_ns,
            keys=at.client_keys,
            clients=at.clients,
            prior=at.client_prior,
            shop_rate=at.shop_rate,
            barber_ids=b.barber_ids,
            barber_logit=at.barber_logit,
            prices=b.prices,
            lifts=lifts(b, at),
            booked_known=b.features_known["lead_days"],
        )

    def history(self, keys: np.ndarray) -> History:
        """Each key's history at the cutoff; a client the state has not seen (or a
        booking with no client) has none: no bookings, a first visit."""
        pos = np.searchsorted(self.keys, keys)
        pos = np.minimum(pos, max(len(self.keys) - 1, 0))
        found = (keys >= 0) & (self.keys[pos] == keys) if len(self.keys) else keys < NO_NS

        def pick(values: np.ndarray, default: object) -> np.ndarray:
            if not len(values):
                return np.full(len(keys), default, dtype=values.dtype)
            return np.where(found, values[pos], default)

        c = self.clients
        return History(
            prior_booked=pick(c.prior_booked, 0),
            prior_missed=pick(c.prior_missed, 0),
            missed_recent=pick(c.missed_recent, 0),
            booked_recent=pick(c.booked_recent, 0),
            first_visit=pick(c.first_visit, True),
            last_done_ns=pick(c.last_done_ns, NO_NS),
        )

    def barbers(self, b: Bookings) -> np.ndarray:
        """The state's barber logits by ``b``'s barber codes; a barber without history
        gets the shop's rate (what the shrinkage gives with no bookings)."""
        known = pd.Series(self.barber_logit, index=self.barber_ids, dtype=float)
        known = known[~known.index.duplicated()]
        shop = _logit(np.array([self.shop_rate]))[0] if np.isfinite(self.shop_rate) else np.nan
        return known.reindex(b.barber_ids).fillna(shop).to_numpy(dtype=float)
