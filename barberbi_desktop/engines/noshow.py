"""No-show risk for upcoming bookings, and each client's reliability.

For every booking that starts after the cutoff and was made by then (a booking
without a booking time counts as made: some exports do not say, and the result
says so), the probability that it ends as a no-show, with its reasons in words
("booked online 3 weeks ahead; missed 2 of their last 6"). The method is chosen by
replaying the last 13 weeks (`noshow_backtest`): a calibrated model is used only if
it beat each client's own shrunk rate there, else that rate is. Late cancellations
are learnt the same way (`late_cancel`) where the exports say when bookings were
cancelled; elsewhere their risk is unknown (None) with the reason, never 0.

Money and time at stake come from the booking's service price (its sale where rung
up, else the list price) and its length (``known.visit_minutes``); unknown stays
unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from barberbi_desktop.engines import late_cancel
from barberbi_desktop.engines.data import RunState, ShopData
from barberbi_desktop.engines.late_cancel import NO_TIMES
from barberbi_desktop.engines.noshow_features import (
    DAY_NS,
    Bookings,
    at_cutoff,
    client_rate,
    prepare,
    row_features,
)
from barberbi_desktop.engines.noshow_method import NoShowSettings, Scorer, choose_and_fit
from barberbi_desktop.engines.noshow_report import (
    num,
    reasons,
    records,
    records_clients,
    reliability,
)
from barberbi_desktop.engines.noshow_state import ClientState

NO_INFO = (
    "No-show risk needs no-shows: the imported exports record none (they hold completed "
    "visits only, or every booking kept), so there is nothing to learn from."
)
NO_BOOKINGS = "No-show risk needs bookings: the shop has none yet; import an export first."
NO_BOOKED_AT = (
    "The exports do not say when bookings were made: every booking after the cutoff is "
    "treated as known, and lead time is left out."
)


@dataclass(frozen=True)
class NoShowResult:
    as_of: date
    cutoff: datetime
    method: str  # "model" | "client_rate" | "none"
    model: str | None  # which candidate when method == "model"
    sentence: str
    notes: list[str]
    upcoming: pd.DataFrame  # one row per booking in the horizon, soonest first
    clients: pd.DataFrame  # reliability per client id
    backtest: dict[str, Any]
    base_rate: float | None
    features_used: list[str] = field(default_factory=list)
    features_left_out: list[str] = field(default_factory=list)
    scorer: Scorer | None = None  # kept in memory to score later bookings (`rescore`)
    # The replay's bookings: appointment_id, week (cutoff), outcome and every method's
    # prediction; for checking the back-test, not stored.
    replayed: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> dict[str, Any]:
        """The small parts, stored as the run's metrics: the bookings and clients go to
        tables of their own (``jobs.noshow_job``)."""
        up = self.upcoming
        at_stake = {
            "bookings": len(up),
            "expected_no_shows": num(up["risk"].sum()) if len(up) else 0.0,
            "expected_minutes": num((up["risk"] * up["minutes"]).sum()) if len(up) else 0.0,
            "expected_cents": int(np.rint((up["risk"] * up["price_cents"]).sum()))
            if len(up)
            else 0,
        }
        # Late cancellations: only bookings whose risk is known count; none known is
        # unknown (None), not "nothing at stake".
        late = up["late_cancel_risk"] if "late_cancel_risk" in up else pd.Series(dtype=float)
        known = late.notna()
        at_stake["expected_late_cancels"] = num(late[known].sum()) if known.any() else None
        priced = known & up["price_cents"].notna() if len(up) else known
        at_stake["expected_late_cents"] = (  # no known price at all: unknown, not $0
            int(np.rint((late[priced] * up.loc[priced, "price_cents"]).sum()))
            if priced.any()
            else None
        )
        return {
            "engine": "noshow",
            "as_of": self.as_of.isoformat(),
            "cutoff": self.cutoff.isoformat(),
            "method": self.method,
            "model": self.model,
            "sentence": self.sentence,
            "notes": self.notes,
            "base_rate": self.base_rate,
            "features_used": self.features_used,
            "features_left_out": self.features_left_out,
            "late_cancel": self.late_cancel_summary(),
            "backtest": self.backtest,
            "at_stake": at_stake,
            "counts": {"upcoming": len(up), "clients": len(self.clients)},
        }

    def late_cancel_summary(self) -> dict[str, Any]:
        late = self.scorer.late if self.scorer is not None else None
        return late.summary() if late is not None else {"known": False, "reason": NO_TIMES}

    def upcoming_records(self) -> list[dict[str, Any]]:
        """The listed bookings as JSON rows (the command line's ``upcoming``)."""
        return records(self.upcoming)

    def client_records(self) -> dict[str, dict[str, Any]]:
        """Reliability per client id as JSON rows."""
        return records_clients(self.clients)


def cutoff_for(data: ShopData, as_of: date, now: datetime | None = None) -> pd.Timestamp:
    """The instant the analysis stands at: ``now`` (naive, shop time) if given, else the
    end of ``as_of`` in the shop's zone (its first location's, as the scheduler uses)."""
    zone = "UTC"
    if len(data.locations) and "timezone" in data.locations:
        zone = str(data.locations.sort_values("location_id")["timezone"].iloc[0] or "UTC")
    local = now if now is not None else datetime.combine(as_of + timedelta(days=1), time())
    return pd.Timestamp(local.replace(tzinfo=ZoneInfo(zone))).tz_convert("UTC")


def run(
    data: ShopData,
    settings: NoShowSettings,
    as_of: date,
    state: RunState | None = None,
    now: datetime | None = None,
) -> NoShowResult:
    """Back-test, choose, fit at the cutoff and score the bookings after it."""
    state = state or RunState()
    cutoff = cutoff_for(data, as_of, now)
    state.step(0.02, "Preparing bookings")
    b = prepare(data)
    at = at_cutoff(b, int(cutoff.value))
    clients = ClientState.at(b, at)
    platforms = late_cancel.timed_platforms(data)  # read once, for both uses below
    replayed = pd.DataFrame()
    # One thread for OpenMP and BLAS alike: on a busy two-core computer the pools'
    # spinning threads made each boosting fit ten times slower and each logistic fit
    # eight times (2.4 s -> 0.3 s on the chain's 60,000 training rows).
    with threadpool_limits(limits=1):
        if not (at.outcome & b.no_show).any():
            said = NO_INFO if len(b) else NO_BOOKINGS
            scorer = Scorer(as_of, "none", None, None, said, {}, clients)
        else:
            span = (0.1, 0.45) if platforms else (0.1, 0.75)
            scorer, replayed = choose_and_fit(b, at, as_of, clients, settings, state, span=span)
        late, late_b = late_cancel.learn(
            data, int(cutoff.value), as_of, settings, state, (0.5, 0.85), platforms
        )
        scorer = replace(scorer, late=late)
        state.step(0.9, "Scoring bookings and writing reasons")
        result = _result(data, b, as_of, cutoff, scorer, settings, late_b)
    return replace(result, replayed=replayed)


def rescore(
    data: ShopData,
    scorer: Scorer,
    as_of: date,
    settings: NoShowSettings | None = None,
    now: datetime | None = None,
) -> NoShowResult:
    """Score the bookings known now with an earlier run's model, back-test and client
    histories: no replay, no fit, no pass over past appointments. ``data`` needs only
    the appointments from the earlier run's cutoff on (`load_shop_data(start=...)`);
    clients' histories stay as they were at that cutoff."""
    settings = settings or NoShowSettings()
    cutoff = cutoff_for(data, as_of, now)
    b = prepare(data, prices=scorer.state.prices)
    with threadpool_limits(limits=1):
        return _result(data, b, as_of, cutoff, scorer, settings)


def _result(
    data: ShopData,
    b: Bookings,
    as_of: date,
    cutoff: pd.Timestamp,
    scorer: Scorer,
    settings: NoShowSettings,
    late_b: Bookings | None = None,
) -> NoShowResult:
    """Score every booking after the cutoff that was made by then, from the kept client
    histories alone; words only for those within the horizon. ``late_b``: the late-
    cancellation bookings the same run prepared."""
    t = int(cutoff.value)
    state = scorer.state
    rows = np.flatnonzero((b.start_ns > t) & (b.booked_ns <= t))
    rows = rows[np.lexsort((b.frame["appointment_id"].to_numpy()[rows], b.start_ns[rows]))]
    history = state.history(b.client_key[rows])
    if scorer.fitted is not None:
        x = row_features(b, rows, history, state.prior, state.barbers(b))
        risk = scorer.fitted.predict(x)
    elif scorer.method == "client_rate":
        risk = client_rate(history, state.prior)
    else:
        risk = np.full(len(rows), np.nan)
    f = b.frame
    names = (
        data.barbers.drop_duplicates("barber_id").set_index("barber_id")["name"]
        if len(data.barbers) and "name" in data.barbers
        else pd.Series(dtype=object)
    )
    upcoming = pd.DataFrame(
        {
            "appointment_id": f["appointment_id"].to_numpy()[rows],
            "start": pd.to_datetime(b.start_ns[rows], utc=True),
            "client_id": f["client_id"].to_numpy()[rows],
            "barber_id": f["barber_id"].to_numpy()[rows],
            "risk": risk,
            "price_cents": f["price_cents"].to_numpy()[rows],
            "minutes": f["minutes"].to_numpy()[rows],
        }
    )
    clients = late_cancel.with_client_counts(
        scorer.late, reliability(state, upcoming, settings.interval)
    )
    horizon = t + settings.horizon_days * DAY_NS
    listed = np.flatnonzero(b.start_ns[rows] <= horizon)
    upcoming = upcoming.iloc[listed].reset_index(drop=True)
    ids = upcoming["appointment_id"].to_numpy()
    late = late_cancel.risks(data, scorer.late, t, ids, late_b)
    upcoming.insert(5, "late_cancel_risk", late)
    barber = upcoming["barber_id"].map(names).astype(object)
    upcoming.insert(4, "barber", barber.where(barber.notna(), None))
    if scorer.method == "none":
        upcoming["reasons"] = NO_INFO
    else:
        part = type(history)(*(getattr(history, k)[listed] for k in history.__dataclass_fields__))
        upcoming["reasons"] = reasons(b, rows[listed], part, state.lifts)
    # No note for a shop with no bookings at all: its sentence already says so.
    bookings = len(b) or len(state.keys)
    notes = [] if state.booked_known or not bookings else [NO_BOOKED_AT]
    return NoShowResult(
        as_of=as_of,
        cutoff=cutoff.to_pydatetime(),
        method=scorer.method,
        model=scorer.model,
        sentence=scorer.sentence,
        notes=notes,
        upcoming=upcoming,
        clients=clients,
        backtest=scorer.backtest,
        base_rate=state.shop_rate if np.isfinite(state.shop_rate) else None,
        features_used=list(scorer.used),
        features_left_out=list(scorer.left_out),
        scorer=scorer,
    )
