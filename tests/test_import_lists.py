"""Client, service and staff lists: they enrich what bookings brought and never delete.

Fixtures in tests/data/imports/lists are written by hand in each platform's layout
(invented people); the XLSX exports are built here with their title and total rows.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from barberbi_desktop.cli import main
from barberbi_desktop.errors import InputError
from barberbi_desktop.ingest import lists
from barberbi_desktop.ingest.importer import undo_last_import
from barberbi_desktop.ingest.profiles import BOOKING_KINDS, LIST_KINDS, detect, known_headers
from barberbi_desktop.ingest.read import open_table
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.shop_config import premium_threshold_cents, save_premium_threshold
from tests.import_helpers import FIXTURES, one, query, snapshot, stored

LISTS = FIXTURES / "lists"


def _day(text: str) -> int:
    """Midnight of a day in New York, as epoch seconds."""
    return int(pd.Timestamp(text).tz_localize("America/New_York").timestamp())


BOOKING_FIXTURES = {
    "acuity.csv": "acuity", "booksy.csv": "booksy", "calendly.csv": "calendly",
    "fresha.csv": "fresha", "glossgenius_items.csv": "glossgenius_items",
    "glossgenius_payments.csv": "glossgenius_payments", "setmore.csv": "setmore",
    "square_customers.csv": "square_customers", "square_items.csv": "square_items",
    "square_transactions.csv": "square_transactions", "template_week1.csv": "barberbi",
    "template_week2.csv": "barberbi",
}  # fmt: skip
LIST_FIXTURES = {
    "fresha_clients.csv": "fresha_clients", "fresha_services.csv": "fresha_services_it",
    "fresha_staff.csv": "fresha_staff", "acuity_clients.csv": "acuity_clients",
    "square_item_library.csv": "square_item_library",
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(BOOKING_FIXTURES))
def test_every_earlier_fixture_detects_as_before(name: str) -> None:
    table = open_table(FIXTURES / name, known_headers())
    best, runner_up = detect(table.header)[:2]
    assert best.profile.name == BOOKING_FIXTURES[name]
    assert best.confidence >= 0.85 and runner_up.confidence < 0.7


@pytest.mark.parametrize("name", sorted(LIST_FIXTURES))
def test_a_list_is_never_taken_for_a_booking_export(name: str) -> None:
    table = open_table(LISTS / name, known_headers())
    found = detect(table.header)
    assert found[0].profile.name == LIST_FIXTURES[name] and found[0].confidence >= 0.85
    booking = max(d.confidence for d in found if d.profile.kind in BOOKING_KINDS)
    assert booking < 0.5  # below the bar a booking profile needs to be chosen at all


def test_every_report_and_batch_states_its_kind(db: Database) -> None:
    kinds = [one(db, "template_week1.csv").kind]
    kinds += [one(db, LISTS / n).kind for n in ("fresha_clients.csv", "fresha_services.csv",
                                                  "fresha_staff.csv")]  # fmt: skip
    assert kinds == ["bookings", "clients", "services", "staff"]
    assert query(db, "SELECT kind FROM import_batches ORDER BY id") == [
        ("bookings",), ("clients",), ("services",), ("staff",)
    ]  # fmt: skip


def test_a_client_list_enriches_and_never_deletes(db: Database) -> None:
    one(db, "template_week1.csv")  # Ann (id, email, phone), Bob (email), Cy (phone)
    r = one(db, LISTS / "fresha_clients.csv")
    assert (r.platform, r.kind, r.status) == ("fresha_clients", "clients", "landed")
    # Jan, Cy (an email nobody has: a name never merges) and Dee are new; Ann is matched
    # by email and enriched; Bob is matched and the list tells nothing new of him.
    assert (r.rows_read, r.inserted, r.updated, r.unchanged, r.rejected) == (5, 3, 1, 1, 0)
    rows = query(
        db, "SELECT display_name, email, phone, first_seen_utc, referral_source, "
        "marketing_consent, birthday_month, birthday_day FROM clients ORDER BY id")
    assert rows == [
        # The shop's phone for Ann stays: lists fill in, they do not overwrite.
        ("Ann Lee", "ann@example.com", "+15551234567", _day("2024-03-02"), "Instagram", 1, 4, 12),
        ("Bob Stone", "bob@example.com", None, _day("2026-11-02 11:00"), None, None, None, None),
        ("Cy Park", None, "+15559876543", _day("2026-11-03 09:30"), None, None, None, None),
        # "\+1 555 300 4000" in the Telephone column; a birthday without a year.
        ("Jan Kowalski", None, "+15553004000", _day("2025-01-15"), "Walk-in", 0, 4, 12),
        ("Cy Park", "cy@example.com", None, _day("2023-11-20"), None, None, None, None),
        ("Dee Quinn", "dee.quinn@example.com", "+15557778888", _day("2026-10-01"), "Google",
         1, 2, 29),
    ]  # fmt: skip
    assert query(db, "SELECT client_id, candidate_id, status FROM client_merge_proposals") == [
        (5, 3, "open")  # the two Cy Parks: asked about, not merged
    ]
    assert query(db, "SELECT COUNT(*) FROM appointments") == [(4,)]


def test_a_later_list_fills_only_what_is_empty_and_keeps_the_earlier_first_visit(
    db: Database, tmp_path: Path
) -> None:
    one(db, LISTS / "fresha_clients.csv")
    later = tmp_path / "export_customer_list.csv"
    later.write_text(
        "Client ID,First Name,Last Name,Email,Mobile Number,Date of Birth,Added,"
        "Client source,Marketing notifications\n"
        "9001,Ann,Lee,,,1985-01-01,2025-06-01,TikTok,No\n"  # knows nothing new of Ann
        "9003,Cy,Park,,\\+1 555 222 1000,,2022-05-05,,\n"  # an earlier date and a phone
    )
    r = one(db, later)
    assert (r.inserted, r.updated, r.unchanged) == (0, 1, 1)
    assert query(db, "SELECT email, phone, first_seen_utc, referral_source, marketing_consent, "
                     "birthday_month FROM clients WHERE natural_key = 'fresha:client:9001'") == [
        ("ann@example.com", "+15550001111", _day("2024-03-02"), "Instagram", 1, 4)
    ]  # fmt: skip
    assert query(db, "SELECT email, phone, first_seen_utc FROM clients "
                     "WHERE natural_key = 'fresha:client:9003'") == [
        ("cy@example.com", "+15552221000", _day("2022-05-05"))
    ]  # fmt: skip


@pytest.mark.parametrize("name", sorted(LIST_FIXTURES))
def test_undo_of_a_list_is_exact(db: Database, name: str) -> None:
    one(db, "template_week1.csv")
    one(db, "fresha.csv")
    before = snapshot(db)
    r = one(db, LISTS / name)
    assert r.status == "landed" and r.inserted + r.updated > 0
    assert snapshot(db) != before
    undone = undo_last_import(db)
    assert undone["batch_id"] == r.batch_id
    assert snapshot(db) == before
    assert query(db, "SELECT COUNT(*) FROM import_changes WHERE batch_id = ?", r.batch_id) == [
        (0,)
    ]
    assert query(db, "SELECT COUNT(*) FROM client_merge_proposals WHERE batch_id = ?",
                 r.batch_id) == [(0,)]  # fmt: skip


@pytest.mark.parametrize("name", sorted(LIST_FIXTURES))
def test_importing_a_list_again_changes_nothing(db: Database, name: str) -> None:
    one(db, "template_week1.csv")
    first = one(db, LISTS / name)
    before = snapshot(db)
    again = one(db, LISTS / name)
    assert (again.inserted, again.updated) == (0, 0)
    assert again.unchanged == first.inserted + first.updated + first.unchanged
    assert snapshot(db) == before
    assert query(db, "SELECT data_version FROM import_batches WHERE id = ?", again.batch_id) == [
        (None,)
    ]


def test_the_cli_prints_the_kind_in_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    target = tmp_path / "shop.db"
    assert main(["--db", str(target), "import", str(LISTS / "fresha_staff.csv"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)["files"][0]
    assert (out["platform"], out["kind"], out["inserted"]) == ("fresha_staff", "staff", 3)
    assert main(["--db", str(target), "import", str(LISTS / "fresha_staff.csv")]) == 0
    assert "as Fresha team members (staff, confidence 100%): 3 rows read, 0 new, 0 updated, " \
        "3 unchanged" in capsys.readouterr().out


def test_vagaro_customer_list_xlsx_with_title_rows_dashes_and_totals(
    db: Database, tmp_path: Path
) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Customer List"])
    ws.append(["Business: Main Street Barbers"])
    ws.append(["Printed on 11/24/2026"])
    ws.append([])
    ws.append(["First Name", "Last Name", "Email", "Cell Phone", "Day Phone", "Night Phone",
               "Birthday", "Customer Since", "Referred By", "Last Visit"])  # fmt: skip
    ws.append(["Ann", "Lee", "ann@example.com", "(555) 123-4567", "---", "---", "Apr 12",
               datetime(2023, 5, 6), "Yelp", datetime(2026, 11, 2)])  # fmt: skip
    ws.append(["Rosa", "Diaz", "---", "---", "(555) 444-0000", "---", "---",
               "11/05/2026", "---", "---"])  # fmt: skip
    ws.append(["Total Customers: 2", None, None, None, None, None, None, None, None, None])
    path = tmp_path / "CustomersList.xlsx"
    wb.save(path)
    one(db, "template_week1.csv")
    r = one(db, path)
    assert (r.platform, r.kind, r.rows_read, r.inserted, r.updated) == (
        "vagaro_customers", "clients", 2, 1, 1
    )  # fmt: skip
    assert query(db, "SELECT display_name, email, phone, first_seen_utc, referral_source, "
                     "birthday_month, birthday_day FROM clients WHERE id IN (1, 4) "
                     "ORDER BY id") == [
        ("Ann Lee", "ann@example.com", "+15551234567", _day("2023-05-06"), "Yelp", 4, 12),
        # `---` is empty, not an email or a referral; the day phone stands in for the cell.
        ("Rosa Diaz", None, "+15554440000", _day("2026-11-05"), None, None, None),
    ]  # fmt: skip


def test_booksy_client_base_xlsx_with_title_rows_and_a_phone_for_a_name(
    db: Database, tmp_path: Path
) -> None:
    wb = Workbook()
    ws = wb.active
    for title in ("Baza klientów", "Salon: Main", "Wygenerowano: 24.11.2026 12:00",
                  "Filtr: wszyscy klienci", "", "Liczba klientów: 3"):  # fmt: skip
        ws.append([title] if title else [])
    ws.append(["Klient", "Telefon", "E-mail", "Data urodzenia", "Data dodania",
               "Zgoda marketingowa", "Liczba wizyt", "Ostatnia wizyta"])  # fmt: skip
    ws.append(["Jan Kowalski", "600 100 200", "jan@example.pl", "12.04", "03.02.2024", "Tak", 5,
               "04.11.2026"])  # fmt: skip
    ws.append(["+48 600 700 800", "", "", "", "15.06.2025", "Nie", 1, "02.11.2026"])
    ws.append(["Ewa Nowak", "+48 501 002 003", "", "29.02.1992", "20.10.2026", "", 0, ""])
    ws.append(["Razem", "", "", "", "", "", 6, ""])
    path = tmp_path / "baza_klientow.xlsx"
    wb.save(path)
    one(db, "booksy.csv")  # Jan Kowalski (a name) and a nameless client with a phone
    r = one(db, path)
    assert (r.platform, r.rows_read, r.rejected) == ("booksy_clients", 3, 0)
    # The nameless client matches by phone; Jan Kowalski's name alone never merges.
    assert (r.inserted, r.updated, r.unchanged) == (2, 1, 0)
    assert query(db, "SELECT display_name, phone, email, marketing_consent, birthday_month, "
                     "birthday_day, first_seen_utc FROM clients ORDER BY id") == [
        # The phone's first visit (2 Nov 2026) is later than the list's date: that wins.
        ("+48600700800", "+48600700800", None, 0, None, None, _day("2025-06-15")),
        ("Jan Kowalski", None, None, None, None, None, _day("2026-11-02 10:00")),
        ("Piotr Nowak", None, None, None, None, None, _day("2026-11-03 12:30")),
        ("Jan Kowalski", "+48600100200", "jan@example.pl", 1, 4, 12, _day("2024-02-03")),
        ("Ewa Nowak", "+48501002003", None, None, 2, 29, _day("2026-10-20")),
    ]  # fmt: skip
    assert query(db, "SELECT client_id, candidate_id FROM client_merge_proposals") == [(4, 2)]


def test_birthdays_with_and_without_a_year() -> None:
    text = pd.Series(["1990-04-12", "04-12", "0000-12-31", "April 12", "12 Apr 1990",
                      "12/04", "12/04/1990", "02-30", "13-01", "soon", ""])  # fmt: skip
    month, day, bad = lists.birthdays(text, "dmy")
    assert month.tolist()[:7] == [4, 4, 12, 4, 4, 4, 4]
    assert day.tolist()[:7] == [12, 12, 31, 12, 12, 12, 12]
    assert bad.tolist() == [False] * 7 + [True, True, True, False]
    assert lists.birthdays(pd.Series(["12/04"]), "mdy")[0].tolist() == [12]


def test_a_service_list_sets_prices_durations_and_premium(db: Database) -> None:
    one(db, "template_week1.csv")  # Skin Fade, Beard Trim, Kids Cut, the package: no prices
    r = one(db, LISTS / "fresha_services.csv")
    assert (r.platform, r.kind, r.inserted, r.updated, r.unchanged) == (
        "fresha_services_it", "services", 2, 4, 0
    )  # fmt: skip
    assert query(db, "SELECT name, category, list_price_cents, duration_min, premium "
                     "FROM services ORDER BY name") == [
        ("Beard Trim", "beard", 2500, 20, 0),
        ("Cut & Beard Package", "package", 8000, 90, 1),
        ("Grey Blend", "colour", 6000, 60, 1),  # COLORE
        ("Hot Towel Shave", "beard", 5500, 60, 1),  # BARBA
        ("Kids Cut", "cut", 2000, 30, 0),
        ("Skin Fade", "cut", 4500, 45, 0),
    ]  # fmt: skip
    assert premium_threshold_cents(db) == 5000
    assert save_premium_threshold(db, 5800, None) == 1  # the shave is no longer premium
    assert query(db, "SELECT name FROM services WHERE premium = TRUE ORDER BY name") == [
        ("Cut & Beard Package",), ("Grey Blend",)
    ]  # fmt: skip
    (detail,) = query(db, "SELECT detail FROM audit_log WHERE action = 'settings_changed'")
    said = json.loads(detail[0]) if isinstance(detail[0], str) else detail[0]  # PG parses JSON
    assert said["premium_threshold_cents"] == [5000, 5800]
    # A later list is marked by the saved threshold.
    undo_last_import(db)
    one(db, LISTS / "fresha_services.csv")
    assert query(db, "SELECT premium FROM services WHERE name = 'Hot Towel Shave'") == [(0,)]


def test_the_threshold_is_validated_and_counts_what_services_sell_at(db: Database) -> None:
    one(db, "template_week1.csv")  # Skin Fade sold at $45, Beard Trim at $25
    for bad in ("abc", 0, 49.5, 2_000_000):
        with pytest.raises(InputError, match="premium price threshold"):
            save_premium_threshold(db, bad, None)
    assert premium_threshold_cents(db) == 5000
    assert save_premium_threshold(db, "4000", None) == 1
    assert query(db, "SELECT name, premium FROM services ORDER BY name") == [
        ("Beard Trim", 0), ("Cut & Beard Package", 0),  # booked, never sold: price unknown
        ("Kids Cut", 0), ("Skin Fade", 1),
    ]  # fmt: skip


def test_booking_imports_mark_the_services_they_create(db: Database) -> None:
    """A booking export's new services are premium by the price they sold at."""
    save_premium_threshold(db, 4000, None)
    one(db, "template_week1.csv")
    assert query(db, "SELECT name FROM services WHERE premium = TRUE") == [("Skin Fade",)]


