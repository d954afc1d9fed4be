"""What the shop's data can tell: which fields its imports carry and what each unlocks.

Every platform exports a different slice of a visit (Acuity has no tips,
Square transactions no booking times, a trimmed template no booked-at), and an
analysis that needs a missing field is unknown, not zero. This says so up
front: for each field, present / partly (the share of visits, lines, clients,
services or barbers that have it) / missing, the import files it came from,
and what it unlocks, in one sentence.

Cheap by design: one grouped pass over appointments and one over sale lines
(per import batch), small reads of the other tables; the per-field rules then
run over a few dozen batch rows in Python. A file "carries" a money column
(tips, discounts, tax) when its batch's recorded money says so, else when any
of its lines has a non-zero amount: a column of zeros cannot be told from no
column, so such a file is counted as missing it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
from sqlalchemy import text

from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.working_hours import as_week

PRESENT, PARTLY, MISSING = "present", "partly", "missing"
SETTINGS_BARBERS = "Settings > Barbers and pay"


@dataclass(frozen=True)
class FieldCoverage:
    key: str
    label: str
    state: str  # present, partly, missing
    have: int  # how many of the base have it (records, for reviews and training)
    base: int
    unit: str  # "visits", "completed visits", "sale lines", "clients", ...
    sources: tuple[str, ...]
    unlocks: str
    detail: str  # what it means, without the label, state and sources (a table's column)
    sentence: str  # all of it in one sentence: label, state, where from, what it means

    @property
    def share(self) -> float | None:
        return self.have / self.base if self.base else None


@dataclass(frozen=True)
class Coverage:
    data_version: int
    visits: int
    files: int  # landed import batches
    demo: bool  # the demo shop's own data (not imported)
    fields: tuple[FieldCoverage, ...]

    def field(self, key: str) -> FieldCoverage:
        return next(f for f in self.fields if f.key == key)


@dataclass(frozen=True)
class _Spec:
    key: str
    label: str
    unlocks: str  # "the tip rate and tips per barber"
    missing_why: str  # "your exports have no tips column"
    plural: bool = False  # "... are unknown" rather than "is unknown"


SPECS = {
    s.key: s
    for s in (
        _Spec(
            "times",
            "Booking times",
            "utilisation, the busiest hours, today's pace and the peak-hour price idea",
            "your exports give the day of each visit but not its time",
            plural=True,
        ),
        _Spec(
            "ends",
            "End times",
            (
                "utilisation from each visit's real length (otherwise from its service's "
                "duration, else a typical visit)"
            ),
            "your exports have no end time or duration column",
        ),
        _Spec(
            "statuses",
            "Statuses",
            "the cancellation rate and which visits are still booked",
            "your exports have no status column (every past visit counts as completed)",
            plural=True,
        ),
        _Spec(
            "no_shows",
            "No-shows",
            "the no-show rate, the missed-appointment rate and the deposit idea",
            "your exports list completed visits only",
            plural=True,
        ),
        _Spec(
            "tips",
            "Tips",
            "the tip rate and tips per barber",
            "your exports have no tips column (or every tip in them is zero)",
            plural=True,
        ),
        _Spec(
            "prices",
            "Prices",
            "revenue, the average ticket, client value and the pricing ideas",
            "no sale line in your exports has a price",
            plural=True,
        ),
        _Spec(
            "discounts",
            "Discounts",
            "discount frequency and depth",
            "your exports have no discount column (or every discount in them is zero)",
            plural=True,
        ),
        _Spec(
            "tax",
            "Tax",
            "the tax collected",
            "your exports have no tax column (or every tax amount in them is zero)",
        ),
        _Spec(
            "booked_at",
            "Booked-at (lead time)",
            "the rebooking rate, lead times and the pace of future bookings",
            "your exports do not say when each visit was booked",
            plural=True,
        ),
        _Spec(
            "cancel_times",
            "Cancellation times",
            "late-cancellation risk",
            "your exports do not say when bookings were cancelled",
        ),
        _Spec(
            "channels",
            "Channels",
            "the online-booking share",
            "your exports do not say how each visit was booked",
        ),
        _Spec(
            "contacts",
            "Client contacts",
            "call lists and win-back lists",
            "your exports have no client email or phone",
            plural=True,
        ),
        _Spec(
            "staff",
            "Staff",
            "per-barber figures, the Six Figure pathways and the pay-model comparison",
            "your exports do not say who did each visit",
            plural=True,
        ),
        _Spec(
            "working_hours",
            "Working hours set",
            "utilisation, capacity, revenue per available hour and the idle-chair ideas",
            "no barber has working hours (no export carries them)",
            plural=True,
        ),
        _Spec(
            "durations",
            "Services with durations",
            "how long visits without an end time last (for utilisation and capacity)",
            "no service has a duration (booking exports carry none; a service list does)",
        ),
        _Spec(
            "reviews",
            "Reviews",
            "the review count and rating (Professional brand building)",
            "no reviews are recorded",
            plural=True,
        ),
        _Spec(
            "training",
            "Training log",
            "training hours (Continuous skill development)",
            "no training is logged",
            plural=True,
        ),
    )
}
# Counts of rows where a condition holds, as CASE sums: PostgreSQL cannot sum booleans.
_APPOINTMENTS = """
SELECT import_batch_id AS batch, count(*) AS visits,
       sum(CASE WHEN status = 'completed' THEN 1 ELSE 0 END) AS completed,
       sum(CASE WHEN time_known THEN 1 ELSE 0 END) AS times,
       sum(CASE WHEN end_utc IS NOT NULL THEN 1 ELSE 0 END) AS ends,
       sum(CASE WHEN status_raw IS NOT NULL THEN 1 ELSE 0 END) AS statuses,
       sum(CASE WHEN status_raw IS NOT NULL AND status <> 'completed' THEN 1 ELSE 0 END)
           AS not_completed,
       sum(CASE WHEN booked_at_utc IS NOT NULL THEN 1 ELSE 0 END) AS booked_at,
       sum(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END) AS cancelled,
       sum(CASE WHEN cancelled_at_utc IS NOT NULL THEN 1 ELSE 0 END) AS cancel_times,
       sum(CASE WHEN channel IS NOT NULL THEN 1 ELSE 0 END) AS channels,
       sum(CASE WHEN barber_id IS NOT NULL THEN 1 ELSE 0 END) AS staff
