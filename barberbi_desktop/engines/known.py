"""What the data actually has: fields an export never recorded, visit lengths, rosters.

Unknown is not zero. An export without a tips column leaves every tip at 0, one
of completed visits only has no no-shows, an imported barber has no working
hours: a metric computed from those would be a made-up 0 (or a perfect 100).
The rules here decide, from the data itself, which visits carry a field, so a
metric uses only those and is null with one of the reasons below when none do.
Every rule is documented in docs/METRICS.md ("Unknown is not zero").

A field counts as recorded by an import *source* (the platform an appointment
came from) when at least one of that source's appointments has it; a quiet week
is a real zero, a column the export lacks is absent from every row it wrote.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NO_TIPS = "the exports have no tips: no visit has a tip recorded"
NO_BOOKED_AT = "no booking times: rebooking needs when each visit was booked"
NO_STATUSES = (
    "the exports hold completed visits only: no-shows and cancellations are not recorded"
)
NO_PRODUCTS = "no product sales recorded: the exports may not include retail"
NO_DISCOUNTS = "no discounts recorded: the exports may not include them"
NO_PREMIUM = "no service is marked premium: mark premium services in Settings"
NO_CHANNEL = (
    "the exports do not say how appointments were booked (a till records every sale as a "
    "walk-in)"
)
NO_HOURS = "no working hours set for the barbers: set them in Settings > Barbers"
NO_LENGTHS = (
    "no visit lengths: the exports give no time of day or end time and the services no "
    "duration"
)
# Below this share of held visits with a time of day and a length, hours-based measures
# would undercount too much to show.
MIN_TIMED_SHARE = 0.9
MISSED = ("no_show", "cancelled")


def no_hours(names: list[str]) -> str:
    """The reason naming the barbers without working hours (a few, then a count)."""
    if not names:
        return NO_HOURS
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"no working hours set for {shown}: set them in Settings > Barbers"


def too_few_timed(timed: int, held: int) -> str:
    return (
        f"only {timed} of {held} visits have a time of day and a length: hours-based "
        "measures need both"
    )


def source_codes(appts: pd.DataFrame) -> np.ndarray:
    """An integer per appointment naming its import source (0 for all when unrecorded)."""
    if "source_platform" not in appts:
        return np.zeros(len(appts), dtype=np.int64)
    codes, _ = pd.factorize(appts["source_platform"].astype("object"), use_na_sentinel=False)
    return codes.astype(np.int64)


def recorded(source: np.ndarray, has: np.ndarray) -> np.ndarray:
    """Which rows come from a source that recorded the field at least once."""
    if not len(source):
        return np.zeros(0, dtype=bool)
    return np.isin(source, np.unique(source[has]))


def booking_channel(channel: pd.Series) -> np.ndarray:
    """Appointments whose channel says how they were booked. A source that calls every
    appointment a walk-in is a till (Square's "Point of Sale"): it records where the sale
    was rung up, not how the client booked, so it does not count as recording channels."""
    text = channel.astype("object")
    return (text.notna() & ~text.isin(["walk_in", "None", "nan", "", "<NA>"])).to_numpy(bool)


def has_hours(hours: object) -> bool:
    """A weekly roster with at least one working span (imported barbers have none)."""
    if not isinstance(hours, dict):
        return False
    return any(
        isinstance(span, list | tuple) and len(span) == 2 and span[1] > span[0]
        for span in hours.values()
    )


def rostered(barbers: pd.DataFrame) -> pd.Series:
    """Per barber id: whether working hours are set."""
    if not len(barbers) or "working_hours" not in barbers:
        return pd.Series(False, index=barbers.get("barber_id", pd.Series(dtype="int64")))
    return pd.Series(
        [has_hours(h) for h in barbers["working_hours"]],
        index=barbers["barber_id"].to_numpy(),
        dtype=bool,
    )


def barber_names(barbers: pd.DataFrame, ids: object) -> list[str]:
    names = barbers.set_index("barber_id")["name"] if "name" in barbers else pd.Series()
    return sorted(str(names.get(b, f"barber {b}")) for b in ids)


def visit_minutes(appts: pd.DataFrame, services: pd.DataFrame) -> pd.Series:
    """Each visit's length in minutes: its end minus its start, else its service's usual
    duration, else unknown (NaN). Never a guessed default."""
    minutes = ((appts["end"] - appts["start"]).dt.total_seconds() / 60).astype(float)
    minutes = minutes.where(minutes > 0)
    if len(services) and {"service_id", "duration_min"} <= set(services) and len(appts):
        usual = pd.to_numeric(services.set_index("service_id")["duration_min"], errors="coerce")
        usual = usual[~usual.index.duplicated()]
        by_service = appts["service_id"].map(usual).astype(float)
        minutes = minutes.fillna(by_service.where(by_service > 0))
    return minutes
