"""Instants past 2038 on a PostgreSQL server (schema 0013: BIGINT instead of int4).

A 32-bit integer ends at 2038-01-19 03:14:07 UTC. A shop's 2039 bookings must land through
the importer's staging and COPY, come back exactly through the frame reader, survive an
undo, move with ``barberbi migrate``, and a server database at 0012 must be widened with
its rows unchanged.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from alembic import command
from sqlalchemy import text

from barberbi_desktop.cli import main
from barberbi_desktop.ingest.importer import Importer, undo_last_import
from barberbi_desktop.storage.db import SCHEMA_HEAD, Database, _alembic_config, open_database
from barberbi_desktop.storage.frames import load_shop_data, shutdown_reader
from barberbi_desktop.storage.models import Base
from tests.import_helpers import FIXTURES, query

pytestmark = pytest.mark.pg

NY = "America/New_York"
# The shop's clock: a January in 2039, so March 2039 is within the booking horizon.
NOW_2039 = datetime(2039, 1, 15, 12, 0, tzinfo=UTC)
INT4_MAX = 2**31 - 1
APPT_INSTANTS = ("start_utc", "end_utc", "booked_at_utc")


def _fresha(path: Path, moved: bool = False) -> Path:
    """A Fresha appointment list (header as tests/data/imports/fresha.csv) with a visit
    before the 32-bit end, one in January 2039, and one booked in 2039 for March 2039
    (``moved``: the export after the client moved it a week on)."""
    with (FIXTURES / "fresha.csv").open(newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    march = "21 Mar 2039, 2:00pm" if moved else "14 Mar 2039, 2:00pm"
    rows = [
        ["#3701", "Ann Lee", "Marco Diaz", "Completed", "28 Oct 2037, 7:05pm",
         "02 Nov 2037, 10:00am", "", "Haircuts", "Skin Fade", "45min", "10:00:00-10:45:00",
         "Ann Lee", "", "Main", "45.00", "", "0.00", "0.00"],
        ["#3901", "Tom Hardy", "Marco Diaz", "Completed", "20 Dec 2038, 9:00am",
         "05 Jan 2039, 3:00pm", "", "Haircuts", "Classic Cut", "30min", "15:00:00-15:30:00",
         "Front desk", "", "Main", "1.035,50", "", "0.00", "0.00"],
        ["#3902", "Sara Bell", "Dee Jones", "Confirmed", "10 Jan 2039, 11:30am", march, "",
         "Beard", "Beard Trim", "20min", "14:00:00-14:20:00", "Sara Bell", "", "Main",
         "25.00", "", "0.00", "0.00"],
    ]  # fmt: skip
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        out.writerows(rows)
    return path


def _ny(text_: str) -> pd.Timestamp:
    return pd.Timestamp(text_, tz=NY).tz_convert("UTC")


def _expected(moved: bool = False) -> list[tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]]:
    """(start, end, booked at) of the three visits, in start order."""
    march = "2039-03-21 14:00" if moved else "2039-03-14 14:00"
    return [
        (_ny("2037-11-02 10:00"), _ny("2037-11-02 10:45"), _ny("2037-10-28 19:05")),
        (_ny("2039-01-05 15:00"), _ny("2039-01-05 15:30"), _ny("2038-12-20 09:00")),
        (_ny(march), _ny(march) + pd.Timedelta(minutes=20), _ny("2039-01-10 11:30")),
    ]


def _stored(db: Database) -> list[tuple[int, ...]]:
    return [tuple(r) for r in query(
        db, f"SELECT {', '.join(APPT_INSTANTS)} FROM appointments ORDER BY start_utc"
    )]  # fmt: skip


def _as_ints(expected: list[tuple[pd.Timestamp, ...]]) -> list[tuple[int, ...]]:
    return [tuple(int(t.timestamp()) for t in row) for row in expected]


def _import(db: Database, path: Path) -> None:
    (report,) = Importer(db, now=NOW_2039).import_files([path])
    assert report.status == "landed", report.as_dict()


@pytest.fixture
def server(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TZ", NY)  # the new shop's location is in New York time
    db = open_database(pg_url, create=False)
    yield db
    db.dispose()


def test_an_export_with_2039_bookings_lands_on_a_server_and_reads_back_exactly(
    server: Database, tmp_path: Path
) -> None:
    _import(server, _fresha(tmp_path / "fresha-appointments.csv"))
    want = _expected()
    assert _stored(server) == _as_ints(want)
    assert max(max(r) for r in _stored(server)) > INT4_MAX  # past the 32-bit end indeed
    ((sold,),) = query(server, "SELECT max(sold_at_utc) FROM sale_items")
    assert sold == int(want[1][0].timestamp())  # the January 2039 visit's sale
    try:
        data = load_shop_data(server)  # the ADBC reader, as the dashboards read
    finally:
        shutdown_reader()
    appts = data.appointments
    got = list(zip(appts["start"], appts["end"], appts["booked_at"], strict=True))
    assert got == want
    assert data.clients["first_seen"].max() == want[2][0]  # Sara Bell's first: March 2039


def test_a_typod_year_2040_in_a_2026_export_lands_as_written(
    server: Database, tmp_path: Path
) -> None:
    """A booking's created date typed as 2040 has no horizon to break (only a visit's start
    has); on int4 staging it was an internal error, now the row lands and keeps it."""
    text_ = (FIXTURES / "fresha.csv").read_text(encoding="utf-8")
    typo = text_.replace('"28 Oct 2026, 7:05pm"', '"28 Oct 2040, 7:05pm"')
    assert typo != text_
    path = tmp_path / "fresha-typo.csv"
    path.write_text(typo, encoding="utf-8")
    (report,) = Importer(server, now=datetime(2026, 11, 24, 12, tzinfo=UTC)).import_files([path])
    assert (report.status, report.inserted) == ("landed", 5), report.as_dict()
    assert query(server, "SELECT max(booked_at_utc) FROM appointments") == [
        (int(_ny("2040-10-28 19:05").timestamp()),)
    ]


def test_a_2039_booking_moved_by_a_reimport_is_put_back_exactly_by_undo(
    server: Database, tmp_path: Path
) -> None:
    _import(server, _fresha(tmp_path / "fresha-appointments.csv"))
    _import(server, _fresha(tmp_path / "fresha-appointments-later.csv", moved=True))
    assert _stored(server) == _as_ints(_expected(moved=True))
    undo_last_import(server)  # old values come back from import_changes' JSON
    assert _stored(server) == _as_ints(_expected())


def test_migrate_moves_a_shop_file_holding_2039_bookings(
    pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", NY)
    file_db = open_database(tmp_path / "shop.db")
    try:
        _import(file_db, _fresha(tmp_path / "fresha-appointments.csv"))
        want = _stored(file_db)
        assert want == _as_ints(_expected())
    finally:
        file_db.dispose()
    code = main(["migrate", "--from", str(tmp_path / "shop.db"), "--to", pg_url, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["status"] == "copied"
    server = open_database(pg_url, create=False)
    try:
        assert _stored(server) == want
        assert query(server, "SELECT max(sold_at_utc) FROM sale_items") == [(want[1][0],)]
    finally:
        server.dispose()


def _column_types(db: Database) -> dict[str, str]:
    rows = query(
        db,
        "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name LIKE '%\\_utc' ESCAPE '\\'",
    )
    return dict(rows)


def _everything(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    out = {}
    for table in Base.metadata.sorted_tables:
        rows = query(db, f'SELECT * FROM "{table.name}"')
        out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def test_a_server_at_0012_is_widened_to_0013_with_its_rows_unchanged(
    server: Database, tmp_path: Path
) -> None:
    from tests.import_helpers import run_import

    run_import(server, "fresha.csv")  # 2026 bookings: what a 0012 server can hold
    run_import(server, "square_transactions.csv", "square_items.csv")
    before = _everything(server)
    assert len(before["appointments"]) > 5 and len(before["sale_items"]) > 5
    with server.engine.begin() as conn:
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0012")
    url = server.engine.url.render_as_string(hide_password=False)
    server.dispose()
    types = _column_types(server)
    assert types["appointments.start_utc"] == "integer"
    assert types["appointments.cancelled_at_utc"] == "integer"

    upgraded = open_database(url, create=False)
    try:
        with upgraded.read() as conn:
            rev = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        assert rev == SCHEMA_HEAD and SCHEMA_HEAD >= "0013"
        assert set(_column_types(upgraded).values()) == {"bigint"}
        assert _everything(upgraded) == before
    finally:
        upgraded.dispose()
