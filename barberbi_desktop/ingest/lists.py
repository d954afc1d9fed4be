"""Client, service and staff lists: what the booking exports lack, added to what is known.

A list is not a record of visits: it says who the clients are (first visit,
contacts, how they found the shop, marketing consent, birthday), what the
services cost and how long they take, and who works where. Lists *enrich*:
they insert what is new and fill in what the shop does not know yet, and they
never delete or empty anything (a client, service or barber a list leaves out
stays as it was). The file is read and checked whole first, with every problem
named by row and column, then landed in one transaction as one batch, undone
exactly like a booking import (`lists_load`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from barberbi_desktop.errors import InputError
from barberbi_desktop.events import DataChanged
from barberbi_desktop.ingest import lists_load, parse
from barberbi_desktop.ingest.canonical import (
    CATEGORIES,
    _Problems,
    _to_utc,
    client_identity,
    guess_category,
)
from barberbi_desktop.ingest.profiles import LIST_KINDS, Profile, normalise_word
from barberbi_desktop.storage.cursor import Cursor, raw_cursor

if TYPE_CHECKING:
    from barberbi_desktop.ingest.importer import Importer, _Source

__all__ = ["LIST_KINDS", "import_list", "mark_premium_services", "transform"]

BLANK = {"", "-", "--", "---", "n/a", "na", "none", "null", "brak"}
NOT_A_PRICE = {"variable", "varies", "free quote", "on request"}
YES = {
    "yes", "y", "true", "1", "x", "sì", "si", "tak", "ja", "oui", "subscribed", "opted in",
    "opt in", "opted-in", "granted", "accepted", "active", "attivo", "attiva", "enabled",
    "abilitati", "abilitato", "aktywny", "aktywna", "employed", "current",
}  # fmt: skip
NO = {
    "no", "n", "false", "0", "nie", "nein", "non", "unsubscribed", "opted out", "opt out",
    "opted-out", "declined", "not subscribed", "never subscribed", "inactive", "non attivo",
    "disattivato", "disabled", "disabilitato", "disabilitati", "archived", "deleted",
    "nieaktywny", "nieaktywna", "former", "terminated",
}  # fmt: skip
_NAMED_DAY = ["%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y"]


@dataclass
class ListContext:
    """What reading a list needs beyond the file: names, zones and the clock."""

    file_name: str
    now_utc: pd.Timestamp
    zone: str  # list dates (first visit, added) are days in the shop's zone
    default_location: str | None  # staff rows that name no location work here
    date_order: str | None = None
    country_code: str = "1"


@dataclass
class ListRows:
    rows: pd.DataFrame  # one row per good file row (columns depend on the kind)
    problems: pd.DataFrame  # row, column, severity, message
    rows_read: int


def _cells(raw: pd.DataFrame, mapping: dict[str, str], fld: str) -> pd.Series:
    """A column's text, with the fillers lists write for "nothing" (``---``) as blank."""
    col = mapping.get(fld)
    if col is None or col not in raw:
        return pd.Series("", index=raw.index, dtype=object)
    text = raw[col].astype(str).str.strip()
    return text.where(~text.str.lower().isin(BLANK), "")


