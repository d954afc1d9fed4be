"""A visit is all its lines: receipts with several lines, negative lines, money to the cent.

A salon's POS receipt export (one row per line item, several lines per receipt by
different staff, comps and corrections as negative lines, $0 consultations) once
lost a quarter of its revenue: lines sharing a receipt id overwrote each other.
These tests hold the importer to "every line lands, and the money that landed is
the money in the file", checked against sums worked out here from the CSV itself.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from barberbi_desktop.ingest import sale_lines
from barberbi_desktop.ingest.importer import undo_last_import
from barberbi_desktop.storage.db import Database, open_database
from tests.import_helpers import FIXTURES, one, query, snapshot, stored

SALON = FIXTURES / "real" / "salon_pos_receipts.csv"
SALON_MAP = {
    "appointment_id": "Receipt", "start": "Date", "client_id": "Client", "barber": "Staff",
    "service": "Description", "price": "Amount", "quantity": "Qty",
}  # fmt: skip


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("TZ", "Europe/London")
    database = open_database(tmp_path / "shop.db")
    yield database
    database.dispose()


def _cents(text: str) -> int:
    return int(Decimal(text.replace(",", "").replace("$", "").strip() or "0") * 100)


def expected_money(path: Path, price: str = "Amount", qty: str = "Qty") -> dict[str, int]:
    """The file's own money, summed here without any of the importer's code.

    A line whose amount or quantity is negative is money going back: minus the
    size of amount x quantity, however the file spread the sign.
    """
    sales = adjustments = 0
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            amount, n = _cents(row[price]), int(Decimal(row.get(qty) or "1"))
            if amount < 0 or n < 0:
                adjustments -= abs(amount * n)
            else:
                sales += amount * n
    return {"sales_cents": sales, "adjustments_cents": adjustments,
            "net_cents": sales + adjustments}


def _import_salon(db: Database, path: Path = SALON, **options):
    return one(db, path, platform="barberbi", mapping=SALON_MAP, **options)


def test_every_line_of_a_receipt_lands_and_the_money_reconciles(db: Database) -> None:
    r = _import_salon(db)
    assert r.status == "landed", r.reason
    assert (r.rows_read, r.inserted, r.rejected, r.kind) == (20, 20, 0, "bookings")
    assert r.lines == 20
    assert query(db, "SELECT COUNT(*) FROM sale_items") == [(20,)]
    assert query(db, "SELECT COUNT(*) FROM appointments") == [(9,)]
    want = expected_money(SALON)
    assert r.money is not None
    assert {k: r.money[k] for k in want} == want
    assert want["net_cents"] == 157_460  # $1,574.60: the twenty amounts x quantities, added up
    assert (r.money["tax_cents"], r.money["tips_cents"]) == (None, None)  # no such columns
    # Receipts with a date only: one warning, counting receipts (visits), not lines.
    (warning,) = [p for p in r.problems if "without a time of day" in p]
    assert "these 9 visits" in warning
    assert query(db, "SELECT DISTINCT time_known FROM appointments") == [(0,)]
    # What the database holds, in the engines' own terms, is the same net.
    (net,) = query(db, "SELECT sum(quantity * unit_price_cents) - sum(discount_cents) "
                       "FROM sale_items")[0]
    assert net == want["net_cents"]


def test_lines_keep_their_own_staff_and_identical_lines_both_count(db: Database) -> None:
    _import_salon(db)
    sellers = query(
        db, "SELECT i.name, b.name FROM sale_items i JOIN appointments a ON a.id = "
        "i.appointment_id JOIN barbers b ON b.id = i.barber_id WHERE a.source_id = 'R-10041' "
        "ORDER BY i.unit_price_cents",
    )
    assert sellers == [("Olaplex treatment", "Jess"), ("Womens cut & finish", "Jess"),
                       ("Full head colour", "Mara")]
    assert query(db, "SELECT COUNT(*), sum(unit_price_cents) FROM sale_items "
                     "WHERE name = 'Blow dry'") == [(2, 6000)]
    adjustments = query(db, "SELECT name, quantity, unit_price_cents FROM sale_items "
                            "WHERE kind = 'adjustment' ORDER BY unit_price_cents")
    assert adjustments == [
        ("miscellaneous", 1, -5000), ("Correction - toner charged twice", 1, -4500),
        ("Refund hair oil (damaged)", 1, -2295), ("Loyalty discount", 1, -440),
    ]
    # $0 consultations are lines too: a free service is a service, not missing money.
    assert query(db, "SELECT quantity, unit_price_cents FROM sale_items "
                     "WHERE name = 'Colour consultation'") == [(1, 0)]


def test_the_same_file_again_changes_nothing_and_undo_is_exact(db: Database) -> None:
    empty = snapshot(db)
    first = _import_salon(db)
    after_first = snapshot(db)
    again = _import_salon(db)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 20)
    assert again.money == first.money
    assert snapshot(db) == after_first
    undo_last_import(db)  # the re-import
    undo_last_import(db)  # the import
    assert snapshot(db) == empty


def test_a_newer_export_of_a_receipt_replaces_its_lines_and_undo_puts_them_back(
    db: Database, tmp_path: Path
) -> None:
    _import_salon(db)
    before = snapshot(db)
    text = SALON.read_text()
    text = text.replace("CL0031,Tom,Beard tidy,Hair,1,12.00", "CL0031,Tom,Beard tidy,Hair,1,15.00")
    text = text.replace("R-10045,2026-10-04,CL0031,Tom,Mens cut,Hair,1,32.00\n", "")
    newer = tmp_path / "receipts-newer.csv"
    newer.write_text(text)
    r = _import_salon(db, newer)
    assert r.status == "landed", r.reason
    assert r.money is not None and r.money["net_cents"] == expected_money(newer)["net_cents"]
    lines = query(db, "SELECT i.name, i.unit_price_cents FROM sale_items i JOIN appointments a "
                      "ON a.id = i.appointment_id WHERE a.source_id = 'R-10045' ORDER BY 2")
    assert lines == [("Loyalty discount", -440), ("Beard tidy", 1500)]
    (net,) = query(db, "SELECT sum(quantity * unit_price_cents) FROM sale_items")[0]
    assert net == expected_money(newer)["net_cents"]
    undo_last_import(db)
    assert snapshot(db) == before


def test_a_refund_of_an_earlier_sale_lowers_that_sale_and_leaves_the_visit_alone(
    db: Database, tmp_path: Path
) -> None:
    _import_salon(db)
    visit = query(db, "SELECT * FROM appointments WHERE source_id = 'R-10047'")
    refund = tmp_path / "refunds.csv"
    refund.write_text("Receipt,Date,Client,Staff,Description,Category,Qty,Amount\n"
                      "R-10047,2026-10-20,CL0102,Tom,Refund mens cut,Hair,-1,32.00\n")
    r = _import_salon(db, refund)
    assert r.status == "landed", r.reason
    assert r.money is not None and r.money["adjustments_cents"] == -3200
    assert query(db, "SELECT * FROM appointments WHERE source_id = 'R-10047'") == visit
    assert query(db, "SELECT sum(quantity * unit_price_cents) FROM sale_items i JOIN "
                     "appointments a ON a.id = i.appointment_id WHERE a.source_id = 'R-10047'"
                 ) == [(0,)]


def test_money_that_would_not_reconcile_rolls_the_import_back(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = stored(db)
    real = sale_lines._landed

    def off_by_a_cent(cur):  # a join that lost or doubled a cent would look like this
        sales, *rest = real(cur)
        return (sales - 1, *rest)

    monkeypatch.setattr(sale_lines, "_landed", off_by_a_cent)
    r = _import_salon(db)
    assert r.status == "rejected"
    assert r.reason is not None and "rolled back" in r.reason and "sales" in r.reason
    assert stored(db) == before


# --- any receipt file ---------------------------------------------------------------------

_line = st.tuples(
    st.sampled_from(["Jess", "Mara", "Tom", "HOUSE"]),
    st.sampled_from(["Cut", "Colour", "Blow dry", "Toner", "Misc", "Oil"]),
    st.sampled_from([1, 1, 1, 2, 3, -1]),
    st.integers(min_value=-20_000, max_value=60_000),
)
_receipts = st.lists(st.lists(_line, min_size=1, max_size=5), min_size=1, max_size=12)


@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(receipts=_receipts)
def test_any_receipt_file_lands_every_line_with_its_exact_money(
    tmp_path_factory: pytest.TempPathFactory, receipts: list[list[tuple[str, str, int, int]]]
) -> None:
    folder = tmp_path_factory.mktemp("receipts")
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["Receipt", "Date", "Client", "Staff", "Description", "Category", "Qty", "Amount"])
    for n, lines in enumerate(receipts):
        for staff, what, qty, cents in lines:
            w.writerow([f"R{n}", f"2026-09-{1 + n % 28:02d}", f"C{n % 5}", staff, what, "",
                        qty, f"{cents / 100:.2f}"])
    path = folder / "receipts.csv"
    path.write_text(out.getvalue())
    db = open_database(folder / "shop.db")
    try:
        r = _import_salon(db, path)
        assert r.status == "landed", r.reason
        n_lines = sum(len(lines) for lines in receipts)
        assert r.lines == n_lines
        assert query(db, "SELECT COUNT(*) FROM sale_items") == [(n_lines,)]
        want = expected_money(path)
        assert r.money is not None and {k: r.money[k] for k in want} == want
        before = snapshot(db)
        again = _import_salon(db, path)
        assert (again.inserted, again.updated) == (0, 0)
        assert snapshot(db) == before
    finally:
        db.dispose()


def test_the_report_states_the_money_in_words_and_the_history_keeps_it(db: Database) -> None:
    r = _import_salon(db)
    text = sale_lines.money_sentence(r.money)
    assert text.startswith("20 sale lines; sales $1,696.95; refunds and corrections -$122.35;")
    assert "net $1,574.60" in text and "tax not in the file" in text
    assert query(db, "SELECT kind, lines, json_extract(money, '$.net_cents') FROM "
                     "import_batches") == [("bookings", 20, 157_460)]


def test_a_file_without_prices_has_unknown_sales_not_zero(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "calendar.csv"
    path.write_text("appointment_id,start,client_name,barber,service\n"
                    "A1,2026-10-01 10:00,Ann Lee,Marco,Skin Fade\n"
                    "A2,2026-10-01 11:00,Bo Li,Marco,Beard Trim\n")
    r = one(db, path)
    assert r.status == "landed", r.reason
    assert r.money is not None
    assert (r.money["sales_cents"], r.money["net_cents"], r.money["lines"]) == (None, None, 2)
    assert r.money["unknown_price_lines"] == 2
    assert "sales are unknown" in sale_lines.money_sentence(r.money)
    assert query(db, "SELECT unit_price_cents FROM sale_items") == [(None,), (None,)]


def test_services_a_booking_export_creates_are_premium_by_what_they_sold_for(
    db: Database,
) -> None:
    _import_salon(db)  # the default threshold is $50
    premium = dict(query(db, "SELECT name, premium FROM services"))
    assert premium["Balayage"] == 1 and premium["Full head colour"] == 1
    assert premium["Mens cut"] == 0 and premium["Womens cut & finish"] == 1
    assert premium["Colour consultation"] == 0


def test_square_item_sales_alone_land_refunds_against_their_sale(db: Database) -> None:
    """Square's item file on its own: Qty 1.0/2.0, Gross Sales as the line total, and a
    refund row (Qty -1.0, -$30.00 gross, +$5.00 discount given back) on the same
    Transaction ID as its sale."""
    path = FIXTURES / "real" / "items-2026-06-01-2026-07-01.csv"
    r = one(db, path)
    assert r.status == "landed", r.reason
    assert (r.platform, r.rows_read, r.rejected) == ("square_items", 4, 0)
    net_column = 0
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            net_column += _cents(row["Net Sales"].replace("$", ""))
    assert r.money is not None
    assert r.money["net_cents"] == net_column == 8100
    assert (r.money["sales_cents"], r.money["adjustments_cents"]) == (11100, -3000)
    assert r.money["tax_cents"] == 394 + 315 + 219 - 219
    assert query(db, "SELECT a.source_id, sum(i.quantity * i.unit_price_cents - i.discount_cents)"
                     " FROM sale_items i JOIN appointments a ON a.id = i.appointment_id "
                     "GROUP BY a.source_id ORDER BY 1") == [("tx6A1", 8100), ("tx6B2", 0)]
    assert query(db, "SELECT quantity, unit_price_cents FROM sale_items WHERE name = "
                     "'Matte Clay'") == [(2, 1800)]


def test_a_refund_given_later_survives_the_original_export_read_again(
    db: Database, tmp_path: Path
) -> None:
    _import_salon(db)
    refund = tmp_path / "october-refunds.csv"
    refund.write_text("Receipt,Date,Client,Staff,Description,Category,Qty,Amount\n"
                      "R-10047,2026-10-20,CL0102,Tom,Refund mens cut,Hair,-1,32.00\n")
    _import_salon(db, refund)
    again = _import_salon(db)  # September's export, without the October refund
    assert again.status == "landed", again.reason
    assert query(db, "SELECT count(*) FROM sale_items WHERE name = 'Refund mens cut'") == [(1,)]


def test_a_visit_exported_later_as_cancelled_loses_its_sale_lines(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "t.csv"
    header = "appointment_id,start,status,client_name,service,price\n"
    path.write_text(header + "A1,2026-10-01 10:00,completed,Ann Lee,Cut,30\n")
    one(db, path)
    path.write_text(header + "A1,2026-10-01 10:00,cancelled,Ann Lee,Cut,30\n")
    r = one(db, path)
    assert r.status == "landed", r.reason
    assert query(db, "SELECT status FROM appointments") == [("cancelled",)]
    assert query(db, "SELECT count(*) FROM sale_items") == [(0,)]
    undo_last_import(db)
    assert query(db, "SELECT unit_price_cents FROM sale_items") == [(3000,)]


def test_a_refused_row_leaves_its_visits_lines_alone(db: Database, tmp_path: Path) -> None:
    _import_salon(db)
    text = SALON.read_text().replace("CL0077,Tom,Shampoo 250ml,Retail,2,18.50",
                                     "CL0077,Tom,Shampoo 250ml,Retail,abc,18.50")
    newer = tmp_path / "with-a-bad-row.csv"
    newer.write_text(text)
    r = _import_salon(db, newer, skip_bad_rows=True)
    assert (r.status, r.rejected) == ("landed", 1)
    assert query(db, "SELECT quantity FROM sale_items WHERE name = 'Shampoo 250ml'") == [(2,)]


def test_a_visit_split_across_chunks_is_read_whole_when_part_of_it_is_known(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from barberbi_desktop.ingest import read

    monkeypatch.setattr(read, "CHUNK_ROWS", 2, raising=False)
    path = tmp_path / "t.csv"
    header = "appointment_id,start,client_name,service,price\n"
    path.write_text(header + "A1,2026-10-01 10:00,Ann Lee,Cut,30\n")
    one(db, path)
    path.write_text(header + "A1,2026-10-01 10:00,Ann Lee,Cut,30\n"
                    "A2,2026-10-02 10:00,Bo Li,Cut,30\nA1,2026-10-01 10:00,Ann Lee,Beard,12\n")
    r = one(db, path)
    assert r.status == "landed", r.reason
    assert sorted(query(db, "SELECT i.unit_price_cents FROM sale_items i JOIN appointments a "
                            "ON a.id = i.appointment_id WHERE a.source_id = 'A1'")) == [
        (1200,), (3000,)
    ]


def test_square_items_read_again_alone_keep_the_payments_files_tips_and_refund(
    db: Database,
) -> None:
    from tests.import_helpers import run_import, totals

    run_import(db, "square_transactions.csv", "square_items.csv")
    before = totals(db)
    assert before["tip"] == 1800
    again = one(db, "square_items.csv")
    assert again.status == "landed", again.reason
    assert totals(db) == before
    tx_again = one(db, "square_transactions.csv")  # the payments file alone, again
    assert tx_again.status == "landed", tx_again.reason
    assert totals(db) == before  # its summary never doubles the detail or the refund
