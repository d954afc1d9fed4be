"""Words and per-client figures for the no-show result: reasons, reliability, JSON rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import beta as beta_dist

from barberbi_desktop.engines.noshow_features import AtCutoff, Bookings


def num(value: Any) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def records(up: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for r in up.itertuples(index=False):
        out.append(
            {
                "appointment_id": int(r.appointment_id),
                "start": r.start.isoformat(),
                "client_id": None if r.client_id != r.client_id else int(r.client_id),
                "barber": r.barber,
                "barber_id": None if r.barber_id != r.barber_id else int(r.barber_id),
                "risk": num(r.risk),
                "late_cancel_risk": None,
                "price_cents": None if r.price_cents != r.price_cents else int(r.price_cents),
                "minutes": num(r.minutes),
                "reasons": r.reasons,
            }
        )
    return out


def records_clients(clients: pd.DataFrame) -> dict[str, dict[str, Any]]:
    cols = ["missed", "booked", "own_rate", "rate_low", "rate_high", "next_risk"]
    values = clients[cols].to_numpy(dtype=float)
    ids = clients.index.to_numpy()
    return {
        str(int(c)): {
            "missed": int(v[0]),
            "booked": int(v[1]),
            "own_rate": num(v[2]),
            "rate_low": num(v[3]),
            "rate_high": num(v[4]),
            "next_risk": num(v[5]),
        }
        for c, v in zip(ids, values, strict=True)
    }


def reasons(b: Bookings, at: AtCutoff, rows: np.ndarray) -> list[str]:
    """Each booking's reasons in words, strongest first: what in its booking or its
    client's history made such bookings more (or less) often missed in this shop."""
    train = at.outcome
    y = b.no_show
    rate = y[train].mean() if train.any() else np.nan

    def lift(mask: np.ndarray) -> float:
        m = mask & train
        return float(y[m].mean() / rate) if m.sum() >= 30 and rate > 0 else 1.0

    lead = at.lead_days
    lead_edges = [(0, 1), (1, 7), (7, 21), (21, np.inf)]
    lead_lift = [lift((lead >= lo) & (lead < hi)) for lo, hi in lead_edges]
    channel = b.frame["channel"].to_numpy()
    chan_lift = {c: lift(channel == c) for c in ("online", "phone")}
    first_lift = lift(at.first_visit & (at.prior_booked == 0))
    long_gap = at.days_since_last > 120
    gap_lift = lift(long_gap)
    out = []
    for i in rows:
        parts: list[tuple[float, str]] = []
        missed, booked = int(at.missed_recent[i]), int(at.booked_recent[i])
        if at.prior_booked[i] == 0:
            parts.append((first_lift, "first booking with the shop"))
        elif missed:
            parts.append((9.0 + missed, f"missed {missed} of their last {booked}"))
        elif at.prior_booked[i] >= 4 and at.prior_missed[i] == 0:
            parts.append((0.5, f"never missed in {int(at.prior_booked[i])} bookings"))
        ld = lead[i]
        if ld == ld:
            which = next(j for j, (lo, hi) in enumerate(lead_edges) if lo <= ld < hi)
            how = f"{_lead_words(ld)}" if which else "booked the same day"
            via = channel[i] if channel[i] in chan_lift else None
            words = f"booked {via} {how[7:]}" if via and which else how
            parts.append((max(lead_lift[which], chan_lift.get(via, 1.0)), words))
        if long_gap[i] and gap_lift >= 1.2:
            months = int(np.rint(at.days_since_last[i] / 30.4))
            parts.append((gap_lift, f"last visit {months} months ago"))
        keep = [p for p in sorted(parts, key=lambda p: -p[0]) if p[0] >= 1.15 or p[0] == 0.5]
        out.append("; ".join(w for _, w in keep[:3]) or "nothing stands out")
    return out


def _lead_words(days: float) -> str:
    if days < 1:
        return "booked the same day"
    if days < 13.5:
        return f"booked {round(days)} day{'s' if round(days) != 1 else ''} ahead"
    weeks = round(days / 7)
    return f"booked {weeks} weeks ahead"


def reliability(b: Bookings, at: AtCutoff, upcoming: pd.DataFrame, interval: float) -> pd.DataFrame:
    """Per client: bookings with a known outcome and misses by the cutoff, the own
    rate, a Beta-posterior interval (the shop's prior plus the client's counts) and the
    risk of their next booking. Clients with neither history nor a booking are left out."""
    s = b.group_start
    n = len(s)
    last_row = np.r_[s[1:] != s[:-1], True] if n else np.zeros(0, bool)
    real = last_row & (b.client_key >= 0)
    end = np.flatnonzero(real)
    first = s[end]
    past_count = np.bincount(s, weights=at.past, minlength=n)[first].astype(np.int64)
    c_out = np.r_[0, np.cumsum(at.outcome)]
    c_miss = np.r_[0, np.cumsum(at.outcome & b.no_show)]
    booked = c_out[first + past_count] - c_out[first]
    missed = c_miss[first + past_count] - c_miss[first]
    a, b_ = at.client_prior
    tail = (1 - interval) / 2
    frame = pd.DataFrame(
        {
            "missed": missed,
            "booked": booked,
            "own_rate": np.where(booked > 0, missed / np.maximum(booked, 1), np.nan),
            "rate_low": beta_dist.ppf(tail, a + missed, b_ + booked - missed),
            "rate_high": beta_dist.ppf(1 - tail, a + missed, b_ + booked - missed),
        },
        index=pd.Index(b.client_key[end], name="client_id"),
    )
    nxt = upcoming.dropna(subset=["client_id"]).drop_duplicates("client_id")
    frame["next_risk"] = nxt.set_index(nxt["client_id"].astype(np.int64))["risk"]
    keep = (frame["booked"] > 0) | frame["next_risk"].notna()
    return frame[keep]
