"""Turning export text into typed values, a whole column at a time.

Each parser takes a Series of strings and returns the parsed values plus a
mask of the cells it could not read, so the caller can name every bad row and
column. Blank cells are *unknown* (NA), never zero: a missing price must not
count as a free haircut.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

MAX_ITEM_CENTS = 1_000_000  # $10,000 for one line of a barbershop bill is not a real sale

# Patterns are kept as text: pandas hands text patterns to Arrow's vectorised regex
# engine, while a compiled ``re.Pattern`` sends every cell through Python.
_CURRENCY = "(?i)(us\\$|\\$|€|£|zł|pln|usd|eur|gbp|cad|aud|[ \t\u00a0\u202f])"
_COMMA_DECIMAL = r"^-?\d{1,3}(\.\d{3})*,\d{1,2}$|^-?\d+,\d{1,2}$"


def blank(s: pd.Series) -> pd.Series:
    return s.isna() | s.astype(str).str.strip().eq("")


def parse_money(s: pd.Series, decimal: str = "auto") -> tuple[pd.Series, pd.Series]:
    """Money text to integer cents (Int64); returns (cents, unreadable mask).

    Handles ``$1,234.56``, ``-$2.00``, ``($12.00)``, ``12,50`` and ``1.234,50``.
    With ``decimal="auto"`` a comma followed by one or two digits at the end is
    a decimal comma, as European exports write it; otherwise commas group
    thousands. Every step is a whole-column string operation (Arrow), which is
    what keeps a million rows in seconds.
    """
    text = s.astype("str").str.strip()
    empty = (text.eq("") | text.str.lower().isin(["-", "n/a", "na", "none", "null"])).to_numpy()
    t = text.str.replace(_CURRENCY, "", regex=True)
    negative = t.str.match(r"^\(.*\)$").to_numpy(dtype=bool, na_value=False)
    t = t.str.replace(r"^\((.*)\)$", r"\1", regex=True)
    t = t.str.replace(r"^([^-].*)-$", r"-\1", regex=True)  # a trailing minus: 12.00-
    if decimal == ",":
        comma = np.ones(len(t), dtype=bool)
    elif decimal == ".":
        comma = np.zeros(len(t), dtype=bool)
    else:
        comma = t.str.match(_COMMA_DECIMAL).to_numpy(dtype=bool, na_value=False)
    as_comma = t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    as_point = t.str.replace(",", "", regex=False)
    chosen = as_point.where(~pd.Series(comma, index=t.index), as_comma)
    plain = chosen.str.fullmatch(r"-?(\d+(\.\d*)?|\.\d+)").to_numpy(dtype=bool, na_value=False)
    values = pd.to_numeric(chosen.where(pd.Series(plain & ~empty, index=t.index)), errors="coerce")
    values = values.where(values.abs() < 1e12)
    bad = values.isna().to_numpy() & ~empty
    cents = (values * 100).round()
    cents = cents.where(~pd.Series(negative, index=t.index), -cents)
    return cents.astype("Int64"), pd.Series(bad, index=s.index)


def parse_int(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Whole numbers, also as integral decimals (Square writes Qty ``1.0``, ``-1.0``).

    ``2,00`` is read as a decimal comma; ``1.5`` and ``1,000`` (a fraction, or a
    comma that may group thousands) are refused rather than guessed.
    """
    text = s.astype(str).str.strip()
    empty = text.eq("")
    whole = text.str.replace(r"^(-?\d{1,9})(\.0+|,0{1,2})$", r"\1", regex=True)
    values = pd.to_numeric(whole.where(~empty & whole.str.fullmatch(r"-?\d{1,9}")),
                           errors="coerce")
    bad = (values.isna() | (values % 1 != 0)) & ~empty
    return values.where(~bad).round().astype("Int64"), bad


