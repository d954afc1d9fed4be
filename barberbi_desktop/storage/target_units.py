"""Targets in the owner's units: dollars with their period, rates in percent.

Storage and the engines keep their units (cents, shares 0-1, per day); Settings asked
for "revenue 150000" (cents a day, unsaid) and "no show rate 0.05", which an owner
cannot read. Conversion happens here, on load and on save, and so do the validation
sentences, in the units the owner typed.
"""

from __future__ import annotations

import math
from typing import Any

from barberbi_desktop.errors import InputError

# KPI targets: the owner's name and the stored unit. Revenue and visits are per day
# (the KPI engine multiplies them by the window's days).
KPI_TARGETS: dict[str, tuple[str, str]] = {
    "revenue": ("Daily revenue target", "cents"),
    "visits": ("Daily visits target", "count"),
    "avg_ticket": ("Average ticket target", "cents"),
    "utilisation": ("Chair utilisation target", "share"),
    "rebooking_rate": ("Rebooking rate target", "share"),
    "retention_90d": ("90-day retention target", "share"),
    "no_show_rate": ("No-show rate target", "share"),
    "cancellation_rate": ("Cancellation rate target", "share"),
    "new_client_share": ("New-client share target", "share"),
    "retail_attachment": ("Retail attachment target", "share"),
    "tip_rate": ("Tip rate target", "share"),
    "revenue_per_hour": ("Revenue per booked hour target", "cents"),
}

_SUFFIX = {"hours": " h", "minutes": " min"}
_EXAMPLE = {"cents": "$1,500.00", "share": "5%", "rating": "4.8", "hours": "30 h",
            "minutes": "45 min"}  # fmt: skip


def kpi_label(key: str) -> str:
    return KPI_TARGETS.get(key, (key.replace("_", " ").capitalize() + " target", ""))[0]


def kpi_unit(key: str) -> str:
    return KPI_TARGETS.get(key, ("", "count"))[1]


def show_target(value: float, unit: str) -> str:
    """A stored target as the owner reads it: $1,500.00, 5%, 25, 30 h."""
    if unit == "cents":
        return f"${value / 100:,.2f}"
    if unit == "share":
        return f"{round(value * 100, 4):g}%"
    return f"{round(value, 4):g}{_SUFFIX.get(unit, '')}"


def parse_target(raw: Any, unit: str, label: str) -> float:
    """What the owner typed, in the stored unit; one sentence in the owner's units when
    it is not a target."""
    text = str(raw).strip()
    for mark in ("$", ",", "%", "min", "h"):
        text = text.replace(mark, "")
    example = _EXAMPLE.get(unit, "25")
    try:
        number = float(text.strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        kind = {"cents": "an amount in dollars", "share": "a percent"}.get(unit, "a number")
        raise InputError(f"{label}: enter {kind}, such as {example}, not {str(raw)!r}.")
    if number <= 0:
        raise InputError(f"{label}: enter a target above zero, such as {example}.")
    if unit == "share":
        if number > 100:
            raise InputError(f"{label}: enter a percent between 0% and 100%, not {str(raw)!r}.")
        return number / 100
    if unit == "rating" and number > 5:
        raise InputError(f"{label}: ratings go up to 5 stars, not {str(raw)!r}.")
    if unit == "cents":
        if number > 10_000_000:
            raise InputError(f"{label}: enter an amount up to $10,000,000, not {str(raw)!r}.")
        return float(round(number * 100))
    if number > 10**9:
        raise InputError(f"{label}: enter a number up to 1,000,000,000, not {str(raw)!r}.")
    return number
