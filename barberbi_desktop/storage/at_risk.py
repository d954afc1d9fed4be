"""Bookings at risk of a no-show, read from the latest stored no-show run: the
Dashboard's list, the call list, the morning alert and the Clients tab's reliability.

Qt-free (the window calls it on a worker; the alert job and the command line call it
directly). The run's scored bookings and client reliability are rows of
``noshow_risks`` and ``client_reliability`` (written by `jobs.noshow_job`, whose
readers import the engine and scikit-learn: 1.5 s on a loader thread, so the few
queries the app needs are here). The Dashboard's query brings back the two days'
bookings with their names, phones, services and zones; the Clients tab's
reliability comes through the frame reader process as Arrow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import text

from barberbi_desktop.engines.revenue_deposits import ClientRisks
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.export import write_table
from barberbi_desktop.storage.results import RunInfo, latest_run, run_by_id
from barberbi_desktop.storage.settings import shop_zone

ENGINE = "noshow"
# A booking is "at risk" when its chance of a no-show is at least twice the shop's usual
# rate, and never below one in ten (a call about a 3% booking wastes the owner's time).
AT_RISK_MULTIPLE = 2.0
AT_RISK_FLOOR = 0.10
RELIABILITY = ("client_id", "missed", "booked", "own_rate", "rate_low", "rate_high",
               "next_risk", "late_cancels", "late_booked")  # fmt: skip


@dataclass(frozen=True)
class NoShowRun:
    """The latest no-show run as the app shows it: its small parts only (``run.metrics``
    holds method, sentence, base_rate and backtest; the bookings and clients stay in
    the database)."""

    run: RunInfo
    no_info: str | None  # the sentence of a shop whose exports carry no no-shows
    method: str | None  # "model", "client_rate" or "none"
    method_sentence: str
    backtest: dict[str, Any]
    at_risk_cut: float  # the risk from which a booking counts as at risk
    # The run's late-cancellation part: known, sentence and back-test, or the reason.
    late: dict[str, Any] = field(default_factory=dict)

    @property
    def late_known(self) -> bool:
        return bool(self.late.get("known"))

    @property
    def as_of(self) -> date:
        return self.run.as_of


def _reasons(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def at_risk_cut(backtest: dict[str, Any]) -> float:
    """Twice the shop's usual no-show rate, at least `AT_RISK_FLOOR`."""
    base = backtest.get("base_rate")
    if base is None or not np.isfinite(base):
        return AT_RISK_FLOOR
    return max(AT_RISK_MULTIPLE * float(base), AT_RISK_FLOOR)


def read_noshow(db: Database, run_id: int | None = None) -> NoShowRun | None:
    """The latest successful no-show run (or run ``run_id``), or None before the first.
    The run's summary is small since its rows moved to tables of their own (2.6 kB on
    the chain), so it is read whole."""
    run = latest_run(db, ENGINE) if run_id is None else run_by_id(db, run_id, ENGINE)
    if run is None:
        return None
    stored = run.metrics if isinstance(run.metrics, dict) else {}
    method, sentence = stored.get("method"), stored.get("sentence")
    base_rate, backtest = stored.get("base_rate"), stored.get("backtest")
    late = stored.get("late_cancel")
    sentence, backtest = str(sentence or ""), backtest if isinstance(backtest, dict) else {}
    if backtest.get("base_rate") is None and base_rate is not None:
        backtest["base_rate"] = float(base_rate)
    no_info = (sentence or "The imported bookings say nothing about no-shows.") if (
        method == "none") else None  # fmt: skip
    return NoShowRun(
        run=run,
        no_info=no_info,
        method=method,
        method_sentence=sentence,
        backtest=backtest,
        at_risk_cut=at_risk_cut(backtest),
        late=late if isinstance(late, dict) else {},
    )


def risk_text(value: float) -> str:
    """A chance as a whole percent; never "0%" or "100%", which no forecast is."""
    v = float(value)
    return "under 1%" if v < 0.005 else "over 99%" if v > 0.995 else f"{v:.0%}"


def in_words(auc: float) -> str:
    """A ranking quality (ROC AUC) as "3 times in 4": the smallest whole-number odds
    within two points, else a percentage."""
    for n in range(2, 11):
        k = round(auc * n)
        if 0 < k < n and abs(k / n - auc) <= 0.02:
            return f"{k} times in {n}"
    return f"{auc:.0%} of the time"


