"""Bookings at risk of a no-show, read from the latest stored no-show run: the
Dashboard's list, the call list, the morning alert and the Clients tab's reliability.

Qt-free (the window calls it on a worker; the alert job and the command line call it
directly). The run keeps only ids, risks and reasons; names, phones, services and each
location's time zone are read here, for the few bookings of the days asked for.
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
from sqlalchemy import bindparam, text

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
UPCOMING = ("appointment_id", "start", "client_id", "barber", "risk", "late_cancel_risk",
            "price_cents", "minutes", "reasons")  # fmt: skip
RELIABILITY = ("client_id", "missed", "booked", "own_rate", "rate_low", "rate_high",
               "next_risk")  # fmt: skip


@dataclass(frozen=True)
class NoShowRun:
    """The latest no-show run as the app shows it."""

    run: RunInfo
    upcoming: pd.DataFrame  # UPCOMING columns; start as UTC timestamps
    no_info: str | None  # the sentence of a shop whose exports carry no no-shows
    method: str | None  # "model" or "client_rate"
    method_sentence: str
    backtest: dict[str, Any]
    at_risk_cut: float  # the risk from which a booking counts as at risk

    @property
    def as_of(self) -> date:
        return self.run.as_of


def _reasons(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value if v)
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def upcoming_frame(rows: list[dict[str, Any]] | None) -> pd.DataFrame:
    """The run's upcoming bookings as a frame with typed columns (an empty list too)."""
    frame = pd.DataFrame(rows or [], columns=list(UPCOMING))
    out = pd.DataFrame(
        {
            "appointment_id": pd.to_numeric(frame["appointment_id"]).astype("int64"),
            "start": pd.to_datetime(frame["start"], utc=True, format="ISO8601"),
            "client_id": pd.to_numeric(frame["client_id"]).astype("Int64"),
            "barber": frame["barber"].astype(object),
            "risk": pd.to_numeric(frame["risk"]).astype(float),
            "late_cancel_risk": pd.to_numeric(frame["late_cancel_risk"]).astype(float),
            "price_cents": pd.to_numeric(frame["price_cents"]).astype(float),
            "minutes": pd.to_numeric(frame["minutes"]).astype(float),
            "reasons": [_reasons(r) for r in frame["reasons"]],
        }
    )
    return out


def at_risk_cut(backtest: dict[str, Any]) -> float:
    """Twice the shop's usual no-show rate, at least `AT_RISK_FLOOR`."""
    base = backtest.get("base_rate")
    if base is None or not np.isfinite(base):
        return AT_RISK_FLOOR
    return max(AT_RISK_MULTIPLE * float(base), AT_RISK_FLOOR)


def _backtest(m: dict[str, Any]) -> dict[str, Any]:
    """The replay's figures for the risks in use, the shop's usual rate and the
    baselines, whichever of the two shapes the run stored (the figures at the top with
    ``baselines``, or one entry per candidate)."""
    bt = dict(m.get("backtest") or {})
    if "roc_auc" not in bt:
        used = bt.get(m.get("model") or "") or bt.get(m.get("method") or "") or {}
        bt.update({k: v for k, v in used.items() if k in ("roc_auc", "brier", "calibration")})
        bt["baselines"] = {k: bt[k] for k in ("shop_rate", "client_rate") if k in bt}
    if bt.get("base_rate") is None and m.get("base_rate") is not None:
        bt["base_rate"] = m["base_rate"]
    return bt