# Hours and minutes as the platforms write them in English, Spanish, French, Italian,
# German, Portuguese and Polish ("1h 30m", "1 ora 30 min", "1 Std. 30 Min.", "1 godz.").
_HOUR_WORDS = "h|hr|hrs|hours?|horas?|heures?|ore|ora|std|stunden?|godz(?:iny|ina)?"
_MINUTE_WORDS = "m|mins?|minut[eoiy]?s?|minuten|minutos|mn"
_DURATION_PART = re.compile(
    rf"(?i)(\d+(?:[.,]\d+)?)\s*({_HOUR_WORDS}|{_MINUTE_WORDS})\.?(?![a-zà-ż])"
)
_DURATION_TEXT = re.compile(
    rf"(?i)^(\s*\d+(?:[.,]\d+)?\s*({_HOUR_WORDS}|{_MINUTE_WORDS})\.?(?![a-zà-ż]))+\s*$"
)


def parse_duration(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``90``, ``1h 30min``, ``45m``, ``1 ora``, ``1:30`` to minutes (Int64).

    Text with anything besides amounts and units ("1h and a bit") is refused,
    not read as the part that happened to parse.
    """
    text = s.astype(str).str.strip().str.lower()
    empty = text.eq("")
    plain = pd.to_numeric(text.where(~empty & text.str.fullmatch(r"\d{1,4}")), errors="coerce")
    # 1:30, and 1h30 / 1 h 30 as French and Italian write it
    hm = text.str.extract(r"^(\d{1,2})(?::| ?h ?)(\d{2})(?::00)?$").astype(float)
    from_hm = hm[0] * 60 + hm[1]
    worded = text.str.match(_DURATION_TEXT)
    parts = text.where(worded, "").str.extractall(_DURATION_PART)
    if len(parts):
        amount = pd.to_numeric(parts[0].str.replace(",", "."), errors="coerce")
        hours = parts[1].str.lower().str.fullmatch(_HOUR_WORDS)
        minutes = amount.where(~hours, amount * 60)
        from_parts = minutes.groupby(level=0).sum().reindex(text.index)
    else:
        from_parts = pd.Series(np.nan, index=text.index)
    total = plain.fillna(from_hm).fillna(from_parts)
    total = total.where(total.between(0, 24 * 60))
    bad = total.isna() & ~empty
    return total.round().astype("Int64"), bad


def normalise_phone(s: pd.Series, country_code: str = "1") -> tuple[pd.Series, pd.Series]:
    """Phone text to E.164 (``+15551234567``); returns (phones, unreadable mask).

    Without a ``+`` or ``00`` the number is national: a leading trunk ``0`` is
    dropped and the shop's country code put in front. Fewer than 7 or more
    than 15 digits is not a phone number.
    """
    text = s.astype(str).str.strip()
    # Excel guards ('+44..., ="+44...") and Fresha's escaped plus (\+39 ...) are not digits.
    text = text.str.replace(r'^="(.*)"$', r"\1", regex=True).str.lstrip("'")
    text = text.str.replace("\\", "", regex=False).str.strip()
    empty = text.eq("")
    plus = text.str.startswith("+") | text.str.startswith("00")
    digits = text.str.replace(r"(?i) *(ext|x|wew)\.? *[0-9]+$", "", regex=True)
    digits = digits.str.replace(r"[^0-9]", "", regex=True)
    digits = digits.where(~text.str.startswith("00"), digits.str.slice(2))
    national = ~plus
    if country_code == "1":
        eleven = national & digits.str.len().eq(11) & digits.str.startswith("1")
        digits = digits.where(~eleven, digits.str.slice(1))
    trunk = national & digits.str.startswith("0")
    digits = digits.where(~trunk, digits.str.slice(1))
    full = digits.where(plus, country_code + digits)
    ok = full.str.len().between(8, 15) & digits.str.len().ge(7)
    bad = ~ok & ~empty
    return ("+" + full).where(ok & ~empty), bad


def normalise_email(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    text = s.astype(str).str.strip().str.lower()
    empty = text.eq("")
    ok = text.str.match(r"^[^@ \t]+@[^@ \t]+\.[^@ \t]+$")
    return text.where(ok & ~empty), ~ok & ~empty


# --- dates and times ------------------------------------------------------------

_NUMERIC_DATE = r"^ *(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})([^0-9]|$)"
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def date_order_evidence(s: pd.Series) -> tuple[bool, bool]:
    """(some value must be day-first, some value must be month-first) for d/m/y text."""
    parts = s.astype(str).str.extract(_NUMERIC_DATE)
    first = pd.to_numeric(parts[0], errors="coerce")
    second = pd.to_numeric(parts[1], errors="coerce")
    return bool((first > 12).any()), bool((second > 12).any())


def has_numeric_dates(s: pd.Series) -> bool:
    return bool(s.astype(str).str.match(_NUMERIC_DATE).any())


# Month names and abbreviations in Spanish, French, Italian, German, Portuguese and
# Polish (nominative and the genitive Polish dates use), to the English ones
# strptime reads. No word here means a different month in another language.
_MONTH_WORDS: dict[str, list[str]] = {
    "jan": ["enero", "ene", "janvier", "janv", "gennaio", "gen", "januar", "jänner", "jän",
            "janeiro", "styczeń", "stycznia", "styczen", "sty"],
    "feb": ["febrero", "février", "fevrier", "févr", "fevr", "févr", "febbraio", "februar",
            "fevereiro", "fev", "luty", "lutego", "lut"],
    "mar": ["marzo", "mars", "märz", "maerz", "mär", "março", "marco", "marzec", "marca"],
    "apr": ["abril", "abr", "avril", "avr", "aprile", "kwiecień", "kwietnia", "kwiecien",
            "kwi"],
    "may": ["mayo", "mai", "maggio", "mag", "maio", "maj", "maja"],
    "jun": ["junio", "juin", "giugno", "giu", "juni", "junho", "czerwiec", "czerwca", "cze"],
    "jul": ["julio", "juillet", "juil", "luglio", "lug", "juli", "julho", "lipiec", "lipca",
            "lip"],
    "aug": ["agosto", "ago", "août", "aout", "sierpień", "sierpnia", "sierpien", "sie"],
    "sep": ["septiembre", "sept", "set", "septembre", "settembre", "setembro", "wrzesień",
            "września", "wrzesien", "wrzesnia", "wrz"],
    "oct": ["octubre", "octobre", "ottobre", "ott", "oktober", "okt", "outubro", "out",
            "październik", "października", "pazdziernik", "pazdziernika", "paź", "paz"],
    "nov": ["noviembre", "novembre", "novembro", "listopad", "listopada", "lis"],
    "dec": ["diciembre", "dic", "décembre", "decembre", "déc", "dicembre", "dezember", "dez",
            "dezembro", "grudzień", "grudnia", "grudzien", "gru"],
}  # fmt: skip
_NOT_LETTER = "(^|[^A-Za-zÀ-ž])"
_END = "([^A-Za-zÀ-ž]|$)"
_ANY_MONTH_WORD = (
    "(?i)(?:^|[^A-Za-zÀ-ž])(?:"
    + "|".join(sorted({w for ws in _MONTH_WORDS.values() for w in ws}, key=len, reverse=True))
    + ")(?:[^A-Za-zÀ-ž]|$)"
)


def _english_months(t: pd.Series) -> pd.Series:
    """``4 dic 2026``, ``4 Dezember 2026``, ``4 de diciembre de 2026`` to English words.

    Only cells that hold such a word are touched, so English exports pay one
    vectorised ``contains`` for this and nothing more.
    """
    hit = t.str.contains(_ANY_MONTH_WORD, regex=True, na=False)
    if not hit.any():
        return t
    u = t[hit].str.replace(r"([0-9]) +[Dd][Ee] +", r"\1 ", regex=True)  # 4 de diciembre de
    u = u.str.replace(r" +[Dd][Ee] +([0-9])", r" \1", regex=True)
    for english, words in _MONTH_WORDS.items():
        alternatives = "|".join(sorted(words, key=len, reverse=True))
        u = u.str.replace(f"(?i){_NOT_LETTER}({alternatives})\\.?{_END}", rf"\1{english}\3",
                          regex=True)
    u = u.str.replace(r" +[Rr]\.?$", "", regex=True)  # Polish "2026 r."
    return t.where(~hit, u)


def _where(t: pd.Series, cheap: pd.Series, pattern: str, repl: str) -> pd.Series:
    """``str.replace`` on the cells a cheap test picked: a pattern Arrow cannot run
    (``\\s``, ``\\b``, look-arounds) goes through Python a cell at a time."""
    cheap = cheap.fillna(False).astype(bool)
    if not cheap.any():
        return t
    return t.where(~cheap, t[cheap].str.replace(pattern, repl, regex=True))


def _clean_datetime_text(text: pd.Series) -> pd.Series:
    t = text.str.strip()
    for space in ("\u202f", "\u00a0", "\t"):
        t = t.str.replace(space, " ", regex=False)
    t = _where(t, t.str.contains(".", regex=False), r"(?i)\b([ap])\. ?m\.?", r"\1m")  # p.m.
    t = t.str.replace(r"([0-9]) *([AaPp][Mm])", r"\1 \2", regex=True)  # 1:46pm
    t = _where(t, t.str.contains(". ", regex=False), r"([0-9])\. +([A-Za-zÀ-ž])",
               r"\1 \2")  # German "4. Dez."
    t = _english_months(t)
    # "oct." and "Sept" as French and British exports abbreviate; strptime wants "Oct", "Sep".
    t = _where(t, t.str.contains(".", regex=False),
               r"(?i)\b(jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec)(?:t)?\.", r"\1")
    t = _where(t, t.str.contains("[Ss][Ee][Pp][Tt]", regex=True), r"(?i)\bsept\b", "Sep")
    t = t.str.replace(",", " ", regex=False)
    t = _where(t, t.str.contains("  ", regex=False), r" +", " ")
    # Time-zone words some platforms append ("EST", "GMT+1") are handled by the column.
    zone_word = t.str.contains(r" [A-Z]{2,5}$| GMT[+-][0-9]", regex=True)
    return _where(t, zone_word,
                  r"\s+(?!(?:AM|PM|am|pm)$)(?:[A-Z]{2,5}|GMT[+-]\d{1,2}(?::\d\d)?)$", "")


# Formats tried in order, day-first and month-first variants chosen by date order.
_TIME_FORMATS = ["", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", " %I %p"]
_NAMED = [
    "%B %d %Y",
    "%b %d %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%A %B %d %Y",
    "%a %b %d %Y",
]
# Year first with a 12-hour clock (Calendly: "2025-03-03 11:00 am"), which ISO 8601 is not.
_YEAR_FIRST = ["%Y-%m-%d", "%Y/%m/%d"]


def _numeric_formats(order: str | None) -> list[str]:
    day_first = ["%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%y", "%d-%m-%y"]
    month_first = ["%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y", "%m-%d-%y", "%m.%d.%Y"]
    if order == "dmy":
        return day_first
    if order == "mdy":
        return month_first
    return []


_AWARE = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)? ?(Z|[+-]\d{2}:?\d{2})$"


def utc_marked(s: pd.Series) -> pd.Series:
    """Cells that carry their own UTC offset (ISO 8601 with ``Z`` or ``+01:00``)."""
    return s.astype(str).str.strip().str.match(_AWARE)


def parse_datetime(
    s: pd.Series, *, formats: list[str] | None = None, date_order: str | None = None
) -> tuple[pd.Series, pd.Series]:
    """Date/time text to naive local timestamps; returns (values, unreadable mask).

    ISO 8601 first, then the profile's own ``formats``, then the usual written
    forms; numeric day/month forms are only tried in the order the caller
    settled (see `date_order_evidence`), never guessed here. Bare numbers are
    Excel serial dates. Cells with their own UTC offset come back in UTC (see
    `utc_marked`), the rest as written.
    """
    text = s.astype(str).str.strip()
    empty = text.eq("")
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    todo = ~empty
    iso = text.str.match(r"^\d{4}-\d{2}-\d{2}")
    if iso.any():  # the common case, parsed without any clean-up
        parsed = pd.to_datetime(text.where(iso), format="ISO8601", errors="coerce", utc=True)
        parsed = parsed.dt.tz_localize(None)
        out = out.where(parsed.isna(), parsed.astype("datetime64[ns]"))
        todo &= out.isna()
    if not todo.any():
        return out, out.isna() & ~empty
    t = _clean_datetime_text(text.where(todo, ""))
    candidates: list[str | None] = list(formats or [])
    if iso[todo].any():
        candidates.insert(0, "ISO8601")
    numeric_date = _numeric_formats(date_order)
    # Only the families of formats some cell can be in: each try is a pass over the column.
    year_first = _YEAR_FIRST if t.str.match(r"^[0-9]{4}[-/]").any() else []
    if not t.str.match(r"^[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]").any():
        numeric_date = []
    named = _NAMED if t.str.contains(r"[A-Za-z]", regex=True).any() else []
    written = [d + tf for d in [*year_first, *numeric_date, *named] for tf in _TIME_FORMATS]
    for fmt in [*candidates, *written]:
        if not todo.any():
            break
        subset = t[todo]
        parsed = pd.to_datetime(subset, format=fmt, errors="coerce")
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        hit = parsed.notna()
        if hit.any():
            out.loc[hit[hit].index] = parsed[hit].astype("datetime64[ns]")
            todo &= out.isna()
    serial = pd.to_numeric(t.where(todo), errors="coerce")
    serial = serial.where(serial.between(20_000, 80_000))
    if serial.notna().any():
        from_serial = _EXCEL_EPOCH + pd.to_timedelta(serial, unit="D")
        out = out.fillna(from_serial.dt.round("s"))
    bad = out.isna() & ~empty
    return out, bad


# A clock time in a cell: 10:00, 9:00:00, 9am, 9 p.m. An XLSX date cell comes through
# read.py as "2026-12-04 00:00:00": that is a date without a time, not midnight. The
# patterns stay simple enough for Arrow's engine (no \b, no flags): this runs on every
# start cell of every file.
_COLON_CLOCK = r"[0-9]:[0-9][0-9]"
_AM_PM = r"[0-9] ?[AaPp]\.? ?[Mm]"
_XLSX_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T]00:00:00$"
_SERIAL_WITH_TIME = r"^[0-9]{5}\.[0-9]*[1-9]"


def has_time(s: pd.Series) -> pd.Series:
    """Cells that give a time of day besides the date (``04 Dec 2026`` does not)."""
    text = s.astype(str).str.strip()
    known = text.str.contains(_COLON_CLOCK, regex=True).fillna(False).astype(bool)
    midnight = text.str.endswith("00:00:00").fillna(False).astype(bool)
    if midnight.any():
        known &= ~(midnight & text.str.match(_XLSX_DATE).fillna(False).astype(bool))
    rest = ~known & ~midnight
    if rest.any():
        other = text[rest]
        found = other.str.contains(_AM_PM, regex=True) | other.str.match(_SERIAL_WITH_TIME)
        known[rest] = found.fillna(False).astype(bool).to_numpy()
    return known


def parse_time_range(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``15:30:00-16:00:00``, ``09:15 - 09:30`` or ``06:00 AM - 07:00 AM`` to (start, end) text."""
    parts = s.astype(str).str.split(r"\s*[-–—]\s*", n=1, regex=True, expand=True)
    if parts.shape[1] == 1:
        parts[1] = ""
    return parts[0].fillna("").str.strip(), parts[1].fillna("").str.strip()


# Yes and no as exports write them in English, Spanish, French, Italian, German,
# Portuguese and Polish; a cancellation flag may also be the cancellation's date.
YES = {
    "yes", "y", "true", "1", "x", "paid", "canceled", "cancelled",
    "sí", "si", "s", "sì", "oui", "o", "ja", "j", "sim", "tak", "t", "verdadero", "vrai",
    "vero", "wahr", "verdadeiro", "prawda",
}  # fmt: skip
NO = {
    "no", "n", "false", "0", "-", "non", "nein", "não", "nao", "nie", "falso", "faux", "falsch",
    "fałsz", "falsz",
}  # fmt: skip


def parse_flag(s: pd.Series) -> pd.Series:
    """Yes/no-ish cells (``Yes``, ``TRUE``, ``Sì``, ``1``, a cancellation date) to booleans."""
    text = s.astype(str).str.strip().str.lower()
    return text.isin(YES) | (text.ne("") & ~text.isin(NO) & text.str.match(r"^\d"))