def quality_words(result: NoShowRun) -> str:
    """The back-test beside the predictions, in an owner's words (the engine's own,
    more technical sentence is the tooltip)."""
    if result.no_info:
        return result.no_info
    bt = result.backtest
    auc = bt.get("roc_auc")
    if auc is None or not np.isfinite(auc):
        return result.method_sentence or "No back-test yet: too little history to replay."
    weeks = bt.get("weeks")
    replay = f"a replay of the last {weeks} weeks" if weeks else "a replay of recent weeks"
    right = f"right {in_words(float(auc))} at telling a miss from a visit (AUC {auc:.2f})"
    if result.method == "client_rate":
        return (
            f"The risks are each client's own past rate, which was {right} in {replay}; "
            "the model did no better, so it is not used."
        )
    own = (bt.get("baselines") or {}).get("client_rate") or {}
    own_auc = own.get("roc_auc") if isinstance(own, dict) else own
    said = f"In {replay} the risks were {right}"
    if own_auc is not None and np.isfinite(own_auc):
        said += f"; each client's own rate gets {own_auc:.2f}"
    return said + "."


def late_words(result: NoShowRun) -> str:
    """The late-cancellation side in an owner's words: how its risks did in the replay,
    or why there are none (the exports do not say when bookings were cancelled)."""
    late = result.late
    if not late.get("known"):
        return str(late.get("reason") or "")
    bt = late.get("backtest") or {}
    auc = bt.get("roc_auc")
    hours = late.get("hours", 24)
    head = f"Late-cancel risk is the chance of a cancellation in the last {hours} hours"
    if auc is None or not np.isfinite(auc):
        return f"{head}; {late.get('sentence') or 'too little history to replay.'}"
    return (
        f"{head}: in a replay of the last {bt.get('weeks') or 'few'} weeks it was right "
        f"{in_words(float(auc))} at telling a late cancellation from a kept booking "
        f"(AUC {auc:.2f})."
    )


@dataclass
class AtRisk:
    """Today's remaining and tomorrow's bookings, riskiest first, with what is at stake."""

    result: NoShowRun
    today: date
    bookings: pd.DataFrame  # enriched: name, phone, service, local start, day, at_risk
    stake: dict[str, dict[str, float]] = field(default_factory=dict)  # "today"/"tomorrow"

    @property
    def tomorrow(self) -> date:
        return self.today + timedelta(days=1)

    def day(self, which: str) -> pd.DataFrame:
        return self.bookings[self.bookings["day"] == which]


def stake(frame: pd.DataFrame) -> dict[str, float]:
    """Expected chair-hours and money lost to no-shows: the sum of risk x minutes and of
    risk x price. A booking of unknown length or price adds nothing to that figure, and
    the count of such bookings is kept so the sentence can say so."""
    risk = frame["risk"].to_numpy(dtype=float)
    minutes = frame["minutes"].to_numpy(dtype=float)
    price = frame["price_cents"].to_numpy(dtype=float)
    late = (frame["late_cancel_risk"] if "late_cancel_risk" in frame else
            pd.Series(np.nan, index=frame.index)).to_numpy(dtype=float)  # fmt: skip
    return {
        # Late cancellations: over the bookings whose late risk is known only.
        "late_known": float((~np.isnan(late)).sum()),
        "late_priced": float((~np.isnan(late) & ~np.isnan(price)).sum()),
        "late_hours": float(np.nansum(late * minutes) / 60),
        "late_cents": float(np.nansum(late * price)),
        "bookings": float(len(frame)),
        "at_risk": float(frame["at_risk"].sum()) if "at_risk" in frame else 0.0,
        "hours": float(np.nansum(risk * minutes) / 60),
        "cents": float(np.nansum(risk * price)),
        "unknown_minutes": float(np.isnan(minutes).sum()),
        "unknown_price": float(np.isnan(price).sum()),
    }


