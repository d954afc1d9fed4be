"""A barber's weekly working hours: the one shape the engines read, checked before saving.

No export carries working hours, yet utilisation, capacity and the idle-chair
ideas divide by them, so the owner sets them in Settings > Barbers. They are
stored exactly like a location's opening hours, ``{"0": [540, 1080], ...}``:
minutes after local midnight in the barber's location's time zone, Monday =
"0", a missing weekday = a day off. `engines.kpi._rostered_minutes` and
`engines.revenue_capacity._working_cells` read that dict as it is, so a week
is normalised here (string keys in weekday order, two ints, start before end
within the day) and anything else is refused with one sentence.
"""

from __future__ import annotations

import json
from typing import Any

from barberbi_desktop.errors import InputError

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_MINUTES = 24 * 60

Week = dict[str, list[int]]


def clock(minutes: int) -> str:
    """540 -> "09:00"; the end of the day is "24:00", not "00:00" of the next."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def clean_week(value: Any, where: str) -> Week:
    """The week as the engines read it, or InputError naming the day that is wrong.

    Accepts the stored dict (or its JSON text), with days as "0".."6" or 0..6 and a
    day off as a missing key, None or an empty list.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise InputError(f"{where}: the working hours are not readable.") from None
    if not isinstance(value, dict):
        raise InputError(f"{where}: the working hours are not readable.")
    week: Week = {}
    for key, span in value.items():
        day = str(key).strip()
        if day not in {str(i) for i in range(7)}:
            raise InputError(f"{where}: {key!r} is not a weekday (0 is Monday, 6 is Sunday).")
        if span is None or (isinstance(span, list | tuple) and len(span) == 0):
            continue
        name = DAYS[int(day)]
        if (
            not isinstance(span, list | tuple)
            or len(span) != 2
            or not all(isinstance(m, int) and not isinstance(m, bool) for m in span)
        ):
            raise InputError(f"{where}, {name}: a working day is a start and an end time.")
        start, end = int(span[0]), int(span[1])
        if not (0 <= start < DAY_MINUTES and 0 < end <= DAY_MINUTES):
            raise InputError(f"{where}, {name}: times must fall within the day (00:00 to 24:00).")
        if end <= start:
            raise InputError(
                f"{where}, {name}: the day must end after it starts, not {clock(start)} to "
                f"{clock(end)}."
            )
        week[day] = [start, end]
    return {day: week[day] for day in sorted(week)}


def as_week(value: Any) -> Week:
    """A stored week, read leniently for display (a broken value shows as not set)."""
    try:
        return clean_week(value, "")
    except InputError:
        return {}


def weekly_hours(week: Week) -> float:
    return sum(end - start for start, end in week.values()) / 60


def week_text(week: Week) -> str:
    """{"0": [540, 1080], ..., "4": [540, 1080]} -> "Mon-Fri 09:00-18:00 (45 h)".

    Runs of days with the same hours are joined, so a 536-barber list stays readable.
    """
    if not week:
        return "not set"
    parts: list[str] = []
    run: list[int] = []

    def flush() -> None:
        if run:
            span = week[str(run[0])]
            days = DAYS[run[0]] if len(run) == 1 else f"{DAYS[run[0]]}-{DAYS[run[-1]]}"
            parts.append(f"{days} {clock(span[0])}-{clock(span[1])}")

    for day in range(7):
        span = week.get(str(day))
        if span is not None and run and run[-1] == day - 1 and week[str(run[0])] == span:
            run.append(day)
            continue
        flush()
        run = [day] if span is not None else []
    flush()
    return f"{', '.join(parts)} ({weekly_hours(week):g} h)"
