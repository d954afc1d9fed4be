"""Exports in the layouts real files showed, with their quirks, import exactly.

The fixtures are in tests/data/imports/real (see its README for what each one
carries); expected instants are worked out by hand from the local times and the
zone each row names, in UTC epoch seconds.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from barberbi_desktop.cli import main
from barberbi_desktop.ingest.importer import undo_last_import
from barberbi_desktop.ingest.profiles import detect
from barberbi_desktop.storage.db import Database, open_database
from tests.import_helpers import FIXTURES, one, query, stored, totals

REAL = FIXTURES / "real"


def utc(text: str) -> int:
    return int(datetime.fromisoformat(text + "+00:00").timestamp())


@pytest.fixture
def rome_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("TZ", "Europe/Rome")
    database = open_database(tmp_path / "shop.db")
    yield database
    database.dispose()


def visits(db: Database) -> dict[str, tuple]:
    rows = query(db, "SELECT source_id, status, start_utc, end_utc, time_known FROM appointments")
    return {r[0]: r[1:] for r in rows}


def header_of(name: str, skip: int = 0, delimiter: str = ",") -> list[str]:
    with (REAL / name).open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh, delimiter=delimiter))[skip]


# --- Square ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "columns", "lines"),
    [
        # (item, quantity, unit price) of the ordinary rows; the refund row is left to the
        # adjustment-line work and not asserted here.
        ("items-2026-06-01-2026-07-01.csv", 33,
         {("Skin Fade", 1, 4500), ("Matte Clay", 2, None), ("Beard Sculpt", 1, 3000)}),
        ("items-2026-01-01-2026-02-01.csv", 35,
         {("Classic Cut", 1, 3500), ("Hot Towel Add-on", 1, 1000), ("Beard Oil", 3, None)}),
    ],
)  # fmt: skip
def test_square_items_alone_with_decimal_quantities(
    db: Database, name: str, columns: int, lines: set[tuple]
) -> None:
    assert len(header_of(name)) == columns
    r = one(db, f"real/{name}")
    assert (r.platform, r.status, r.rows_read) == ("square_items", "landed", 4)
    got = query(db, "SELECT name, quantity, unit_price_cents FROM sale_items "
                    "WHERE kind IN ('service', 'product') AND quantity > 0")  # fmt: skip
    # A line of several items carries Square's line total in Gross Sales; what the unit
    # price of such a line is belongs to the line-item work, so only the count is checked.
    assert {(n, q, p if q == 1 else None) for n, q, p in got} == lines
    assert query(db, "SELECT COUNT(*) FROM appointments") == [(2,)]  # one visit per Transaction ID


def test_square_items_staff_customer_and_zone(db: Database) -> None:
    one(db, "real/items-2026-06-01-2026-07-01.csv")
    # 10:05:12 on 2 June in Los Angeles (PDT, UTC-7).
    assert query(db, "SELECT start_utc FROM appointments WHERE source_id = 'tx6A1'") == [
        (utc("2026-06-02T17:05:12"),)
    ]
    assert query(db, "SELECT a.source_id, b.name FROM appointments a JOIN barbers b "
                     "ON b.id = a.barber_id ORDER BY 1") == [
        ("tx6A1", "Rico Vale"), ("tx6B2", "Tam Okoro")
    ]
    assert query(db, "SELECT display_name FROM clients") == [("Quinn Abara",)]


@pytest.mark.parametrize(
    ("name", "columns", "rows", "barbers", "money"),
    [
        ("square_transactions_33.csv", 33, 2, [], (4000 + 2500, 500, 0, 600)),
        ("square_transactions_41.csv", 41, 2, [("Ivo Maren",)], (4500 + 6000, 0, 360 + 480, 900)),
        ("square_transactions_44.csv", 44, 2, [("Pia Lund",)], (3500 + 5000, 0, 280 + 400, 1500)),
        ("square_transactions_55.csv", 55, 3, [("Ivo Maren",), ("Pia Lund",)],
         (4500 + 2000 + 8000, 0, 360 + 160 + 640, 700 + 1200)),
    ],
)  # fmt: skip
def test_square_transaction_layouts(
    db: Database, name: str, columns: int, rows: int, barbers: list, money: tuple
) -> None:
    assert len(header_of(name)) == columns
    assert detect(header_of(name))[0].profile.name == "square_transactions"
    r = one(db, f"real/{name}")
    assert (r.platform, r.status, r.rows_read, r.inserted) == (
        "square_transactions", "landed", rows, rows
    )  # fmt: skip
    t = totals(db)
    assert (t["price"], t["discount"], t["tax"], t["tip"]) == money
    assert query(db, "SELECT name FROM barbers ORDER BY name") == barbers


def test_square_transactions_resaved_by_excel(db: Database) -> None:
    r = one(db, "real/square_transactions_excel_resaved.csv")
    assert (r.status, r.rows_read, r.inserted) == ("landed", 2, 2)
    t = totals(db)
    # $150.00 and "$1,149.00 " gross; ($15.00) discount; trailing spaces everywhere.
    assert (t["price"], t["discount"], t["tax"], t["tip"]) == (15000 + 114900, 1500, 1200, 2000)
    # 9/8/2026 9:05 in New York (EDT) and 9/12/2026 14:40.
    assert sorted(v[1] for v in visits(db).values()) == [
        utc("2026-09-08T13:05:00"), utc("2026-09-12T18:40:00")
    ]  # fmt: skip


# --- Calendly and Acuity --------------------------------------------------------------


def test_calendly_display_name_zones_and_lowercase_clock(db: Database) -> None:
    r = one(db, "real/calendly_events-export.csv")
    assert (r.platform, r.status, r.rows_read) == ("calendly", "landed", 5)
    assert visits(db) == {
        # 11:00 am Central (CST), 9:30 am Arizona (MST all year), 2:00 pm Eastern (EST),
        # 10:00 AM Pacific (PST), 6:15 pm London (GMT): early March 2025.
        "INa1": ("completed", utc("2025-03-03T17:00:00"), utc("2025-03-03T17:45:00"), 1),
        "INa2": ("cancelled", utc("2025-03-04T16:30:00"), utc("2025-03-04T17:00:00"), 1),
        "INa3": ("no_show", utc("2025-03-04T19:00:00"), utc("2025-03-04T19:45:00"), 1),
        "INa4": ("completed", utc("2025-03-05T18:00:00"), utc("2025-03-05T18:20:00"), 1),
        "INa5": ("completed", utc("2025-03-06T18:15:00"), utc("2025-03-06T19:00:00"), 1),
    }
    assert query(db, "SELECT phone FROM clients WHERE display_name = 'Fern Ashby'") == [
        ("+447700900461",)
    ]


def test_acuity_quoted_crlf_long_dates_and_timezone_column(db: Database) -> None:
    raw = (REAL / "acuity_schedule-export.csv").read_bytes()
    assert raw.count(b"\r\n") == 4 and b'"Start Time"' in raw  # the layout under test
    r = one(db, "real/acuity_schedule-export.csv")
    assert (r.platform, r.status, r.rows_read) == ("acuity", "landed", 3)
    assert visits(db) == {
        # 9:00 am London (GMT), 1:30 pm New York (EST), 10:00 am Los Angeles (PST).
        "4410021": ("completed", utc("2020-12-02T09:00:00"), utc("2020-12-02T09:45:00"), 1),
        "4410022": ("completed", utc("2020-12-02T18:30:00"), utc("2020-12-02T19:00:00"), 1),
        "4410023": ("completed", utc("2020-12-03T18:00:00"), utc("2020-12-03T18:30:00"), 1),
    }
    assert query(db, "SELECT display_name, phone FROM clients ORDER BY display_name") == [
        ("Ana Lisboa", None), ("Gwen Harlow", "+447700900123"), ("Yusuf Demir", "+15551230987"),
    ]  # fmt: skip


# --- Fresha ----------------------------------------------------------------------------


def test_fresha_italian_export(rome_db: Database) -> None:
    assert (REAL / "fresha_appointments_it.csv").read_text().endswith('\n""\n')
    r = one(rome_db, "real/fresha_appointments_it.csv")
    assert (r.platform, r.status, r.rows_read, r.inserted) == ("fresha", "landed", 4, 4)
    assert visits(rome_db) == {
        # 04 nov 2026 + 09:15 - 10:00 in Rome (CET, UTC+1), and so on.
        "#IT-301": ("completed", utc("2026-11-04T08:15:00"), utc("2026-11-04T09:00:00"), 1),
        "#IT-302": ("cancelled", utc("2026-11-05T14:30:00"), utc("2026-11-05T15:00:00"), 1),
        "#IT-303": ("no_show", utc("2026-11-10T09:00:00"), utc("2026-11-10T10:30:00"), 1),
        "#IT-304": ("completed", utc("2026-11-13T16:00:00"), utc("2026-11-13T17:00:00"), 1),
    }
    assert query(rome_db, "SELECT status_raw FROM appointments WHERE source_id = '#IT-303'") == [
        ("Mancata presentazione",)
    ]
    assert totals(rome_db)["price"] == 3500 + 103550
    # "28 ott 2026, 19:05": Italian month, 24-hour clock, Rome summer time (UTC+1 after 25 Oct).
    assert query(rome_db, "SELECT booked_at_utc FROM appointments WHERE source_id = '#IT-301'") == [
        (utc("2026-10-28T18:05:00"),)
    ]
    # "01 nov 2026", a cancellation date without a time: the start of that day in Rome
    # (so a cancellation the day before is never called late on a guess).
    assert query(rome_db, "SELECT cancelled_at_utc FROM appointments WHERE source_id = '#IT-302'"
                 ) == [(utc("2026-10-31T23:00:00"),)]  # fmt: skip


@pytest.mark.parametrize("lang", ["es", "fr", "de", "pt", "pl"])
def test_fresha_in_other_languages(rome_db: Database, lang: str) -> None:
    name = f"fresha_appointments_{lang}.csv"
    found = detect(header_of(name))[0]
    assert (found.profile.name, found.confidence >= 0.9) == ("fresha", True)
    assert {"appointment_id", "start", "time_range", "duration", "status", "client_name",
            "barber", "service", "price", "booked_at", "location"} <= set(found.mapping)
    r = one(rome_db, f"real/{name}")
    assert (r.status, r.rows_read) == ("landed", 2)
    # 15 October 2026, 10:00 and 14:00 in Rome (CEST, UTC+2), in each language's months.
    assert sorted(visits(rome_db).values()) == [
        ("cancelled", utc("2026-10-15T12:00:00"), utc("2026-10-15T12:45:00"), 1),
        ("completed", utc("2026-10-15T08:00:00"), utc("2026-10-15T08:45:00"), 1),
    ]


def test_fresha_date_only_start_takes_the_slot_times(db: Database) -> None:
    # Once read as 00:00 to the slot's end (a 9.5-hour visit for a 15-minute trim).
    r = one(db, "real/fresha_date_and_slot.csv")
    assert r.status == "landed" and r.problems == []
    assert visits(db) == {
        "#3101": ("completed", utc("2026-11-04T14:15:00"), utc("2026-11-04T14:30:00"), 1),
        "#3102": ("completed", utc("2026-11-04T20:30:00"), utc("2026-11-04T21:00:00"), 1),
    }


def test_dates_without_a_time_of_day_are_flagged_not_invented(db: Database) -> None:
    r = one(db, "real/fresha_dates_without_times.csv")
    assert (r.status, r.rows_read, r.inserted) == ("landed", 3, 3)
    assert r.problems == [
        "fresha_dates_without_times.csv, row 2, column Scheduled date: the file gives dates "
        "without a time of day; these 3 visits count for revenue and visits, not for "
        "utilisation or hourly charts."
    ]
    assert visits(db) == {  # local midnight in New York (EST), no end
        "#3201": ("completed", utc("2026-11-02T05:00:00"), None, 0),
        "#3202": ("completed", utc("2026-11-03T05:00:00"), None, 0),
        "#3203": ("completed", utc("2026-11-03T05:00:00"), None, 0),
    }
    assert totals(db)["price"] == 4500 + 2500 + 3000  # revenue still counts


# --- visits over 12 hours ---------------------------------------------------------------

LONG = (
    "appointment_id,start,end,client_name,service,price\n"
    "L1,2026-11-02 09:00,2026-11-02 09:45,Ada Quill,Skin Fade,45.00\n"
    "L2,2026-11-02 08:00,2026-11-02 22:30,Ben Hale,Colour Day,300.00\n"
)


def test_a_visit_over_12_hours_is_refused_unless_confirmed(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(LONG)
    before = stored(db)
    r = one(db, path)
    assert r.status == "rejected"
    assert r.reason == (
        "long.csv, row 3, column end: '2026-11-02 22:30' makes the visit 14.5 hours long; a "
        "visit over 12 hours is not believable, so check the file (or import it with "
        "--allow-long-visits if it is right)."
    )
    assert stored(db) == before
    r = one(db, path, allow_long_visits=True)
    assert (r.status, r.inserted) == ("landed", 2)
    start, end = query(db, "SELECT start_utc, end_utc FROM appointments WHERE source_id='L2'")[0]
    assert end - start == 14.5 * 3600


def test_cli_allow_long_visits_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "long.csv"
    path.write_text(LONG)
    target = tmp_path / "shop.db"
    assert main(["--db", str(target), "import", str(path)]) == 2
    assert "--allow-long-visits" in capsys.readouterr().err
    assert main(["--db", str(target), "import", str(path), "--allow-long-visits"]) == 0


def test_a_long_visit_from_a_duration_names_the_duration(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "fresha.csv"
    rows = list(csv.reader((REAL / "fresha_date_and_slot.csv").open()))
    header, first = rows[0], rows[1]
    first[header.index("Duration (mins)")] = "14h 15m"
    first[header.index("Appt. slot")] = ""
    first[header.index("Scheduled date")] = "04 Nov 2026, 8:00am"
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([header, first])
    r = one(db, path)
    assert r.status == "rejected"
    assert r.reason.startswith("fresha.csv, row 2, column Duration (mins): '14h 15m' makes the "
                               "visit 14.2 hours long")  # fmt: skip


# --- Vagaro, Booksy, Setmore, the template ------------------------------------------------


def _vagaro_xlsx(tmp_path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    for row in csv.reader((REAL / "vagaro_transaction_list.csv").open()):
        ws.append(row)
    path = tmp_path / "Transaction List.xlsx"
    wb.save(path)
    return path


@pytest.mark.parametrize("as_xlsx", [False, True])
def test_vagaro_dashes_are_empty_cells(db: Database, tmp_path: Path, as_xlsx: bool) -> None:
    path = _vagaro_xlsx(tmp_path) if as_xlsx else REAL / "vagaro_transaction_list.csv"
    r = one(db, path)
    assert (r.platform, r.status, r.rows_read) == ("vagaro", "landed", 3)
    assert r.problems == []  # "---" is empty, never an unreadable amount
    assert totals(db) == {
        "statuses": {"completed": 2}, "items": 3, "price": 4500 + 1800 + 2500,
        "discount": 500, "tax": 360 + 144, "tip": 800 + 500, "clients": 1,
    }  # fmt: skip
    assert query(db, "SELECT client_id, channel FROM appointments WHERE source_id = 'VG-702'") == [
        (None, None)
    ]
    assert query(db, "SELECT name FROM barbers") == [("Manny Ortiz",)]


def test_booksy_in_spanish(db: Database) -> None:
    r = one(db, "real/booksy_visitas_es.csv")
    assert (r.platform, r.status, r.rows_read) == ("booksy", "landed", 4)
    assert totals(db)["statuses"] == {"completed": 2, "cancelled": 1, "no_show": 1}
    assert totals(db)["price"] == 1800 + 108000
    assert query(db, "SELECT phone FROM clients WHERE phone LIKE '+34%'") == [("+34612345678",)]


def test_setmore_in_german(db: Database) -> None:
    r = one(db, "real/setmore_termine_de.csv")
    assert (r.platform, r.status, r.rows_read) == ("setmore", "landed", 2)
    assert sorted(query(db, "SELECT status, channel, start_utc FROM appointments")) == [
        ("cancelled", "phone", utc("2026-08-10T18:30:00")),  # 14:30 in New York (EDT)
        ("completed", "online", utc("2026-08-03T13:00:00")),  # "Bestätigt" in the past
    ]
    assert query(db, "SELECT phone FROM clients ORDER BY phone") == [
        ("+4915123456789",), ("+491709876543",)
    ]


def test_twelve_hour_clocks_and_windows_zone_names(db: Database) -> None:
    r = one(db, "real/template_clock_forms.csv", mapping={"timezone": "Time zone"})
    assert (r.status, r.rows_read) == ("landed", 4)
    assert {k: v[1] for k, v in visits(db).items()} == {
        "K1": utc("2026-11-02T14:00:00"),  # 9:00 AM, Eastern Standard Time
        "K2": utc("2026-11-03T20:00:00"),  # 9:00:00 pm, W. Europe Standard Time (CET)
        "K3": utc("2026-11-04T17:00:00"),  # 9am, (UTC-08:00) Pacific Time (US & Canada)
        "K4": utc("2026-11-04T16:30:00"),  # Wednesday, November 4, 2026 10:30 am, Central
    }


def test_an_unknown_zone_name_is_one_sentence(db: Database, tmp_path: Path) -> None:
    lines = (REAL / "template_clock_forms.csv").read_text().splitlines()
    path = tmp_path / "zones.csv"
    path.write_text("\n".join([lines[0], lines[1].replace("Eastern Standard Time",
                                                          "Narnia Standard Time")]) + "\n")
    r = one(db, path, mapping={"timezone": "Time zone"})
    assert r.status == "rejected"
    assert r.reason == ("zones.csv, row 2, column Time zone: 'Narnia Standard Time' is not a "
                        "time zone BarberBI knows.")  # fmt: skip
    assert query(db, "SELECT COUNT(*) FROM appointments") == [(0,)]


def test_fresha_cancelled_date_is_kept_for_cancelled_bookings(db: Database) -> None:
    """Fresha says when a booking was cancelled: late cancellations are learnt from it.
    #1203 was cancelled at 8:00am on 1 Nov 2026, New York time, a few hours after the
    clocks went back (EST, UTC-5); bookings that were not cancelled keep no time."""
    r = one(db, "fresha.csv")
    assert r.status == "landed"
    rows = dict(query(db, "SELECT source_id, cancelled_at_utc FROM appointments"))
    assert rows["#1203"] == utc("2026-11-01T13:00:00")
    assert {k: v for k, v in rows.items() if k != "#1203"} == {
        k: None for k in rows if k != "#1203"
    }


def test_an_older_export_does_not_undo_a_cancellation_or_its_time(
    db: Database, tmp_path: Path
) -> None:
    """Read again, an export from before the cancellation (the booking still 'Confirmed',
    no cancelled date) leaves the cancellation and its time as the newer export gave them;
    undoing the newer import takes both away."""
    rows = list(csv.reader((FIXTURES / "fresha.csv").open(encoding="utf-8-sig")))
    header, body = rows[0], rows[1:]
    status, cancelled = header.index("Status"), header.index("Cancelled date")
    before = [list(r) for r in body]
    for r in before:
        if r[0] == "#1203":
            r[status], r[cancelled] = "Confirmed", ""
    old = tmp_path / "report_appointment-list_2026-10-31.csv"
    with old.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *before])
    sql = "SELECT status, cancelled_at_utc FROM appointments WHERE source_id = '#1203'"
    assert (one(db, old).status, one(db, "fresha.csv").status) == ("landed", "landed")
    undo_last_import(db)
    assert query(db, sql) == [("confirmed", None)]
    assert one(db, "fresha.csv").status == "landed"
    one(db, old)
    assert query(db, sql) == [("cancelled", utc("2026-11-01T13:00:00"))]


def test_an_export_without_the_cancelled_date_keeps_the_time_already_known(
    db: Database, tmp_path: Path
) -> None:
    """The same bookings exported again without the ``Cancelled date`` column (another
    report layout) leave the cancellation time the first export gave: a column a file
    lacks is not news that the time is gone."""
    rows = list(csv.reader((FIXTURES / "fresha.csv").open(encoding="utf-8-sig")))
    drop = rows[0].index("Cancelled date")
    narrow = tmp_path / "report_appointment-list_narrow.csv"
    with narrow.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([[c for i, c in enumerate(r) if i != drop] for r in rows])
    sql = "SELECT status, cancelled_at_utc FROM appointments WHERE source_id = '#1203'"
    assert one(db, "fresha.csv").status == "landed"
    assert one(db, narrow).status == "landed"
    assert query(db, sql) == [("cancelled", utc("2026-11-01T13:00:00"))]
