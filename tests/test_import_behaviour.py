"""Import behaviour: idempotence, overlapping exports, undo, dates, bad input, CLI, watch folder."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from barberbi_desktop.cli import main
from barberbi_desktop.errors import InputError
from barberbi_desktop.events import DataChanged, EventHub
from barberbi_desktop.ingest.importer import Importer, undo_last_import
from barberbi_desktop.ingest.watch import WatchFolder
from barberbi_desktop.storage.db import Database, open_database
from tests.import_helpers import (
    FIXTURES,
    NOW,
    one,
    query,
    run_import,
    snapshot,
    stored,
    totals,
)

HEADER = (FIXTURES / "template_week1.csv").read_text().splitlines()[0]


def _template(tmp_path: Path, *rows: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def test_reimport_changes_nothing(db: Database) -> None:
    one(db, "template_week1.csv")
    before = snapshot(db)
    again = one(db, "template_week1.csv")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    assert snapshot(db) == before


def test_overlapping_export_merges_and_updates_status(db: Database) -> None:
    one(db, "template_week1.csv")
    week2 = one(db, "template_week2.csv")
    assert (week2.inserted, week2.updated, week2.unchanged) == (2, 1, 0)
    assert query(db, "SELECT status FROM appointments WHERE source_id = 'A4'") == [("completed",)]
    assert query(db, "SELECT COUNT(*) FROM appointments") == [(6,)]
    assert query(
        db, "SELECT unit_price_cents, tip_cents FROM sale_items WHERE name LIKE 'Cut & Beard%'"
    ) == [(110000, 2000)]
    # An older export read again does not turn the finished visit back into a booking.
    old = one(db, "template_week1.csv")
    assert old.updated == 0
    assert query(db, "SELECT status FROM appointments WHERE source_id = 'A4'") == [("completed",)]
    assert query(db, "SELECT tip_cents FROM sale_items WHERE name LIKE 'Cut & Beard%'") == [(2000,)]


def test_undo_restores_the_previous_state_exactly(db: Database) -> None:
    empty = snapshot(db)
    one(db, "template_week1.csv")
    after_week1 = snapshot(db)
    one(db, "square_customers.csv")  # fills Bob's phone: an update to undo
    one(db, "template_week2.csv")
    undo_last_import(db)
    undo_last_import(db)
    assert snapshot(db) == after_week1
    undo_last_import(db)
    assert snapshot(db) == empty
    with pytest.raises(InputError, match="no import to undo"):
        undo_last_import(db)


def test_dry_run_writes_nothing(db: Database) -> None:
    before = stored(db)
    r = one(db, "template_week1.csv", dry_run=True)
    assert (r.status, r.inserted, r.batch_id) == ("dry_run", 4, None)
    assert stored(db) == before


def test_ambiguous_dates_are_asked_about_not_guessed(db: Database, tmp_path: Path) -> None:
    path = _template(tmp_path, "X1,03/04/2026 10:00,,,C1,Al,,,Marco,Cut,,20,,,,,,,Main")
    r = one(db, path)
    assert r.status == "rejected" and "day/month or month/day" in r.reason
    assert "--date-order" in r.reason
    r = one(db, path, date_order="dmy")
    assert r.status == "landed"
    assert _utc_days(db) == ["2026-04-03"]


def test_a_day_above_12_settles_the_order(db: Database, tmp_path: Path) -> None:
    path = _template(
        tmp_path,
        "X1,03/04/2026 10:00,,,C1,Al,,,Marco,Cut,,20,,,,,,,Main",
        "X2,25/04/2026 10:00,,,C1,Al,,,Marco,Cut,,20,,,,,,,Main",
    )
    assert one(db, path).status == "landed"
    assert _utc_days(db) == ["2026-04-03", "2026-04-25"]


def _utc_days(db: Database) -> list[str]:
    """The UTC day of every appointment, in order."""
    rows = query(db, "SELECT start_utc FROM appointments ORDER BY start_utc")
    return [datetime.fromtimestamp(t, UTC).date().isoformat() for (t,) in rows]


def test_encodings_utf16_cp1252_and_bom(db: Database, tmp_path: Path) -> None:
    text = (FIXTURES / "template_week1.csv").read_text().replace("Ann Lee", "José Núñez")
    utf16 = tmp_path / "excel-unicode.txt"
    utf16.write_text(text.replace(",", "\t"), encoding="utf-16")
    r = one(db, utf16)
    assert r.status == "landed", r.reason
    assert query(db, "SELECT display_name FROM clients WHERE id = 1") == [("José Núñez",)]
    cp = tmp_path / "windows.csv"
    cp.write_bytes(text.replace("A1,", "B1,").replace("A2,", "B2,").encode("cp1252"))
    assert one(db, cp).status == "landed"


BAD_FILES = {
    "empty": (b"", "is empty"),
    "header only": (HEADER.encode() + b"\n", "has a header but no rows"),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "is a PDF document"),
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a PNG image"),
    "unknown columns": (b"foo,bar,baz\n1,2,3\n", "do not match any platform"),
    "wrong encoding": (HEADER.encode() + b"\nA1,2026-11-02 10:00,\x81\x8d\x90", "text encoding"),
    "absurd price": (
        (HEADER + '\nA1,2026-11-02 10:00,,,C1,Al,,,Marco,Cut,,"$45,000.00",,,,,,,Main\n')
        .encode(),
        "row 2, column price: '$45,000.00' is not a believable price",
    ),
    "far future": (
        (HEADER + "\nA1,2029-01-02 10:00,,,C1,Al,,,Marco,Cut,,20,,,,,,,Main\n").encode(),
        "row 2, column start: '2029-01-02 10:00' is more than 365 days in the future",
    ),
    "unreadable date": (
        (HEADER + "\nA1,next tuesday,,,C1,Al,,,Marco,Cut,,20,,,,,,,Main\n").encode(),
        "row 2, column start: 'next tuesday' is not a date and time",
    ),
    "unknown status": (
        (HEADER + "\nA1,2026-11-02 10:00,,Pending payment,C1,Al,,,Marco,Cut,,20,,,,,,,Main\n")
        .encode(),
        "'Pending payment' is not a status BarberBI knows",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_input_gets_one_sentence_and_writes_nothing(
    db: Database, tmp_path: Path, case: str
) -> None:
    content, expected = BAD_FILES[case]
    one(db, "template_week1.csv")
    before = stored(db)
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    r = one(db, path)
    assert r.status == "rejected"
    assert expected in r.reason and "export.csv" in r.reason
    assert r.reason.count(". ") <= 1 and "\n" not in r.reason  # one sentence
    assert stored(db) == before


def test_a_50_mb_single_line_is_refused_quickly(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "blob.csv"
    with path.open("wb") as fh:
        fh.write(b"appointment_id,start,")
        fh.write(b"x" * (50 * 1024 * 1024))
    before = stored(db)
    r = one(db, path)
    assert r.status == "rejected" and "line 1 is over 1 MB long" in r.reason
    assert stored(db) == before


def test_joined_files_with_a_missing_key_are_refused(db: Database, tmp_path: Path) -> None:
    payments = tmp_path / "payments.csv"
    lines = (FIXTURES / "glossgenius_payments.csv").read_text().splitlines()
    payments.write_text("\n".join(lines[:-1]) + "\n")  # ch_04 left out
    before = stored(db)
    reports = run_import(db, payments, FIXTURES / "glossgenius_items.csv", location="Main")
    assert all(r.status == "rejected" for r in reports)
    assert "row 10, column Charge ID: 'ch_04' is not in payments.csv" in reports[0].reason
    assert stored(db) == before


def test_password_protected_xlsx_says_so(db: Database, tmp_path: Path) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = tmp_path / "plain.xlsx"
    wb = Workbook()
    wb.active.append(HEADER.split(","))
    wb.save(plain)
    secret = tmp_path / "locked.xlsx"
    with plain.open("rb") as src, secret.open("wb") as dst:
        OOXMLFile(src).encrypt("hunter2", dst)
    r = one(db, secret)
    assert r.status == "rejected"
    assert "locked.xlsx is protected with a password" in r.reason
    assert "export the report again as CSV" in r.reason


def test_skip_bad_rows_lands_the_rest_and_records_problems(db: Database, tmp_path: Path) -> None:
    path = _template(
        tmp_path,
        "A1,2026-11-02 10:00,,,C1,Al,,,Marco,Cut,,20,,,,,,,Main",
        "A2,2026-11-02 11:00,,,C2,Bo,,,Marco,Cut,,five,,,,,,,Main",
    )
    r = one(db, path, skip_bad_rows=True)
    assert (r.status, r.inserted, r.rejected) == ("landed", 1, 1)
    assert query(db, "SELECT row_number, \"column\", severity FROM import_issues") == [
        (3, "price", "error")
    ]
    assert query(db, "SELECT rows_read, inserted, rejected, status FROM import_batches") == [
        (2, 1, 1, "landed")
    ]


def test_name_only_match_is_proposed_not_merged(db: Database) -> None:
    one(db, "template_week1.csv")  # Ann Lee with an id and email
    one(db, "fresha.csv")  # "Ann Lee", a name only
    assert query(db, "SELECT COUNT(*) FROM clients WHERE display_name = 'Ann Lee'") == [(2,)]
    (proposal,) = query(db, "SELECT client_id, candidate_id, status FROM client_merge_proposals")
    assert proposal[1] == 1 and proposal[2] == "open"


def test_clients_match_by_email_across_platforms(db: Database) -> None:
    one(db, "template_week1.csv")
    one(db, "acuity.csv")  # Ann by email; Luis and Mia are new
    assert totals(db)["clients"] == 3 + 2


def test_data_changed_is_published_after_a_batch_lands(db: Database) -> None:
    hub = EventHub()
    seen: list[DataChanged] = []
    hub.subscribe(DataChanged, seen.append)
    Importer(db, hub=hub, now=NOW).import_files([FIXTURES / "template_week1.csv"])
    Importer(db, hub=hub, now=NOW).import_files([FIXTURES / "template_week1.csv"])  # no change
    assert [(e.reason, e.batch_id) for e in seen] == [("import", 1)]
    version = query(db, "SELECT data_version FROM shop_state")[0][0]
    undo_last_import(db, hub)  # undoes the no-op batch 2
    assert seen[-1] == DataChanged(reason="undo", batch_id=2)
    assert query(db, "SELECT data_version FROM shop_state")[0][0] == version + 1


def test_cli_import_creates_a_shop_and_prints_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TZ", "Europe/Warsaw")
    target = tmp_path / "new.db"
    code = main(["--db", str(target), "import", str(FIXTURES / "booksy.csv"), "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)["files"][0]
    assert (out["platform"], out["confidence"], out["inserted"]) == ("booksy", 1.0, 4)
    db = open_database(target, create=False)
    try:
        assert query(db, "SELECT name, timezone FROM locations") == [("Main", "Europe/Warsaw")]
    finally:
        db.dispose()


def test_cli_exit_2_when_a_file_is_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "photo.csv"
    bad.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF")
    target = tmp_path / "shop.db"
    code = main(["--db", str(target), "import", str(FIXTURES / "template_week1.csv"), str(bad)])
    captured = capsys.readouterr()
    assert code == 2
    assert "photo.csv is a JPEG image, not a booking export" in captured.err
    assert "template_week1.csv: imported" in captured.out
    assert main(["--db", str(target), "import", "--undo"]) == 0


def test_cli_platform_override_and_mapping(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("When,Who,Stylist,What,Amount\n2026-11-02 10:00,Al,Marco,Cut,20.00\n")
    target = tmp_path / "shop.db"
    assert main(["--db", str(target), "import", str(path)]) == 2  # unknown columns
    args = ["--platform", "barberbi", "--map", "start=When", "--map", "client_name=Who",
            "--map", "barber=Stylist", "--map", "service=What", "--map", "price=Amount"]
    assert main(["--db", str(target), "import", str(path), *args]) == 0
    db = open_database(target, create=False)
    try:
        assert totals(db)["price"] == 2000
    finally:
        db.dispose()


def test_watch_folder_imports_and_sorts_files(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "week1.csv").write_bytes((FIXTURES / "template_week1.csv").read_bytes())
    (folder / "scan.csv").write_bytes(b"%PDF-1.4 scanned receipt")
    hub = EventHub()
    seen: list[DataChanged] = []
    hub.subscribe(DataChanged, seen.append)
    watcher = WatchFolder(db, folder, hub=hub, settle_seconds=0)
    assert watcher.scan() == []  # seen once; taken at the next scan if unchanged
    reports = watcher.scan()
    assert sorted(r.status for r in reports) == ["landed", "rejected"]
    assert (folder / "imported" / "week1.csv").exists()
    assert (folder / "rejected" / "scan.csv").exists()
    report = (folder / "rejected" / "scan.csv.report.txt").read_text()
    assert "scan.csv is a PDF document" in report
    assert json.loads((folder / "imported" / "week1.csv.report.json").read_text())["inserted"] == 4
    assert len(seen) == 1 and not list(folder.glob("*.csv"))


def test_a_file_still_being_written_waits_for_the_next_scan(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "week1.csv").write_bytes((FIXTURES / "template_week1.csv").read_bytes())
    watcher = WatchFolder(db, folder, settle_seconds=0)
    assert watcher.scan() == []  # just appeared: size not yet seen twice
    assert [r.status for r in watcher.scan()] == ["landed"]


def test_template_written_by_the_cli_imports(tmp_path: Path) -> None:
    out = tmp_path / "template.csv"
    assert main(["import", "--template", str(out)]) == 0
    assert main(["--db", str(tmp_path / "s.db"), "import", str(out)]) == 0


def test_stream_reader_handles_chunks(db: Database, tmp_path: Path) -> None:
    buf = io.StringIO()
    buf.write(HEADER + "\n")
    for i in range(2500):
        day = 1 + i % 28
        client = i % 300
        buf.write(f"Z{i},2026-10-{day:02d} 10:00,,,C{client},N{client},,,M,Cut,,20,,,,,,,Main\n")
    path = tmp_path / "many.csv"
    path.write_text(buf.getvalue())
    from barberbi_desktop.ingest import read

    original = read.CHUNK_ROWS
    read.CHUNK_ROWS = 1000
    try:
        r = one(db, path)
    finally:
        read.CHUNK_ROWS = original
    assert (r.rows_read, r.inserted) == (2500, 2500)
    assert totals(db)["price"] == 2500 * 2000


def test_big_files_parse_in_a_helper_process_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    from barberbi_desktop.ingest import read

    monkeypatch.setattr(read, "CHUNK_ROWS", 2)  # several chunks even for a small file
    results = []
    for parallel_bytes in (0, 10**12):
        db = open_database(tmp_path / f"shop-{parallel_bytes}.db")
        try:
            importer = Importer(db, now=NOW)
            importer.parallel_bytes = parallel_bytes
            (week1,) = importer.import_files([FIXTURES / "template_week1.csv"])
            (week2,) = importer.import_files([FIXTURES / "template_week2.csv"])
            results.append(((week1.inserted, week2.inserted, week2.updated), snapshot(db)))
        finally:
            db.dispose()
    assert results[0] == results[1]
    assert results[0][0] == (4, 2, 1)


def test_a_line_break_inside_a_bad_cell_stays_out_of_the_sentence(
    db: Database, tmp_path: Path
) -> None:
    """Found by the fuzz test: a quoted cell holding a line break was quoted verbatim."""
    text = (FIXTURES / "template_week1.csv").read_text()
    header, first, *rest = text.splitlines()
    cells = first.split(",")
    cells[1] = '"\x01\nnot a date"'
    bad = tmp_path / "broken.csv"
    bad.write_text("\n".join([header, ",".join(cells), *rest]) + "\n")
    [report] = Importer(db).import_files([bad])
    assert report.status == "rejected"
    assert "\n" not in report.reason and "\x01" not in report.reason
    assert "broken.csv, row 2" in report.reason


@pytest.mark.parametrize(
    ("text", "zone"),
    [("America/New_York", "America/New_York"), (" Europe/London ", "Europe/London"),
     ("America", None), ("Europe", None), ("Mars/Olympus", None), ("../etc", None), ("", None)],
)  # fmt: skip
def test_a_time_zone_column_takes_only_real_zones(text: str, zone: str | None) -> None:
    from barberbi_desktop.ingest.canonical import zone_name

    assert zone_name(text) == zone  # a region folder ("America") once raised IsADirectoryError
