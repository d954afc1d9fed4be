"""The parsers on the cell forms real exports write, one quirk per case.

Each case is a cell as a platform wrote it (see tests/data/imports/real) and
the value BarberBI must read from it, or that it must refuse it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from barberbi_desktop.ingest import parse
from barberbi_desktop.ingest.profiles import (
    CHANNELS,
    ITEM_TYPES,
    STATUSES,
    normalise_word,
    profiles,
)
from barberbi_desktop.ingest.zones import CALENDLY_ZONES, RAILS_ZONES, WINDOWS_ZONES, zone_name


def one_value(fn: Callable[..., tuple[pd.Series, pd.Series]], text: str, **kw: Any) -> tuple:
    values, bad = fn(pd.Series([text], dtype=object), **kw)
    return (None if pd.isna(values.iloc[0]) else values.iloc[0]), bool(bad.iloc[0])


# --- whole numbers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("1.0", 1), ("2.0", 2), ("-1.0", -1), ("2.00", 2), ("3", 3), ("1,00", 1), (" 4.0 ", 4)],
)
def test_integral_decimals_are_whole_numbers(text: str, value: int) -> None:
    assert one_value(parse.parse_int, text) == (value, False)


@pytest.mark.parametrize("text", ["1.5", "abc", "1,000", "1.0.0", "2,5", "--1"])
def test_fractions_and_words_are_not_quantities(text: str) -> None:
    assert one_value(parse.parse_int, text) == (None, True)


@settings(max_examples=60, deadline=None)
@given(st.integers(-10**6, 10**6), st.sampled_from(["", ".0", ".00", ",00"]))
def test_any_integer_written_with_zero_decimals_reads_back(n: int, tail: str) -> None:
    assert one_value(parse.parse_int, f"{n}{tail}") == (n, False)


# --- money as Excel re-saves it ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cents"),
    [("$150.00 ", 15000), ("$1,149.00 ", 114900), ("($33.62)", -3362), ("-$7.00", -700),
     ("$0.00 ", 0), ("1.035,50", 103550), ("18,00 €", 1800)],
)  # fmt: skip
def test_money_forms(text: str, cents: int) -> None:
    assert one_value(parse.parse_money, text) == (cents, False)


# --- durations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("45m", 45), ("1h", 60), ("1h 30m", 90), ("2h 5m", 125), ("1h 30min", 90), ("45 mins", 45),
     ("90", 90), ("1:30", 90), ("1 ora 30 min", 90), ("1 Std. 30 Min.", 90), ("2 godz.", 120),
     ("1 heure", 60), ("1 hora 15 minutos", 75), ("30 minuti", 30), ("1h30", 90),
     ("1 h 45", 105)],
)  # fmt: skip
def test_durations(text: str, minutes: int) -> None:
    assert one_value(parse.parse_duration, text) == (minutes, False)


@pytest.mark.parametrize("text", ["1h and a bit", "soon", "25h", "10m fascia oraria bloccata"])
def test_durations_with_other_words_are_refused(text: str) -> None:
    assert one_value(parse.parse_duration, text) == (None, True)


# --- dates and clocks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "order", "when"),
    [
        ("2025-03-03 11:00 am", None, "2025-03-03 11:00"),  # Calendly
        ("2025-03-03 11:00 PM", None, "2025-03-03 23:00"),
        ("2026-03-03 9:00:00 pm", None, "2026-03-03 21:00"),
        ("2026-11-04 9am", None, "2026-11-04 09:00"),
        ("December 2, 2020 9:00 am", None, "2020-12-02 09:00"),  # Acuity
        ("Wednesday, November 4, 2026 10:30 am", None, "2026-11-04 10:30"),
        ("02 Feb 2026, 1:46pm", "dmy", "2026-02-02 13:46"),  # Fresha
        ("9/8/2026 9:05", "mdy", "2026-09-08 09:05"),  # Square after Excel
        ("1/5/2026 9:18:15 PM", "mdy", "2026-01-05 21:18:15"),
        ("04 dic 2026", "dmy", "2026-12-04 00:00"),  # Italian
        ("28 ott 2026, 19:05", "dmy", "2026-10-28 19:05"),
        ("4 de diciembre de 2026 15:30", "dmy", "2026-12-04 15:30"),  # Spanish
        ("15 oct. 2026 10:00", "dmy", "2026-10-15 10:00"),  # French
        ("4 déc. 2026", "dmy", "2026-12-04 00:00"),
        ("4. Dezember 2026", "dmy", "2026-12-04 00:00"),  # German
        ("15. Okt. 2026", "dmy", "2026-10-15 00:00"),
        ("3. Aug. 2026", "dmy", "2026-08-03 00:00"),
        ("15 out 2026", "dmy", "2026-10-15 00:00"),  # Portuguese
        ("4 grudnia 2026 r.", "dmy", "2026-12-04 00:00"),  # Polish
        ("15 paź 2026", "dmy", "2026-10-15 00:00"),
        ("9 Sept 2026", "dmy", "2026-09-09 00:00"),
    ],
)
def test_written_dates_and_clocks(text: str, order: str | None, when: str) -> None:
    assert one_value(parse.parse_datetime, text, date_order=order) == (pd.Timestamp(when), False)


@pytest.mark.parametrize("text", ["abc", "2026-13-40 10:00", "31 Foo 2026", "25:00"])
def test_not_dates(text: str) -> None:
    assert one_value(parse.parse_datetime, text, date_order="dmy") == (None, True)


@settings(max_examples=50, deadline=None)
@given(
    st.datetimes(datetime(2000, 1, 1), datetime(2035, 12, 31)).map(
        lambda d: d.replace(second=0, microsecond=0)
    ),
    st.sampled_from(["%Y-%m-%d %I:%M %p", "%Y-%m-%d %I:%M %p_lower", "%B %d, %Y %I:%M %p",
                     "%d %b %Y, %I:%M%p", "%m/%d/%Y %I:%M:%S %p", "%Y-%m-%d %H:%M"]),
)  # fmt: skip
def test_every_clock_form_reads_back_the_same_minute(moment: datetime, fmt: str) -> None:
    lower = fmt.endswith("_lower")
    text = moment.strftime(fmt.removesuffix("_lower"))
    text = text.lower() if lower else text
    order = "mdy" if fmt.startswith("%m") else "dmy"
    assert one_value(parse.parse_datetime, text, date_order=order) == (pd.Timestamp(moment), False)


@pytest.mark.parametrize(
    ("text", "known"),
    [("04 Dec 2026", False), ("2026-12-04", False), ("2026-12-04 00:00:00", False),
     ("45678", False), ("", False), ("04 Dec 2026, 9:15am", True), ("2026-12-04 09:00", True),
     ("2025-03-03 11:00 am", True), ("9 p.m.", True), ("45678.5", True),
     ("2026-12-04T09:00:00Z", True)],
)  # fmt: skip
def test_which_cells_give_a_time_of_day(text: str, known: bool) -> None:
    assert bool(parse.has_time(pd.Series([text])).iloc[0]) is known


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [("09:15 - 09:30", "09:15", "09:30"), ("15:30:00-16:00:00", "15:30:00", "16:00:00"),
     ("06:00 AM - 07:00 AM", "06:00 AM", "07:00 AM"), ("10:00 – 10:45", "10:00", "10:45"),
     ("", "", "")],
)  # fmt: skip
def test_time_ranges(text: str, start: str, end: str) -> None:
    a, b = parse.parse_time_range(pd.Series([text]))
    assert (a.iloc[0], b.iloc[0]) == (start, end)


# --- flags, phones ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "flag"),
    [("Yes", True), ("No", False), ("true", True), ("false", False), ("Sì", True), ("Sí", True),
     ("si", True), ("Oui", True), ("Non", False), ("Ja", True), ("Nein", False), ("Sim", True),
     ("Não", False), ("Tak", True), ("Nie", False), ("2026-11-01", True), ("", False),
     ("maybe", False)],
)  # fmt: skip
def test_yes_and_no_in_seven_languages(text: str, flag: bool) -> None:
    assert bool(parse.parse_flag(pd.Series([text])).iloc[0]) is flag


@pytest.mark.parametrize(
    ("text", "phone"),
    [(r"\+39 333 123 4567", "+393331234567"), ("'+447700900123", "+447700900123"),
     ("'5551234567", "+15551234567"), ('="+15551234567"', "+15551234567")],
)  # fmt: skip
def test_phone_guards_and_escaped_plus(text: str, phone: str) -> None:
    assert one_value(parse.normalise_phone, text) == (phone, False)


# --- time-zone names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Eastern Time (US & Canada)", "America/New_York"),  # Square / Rails
        ("Pacific Time (US & Canada)", "America/Los_Angeles"),
        ("Arizona", "America/Phoenix"),
        ("Kyiv", "Europe/Kiev"),
        ("Central Time - US & Canada", "America/Chicago"),  # Calendly
        ("Arizona, Yukon Time", "America/Phoenix"),
        ("UK, Ireland, Lisbon Time", "Europe/London"),
        ("China, Singapore, Perth", "Asia/Shanghai"),
        ("China, Singapore, Perth Time", "Asia/Shanghai"),
        ("America/Santa Isabel", "America/Santa_Isabel"),
        ("Eastern Standard Time", "America/New_York"),  # Windows
        ("W. Europe Standard Time", "Europe/Berlin"),
        ("GMT Standard Time", "Europe/London"),
        ("(UTC-05:00) Eastern Time (US & Canada)", "America/New_York"),
        ("(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", None),
        ("america/new_york", "America/New_York"),
        ("UTC", "UTC"),
        ("UTC+01:00", "Etc/GMT-1"),
        ("GMT-5", "Etc/GMT+5"),
        ("Narnia Standard Time", None),
        ("Mars/Olympus", None),
        ("America", None),
        ("../etc", None),
        ("", None),
    ],
)
def test_zone_names(text: str, zone: str | None) -> None:
    assert zone_name(text) == zone


def same_clock(a: str, b: str) -> bool:
    """Two zone ids that give the same UTC offset on every week of 2026."""
    days = [datetime(2026, 1, 1, 12) + timedelta(days=d) for d in range(0, 366, 7)]
    return all(d.replace(tzinfo=ZoneInfo(a)).utcoffset() == d.replace(tzinfo=ZoneInfo(b))
               .utcoffset() for d in days)  # fmt: skip


@pytest.mark.parametrize("table", [RAILS_ZONES, CALENDLY_ZONES, WINDOWS_ZONES])
def test_every_zone_in_the_tables_is_a_real_zone(table: dict[str, str]) -> None:
    for name, zone in table.items():
        assert ZoneInfo(zone) is not None, name
        found = zone_name(name.upper())  # case does not matter
        # A name in two tables ("UTC") may come from the other table, with the same clock.
        assert found == zone or (found is not None and same_clock(found, zone)), name


def test_calendly_us_names_agree_with_the_rails_names_on_every_day() -> None:
    """Two ways of writing Eastern time give the same clock through a DST change."""
    pairs = [("Eastern Time - US & Canada", "Eastern Time (US & Canada)"),
             ("Central Time - US & Canada", "Central Time (US & Canada)"),
             ("Mountain Time - US & Canada", "Mountain Time (US & Canada)"),
             ("Pacific Time - US & Canada", "Pacific Time (US & Canada)")]  # fmt: skip
    for calendly, rails in pairs:
        assert same_clock(zone_name(calendly) or "", zone_name(rails) or ""), calendly


# --- vocabularies and localised headers ----------------------------------------------------


@pytest.mark.parametrize(
    ("word", "status"),
    [("Completato", "completed"), ("Annullato", "cancelled"),
     ("Mancata presentazione", "no_show"), ("Confermato", "confirmed"), ("Finalizada", "completed"),
     ("Cancelada", "cancelled"), ("No se presentó", "no_show"), ("Terminé", "completed"),
     ("Annulé", "cancelled"), ("Abgeschlossen", "completed"), ("Storniert", "cancelled"),
     ("Nicht erschienen", "no_show"), ("Bestätigt", "confirmed"), ("Concluído", "completed"),
     ("Não compareceu", "no_show"), ("Zakończona", "completed"), ("Anulowana", "cancelled"),
     ("Nieobecny", "no_show")],
)  # fmt: skip
def test_status_words_in_seven_languages(word: str, status: str) -> None:
    assert profiles()["fresha"].status_words[normalise_word(word)] == status


@pytest.mark.parametrize("table", [STATUSES, CHANNELS, ITEM_TYPES])
def test_no_word_means_two_things(table: dict[str, list[str]]) -> None:
    seen: dict[str, str] = {}
    for key, words in table.items():
        for word in words:
            assert seen.setdefault(normalise_word(word), key) == key, word


@pytest.mark.parametrize("platform", ["fresha", "booksy", "setmore", "square_transactions",
                                      "square_items"])
def test_each_language_signature_detects_its_platform(platform: str) -> None:
    from barberbi_desktop.ingest.profiles import detect

    profile = profiles()[platform]
    assert profile.signatures  # translated layouts exist for these platforms
    for lang, header in profile.signatures.items():
        best = detect(header)[0]
        assert (lang, best.profile.name) == (lang, platform)
        assert best.confidence >= 0.75, (lang, best.confidence)