FROM appointments GROUP BY import_batch_id
"""
_LINES = """
SELECT import_batch_id AS batch, count(*) AS lines,
       sum(CASE WHEN unit_price_cents IS NOT NULL THEN 1 ELSE 0 END) AS prices,
       sum(CASE WHEN tip_cents <> 0 THEN 1 ELSE 0 END) AS tips,
       sum(CASE WHEN discount_cents <> 0 THEN 1 ELSE 0 END) AS discounts,
       sum(CASE WHEN tax_cents <> 0 THEN 1 ELSE 0 END) AS tax
FROM sale_items WHERE kind <> 'adjustment' GROUP BY import_batch_id
"""
_CLIENTS = """
SELECT import_batch_id AS batch, count(*) AS clients,
       sum(CASE WHEN email IS NOT NULL OR phone IS NOT NULL THEN 1 ELSE 0 END) AS contacts
FROM clients WHERE merge_target_id IS NULL GROUP BY import_batch_id
"""
_SERVICES = """
SELECT import_batch_id AS batch, count(*) AS services,
       sum(CASE WHEN duration_min IS NOT NULL AND duration_min > 0 THEN 1 ELSE 0 END) AS durations
FROM services WHERE active GROUP BY import_batch_id
"""
# The money keys a batch records (null: the file has no such column).
_MONEY_KEYS = {"tips": "tips_cents", "tax": "tax_cents"}  # FileReport.money has no discounts


def data_coverage(db: Database) -> Coverage:
    """What the data carries, per field. Runs a few grouped queries: call it off the GUI."""
    with db.read() as conn:

        def frame(sql: str) -> pd.DataFrame:
            result = conn.execute(text(sql))
            return pd.DataFrame(result.all(), columns=list(result.keys()))

        appts = frame(_APPOINTMENTS)
        lines = frame(_LINES)
        clients = frame(_CLIENTS)
        services = frame(_SERVICES)
        batches = frame(
            "SELECT id AS batch, platform, file_name, money FROM import_batches "
            "WHERE status = 'landed'"
        )
        barbers = conn.execute(
            text("SELECT name, working_hours FROM barbers WHERE active ORDER BY name")
        ).all()
        reviews = conn.execute(
            text("SELECT source, count(*) FROM reviews GROUP BY source ORDER BY 2 DESC")
        ).all()
        training = int(conn.execute(text("SELECT count(*) FROM training_log")).scalar() or 0)
        demo = bool(conn.execute(text("SELECT EXISTS (SELECT 1 FROM ground_truth)")).scalar())
        version = int(
            conn.execute(text("SELECT data_version FROM shop_state WHERE id = 1")).scalar() or 0
        )
    name = _source_names(batches, demo)
    fields: list[FieldCoverage] = []
    visits = int(appts["visits"].sum()) if len(appts) else 0

    def per_row(key: str, table: pd.DataFrame, column: str, base: str, unit: str) -> None:
        fields.append(_field(key, table, column, base, unit, name))

    per_row("times", appts, "times", "visits", "visits")
    per_row("ends", appts, "ends", "visits", "visits")
    per_row("statuses", appts, "statuses", "visits", "visits")
    carries = appts.assign(no_shows=appts["statuses"].where(appts["not_completed"] > 0, 0))
    per_row("no_shows", carries, "no_shows", "visits", "visits")
    money = _money_columns(batches)
    for key in ("tips", "discounts", "tax"):
        has = set(lines.loc[lines[key] > 0, "batch"]) if len(lines) else set()
        has = {b for b in has if money.get((b, key)) is not False}
        has |= {b for (b, k), there in money.items() if k == key and there}
        table = appts.assign(carried=appts["completed"].where(appts["batch"].isin(list(has)), 0))
        per_row(key, table, "carried", "completed", "completed visits")
    per_row("prices", lines, "prices", "lines", "sale lines")
    per_row("booked_at", appts, "booked_at", "visits", "visits")
    per_row("cancel_times", appts, "cancel_times", "cancelled", "cancelled bookings")
    per_row("channels", appts, "channels", "visits", "visits")
    per_row("contacts", clients, "contacts", "clients", "clients")
    per_row("staff", appts, "staff", "visits", "visits")
    fields.append(_working_hours(barbers))
    per_row("durations", services, "durations", "services", "active services")
    fields.append(_records("reviews", sum(int(n) for _, n in reviews),
                           tuple(str(s) for s, _ in reviews), "reviews"))  # fmt: skip
    origin = "the demo shop" if demo else "entered in BarberBI"  # no export carries training
    fields.append(_records("training", training, (origin,), "entries"))
    return Coverage(version, visits, len(batches), demo, tuple(fields))


def share_text(have: int, base: int) -> str:
    """A share that never rounds a partial one up to 100% or down to 0%."""
    share = have / base if base else 0.0
    text = f"{share:.0%}"
    if 0 < have < base and text in ("0%", "100%"):
        text = f"{share:.1%}" if 0.001 <= share <= 0.999 else ("<0.1%" if share < 0.5 else ">99.9%")
    return text


def _money_columns(batches: pd.DataFrame) -> dict[tuple[Any, str], bool]:
    """(batch, field) -> whether the file had the column, where the batch recorded it."""
    out: dict[tuple[Any, str], bool] = {}
    for batch, money in zip(batches["batch"], batches["money"], strict=True):
        if isinstance(money, str):
            try:
                money = json.loads(money)
            except ValueError:
                money = None
        if not isinstance(money, dict):
            continue
        for key, name in _MONEY_KEYS.items():
            if name in money:
                out[(batch, key)] = money[name] is not None
    return out


def _source_names(batches: pd.DataFrame, demo: bool) -> Callable[[list[Any]], tuple[str, ...]]:
    """Batch ids -> "BarberBI template (week1.csv, week2.csv)", one entry per platform."""
    from barberbi_desktop.ingest.profiles import profiles

    titles = {name: p.title for name, p in profiles().items()}
    info = {
        b: (titles.get(str(platform), str(platform)), str(file))
        for b, platform, file in zip(
            batches["batch"], batches["platform"], batches["file_name"], strict=True
        )
    }

    def names(ids: list[Any]) -> tuple[str, ...]:
        files: dict[str, list[str]] = {}
        other = []
        # Batch order, so a list reads the same on both back ends (a server's rows
        # come back in no particular order).
        known = sorted({b for b in ids if b is not None and not pd.isna(b) and b in info})
        ids = known + [b for b in ids if b is None or pd.isna(b) or b not in info]
        for b in ids:
            if b is None or pd.isna(b) or b not in info:
                other.append("the demo shop" if demo else "imports since undone or removed")
                continue
            title, file = info[b]
            files.setdefault(title, []).append(file)
        out = []
        for title, names_ in files.items():
            shown = ", ".join(names_[:2]) + (f" and {len(names_) - 2} more" if len(names_) > 2
                                             else "")  # fmt: skip
            out.append(f"{title} ({shown})")
        return tuple(out + sorted(set(other)))

    return names


def _field(
    key: str,
    table: pd.DataFrame,
    column: str,
    base: str,
    unit: str,
    names: Callable[[list[Any]], tuple[str, ...]],
) -> FieldCoverage:
    have = int(table[column].sum()) if len(table) else 0
    total = int(table[base].sum()) if len(table) else 0
    sources = names(list(table.loc[table[column] > 0, "batch"])) if len(table) else ()
    return _made(key, have, total, unit, sources)


def _made(
    key: str, have: int, base: int, unit: str, sources: tuple[str, ...], partly_detail: str = ""
) -> FieldCoverage:
    spec = SPECS[key]
    verb = "are" if spec.plural else "is"
    if base == 0:
        state, head, tail = MISSING, f"there are no {unit} yet", f"so {spec.unlocks} {verb} unknown"
    elif have == 0:
        state, head, tail = MISSING, spec.missing_why, f"so {spec.unlocks} {verb} unknown"
    elif have < base:
        state = PARTLY
        head = partly_detail or f"{share_text(have, base)} of {unit} have it"
        tail = f"{spec.unlocks} can use only those"
        return _coverage(spec, state, have, base, unit, sources, head, tail, bool(partly_detail))
    else:
        state, head, tail = PRESENT, f"all {base:,} {unit} have it", f"it unlocks {spec.unlocks}"
    return _coverage(spec, state, have, base, unit, sources, head, tail)


def _coverage(
    spec: _Spec,
    state: str,
    have: int,
    base: int,
    unit: str,
    sources: tuple[str, ...],
    head: str,
    tail: str,
    head_in_detail: bool = False,
) -> FieldCoverage:
    """Missing: "head, tail." Otherwise "head (from sources); tail." The detail (a table
    column beside the coverage and sources) leaves out a head that only counts."""
    glue = ", " if state == MISSING else "; "
    detail = f"{head}{glue}{tail}." if state == MISSING or head_in_detail else f"{tail}."
    where = f" (from {'; '.join(sources)})" if sources and state != MISSING else ""
    return FieldCoverage(
        key=spec.key,
        label=spec.label,
        state=state,
        have=have,
        base=base,
        unit=unit,
        sources=sources,
        unlocks=spec.unlocks,
        detail=detail[:1].upper() + detail[1:],
        sentence=f"{spec.label}: {state}: {head}{where}{glue}{tail}.",
    )


def _working_hours(barbers: list[Any]) -> FieldCoverage:
    unset = [str(n) for n, hours in barbers if not as_week(hours)]
    have, base = len(barbers) - len(unset), len(barbers)
    names = ", ".join(unset[:3]) + (f" and {len(unset) - 3} more" if len(unset) > 3 else "")
    detail = f"{have} of {base} active barbers have them (not set for {names})"
    field = _made(
        "working_hours", have, base, "active barbers", (SETTINGS_BARBERS,) if have else (), detail
    )
    if field.state != PRESENT and base:
        field = replace(
            field,
            detail=f"{field.detail[:-1]}: set them in {SETTINGS_BARBERS}.",
            sentence=f"{field.sentence[:-1]}: set them in {SETTINGS_BARBERS}.",
        )
    return field


def _records(key: str, count: int, sources: tuple[str, ...], unit: str) -> FieldCoverage:
    """Reviews and training: the owner's records, counted rather than shared out."""
    spec = SPECS[key]
    if count:
        head, tail = f"{count:,} {unit}", f"it unlocks {spec.unlocks}"
        return _coverage(spec, PRESENT, count, count, unit, sources, head, tail)
    verb = "are" if spec.plural else "is"
    tail = f"so {spec.unlocks} {verb} unknown"
    return _coverage(spec, MISSING, 0, 0, unit, (), spec.missing_why, tail)
