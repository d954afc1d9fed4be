"""From a chunk of export text to canonical rows, with every problem named.

Whatever the platform, a row becomes one *line*: the visit it belongs to
(time, status, client, barber, location) and one thing sold on it (a service,
a product, a tip, tax or discount line). Problems are collected per row and
column as plain sentences; a row with an error is never passed on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from barberbi_desktop.ingest import parse
from barberbi_desktop.ingest.profiles import REFUND_EVENTS, Profile, normalise_word
from barberbi_desktop.ingest.zones import RAILS_ZONES, zone_name

__all__ = ["RAILS_ZONES", "zone_name"]  # kept importable from here, where they lived

CATEGORY_WORDS = [
    ("package", ("package", "combo", "deluxe", "vip", "membership", "experience")),
    ("beard", ("beard",)),
    ("colour", ("colour", "color", "dye", "highlight", "grey blend", "gray blend")),
    ("treatment", ("facial", "treatment", "scalp", "massage", "mask", "wax", "shave")),
    ("retail", ("retail", "product", "pomade", "shampoo", "oil", "balm", "wax stick")),
    ("cut", ("cut", "fade", "trim", "taper", "buzz", "line", "strzyż", "fryz", "hair")),
]
CATEGORIES = {"cut", "beard", "colour", "treatment", "package", "retail", "other"}
SELLABLE = {"service", "product", "package", "gift_card"}
ADJUSTMENT = "adjustment"  # a negative line: refund, comp, correction
MAX_QUANTITY = 1000

LINE_COLUMNS = [
    "row", "visit_key", "source_id", "line_no", "start_utc", "end_utc", "status", "status_raw",
    "booked_at_utc", "cancelled_at_utc", "time_known", "channel", "client_key", "client_ext",
    "client_name", "email", "phone",
    "barber", "location", "kind", "item_name", "category", "quantity", "unit_price_cents",
    "discount_cents", "tax_cents", "tip_cents", "payment_method", "row_hash", "line_hash",
]  # fmt: skip


def guess_category(names: pd.Series) -> pd.Series:
    low = names.fillna("").str.lower()
    out = pd.Series("other", index=names.index, dtype=object)
    decided = pd.Series(False, index=names.index)
    for category, words in CATEGORY_WORDS:
        hit = low.str.contains("|".join(words), regex=True) & ~decided
        out[hit] = category
        decided |= hit
    return out


@dataclass
class Context:
    """What the transformer needs to know beyond the file itself."""

    platform: str
    file_name: str
    now_utc: pd.Timestamp
    default_location: str
    location_zones: dict[str, str]  # lower(name) -> IANA zone
    default_zone: str
    date_order: str | None = None
    country_code: str = "1"
    horizon_days: int = 365
    allow_long_visits: bool = False  # the owner confirmed visits over 12 hours are real


class NeedDateOrder(Exception):
    """Numeric dates turned up and nobody has yet said whether they are day- or month-first."""


@dataclass
class Chunk:
    lines: pd.DataFrame
    problems: pd.DataFrame  # row, column, severity, message
    rows_read: int
    skipped: int = 0  # rows left out before parsing because they were imported verbatim before
    # Visits with a row refused (--skip-bad-rows): their lines in the shop are left as they are.
    rejected_visits: list[str] = field(default_factory=list)


class _Problems:
    def __init__(self, ctx: Context, mapping: dict[str, str]) -> None:
        self.ctx = ctx
        self.mapping = mapping
        self.parts: list[pd.DataFrame] = []

    def add(self, mask: pd.Series, fld: str | None, message: str | pd.Series,
            severity: str = "error", values: pd.Series | None = None) -> None:
        if not mask.any():
            return
        rows = mask[mask].index
        column = self.mapping.get(fld, fld) if fld else None
        where = f"{self.ctx.file_name}, row " + pd.Series(rows, index=rows).astype(str)
        if column:
            where += f", column {column}"
        text = message if isinstance(message, str) else message[rows]
        if values is not None:
            # Control characters (a line break inside a quoted cell) would break the
            # one-sentence message over lines: each run of them is shown as one space.
            shown = (values[rows].astype(str).str.slice(0, 40)
                     .str.replace(r"[\x00-\x1f\x7f]+", " ", regex=True))  # fmt: skip
            msg = where + ": '" + shown + "' " + text
        else:
            msg = where + ": " + text
        self.parts.append(
            pd.DataFrame({"row": rows, "column": column, "severity": severity, "message": msg})
        )

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=["row", "column", "severity", "message"])
        return pd.concat(self.parts, ignore_index=True)


_DASHES = ["--", "---", "----", "-----", "—", "——"]


def _get(raw: pd.DataFrame, mapping: dict[str, str], fld: str) -> pd.Series:
    col = mapping.get(fld)
    if col is None or col not in raw:
        return pd.Series("", index=raw.index, dtype=object)
    cells = raw[col].astype(str).str.strip()
    # Vagaro writes "---" for an empty cell, in any column: unknown, not a value.
    return cells.where(~cells.isin(_DASHES), "")


def _to_utc(local: pd.Series, zones: pd.Series) -> pd.Series:
    """Naive local times in per-row zones to epoch seconds (Int64).

    A time that occurs twice when clocks go back is read as the first one; a
    time skipped when clocks go forward moves forward to the first real minute.
    """
    out = pd.Series(pd.NA, index=local.index, dtype="Int64")
    valid = local.notna()
    for zone in zones[valid].unique():
        sel = valid & zones.eq(zone)
        stamps = pd.DatetimeIndex(local[sel])
        utc = stamps.tz_localize(
            zone, ambiguous=np.ones(len(stamps), dtype=bool), nonexistent="shift_forward"
        )
        out.loc[sel] = (utc.asi8 // 1_000_000_000).astype("int64")
    return out


def _words(series: pd.Series, vocabulary: dict[str, str]) -> pd.Series:
    """Map cells through a vocabulary, looking each distinct value up once."""
    lookup = {v: vocabulary.get(normalise_word(v)) if v else None for v in series.unique()}
    return series.map(lookup).astype(object).where(lambda x: x.notna(), None)


def row_hashes(raw: pd.DataFrame, mapping: dict[str, str], ctx: Context, salt: str) -> pd.Series:
    """A fingerprint of each export row and of how it was read.

    Besides the cells it covers the profile, mapping and options (``salt``) and
    the location and time zone the row resolves to, so a row reads the same
    way exactly when its fingerprint is the same.
    """
    location, zones = where(raw, mapping, ctx)
    salted = raw.assign(__salt__=salt, __location__=location.str.lower(), __zone__=zones)
    return pd.util.hash_pandas_object(salted, index=False).astype(str)


def where(raw: pd.DataFrame, mapping: dict[str, str], ctx: Context) -> tuple[pd.Series, pd.Series]:
    """Each row's location (the file's, else the default) and the time zone of its times."""
    given = _get(raw, mapping, "location")
    location = given.where(given.ne(""), ctx.default_location)
    low_location = location.str.lower()
    zones = low_location.map(
        {n: ctx.location_zones.get(n, ctx.default_zone) for n in low_location.unique()}
    ).astype(object)
    return location, zones


def fast_keys(raw: pd.DataFrame, profile: Profile, mapping: dict[str, str]) -> pd.Series | None:
    """Natural keys straight from the raw id column, where a row is a whole visit."""
    if profile.kind != "appointments" or profile.id_scope != "visit":
        return None
    col = mapping.get("appointment_id")
    if col is None:
        return None
    ids = raw[col].str.strip()
    # Rows sharing an id are the lines of one visit: those are always parsed and compared.
    alone = ids.ne("") & ~ids.duplicated(keep=False)
    return (f"{profile.family or profile.name}:" + ids).where(alone, None)


MAX_VISIT_HOURS = 12


def _with_clock(date_text: pd.Series, clock_text: pd.Series) -> pd.Series:
    """A date-only cell joined with the time another column gives (Fresha's slot)."""
    given = clock_text.ne("") & date_text.ne("")
    if not given.any():
        return date_text
    add = given & ~parse.has_time(date_text)
    return date_text.where(~add, date_text + " " + clock_text)


def _when(lines: pd.DataFrame, raw: pd.DataFrame, profile: Profile, mapping: dict[str, str],
          ctx: Context, p: _Problems) -> pd.Series:
    """Start, end and booking instants (UTC) into ``lines``; returns each row's location.

    A start cell with only a date takes its time of day from the time or time
    range column. Where no column gives one, the visit starts at local
    midnight with ``time_known`` 0 and no end: it counts for revenue and
    visits, never for utilisation, and the file's report says so once.
    """
    g = lambda fld: _get(raw, mapping, fld)  # noqa: E731
    idx = raw.index
    date_fields = [
        f for f in ("start", "start_date", "end", "booked_at", "cancelled_at") if f in mapping
    ]
    order = ctx.date_order or (profile.date_order if profile.date_order != "ask" else None)
    if order is None and any(parse.has_numeric_dates(g(f)) for f in date_fields):
        raise NeedDateOrder()
    fmts = profile.datetime_formats
    blank = pd.Series("", index=idx, dtype=object)
    range_start, range_end = blank, blank
    if "time_range" in mapping:
        range_start, range_end = parse.parse_time_range(g("time_range"))
    clock = range_start if "time_range" in mapping else g("start_time")
    start_field = "start" if "start" in mapping else "start_date"
    if start_field in mapping:
        start_text = _with_clock(g(start_field), clock).str.strip()
    elif profile.kind == "customers":
        start_text, start_field = g("first_visit"), "first_visit"
    else:  # line items whose time comes from the payments file they join
        start_text = blank
    start_local, bad = parse.parse_datetime(start_text, formats=fmts, date_order=order)
    p.add(bad, start_field, "is not a date and time BarberBI can read.", values=start_text)
    visit_start = start_field in mapping and profile.kind != "customers"
    if visit_start:
        p.add(start_text.eq(""), start_field, "the start date is missing.")
    date_only = start_local.notna() & ~parse.has_time(start_text) & visit_start

    end_field = "end"
    if "end" in mapping:
        end_text = _with_clock(g("end"), range_end)
        end_local, bad = parse.parse_datetime(end_text, formats=fmts, date_order=order)
        p.add(bad, "end", "is not a date and time BarberBI can read.", values=end_text)
    elif "time_range" in mapping:
        end_field = "time_range"
        day = start_local.dt.strftime("%Y-%m-%d").fillna("")
        end_text = (day + " " + range_end).where(range_end.ne("") & day.ne(""), "")
        end_local, bad = parse.parse_datetime(end_text, formats=fmts, date_order="mdy")
        p.add(bad, "time_range", "is not a time range BarberBI can read (e.g. 09:15 - 09:45).",
              values=g("time_range"))
    else:
        end_text = blank
        end_local = pd.Series(pd.NaT, index=idx, dtype="datetime64[ns]")
    end_from = pd.Series(end_field, index=idx, dtype=object)  # the column each end came from
    if "duration" in mapping:
        minutes, bad = parse.parse_duration(g("duration"))
        p.add(bad, "duration", "is not a duration BarberBI can read (e.g. 45, 1h 30min).",
              values=g("duration"))
        by_duration = start_local + pd.to_timedelta(minutes.astype("float64"), unit="min")
        end_from = end_from.where(end_local.notna() | by_duration.isna(), "duration")
        end_local = end_local.fillna(by_duration)
    # A date without a time has no end either: 00:00 plus 45 minutes is not when it ended.
    end_local = end_local.where(~date_only)

    location, zones = where(raw, mapping, ctx)
    if "timezone" in mapping:
        tz_text = g("timezone")
        named = tz_text.map({t: zone_name(t) for t in tz_text.unique()}).astype(object)
        p.add(tz_text.ne("") & named.isna(), "timezone", "is not a time zone BarberBI knows.",
              values=tz_text)
        zones = named.fillna(zones)
    lines["start_utc"] = _to_utc(start_local, zones.where(~parse.utc_marked(start_text), "UTC"))
    lines["time_known"] = (~date_only).astype("int64")
    lines["end_utc"] = _to_utc(end_local, zones.where(~parse.utc_marked(end_text), "UTC"))
    if "booked_at" in mapping:
        booked_local, bad = parse.parse_datetime(g("booked_at"), formats=fmts, date_order=order)
        p.add(bad, "booked_at", "is not a date and time BarberBI can read.", values=g("booked_at"))
        booked_zones = zones.where(~parse.utc_marked(g("booked_at")), "UTC")
        lines["booked_at_utc"] = _to_utc(booked_local, booked_zones)
    else:
        lines["booked_at_utc"] = pd.Series(pd.NA, index=idx, dtype="Int64")
    # Kept for cancelled bookings only (the load keeps it where the status is cancelled).
    if "cancelled_at" in mapping:
        text = g("cancelled_at")
        cancelled_local, bad = parse.parse_datetime(text, formats=fmts, date_order=order)
        p.add(bad, "cancelled_at", "is not a date and time BarberBI can read.", values=text)
        lines["cancelled_at_utc"] = _to_utc(
            cancelled_local, zones.where(~parse.utc_marked(text), "UTC")
        )
    else:
        lines["cancelled_at_utc"] = pd.Series(pd.NA, index=idx, dtype="Int64")

    now = int(ctx.now_utc.timestamp())
    start_s, end_s = lines["start_utc"], lines["end_utc"]
    p.add(start_s.gt(now + ctx.horizon_days * 86400).fillna(False), start_field,
          f"is more than {ctx.horizon_days} days in the future, beyond any booking horizon.",
          values=start_text)
    p.add(start_s.lt(946_684_800).fillna(False), start_field,
          "is before the year 2000, which cannot be a booking.", values=start_text)
    length = (end_s - start_s).astype("Float64")
    too_long = (length > MAX_VISIT_HOURS * 3600).fillna(False) & (not ctx.allow_long_visits)
    hours = (length / 3600).round(1).astype(str).str.removesuffix(".0")
    for fld in end_from.unique():
        mine = end_from.eq(fld)
        p.add((end_s < start_s).fillna(False) & mine, fld,
              "the appointment ends before it starts.")
        p.add(too_long & mine, fld, "makes the visit " + hours + " hours long; a visit over "
              f"{MAX_VISIT_HOURS} hours is not believable, so check the file (or import it "
              "with --allow-long-visits if it is right).", values=g(fld))
    if date_only.any():
        first = pd.Series(idx == idx[date_only.to_numpy()][0], index=idx)
        p.add(first, start_field, f"the file gives dates without a time of day; these "
              f"{_count_visits(raw, profile, mapping, date_only)} visits count for revenue "
              "and visits, not for utilisation or hourly charts.", severity="warning")
    return location


def _count_visits(raw: pd.DataFrame, profile: Profile, mapping: dict[str, str],
                  rows: pd.Series) -> int:
    """How many visits the marked rows are (the lines of one sale or receipt are one visit)."""
    field_ = "transaction_id" if "transaction_id" in mapping else "appointment_id"
    if field_ not in mapping:
        return int(rows.sum())
    ids = _get(raw, mapping, field_)[rows]
    return int(ids[ids.ne("")].nunique() + ids.eq("").sum())


def transform(raw: pd.DataFrame, profile: Profile, mapping: dict[str, str], ctx: Context,
              salt: str = "") -> Chunk:
    """Canonical lines and problems for one chunk of a file."""
    p = _Problems(ctx, mapping)
    if raw.empty:
        return Chunk(pd.DataFrame(columns=LINE_COLUMNS), p.frame(), 0)
    g = lambda fld: _get(raw, mapping, fld)  # noqa: E731
    idx = raw.index
    lines = pd.DataFrame(index=idx)
    lines["row"] = idx.to_numpy()

    # --- when -----------------------------------------------------------------
    location = _when(lines, raw, profile, mapping, ctx, p)
    start_s = lines["start_utc"]
    now = int(ctx.now_utc.timestamp())

    # --- what happened ------------------------------------------------------------
    status_raw = g("status")
    status = _words(status_raw, profile.status_words)
    p.add(status_raw.ne("") & status.isna(), "status",
          "is not a status BarberBI knows, so the row is not counted as completed; add it to "
          "the status mapping.", values=status_raw)
    event = g("event_type").str.lower()
    refund = event.isin(REFUND_EVENTS)
    from_event = _words(event.where(~refund, ""), profile.status_words)
    status = status.where(status.notna(), from_event)
    if "cancelled" in mapping:
        status = status.where(~parse.parse_flag(g("cancelled")), "cancelled")
    if "no_show" in mapping:
        status = status.where(~parse.parse_flag(g("no_show")), "no_show")
    future = start_s.gt(now).fillna(False)
    default = pd.Series(np.where(future, "booked", "completed"), index=idx)
    status = status.where(status.notna() | status_raw.ne(""), default)
    if profile.past_confirmed_is_completed:
        status = status.where(~(status.eq("confirmed") & ~future), "completed")
    lines["status"] = status
    raw_text = status_raw.where(status_raw.ne(""), event.where(event.ne(""), None))
    lines["status_raw"] = raw_text.where(raw_text.notna(), None)

    channel_raw = g("channel")
    channel = _words(channel_raw, profile.channel_words)
    lines["channel"] = channel.where(channel.notna() | channel_raw.eq(""), "other")
    lines.loc[channel_raw.eq(""), "channel"] = None

    # --- who --------------------------------------------------------------------------
    key, ext, name, email, phones = client_identity(g, idx, profile, ctx.country_code, p)
    lines["client_key"] = key
    lines["client_ext"] = ext.where(ext.ne(""), None)
    lines["client_name"] = name.where(name.ne(""), None)
    lines["email"] = email
    lines["phone"] = phones
    if profile.kind == "appointments":
        p.add(key.isna(), "client_name", "the row names no client (give a client id, email, "
              "phone or name).")
    lines["barber"] = g("barber").where(g("barber").ne(""), None)
    lines["location"] = location

    # --- what was sold ------------------------------------------------------------------
    _items(lines, raw, profile, mapping, p, g, refund)

    # --- identity -----------------------------------------------------------------------
    family = profile.family or profile.name
    txn = g("transaction_id") if "transaction_id" in mapping else g("appointment_id")
    id_field = "transaction_id" if "transaction_id" in mapping else "appointment_id"
    visit = pd.Series(f"{family}:" + txn, index=idx).where(txn.ne(""), None)
    if profile.id_scope == "series":
        visit = visit + "@" + lines["start_utc"].astype(str)
    if profile.kind in ("lines", "payments"):
        p.add(txn.eq(""), id_field, "the row has no id to tie it to its sale.")
    hashed = pd.util.hash_pandas_object(
        pd.DataFrame({"s": lines["start_utc"].astype(str), "c": key.fillna(""),
                      "b": lines["barber"].fillna(""), "i": lines["item_name"].fillna("")}),
        index=False,
    )
    visit = visit.where(visit.notna(), f"{family}:h:" + hashed.astype(str))
    lines["visit_key"] = visit
    lines["source_id"] = txn.where(txn.ne(""), None)
    lines["row_hash"] = row_hashes(raw, mapping, ctx, salt)
    # A line's identity is its visit, what it sold (line_hash: the parsed line, not the raw
    # row, so the same export read through another mapping is the same line) and its place
    # among identical lines of the visit; load.py numbers the lines once the whole file is
    # staged, so chunks parsed in a helper process need not know about each other.
    lines["line_hash"] = _line_hash(lines)
    lines["line_no"] = 0

    problems = p.frame()
    errors = set(problems.loc[problems["severity"] == "error", "row"])
    keep = ~lines["row"].isin(errors)
    rejected = lines.loc[~keep, "visit_key"].dropna().unique().tolist()
    return Chunk(lines.loc[keep, LINE_COLUMNS], problems, len(raw), rejected_visits=rejected)



def client_identity(
    g, idx: pd.Index, profile: Profile, country_code: str, p: _Problems,
    phone_text: pd.Series | None = None,
) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series, pd.Series]:
    """Each row's client key, platform id, name, email and E.164 phone.

    One function for booking exports and client lists, so both give a person the
    same key (platform id, else email, else phone, else a name within the platform)
    and find the same client. A phone number in the name cell (Booksy writes a
    nameless client's number there) is taken as the phone.
    """
    name = g("client_name")
    full = (g("client_first_name") + " " + g("client_last_name")).str.strip()
    name = name.where(name.ne(""), full)
    phone_text = g("client_phone") if phone_text is None else phone_text
    looks_like_phone = name.str.fullmatch(r"\+?[\d\s()\-.]{7,}") & phone_text.eq("")
    phone_text = phone_text.where(~looks_like_phone, name)
    name = name.where(~looks_like_phone, "")
    country = g("phone_country").str.replace(r"\D", "", regex=True)
    codes = country.where(country.ne(""), profile.phone_country or country_code)
    phones = pd.Series(None, index=idx, dtype=object)
    bad_phone = pd.Series(False, index=idx)
    for cc in codes.unique():
        sel = codes.eq(cc)
        ph, bad = parse.normalise_phone(phone_text[sel], cc)
        phones[sel] = ph
        bad_phone.loc[sel] = bad  # plain [] upcasts to object on pandas < 3
    p.add(bad_phone, "client_phone", "is not a phone number; it is left out.",
          severity="warning", values=phone_text)
    email, bad_email = parse.normalise_email(g("client_email"))
    p.add(bad_email, "client_email", "is not an email address; it is left out.",
          severity="warning", values=g("client_email"))
    ext = g("client_id")
    family = profile.family or profile.name
    key = pd.Series(None, index=idx, dtype=object).where(ext.eq(""), f"{family}:client:" + ext)
    key = key.where(key.notna() | email.isna(), "email:" + email.fillna(""))
    key = key.where(key.notna() | phones.isna(), "phone:" + phones.fillna(""))
    low_name = name.str.lower().str.split().str.join(" ")
    key = key.where(key.notna() | name.eq(""), f"{family}:name:" + low_name)
    return key, ext, name, email, phones