def read_noshow(db: Database, run_id: int | None = None) -> NoShowRun | None:
    """The latest successful no-show run (or run ``run_id``), or None before the first."""
    run = latest_run(db, ENGINE) if run_id is None else run_by_id(db, run_id)
    if run is None or run.engine != ENGINE:
        return None
    m = run.metrics or {}
    method = m.get("method")
    sentence = str(m.get("sentence") or "")
    no_info = (sentence or "The imported bookings say nothing about no-shows.") if (
        method == "none") else None  # fmt: skip
    backtest = _backtest(m)
    return NoShowRun(
        run=run,
        upcoming=upcoming_frame(None if no_info else m.get("upcoming")),
        no_info=no_info,
        method=method,
        method_sentence=sentence,
        backtest=backtest,
        at_risk_cut=at_risk_cut(backtest),
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
    return {
        "bookings": float(len(frame)),
        "at_risk": float(frame["at_risk"].sum()) if "at_risk" in frame else 0.0,
        "hours": float(np.nansum(risk * minutes) / 60),
        "cents": float(np.nansum(risk * price)),
        "unknown_minutes": float(np.isnan(minutes).sum()),
        "unknown_price": float(np.isnan(price).sum()),
    }


def _details(db: Database, ids: list[int]) -> pd.DataFrame:
    """Names, phones, services and each booking's location zone for the given bookings."""
    columns = ["appointment_id", "client", "phone", "service", "zone", "status"]
    if not ids:
        return pd.DataFrame(columns=columns)
    query = text(
        "SELECT a.id, c.display_name, c.phone, s.name, l.timezone, a.status "
        "FROM appointments a LEFT JOIN clients c ON c.id = a.client_id "
        "LEFT JOIN services s ON s.id = a.service_id "
        "JOIN locations l ON l.id = a.location_id WHERE a.id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    rows: list[Any] = []
    with db.read() as conn:
        for i in range(0, len(ids), 900):  # SQLite's limit on bound values
            rows += conn.execute(query, {"ids": ids[i : i + 900]}).all()
    return pd.DataFrame(rows, columns=columns)


def bookings_at_risk(
    db: Database, result: NoShowRun, now: datetime | None = None, on: date | None = None
) -> AtRisk:
    """Bookings of the run that start after ``now`` today or at any time tomorrow, on
    each location's own clock, riskiest first. With ``on`` instead, "today" is that
    local day from its midnight in every location (the morning alert's view of the
    run's own day, whatever the clock says).

    A booking cancelled since the run (its status in the database is no longer
    booked or confirmed) is left out: the owner has nothing to chase there."""
    if on is not None:
        now = datetime.combine(on, time(), ZoneInfo(shop_zone(db)))
    if now is None or now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    up = result.upcoming
    # The day windows need each booking's zone; read details for the two-day span only
    # (the widest span any zone can give: from now - 14 h to now + 2 days + 14 h).
    lo, hi = now - timedelta(hours=14), now + timedelta(days=2, hours=14)
    near = up[(up["start"] > lo) & (up["start"] < hi)]
    zones = _details(db, [int(i) for i in near["appointment_id"]])
    frame = near.merge(zones, on="appointment_id", how="inner")
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
    out = AtRisk(result, on or now.astimezone(ZoneInfo(shop_zone(db))).date(), frame)
    out.stake = {which: stake(frame[frame["day"] == which]) for which in ("today", "tomorrow")}
    return out


def call_list(at_risk: AtRisk, which: str = "tomorrow") -> pd.DataFrame:
    """The at-risk bookings of a day as a spreadsheet table, riskiest first."""
    rows = at_risk.day(which)
    rows = rows[rows["at_risk"]]
    return pd.DataFrame(
        {
            "Client": rows["client"].fillna("(no name)").astype(str),
            "Phone": rows["phone"].fillna("").astype(str),
            "Start (local time)": rows["local"].dt.strftime("%Y-%m-%d %H:%M"),
            "Barber": rows["barber"].fillna("").astype(str),
            "Service": rows["service"].fillna("").astype(str),
            "No-show risk (%)": (rows["risk"] * 100).round().astype(int),
            "Why": rows["reasons"].astype(str),
        }
    ).reset_index(drop=True)


def write_call_list(at_risk: AtRisk, path: Path, which: str = "tomorrow") -> int:
    """Write the day's call list as CSV or Excel (by the suffix); returns its rows."""
    return write_table(call_list(at_risk, which), path, sheet="Call list")


def reliability_frame(result: NoShowRun) -> pd.DataFrame:
    """Each client's own no-show record and the risk of their next booking: the
    RELIABILITY columns plus ``next_start`` (UTC) and ``next_reasons`` from the run's
    upcoming bookings. A client the run says nothing about is absent (unknown), never
    a client with no misses."""
    metrics = result.run.metrics or {}
    raw = metrics.get("clients") or metrics.get("reliability") or {}
    if isinstance(raw, dict):
        rows = [{**v, "client_id": k} for k, v in raw.items() if isinstance(v, dict)]
    else:
        rows = [r for r in raw if isinstance(r, dict)]
    frame = pd.DataFrame(rows, columns=list(RELIABILITY))
    out = pd.DataFrame(
        {
            "client_id": pd.to_numeric(frame["client_id"]).astype("int64"),
            **{c: pd.to_numeric(frame[c]).astype(float) for c in RELIABILITY[1:]},
        }
    )
    up = result.upcoming.dropna(subset=["client_id"]).sort_values("start", kind="stable")
    first = up.drop_duplicates("client_id")
    nxt = pd.DataFrame(
        {
            "client_id": first["client_id"].astype("int64"),
            "next_start": first["start"],
            "next_reasons": first["reasons"],
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
        why = row.get("next_reasons")
        said += f" ({why})." if isinstance(why, str) and why else "."
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
    frame = reliability_frame(result)
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