_NEAR_SQL = (
    "SELECT a.id, a.start_utc, a.client_id, b.name, r.risk, r.price_cents, r.minutes, "
    "r.reasons, c.display_name, c.phone, s.name, l.timezone, a.status, r.late_cancel_risk "
    "FROM noshow_risks r JOIN appointments a ON a.id = r.appointment_id "
    "LEFT JOIN barbers b ON b.id = a.barber_id "
    "LEFT JOIN clients c ON c.id = a.client_id LEFT JOIN services s ON s.id = a.service_id "
    "JOIN locations l ON l.id = a.location_id "
    "WHERE r.run_id = :r AND a.start_utc > :lo AND a.start_utc < :hi"
)
_NEAR, _NEAR_AT = text(_NEAR_SQL), text(_NEAR_SQL + " AND a.location_id = :loc")
_NEAR_COLUMNS = ["appointment_id", "start_utc", "client_id", "barber", "risk", "price_cents",
                 "minutes", "reasons", "client", "phone", "service", "zone", "status",
                 "late_cancel_risk"]  # fmt: skip


def _near(db: Database, run_id: int, lo: datetime, hi: datetime,
          location_id: int | None = None) -> pd.DataFrame:  # fmt: skip
    """The run's bookings that now start between two instants, with the barber, the
    client's name and phone, the service and the location's zone (as the database has
    them now: a booking moved since the run is shown at its new time)."""
    with db.read() as conn:
        query = _NEAR if location_id is None else _NEAR_AT
        span = {"r": run_id, "lo": int(lo.timestamp()), "hi": int(hi.timestamp())}
        rows = conn.execute(query, {**span, "loc": location_id}).all()
    frame = pd.DataFrame(rows, columns=_NEAR_COLUMNS)
    return frame.assign(
        start=pd.to_datetime(frame["start_utc"].astype("int64"), unit="s", utc=True),
        risk=pd.to_numeric(frame["risk"]).astype(float),
        late_cancel_risk=pd.to_numeric(frame["late_cancel_risk"]).astype(float),
        price_cents=pd.to_numeric(frame["price_cents"]).astype(float),
        minutes=pd.to_numeric(frame["minutes"]).astype(float),
        reasons=[_reasons(r) for r in frame["reasons"]],
    )


def fetch_days(
    db: Database, result: NoShowRun, day: date, location_id: int | None = None
) -> pd.DataFrame:
    """The run's bookings that can fall on ``day`` or the day after on any location's
    clock (from the shop's midnight minus 26 hours, the widest gap between two zones,
    to two days and 26 hours later); `bookings_at_risk` then picks by each clock.
    ``location_id``: one location's bookings alone (a location manager's view)."""
    midnight = datetime.combine(day, time(), ZoneInfo(shop_zone(db)))
    span = timedelta(hours=26)
    return _near(db, result.run.run_id, midnight - span, midnight + timedelta(days=2) + span,
                 location_id)


def bookings_at_risk(
    db: Database,
    result: NoShowRun,
    now: datetime | None = None,
    on: date | None = None,
    fetched: pd.DataFrame | None = None,
) -> AtRisk:
    """Bookings of the run that start after ``now`` today or at any time tomorrow, on
    each location's own clock, riskiest first. With ``on`` instead, "today" is that
    local day from its midnight in every location (the morning alert's view of the
    run's own day, whatever the clock says). ``fetched``: `fetch_days` of the same
    shop day, kept by the caller (the Dashboard reads them again only when the run,
    the data or the day changes; each read joins the run's rows to the bookings).

    A booking cancelled since the run (its status in the database is no longer
    booked or confirmed) is left out: the owner has nothing to chase there."""
    zone = shop_zone(db)
    if on is not None:
        now = datetime.combine(on, time(), ZoneInfo(zone))
    if now is None or now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    today = on or now.astimezone(ZoneInfo(zone)).date()
    frame = fetch_days(db, result, today) if fetched is None else fetched
    frame = frame[frame["status"].isin(["booked", "confirmed"])].reset_index(drop=True)
    # Each location's clock: local start, local "now" (midnight with ``on``) and today's
    # midnight, as plain datetime64 arrays (an empty day must work on every pandas).
    n = len(frame)
    local, cut, day0 = (np.zeros(n, dtype="datetime64[ns]") for _ in range(3))
    for zone in pd.unique(frame["zone"]):
        rows = (frame["zone"] == zone).to_numpy(dtype=bool)
        starts = pd.DatetimeIndex(frame.loc[rows, "start"]).tz_convert(ZoneInfo(zone))
        local[rows] = starts.tz_localize(None).to_numpy(dtype="datetime64[ns]")
        here = datetime.combine(on, time()) if on else (
            now.astimezone(ZoneInfo(zone)).replace(tzinfo=None))  # fmt: skip
        cut[rows] = np.datetime64(here, "ns")
        day0[rows] = np.datetime64(datetime.combine(here.date(), time()), "ns")
    one = np.timedelta64(1, "D")
    is_today = (local >= day0) & (local < day0 + one) & ((local > cut) | (on is not None))
    is_tomorrow = (local >= day0 + one) & (local < day0 + 2 * one)
    keep = is_today | is_tomorrow
    frame = frame.assign(local=pd.Series(local, dtype="datetime64[ns]"))[keep].assign(
        day=np.where(is_today[keep], "today", "tomorrow")
    )
    frame = frame.assign(at_risk=frame["risk"] >= result.at_risk_cut)
    frame = frame.sort_values(["risk", "start"], ascending=[False, True], kind="stable")
    frame = frame.reset_index(drop=True)
    out = AtRisk(result, today, frame)
    out.stake = {which: stake(frame[frame["day"] == which]) for which in ("today", "tomorrow")}
    return out