def _line_hash(lines: pd.DataFrame) -> pd.Series:
    """A fingerprint of what each line sold, the same on pandas 2 and 3.

    Text goes in as pandas' string type and numbers as floats (whole cents are exact
    below 2**53), each with one fixed token for a missing value: the two pandas
    versions spell a missing value differently as text, and a line's key must not
    change with the version. Typed columns hash in a quarter of the time that
    converting every cell to text took (0.5 s against 1.9 s a million lines).
    """
    parts: dict[str, pd.Series] = {}
    for col in ("kind", "item_name", "barber", "payment_method"):
        text = lines[col].astype("string")
        parts[col] = (text.str.lower() if col in ("item_name", "barber") else text).fillna("\x00")
    for col in ("quantity", "unit_price_cents", "discount_cents", "tax_cents", "tip_cents"):
        number = pd.to_numeric(lines[col], errors="coerce").astype("Float64")
        parts[col] = number.fillna(-1e18).astype("float64")
    return pd.util.hash_pandas_object(pd.DataFrame(parts), index=False).astype(str)

def _items(lines: pd.DataFrame, raw: pd.DataFrame, profile: Profile,
           mapping: dict[str, str], p: _Problems, g, refund: pd.Series) -> None:
    """What each row sold; a negative row (refund, comp, correction) is an adjustment line.

    An adjustment is stored as one line whose price is the (negative) amount, so that
    every sum of quantity x price is the net the file holds. Nothing with money in it
    is dropped: a refund row lowers its visit's revenue instead of being skipped.
    """
    idx = raw.index
    if profile.kind == "lines":
        name = g("item_name")
        kind = _words(g("item_type"), profile.item_type_words).fillna("service")
    else:
        name = g("service")
        kind = pd.Series("service", index=idx, dtype=object)
    if profile.kind == "appointments" and "price" in mapping and "service" in mapping:
        p.add(name.eq("") & g("price").eq(""), "service",
              "the row has neither a service nor a price.")
    lines["kind"] = kind
    lines["item_name"] = name.where(name.ne(""), None)
    cat_text = g("category").str.lower()
    cat = cat_text.where(cat_text.isin(CATEGORIES))
    guessed = guess_category(name.where(name.ne(""), cat_text))
    lines["category"] = cat.fillna(guessed).where(kind.isin(["service", "package"]), None)
    qty, bad = parse.parse_int(g("quantity"))
    p.add(bad | qty.eq(0).fillna(False) | (qty.abs() > MAX_QUANTITY).fillna(False), "quantity",
          "is not a sensible quantity.", values=g("quantity"))
    qty = qty.fillna(1)

    money = {}
    for fld in ("price", "discount", "tax", "tip", "card", "cash"):
        if fld not in mapping:
            money[fld] = pd.Series(pd.NA, index=idx, dtype="Int64")
            continue
        cents, bad = parse.parse_money(g(fld), profile.decimal)
        p.add(bad, fld, "is not an amount of money BarberBI can read.", values=g(fld))
        money[fld] = cents
    price = money["price"]
    extra = kind.isin(["discount", "tip", "tax"])
    price = price.where(~kind.eq("discount"), price.abs())
    p.add((price.abs() > parse.MAX_ITEM_CENTS).fillna(False), "price",
          "is not a believable price for one item (over $10,000).", values=g("price"))
    # A line is an adjustment when its money or its quantity is negative, or the platform
    # calls the row a refund. Its amount is the line's total with a minus sign, whichever
    # of price and quantity carried the sign (Square writes -1.0 and -$7.00 together).
    negative = (price < 0).fillna(False) | (qty < 0).fillna(False) | refund
    negative &= ~extra & price.notna()
    total = price if profile.price_is_total else price * qty.abs()
    price = price.where(~negative, -total.abs())
    qty = qty.where(~negative, 1)
    if profile.price_is_total:  # the column is the line's total: the unit price is total / qty
        unit = (price / qty).round().astype("Int64")
        p.add((price.notna() & ~negative & (unit * qty).ne(price)).fillna(False), "price",
              "is a line total that does not divide by its quantity into whole cents.",
              values=g("price"))
        price = unit.where(~negative, price)
    kind = kind.where(~negative, ADJUSTMENT)
    lines["kind"] = kind
    lines["quantity"] = qty.astype("int64")
    for fld in ("tax", "tip"):
        p.add((money[fld] < 0).fillna(False) & ~negative, fld, "cannot be negative.",
              values=g(fld))
        p.add((money[fld] > parse.MAX_ITEM_CENTS).fillna(False), fld,
              "is not a believable amount (over $10,000).", values=g(fld))
    # Square writes discounts as negative numbers, others as positive: the size is what counts.
    lines["unit_price_cents"] = price
    # A discount makes a line smaller: on a refund (an adjustment) it is given back with
    # the refund, so it counts against the refund (Square writes +$5.00 there).
    size = money["discount"].abs().fillna(0)
    lines["discount_cents"] = size.where(~negative, -size).astype("int64")
    lines["tax_cents"] = money["tax"].fillna(0).astype("int64")
    lines["tip_cents"] = money["tip"].fillna(0).astype("int64")
    method = g("payment_method").str.lower().str.slice(0, 20)
    method = method.where(method.ne(""), None)
    if "card" in mapping or "cash" in mapping:
        by_amount = np.where(money["card"].fillna(0) > 0, "card",
                             np.where(money["cash"].fillna(0) > 0, "cash", None))
        method = method.where(method.notna(), pd.Series(by_amount, index=idx))
    lines["payment_method"] = method
