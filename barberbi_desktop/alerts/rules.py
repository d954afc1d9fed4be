"""Alert rules: turn engine results into alert candidates. Pure; no database, no Qt.

Each rule has a priority, a threshold and a cool-down (settings); a candidate
carries a de-duplication key, and the store refuses a key that was raised
within its cool-down, so a slow week raises one alert, not one a minute.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Candidate:
    rule: str
    priority: str  # critical, high, medium, low
    title: str
    message: str
    dedup_key: str
    cooldown: timedelta
    # The one location the alert is about (a location manager sees it); None: the shop.
    location_id: int | None = None


# Rules whose alerts can be about one location: their location is the one their
# numbers, barber, client or bookings are at. The others (a refused import, a failed
# backup, a failed whole-shop analysis) are about the whole shop and the owner's alone.
LOCATION_RULES = frozenset({"no_show_rate", "revenue_below_band", "utilisation_collapse",
                            "vip_at_risk", "pathway_behind", "noshow_loss"})  # fmt: skip


def at_location(candidate: Candidate, location_id: int, name: str) -> Candidate:
    """The same alert raised for one location's own figures: named after the location,
    and de-duplicated apart from the whole shop's and the other locations'."""
    return replace(
        candidate,
        title=f"{name}: {candidate.title}"[:200],
        dedup_key=f"{candidate.dedup_key}@location:{location_id}"[:200],
        location_id=location_id,
    )


def _one(locations: pd.Series) -> int | None:
    """The location all these rows share, or None (several, or not known)."""
    found = pd.unique(locations.dropna())
    return int(found[0]) if len(found) == 1 and locations.notna().all() else None


PRIORITIES = ("critical", "high", "medium", "low")
COOLDOWN = "cooldown:"  # a setting "cooldown:RULE" is that rule's cool-down, in hours
# Thresholds in dollars (the owner's units); every other threshold is a share (0-1).
DOLLARS = frozenset({"noshow_loss_dollars"})


@dataclass(frozen=True)
class AlertSettings:
    """Thresholds and cool-downs the owner can change (Alerts > Rules); defaults here."""

    no_show_rate_7d: float = 0.10
    utilisation_drop: float = 0.6  # 7-day utilisation below this share of the prior 7 days
    pathway_share: float = 0.6  # annualised revenue below this share of the goal ...
    pathway_probability: float = 0.1  # ... and this chance of crossing within a year
    noshow_loss_dollars: float = 150.0  # tomorrow's expected no-show loss above this, in $
    notify_at: str = "high"  # desktop pop-ups for alerts at or above this priority
    cooldowns: dict[str, timedelta] = field(
        default_factory=lambda: {
            "no_show_rate": timedelta(days=7),
            "revenue_below_band": timedelta(hours=20),
            "utilisation_collapse": timedelta(days=7),
            "vip_at_risk": timedelta(days=30),
            "pathway_behind": timedelta(days=30),
            "import_rejected": timedelta(0),
            "engine_failed": timedelta(hours=6),
            "backup_failed": timedelta(hours=20),
            "noshow_loss": timedelta(hours=36),  # keyed by the day: once for that day
        }
    )


def cooldown_hours(span: timedelta) -> float:
    """A cool-down as the owner enters it, in hours."""
    return span.total_seconds() / 3600


@dataclass(frozen=True)
class Rule:
    """What the Alerts tab says about a rule: when it fires and which settings tune it."""

    key: str
    label: str
    priority: str
    when: str
    thresholds: tuple[tuple[str, str], ...] = ()  # (AlertSettings field, what it means)


RULES = (
    Rule("no_show_rate", "No-shows are up", "high",
         "the no-show rate of the last 7 days is above the threshold",
         (("no_show_rate_7d", "no-show rate above"),)),
    Rule("revenue_below_band", "A slow day", "medium",
         "revenue so far today is below the usual band for this weekday and time"),
    Rule("utilisation_collapse", "Chairs emptier than usual", "high",
         "utilisation of the last 7 days falls below a share of the 7 days before",
         (("utilisation_drop", "below this share of the week before"),)),
    Rule("vip_at_risk", "Valuable clients slipping away", "high",
         "a Premium VIP or High Value client becomes At-Risk"),
    Rule("pathway_behind", "A barber far from six figures", "low",
         "a barber's annualised revenue is below a share of $100,000 and the chance of "
         "getting there within 12 months is low",
         (("pathway_share", "annualised revenue below this share of the goal"),
          ("pathway_probability", "and a chance within 12 months below"))),
    Rule("noshow_loss", "Tomorrow's no-shows could cost", "medium",
         "tomorrow's expected no-show loss (each booking's risk times its price, summed) "
         "is above the threshold; checked each morning and after each import",
         (("noshow_loss_dollars", "expected loss above"),)),
    Rule("import_rejected", "An import was refused", "high",
         "a file dropped in the watch folder is refused"),
    Rule("engine_failed", "An analysis failed", "critical",
         "a background analysis stops with an error"),
    Rule("backup_failed", "The nightly backup failed", "critical",
         "the scheduled backup could not be written or did not pass its check"),
)  # fmt: skip


def _kpi(values: pd.DataFrame, kpi: str, window: str, column: str = "value") -> float:
    row = values[(values["kpi"] == kpi) & (values["window"] == window)]
    return float(row[column].iloc[0]) if len(row) else float("nan")


def kpi_alerts(
    summary_values: pd.DataFrame, band: dict[str, Any], s: AlertSettings, as_of: str
) -> list[Candidate]:
    out = []
    no_show = _kpi(summary_values, "no_show_rate", "7d")
    if no_show > s.no_show_rate_7d:
        out.append(
            Candidate(
                "no_show_rate",
                "high",
                "No-shows are up",
                f"{no_show:.0%} of appointments in the last 7 days were no-shows "
                f"(alert above {s.no_show_rate_7d:.0%}). Send reminders and consider deposits.",
                "no_show_rate:7d",
                s.cooldowns["no_show_rate"],
            )
        )
    if band.get("available") and band.get("status") == "slow":
        out.append(
            Candidate(
                "revenue_below_band",
                "medium",
                f"A slow {band['weekday']}",
                f"${band['so_far'] / 100:,.0f} so far today, below the usual "
                f"${band['expected_low'] / 100:,.0f} to ${band['expected_high'] / 100:,.0f} "
                f"by this time on a {band['weekday']}.",
                f"revenue_below_band:{as_of}",
                s.cooldowns["revenue_below_band"],
            )
        )
    now, before = (
        _kpi(summary_values, "utilisation", "7d"),
        _kpi(summary_values, "utilisation", "7d", "prior"),
    )
    if before > 0 and now < s.utilisation_drop * before:
        out.append(
            Candidate(
                "utilisation_collapse",
                "high",
                "Chairs are emptier than usual",
                f"Utilisation fell to {now:.0%} in the last 7 days from {before:.0%} the week "
                "before.",
                "utilisation_collapse:7d",
                s.cooldowns["utilisation_collapse"],
            )
        )
    return out


def vip_at_risk_alerts(
    current: pd.DataFrame, previous: pd.DataFrame | None, s: AlertSettings, max_individual: int = 5
) -> list[Candidate]:
    """Valuable clients who are At-Risk now and were not at the previous scoring.

    The first scoring, or many at once, gives one summary alert naming the most
    valuable, so an owner is told once rather than flooded.
    """
    valuable = current[
        (current["segment"] == "At-Risk")
        & current["value_tier"].isin(["Premium VIP", "High Value"])
    ]
    if previous is not None and len(previous):
        was_at_risk = set(previous.loc[previous["segment"] == "At-Risk", "client_id"])
        valuable = valuable[~valuable["client_id"].isin(was_at_risk)]
    if valuable.empty:
        return []
    # Each client's home location, where the job knows it (`location_id`).
    where = valuable["location_id"] if "location_id" in valuable else pd.Series(
        [None] * len(valuable), index=valuable.index, dtype="float64")  # fmt: skip
    if previous is None or len(valuable) > max_individual:
        top = valuable.sort_values("ltv_cents", ascending=False).head(max_individual)
        names = ", ".join(top["display_name"].astype(str))
        stake = valuable["ltv_cents"].sum() / 100
        return [
            Candidate(
                "vip_at_risk",
                "high",
                f"{len(valuable)} valuable clients are slipping away",
                f"{len(valuable)} Premium VIP and High Value clients are At-Risk, worth "
                f"${stake:,.0f} over the next year; start with {names}. See the call list in "
                "Clients.",
                f"vip_at_risk:summary:{len(valuable)}:{top['client_id'].iloc[0]}",
                s.cooldowns["vip_at_risk"],
                _one(where),
            )
        ]
    return [
        Candidate(
            "vip_at_risk",
            "high",
            f"{row.value_tier} client slipping away",
            f"{row.display_name}: {row.segment_rule}. {row.action}",
            f"vip_at_risk:{row.client_id}",
            s.cooldowns["vip_at_risk"],
            None if pd.isna(loc) else int(loc),
        )
        for row, loc in zip(valuable.itertuples(), where, strict=True)
    ]


def pathway_alerts(
    pathway: Iterable[dict[str, Any]], s: AlertSettings, month: str
) -> list[Candidate]:
    out = []
    for p in pathway:
        if (
            p["annualised"] < s.pathway_share * p["goal"]
            and p["p_cross_12m"] < s.pathway_probability
        ):
            out.append(
                Candidate(
                    "pathway_behind",
                    "low",
                    f"{p['name']} is far from six figures",
                    f"{p['name']} is on ${p['annualised']:,.0f} a year (goal ${p['goal']:,.0f}); "
                    f"chance of getting there within 12 months: {p['p_cross_12m']:.0%}.",
                    f"pathway_behind:{p['barber_id']}:{month}",
                    s.cooldowns["pathway_behind"],
                    p.get("location_id"),  # the barber's location, where the job adds it
                )
            )
    return out


def noshow_loss_alerts(
    tomorrow: pd.DataFrame, day: date, s: AlertSettings, max_names: int = 8
) -> list[Candidate]:
    """One alert when tomorrow's bookings could lose more than the owner's threshold to
    no-shows, naming the riskiest bookings to confirm or ask a deposit for.

    ``tomorrow``: the day's bookings (`storage.at_risk`), riskiest first, with ``risk``,
    ``price_cents``, ``client``, ``barber`` and ``local``. The key holds the day, so
    the morning run and the runs after imports raise it once.
    """
    if tomorrow.empty:
        return []
    risk = tomorrow["risk"].to_numpy(dtype=float)
    expected = float(np.nansum(risk * tomorrow["price_cents"].to_numpy(dtype=float))) / 100
    if not expected > s.noshow_loss_dollars:
        return []
    top = tomorrow.head(max_names)
    names = ", ".join(
        f"{r.client if isinstance(r.client, str) and r.client else '(no name)'} at "
        f"{r.local:%H:%M}" + (f" with {r.barber}" if isinstance(r.barber, str) else "")
        + f" ({r.risk:.0%})"
        for r in top.itertuples()
    )
    more = len(tomorrow) - len(top)
    rest = f" and {more} more bookings" if more > 0 else ""
    late = (tomorrow["late_cancel_risk"] if "late_cancel_risk" in tomorrow
            else pd.Series(np.nan, index=tomorrow.index)).to_numpy(dtype=float)  # fmt: skip
    also = ""
    price = tomorrow["price_cents"].to_numpy(dtype=float)
    # Only where the exports say when cancellations came, and a price is known.
    if (~np.isnan(late) & ~np.isnan(price)).any():
        late_cost = float(np.nansum(late * price)) / 100
        also = f" Late cancellations could cost about ${late_cost:,.0f} more."
    return [
        Candidate(
            "noshow_loss",
            "medium",
            f"No-shows could cost about ${expected:,.0f} tomorrow",
            f"{len(tomorrow)} bookings on {day:%a %d %b} could lose about ${expected:,.0f} "
            f"to no-shows (alert above ${s.noshow_loss_dollars:,.0f}). Confirm them or ask "
            f"for a deposit, riskiest first: {names}{rest}. Export the call list from the "
            f"Dashboard.{also}",
            f"noshow_loss:{day.isoformat()}",
            s.cooldowns["noshow_loss"],
        )
    ]


def import_rejected(file_name: str, reason: str, s: AlertSettings) -> Candidate:
    return Candidate(
        "import_rejected",
        "high",
        f"Import rejected: {file_name}",
        reason,
        f"import_rejected:{file_name}:{reason[:80]}",
        s.cooldowns["import_rejected"],
    )


def engine_failed(engine: str, error: str, s: AlertSettings) -> Candidate:
    return Candidate(
        "engine_failed",
        "critical",
        f"The {engine} analysis failed",
        f"{error} The previous results are still shown.",
        f"engine_failed:{engine}",
        s.cooldowns["engine_failed"],
    )


def backup_failed(reason: str, s: AlertSettings) -> Candidate:
    return Candidate(
        "backup_failed",
        "critical",
        "The nightly backup failed",
        f"{reason} The backups already made are kept; make one by hand in Settings > Backups.",
        "backup_failed",
        s.cooldowns["backup_failed"],
    )