def _flag(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Yes/no words to True/False/None; returns (values, not-understood mask)."""
    low = text.map(normalise_word)
    values = pd.Series(None, index=text.index, dtype=object)
    values[low.isin(YES)] = True
    values[low.isin(NO)] = False
    return values, text.ne("") & values.isna()


def _dates(text: pd.Series, profile: Profile, ctx: ListContext, p: _Problems,
           fld: str) -> pd.Series:
    """Day (or date and time) text to epoch seconds of that moment in the shop's zone."""
    local, bad = parse.parse_datetime(text, formats=profile.datetime_formats,
                                      date_order=ctx.date_order)  # fmt: skip
    p.add(bad, fld, "is not a date BarberBI can read.", values=text)
    seconds = _to_utc(local, pd.Series(ctx.zone, index=text.index))
    now = int(ctx.now_utc.timestamp())
    odd = (seconds.gt(now + 86400) | seconds.lt(-2_208_988_800)).fillna(False)
    p.add(odd, fld, "is not a believable date for a client (in the future or before 1900); "
          "it is left out.", severity="warning", values=text)  # fmt: skip
    return seconds.where(~odd)


def birthdays(text: pd.Series, date_order: str | None) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Birthday text to (month, day, unreadable mask); the year, if any, is dropped.

    Fresha writes ``1990-04-12`` or, without the year, ``04-12`` (month first);
    numeric ``12/04/1990`` follows the file's date order; ``April 12`` and
    ``12 Apr 1990`` are read by name. A year of 0000 or 1604 (placeholders for
    "no year") is fine: only the month and day are kept.
    """
    month = pd.Series(np.nan, index=text.index)
    day = pd.Series(np.nan, index=text.index)
    iso = text.str.extract(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
    month, day = month.fillna(pd.to_numeric(iso[1])), day.fillna(pd.to_numeric(iso[2]))
    dash = text.str.extract(r"^(\d{1,2})-(\d{1,2})$")  # Fresha's MM-DD
    month, day = month.fillna(pd.to_numeric(dash[0])), day.fillna(pd.to_numeric(dash[1]))
    num = text.str.extract(r"^(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2,4}))?$")
    first, second = pd.to_numeric(num[0]), pd.to_numeric(num[1])
    if date_order == "dmy":
        month, day = month.fillna(second), day.fillna(first)
    elif date_order == "mdy":
        month, day = month.fillna(first), day.fillna(second)
    todo = month.isna() & text.ne("") & num[0].isna()
    if todo.any():
        has_year = text.str.contains(r"\b\d{4}\b")
        with_year = text.where(has_year, text + " 2000").str.replace(",", " ", regex=False)
        with_year = with_year.str.replace(r"\s+", " ", regex=True).str.strip()
        for fmt in _NAMED_DAY:
            parsed = pd.to_datetime(with_year[todo], format=fmt, errors="coerce")
            hit = parsed.notna()
            month[hit[hit].index] = parsed[hit].dt.month
            day[hit[hit].index] = parsed[hit].dt.day
            todo &= month.isna()
    # 2000 is a leap year, so 29 February is a real birthday.
    real = pd.to_datetime(
        pd.DataFrame({"year": 2000, "month": month, "day": day}).where(month.notna()),
        errors="coerce",
    ).notna() & month.between(1, 12)
    bad = text.ne("") & ~real
    return month.where(real).astype("Int64"), day.where(real).astype("Int64"), bad


def transform(raw: pd.DataFrame, profile: Profile, mapping: dict[str, str],
              ctx: ListContext) -> ListRows:
    """The good rows of one chunk of a list, and a sentence for every problem."""
    p = _Problems(ctx, mapping)  # type: ignore[arg-type]  # it only reads the file name
    rows = {"clients": _clients, "services": _services, "staff": _staff}[profile.kind](
        raw, profile, mapping, ctx, p
    )
    rows.insert(0, "row", raw.index.to_numpy())
    problems = p.frame()
    errors = set(problems.loc[problems["severity"] == "error", "row"])
    keep = ~rows["row"].isin(errors) & ~rows.pop("left_out")
    return ListRows(rows[keep].reset_index(drop=True), problems, len(raw))


def _clients(raw: pd.DataFrame, profile: Profile, mapping: dict[str, str],
             ctx: ListContext, p: _Problems) -> pd.DataFrame:
    g = lambda fld: _cells(raw, mapping, fld)  # noqa: E731
    idx = raw.index
    phone_text = g("client_phone").where(g("client_phone").ne(""), g("client_phone_2"))
    phone_text = phone_text.str.replace(r"^\\\+", "+", regex=True)  # Fresha writes \+ for +
    key, ext, name, email, phones = client_identity(g, idx, profile, ctx.country_code, p,
                                                    phone_text)  # fmt: skip
    named = next((f for f in ("client_id", "client_name", "client_first_name", "client_email",
                              "client_phone") if f in mapping), "client_name")  # fmt: skip
    p.add(key.isna(), named, "the row names no client (no id, name, email or phone).")
    first_seen = pd.Series(pd.NA, index=idx, dtype="Int64")
    for fld in ("first_visit", "added"):
        if fld in mapping:
            seen = _dates(g(fld), profile, ctx, p, fld)
            first_seen = first_seen.where(first_seen.notna() & (first_seen <= seen).fillna(True),
                                          seen)  # fmt: skip
    consent, unknown = _flag(g("marketing_consent"))
    p.add(unknown, "marketing_consent", "is not a yes or no BarberBI understands, so the "
          "client's consent stays unknown.", severity="warning", values=g("marketing_consent"))
    month, day, bad_day = birthdays(g("birthday"), ctx.date_order)
    p.add(bad_day, "birthday", "is not a birthday BarberBI can read; it is left out.",
          severity="warning", values=g("birthday"))
    referral = g("referral_source").str.slice(0, 40)
    return pd.DataFrame({
        "client_key": key, "client_ext": ext.where(ext.ne(""), None),
        "client_name": name.where(name.ne(""), None), "email": email, "phone": phones,
        "first_seen": first_seen, "referral": referral.where(referral.ne(""), None),
        "consent": consent, "birthday_month": month, "birthday_day": day, "left_out": False,
    })  # fmt: skip


# Category names service lists use (in the account's language) that the words a service
# name is guessed from do not cover.
LIST_CATEGORY_WORDS = {
    "haircuts": "cut", "haircut": "cut", "cuts": "cut", "taglio": "cut", "tagli": "cut",
    "strzyżenie": "cut", "barba": "beard", "broda": "beard", "beards": "beard",
    "colore": "colour", "coloring": "colour", "colouring": "colour", "koloryzacja": "colour",
    "packages": "package", "pacchetti": "package", "pakiety": "package",
    "shaves": "treatment", "rasatura": "treatment", "trattamenti": "treatment",
    "treatments": "treatment", "retail": "retail", "prodotti": "retail", "produkty": "retail",
}  # fmt: skip


def category_from_words(words: pd.Series) -> pd.Series:
    """A list's own category text to one of BarberBI's categories, or None if it says none."""
    low = words.str.lower().str.strip()
    exact = low.where(low.isin(CATEGORIES)).fillna(low.map(LIST_CATEGORY_WORDS))
    guessed = guess_category(low).where(low.ne(""))
    return exact.fillna(guessed.where(guessed.ne("other"))).astype(object)


def _services(raw: pd.DataFrame, profile: Profile, mapping: dict[str, str],
              ctx: ListContext, p: _Problems) -> pd.DataFrame:
    g = lambda fld: _cells(raw, mapping, fld)  # noqa: E731
    name = g("service").str.slice(0, 120)
    p.add(name.eq(""), "service", "the row has no service name.")
    kind = g("item_type").map(lambda v: profile.item_type_words.get(normalise_word(v)))
    other = kind.notna() & ~kind.isin(["service", "package"])
    p.add(other, "item_type", "is not a service (a product or other item); the row is left "
          "out.", severity="warning", values=g("item_type"))  # fmt: skip
    minutes, bad = parse.parse_duration(g("duration"))
    p.add(bad, "duration", "is not a duration BarberBI can read (e.g. 45, 45m, 1h 30m).",
          values=g("duration"))
    p.add((minutes <= 0).fillna(False), "duration", "is not a sensible duration for a "
          "service.", values=g("duration"))  # fmt: skip
    price_text = g("price").where(~g("price").str.lower().isin(NOT_A_PRICE), "")
    price, bad = parse.parse_money(price_text, profile.decimal)
    p.add(bad, "price", "is not an amount of money BarberBI can read.", values=price_text)
    p.add((price < 0).fillna(False), "price", "is a negative price.", values=price_text)
    p.add((price > parse.MAX_ITEM_CENTS).fillna(False), "price",
          "is not a believable price for a service (over $10,000).", values=price_text)
    given = category_from_words(g("category"))
    category = given.fillna(guess_category(name))
    return pd.DataFrame({
        "lname": name.str.lower(), "name": name, "service_ext": g("service_id"),
        "duration": minutes, "price": price, "category": category,
        "category_given": given.notna(), "left_out": other,
    })  # fmt: skip


def _staff(raw: pd.DataFrame, profile: Profile, mapping: dict[str, str],
           ctx: ListContext, p: _Problems) -> pd.DataFrame:
    g = lambda fld: _cells(raw, mapping, fld)  # noqa: E731
    name = g("barber")
    full = (g("staff_first_name") + " " + g("staff_last_name")).str.strip()
    name = name.where(name.ne(""), full).str.split().str.join(" ").str.slice(0, 120)
    named = "barber" if "barber" in mapping else "staff_first_name"
    p.add(name.eq(""), named, "the row has no staff member's name.")
    active, unknown = _flag(g("active"))
    p.add(unknown, "active", "is not a status BarberBI understands (active or inactive), so "
          "it is left as it was.", severity="warning", values=g("active"))  # fmt: skip
    location = g("location")
    if ctx.default_location is not None:
        location = location.where(location.ne(""), ctx.default_location)
    p.add(location.eq(""), "location", "the row does not say which location the staff member "
          "works at, and the shop has several; choose one with --location NAME.")
    return pd.DataFrame({
        "lname": name.str.lower(), "name": name, "staff_ext": g("staff_id"),
        "active": active, "location": location, "left_out": False,
    })  # fmt: skip


# --- the import ----------------------------------------------------------------------


def _context(importer: Importer, src: _Source, date_order: str | None,
             location: str | None) -> ListContext:
    from barberbi_desktop.ingest.importer import local_zone

    with importer.db.read() as conn:
        locs = conn.exec_driver_sql("SELECT name, timezone FROM locations ORDER BY id").all()
    if location is not None:
        default: str | None = location
    elif len(locs) <= 1:
        default = locs[0][0] if locs else "Main"
    else:
        default = None
    zone = next((z for n, z in locs if default and n.lower() == default.lower()), None)
    now = pd.Timestamp(importer.now or pd.Timestamp.now(tz="UTC"))
    profile = src.detection.profile
    return ListContext(
        file_name=src.path.name,
        now_utc=now.tz_convert("UTC") if now.tzinfo else now.tz_localize("UTC"),
        zone=zone or (locs[0][1] if locs else local_zone()),
        default_location=default,
        date_order=date_order or (profile.date_order if profile.date_order != "ask" else None),
    )


def _settle_date_order(raw: pd.DataFrame, src: _Source, ctx: ListContext) -> None:
    """Numeric dates (``03/04/2026``) are read only once the file says which order it uses."""
    if ctx.date_order is not None:
        return
    mapping = src.detection.mapping
    cols = [mapping[f] for f in ("first_visit", "added", "birthday") if f in mapping]
    first = second = False
    for col in cols:
        f, s = parse.date_order_evidence(raw[col])
        first, second = first or f, second or s
    if first and second:
        raise InputError(f"{src.path.name}: the dates mix day-first and month-first forms, so "
                         "they cannot be read reliably; export the file again.")  # fmt: skip
    if first or second:
        ctx.date_order = "dmy" if first else "mdy"
        return
    for col in cols:
        if parse.has_numeric_dates(raw[col]):
            example = raw[col][raw[col].str.match(r"^\s*\d+[/.]")].iloc[0]
            raise InputError(
                f"{src.path.name}: the dates in column {col} (e.g. {example}) could be "
                "day/month or month/day; say which with --date-order dmy or --date-order mdy."
            )


def _read(importer: Importer, src: _Source, ctx: ListContext) -> tuple[ListRows, list]:
    chunks = []
    for chunk in src.table.chunks():
        if importer.cancelled and importer.cancelled():
            raise InputError(f"The import of {src.path.name} was cancelled.")
        chunks.append(chunk)
        if importer.progress:
            importer.progress(sum(len(c) for c in chunks))
    raw = pd.concat(chunks) if chunks else pd.DataFrame(columns=src.table.header, dtype=str)
    _settle_date_order(raw, src, ctx)
    read = transform(raw, src.detection.profile, src.detection.mapping, ctx)
    problems = [read.problems.assign(file_idx=0)] if len(read.problems) else []
    return read, problems


def import_list(importer: Importer, src: _Source, date_order: str | None,
                location: str | None, dry_run: bool, skip_bad_rows: bool) -> None:
    """Read, check and land one list file as one batch; fills in ``src.report``."""
    from barberbi_desktop.ingest.importer import _sha256

    ctx = _context(importer, src, date_order, location)
    read, problems = _read(importer, src, ctx)
    report, profile = src.report, src.detection.profile
    report.rows_read, report.rejected = read.rows_read, read.rows_read - len(read.rows)
    importer._check([src], problems, skip_bad_rows)
    db, started = importer.db, time.perf_counter()
    changed = False
    with raw_cursor(db) as cur:
        try:
            with db.write_lock():
                cur.begin_write()
                try:
                    batch_id = cur.insert_id(
                        "INSERT INTO import_batches (platform, file_name, sha256, started_utc, "
                        "rows_read, inserted, updated, unchanged, rejected, user_id, status, "
                        "kind) VALUES (?, ?, ?, ?, 0, 0, 0, 0, 0, ?, 'running', ?)",
                        (profile.name, src.path.name, _sha256([src.path]), int(time.time()),
                         importer.user_id, profile.kind),
                    )  # fmt: skip
                    counts = lists_load.merge(
                        cur, profile.kind, read.rows, batch_id=batch_id,
                        family=profile.family or profile.name, zone=ctx.zone,
                    )  # fmt: skip
                    report.inserted, report.updated = counts["inserted"], counts["updated"]
                    report.unchanged = counts["unchanged"]
                    report.batch_id = None if dry_run else batch_id
                    report.status = "dry_run" if dry_run else "landed"
                    importer._record(cur, batch_id, [src], problems, started)
                    changed = counts["inserted"] + counts["updated"] > 0
                    if changed:
                        cur.execute("UPDATE shop_state SET data_version = data_version + 1")
                        cur.execute(
                            "UPDATE import_batches SET data_version = (SELECT data_version "
                            "FROM shop_state WHERE id = 1) WHERE id = ?", (batch_id,),
                        )  # fmt: skip
                    cur.execute("ROLLBACK" if dry_run else "COMMIT")
                except BaseException:
                    cur.rollback_if_open()
                    raise
        finally:
            lists_load.drop_stage(cur)
    if changed and not dry_run and importer.hub is not None:
        importer.hub.publish(DataChanged(reason="import", batch_id=batch_id))


def mark_premium_services(cur: Cursor, batch_id: int) -> int:
    """Mark the services a booking import created as premium by the owner's threshold.

    For `load.merge` to call once a batch's sale lines are in: such a service has no
    list price, so the price it was most often sold at in the data decides
    (`storage.premium`). Returns how many flags were set.
    """
    return lists_load.mark_premium(cur, batch_id)
