"""Words and per-client figures for the no-show result: reasons, reliability, JSON rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import beta as beta_dist

from barberbi_desktop.engines.noshow_features import Bookings, History, _lead, _since
from barberbi_desktop.engines.noshow_state import LEAD_EDGES, LONG_GAP_DAYS, ClientState, Lifts


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
                "late_cancel_risk": num(r.late_cancel_risk),
                "price_cents": None if r.price_cents != r.price_cents else int(r.price_cents),
                "minutes": num(r.minutes),
                "reasons": r.reasons,
            }
        )
    return out


def records_clients(clients: pd.DataFrame) -> dict[str, dict[str, Any]]:
    cols = ["missed", "booked", "own_rate", "rate_low", "rate_high", "next_risk",
            "late_cancels", "late_booked"]  # fmt: skip
    values = clients.reindex(columns=cols).to_numpy(dtype=float)
    ids = clients.index.to_numpy()
    return {
        str(int(c)): {
            "missed": int(v[0]),
            "booked": int(v[1]),
            "own_rate": num(v[2]),
            "rate_low": num(v[3]),
            "rate_high": num(v[4]),
            "next_risk": num(v[5]),
            "late_cancels": None if v[6] != v[6] else int(v[6]),
            "late_booked": None if v[7] != v[7] else int(v[7]),
        }
        for c, v in zip(ids, values, strict=True)
    }


def reasons(b: Bookings, rows: np.ndarray, history: History, lifts: Lifts) -> list[str]:
    """Each booking's reasons in words, strongest first: what in its booking or its
    client's history made such bookings more (or less) often missed in this shop.
    ``history`` is the clients' history for ``rows``, in the same order."""
    lead = _lead(b, rows)
    since = _since(b.start_ns[rows], history.last_done_ns)
    channel = b.frame["channel"].to_numpy()[rows]
    out = []
    for k in range(len(rows)):
        parts: list[tuple[float, str]] = []
        missed, booked = int(history.missed_recent[k]), int(history.booked_recent[k])
        prior_booked = int(history.prior_booked[k])
        if prior_booked == 0:
            parts.append((lifts.first, "first booking with the shop"))
        elif missed:
            parts.append((9.0 + missed, f"missed {missed} of their last {booked}"))
        elif prior_booked >= 4 and history.prior_missed[k] == 0:
            parts.append((0.5, f"never missed in {prior_booked} bookings"))
        ld = lead[k]
        if ld == ld:
            which = next(j for j, (lo, hi) in enumerate(LEAD_EDGES) if lo <= ld < hi)
            how = f"{_lead_words(ld)}" if which else "booked the same day"
            via = channel[k] if channel[k] in lifts.channel else None
            words = f"booked {via} {how[7:]}" if via and which else how
            parts.append((max(lifts.lead[which], lifts.channel.get(via, 1.0)), words))
        if since[k] > LONG_GAP_DAYS and lifts.gap >= 1.2:
            months = int(np.rint(since[k] / 30.4))
            parts.append((lifts.gap, f"last visit {months} months ago"))
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


def reliability(state: ClientState, upcoming: pd.DataFrame, interval: float) -> pd.DataFrame:
    """Per client: bookings with a known outcome and misses by the cutoff, the own
    rate, a Beta-posterior interval (the shop's prior plus the client's counts) and the
    risk of their next booking (``upcoming`` sorted soonest first). Clients with
    neither history nor a booking are left out."""
    c = state.clients
    frame = pd.DataFrame(
        {"missed": c.prior_missed, "booked": c.prior_booked},
        index=pd.Index(state.keys, name="client_id"),
    )
    nxt = upcoming.dropna(subset=["client_id"]).drop_duplicates("client_id")
    nxt = nxt.set_index(nxt["client_id"].astype(np.int64))["risk"]
    frame = frame[frame["booked"] > 0]
    new = nxt.index.difference(frame.index)
    if len(new):
        zero = pd.DataFrame({"missed": 0, "booked": 0}, index=new)
        frame = pd.concat([frame, zero]).sort_index().rename_axis("client_id")
    missed = frame["missed"].to_numpy(dtype=np.int64)
    booked = frame["booked"].to_numpy(dtype=np.int64)
    # The interval depends on the counts alone: one Beta quantile per distinct pair.
    pairs, inverse = np.unique(booked << 32 | missed, return_inverse=True)
    n, k = (pairs >> 32).astype(float), (pairs & 0xFFFFFFFF).astype(float)
    a, b_ = state.prior
    tail = (1 - interval) / 2
    frame["own_rate"] = np.where(booked > 0, missed / np.maximum(booked, 1), np.nan)
    frame["rate_low"] = beta_dist.ppf(tail, a + k, b_ + n - k)[inverse.reshape(-1)]
    frame["rate_high"] = beta_dist.ppf(1 - tail, a + k, b_ + n - k)[inverse.reshape(-1)]
    frame["next_risk"] = nxt.reindex(frame.index).to_numpy(dtype=float)
    return frame.astype({"missed": "int64", "booked": "int64"})