def call_list(at_risk: AtRisk, which: str = "tomorrow") -> pd.DataFrame:
    """The at-risk bookings of a day as a spreadsheet table, riskiest first."""
    rows = at_risk.day(which)
    rows = rows[rows["at_risk"]]
    late = rows["late_cancel_risk"] if "late_cancel_risk" in rows else pd.Series(dtype=float)
    extra = {}
    if at_risk.result.late_known:  # blank where a booking's source gives no cancel times
        extra["Late-cancel risk (%)"] = (late * 100).round().astype("Int64")
    return pd.DataFrame(
        {
            "Client": rows["client"].fillna("(no name)").astype(str),
            "Phone": rows["phone"].fillna("").astype(str),
            "Start (local time)": rows["local"].dt.strftime("%Y-%m-%d %H:%M"),
            "Barber": rows["barber"].fillna("").astype(str),
            "Service": rows["service"].fillna("").astype(str),
            "No-show risk (%)": (rows["risk"] * 100).round().astype(int),
            **extra,
            "Why": rows["reasons"].astype(str),
        }
    ).reset_index(drop=True)


def write_call_list(at_risk: AtRisk, path: Path, which: str = "tomorrow") -> int:
    """Write the day's call list as CSV or Excel (by the suffix); returns its rows."""
    return write_table(call_list(at_risk, which), path, sheet="Call list")


_CLIENTS = (
    "SELECT CAST(client_id AS INTEGER) AS client_id, "
    + ", ".join(f"CAST({c} AS REAL) AS {c}" for c in RELIABILITY[1:])
    + " FROM client_reliability WHERE run_id = ?"
)
# The soonest scored booking of each client (SQLite takes a bare column from the row
# that holds the MIN).
# Every listed booking of a client (the next 14 days: 16,000 rows on the chain); the
# soonest per client is picked in pandas. A bare column beside MIN() is SQLite's own
# (PostgreSQL refuses it), and the window-function twin costs more than it saves here.
_NEXT = (
    "SELECT CAST(a.client_id AS INTEGER) AS client_id, "
    "CAST(a.start_utc AS BIGINT) AS next_start_utc, CAST(a.id AS INTEGER) AS appointment_id, "
    "CAST(r.reasons AS TEXT) AS next_reasons, "
    "CAST(r.late_cancel_risk AS REAL) AS next_late_risk "
    "FROM noshow_risks r JOIN appointments a ON a.id = r.appointment_id "
    "WHERE r.run_id = ? AND a.client_id IS NOT NULL"
)