def test_a_staff_list_adds_and_deactivates_but_never_drops_who_it_omits(
    db: Database, tmp_path: Path
) -> None:
    one(db, "fresha.csv")  # Marco Diaz and Dee Jones at Main
    r = one(db, LISTS / "fresha_staff.csv")
    assert (r.inserted, r.updated, r.unchanged) == (1, 1, 1)
    assert query(db, "SELECT name, active FROM barbers ORDER BY name") == [
        ("Dee Jones", 0), ("Kim Novak", 1), ("Marco Diaz", 1)
    ]  # fmt: skip
    only_kim = tmp_path / "employees_export.csv"
    only_kim.write_text("Nome,Cognome,Email,Stato,Appuntamenti,Posizione lavorativa\n"
                        "Kim,Novak,kim@example.com,Attivo,Abilitati,Apprendista\n")  # fmt: skip
    again = one(db, only_kim)
    assert (again.platform, again.unchanged) == ("fresha_staff_it", 1)
    assert query(db, "SELECT name, active FROM barbers ORDER BY name") == [
        ("Dee Jones", 0), ("Kim Novak", 1), ("Marco Diaz", 1)
    ]  # fmt: skip


def test_square_item_library_leaves_products_out(db: Database) -> None:
    r = one(db, LISTS / "square_item_library.csv")
    assert (r.platform, r.rows_read, r.inserted, r.rejected) == ("square_item_library", 4, 3, 1)
    assert "row 4, column Item Type: 'Physical good' is not a service" in r.problems[0]
    assert query(db, "SELECT name, category, list_price_cents FROM services ORDER BY name") == [
        ("Beard Trim", "beard", 2500), ("Consultation", "other", None),  # "Variable": unknown
        ("Skin Fade", "cut", 4500),
    ]  # fmt: skip


def test_a_refused_list_changes_nothing_and_says_where(db: Database, tmp_path: Path) -> None:
    one(db, "template_week1.csv")
    before = stored(db)
    bad = tmp_path / "export_service_list.csv"
    bad.write_text(
        '"Nome servizio","Prezzo al dettaglio","Durata","Nome della categoria"\n'
        '"Skin Fade","50.00","45","TAGLIO"\n'
        '"Beard Trim","circa 30","20m","BARBA"\n'
    )
    r = one(db, bad)
    assert r.status == "rejected" and r.kind == "services"
    assert r.reason == (
        "export_service_list.csv, row 3, column Prezzo al dettaglio: 'circa 30' is not an "
        "amount of money BarberBI can read."
    )
    assert stored(db) == before


def test_list_kinds_are_the_ones_batches_allow() -> None:
    from barberbi_desktop.storage.models import BATCH_KINDS

    assert set(LIST_KINDS) | {"bookings"} == set(BATCH_KINDS)