def _query(db: Database, sql: str, run_id: int) -> pd.DataFrame:
    """Through the frame reader (Arrow, no GIL held for 200,000 rows) when the shop is
    a file, else directly."""
    if db.path is not None:
        from barberbi_desktop.storage.frames import read_query

        return read_query(db, sql, (run_id,))
    with db.read() as conn:
        if conn.dialect.paramstyle != "qmark":  # psycopg's placeholder
            sql = sql.replace("?", "%s")
        result = conn.exec_driver_sql(sql, (run_id,))
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def reliability_frame(db: Database, result: NoShowRun) -> pd.DataFrame:
    """Each client's own no-show record and the risk of their next booking: the
    RELIABILITY columns plus ``next_start`` (UTC) and ``next_reasons`` of their soonest
    listed booking. A client the run says nothing about is absent (unknown), never a
    client with no misses."""
    clients = _query(db, _CLIENTS, result.run.run_id)
    out = pd.DataFrame(
        {
            "client_id": pd.to_numeric(clients["client_id"]).astype("int64"),
            **{c: pd.to_numeric(clients[c]).astype(float) for c in RELIABILITY[1:]},
        }
    )
    nxt = _query(db, _NEXT, result.run.run_id)
    for col in ("client_id", "next_start_utc", "appointment_id"):
        nxt[col] = pd.to_numeric(nxt[col]).astype("int64")
    nxt = nxt.sort_values(["client_id", "next_start_utc", "appointment_id"], kind="stable")
    nxt = nxt.drop_duplicates("client_id").reset_index(drop=True)
    nxt = pd.DataFrame(
        {
            "client_id": pd.to_numeric(nxt["client_id"]).astype("int64"),
            "next_start": pd.to_datetime(
                pd.to_numeric(nxt["next_start_utc"]).astype("int64"), unit="s", utc=True
            ),
            "next_reasons": nxt["next_reasons"].astype(object),
            "next_late_risk": pd.to_numeric(nxt["next_late_risk"]).astype(float),
        }
    )
    return out.merge(nxt, on="client_id", how="left")


def reliability_sentence(row: pd.Series | dict[str, Any], zone: str) -> str:
    """One client's record in words for the Clients tab's detail."""
    booked, missed = row.get("booked"), row.get("missed")
    if booked is None or pd.isna(booked) or not booked:
        said = "No bookings yet in files that record no-shows, so no own rate."
    else:
        said = f"Missed {int(missed)} of {int(booked)} bookings"
        rate, low, high = row.get("own_rate"), row.get("rate_low"), row.get("rate_high")
        if rate is not None and pd.notna(rate):
            said += f" ({rate:.0%}"
            if low is not None and pd.notna(low) and high is not None and pd.notna(high):
                said += f"; likely between {low:.0%} and {high:.0%}"
            said += ")"
        said += "."
    risk, start = row.get("next_risk"), row.get("next_start")
    if risk is not None and pd.notna(risk):
        when = ""
        if start is not None and pd.notna(start):
            when = f" on {pd.Timestamp(start).tz_convert(ZoneInfo(zone)):%a %d %b at %H:%M}"
        said += f" Next booking{when}: a {risk:.0%} chance of a no-show"
        late = row.get("next_late_risk")
        if late is not None and pd.notna(late):
            said += f" and {late:.0%} of a late cancellation"
        why = row.get("next_reasons")
        said += f" ({why})." if isinstance(why, str) and why else "."
    late_booked, late_cancels = row.get("late_booked"), row.get("late_cancels")
    if late_booked is not None and pd.notna(late_booked) and late_booked:
        said += (f" Cancelled in the last 24 hours {int(late_cancels)} of {int(late_booked)} "
                 "times in exports that say when cancellations came.")  # fmt: skip
    return said


def client_risks(db: Database, as_of: date) -> ClientRisks | None:
    """Each client's no-show risk from the latest no-show run made as of ``as_of`` or
    earlier (a back-dated revenue run must not see later risks), for the revenue
    engine's deposit recommendation: the model's risk for the client's next booking
    where they have one, else the middle of their own rate's likely range. None without
    such a run, or when the shop's exports say nothing of no-shows."""
    with db.read() as conn:
        run_id = conn.execute(
            text(
                "SELECT MAX(id) FROM engine_runs WHERE engine = :e AND status = 'ok' "
                "AND as_of <= :a"
            ),
            {"e": ENGINE, "a": as_of.isoformat()},
        ).scalar()
    result = None if run_id is None else read_noshow(db, run_id)
    if result is None or result.no_info:
        return None
    frame = reliability_frame(db, result)
    if frame.empty:  # an old run whose rows were pruned: no risks to go by
        return None
    # Without a booking to score, the middle of the likely range of the client's own
    # rate: the raw rate of a client with one booking, missed, would be 100%.
    middle = (frame["rate_low"] + frame["rate_high"]) / 2
    risk = frame["next_risk"].where(frame["next_risk"].notna(), middle)
    risks = pd.DataFrame({"client_id": frame["client_id"], "risk": risk}).dropna()
    base = result.backtest.get("base_rate")
    return ClientRisks(
        risks=risks,
        method=result.method or "model",
        as_of=result.as_of,
        base_rate=None if base is None or not np.isfinite(base) else float(base),
    )
