"""``barberbi migrate``: a shop file's history copied into a PostgreSQL server.

On the demo shop and on a shop that only ever imported files: every row arrives with
its id, the server then behaves like the file (an import, an undo of a batch imported
before the move), a second run changes nothing, and a server holding another shop is
refused with one sentence.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, Boolean

from barberbi_desktop.cli import main
from barberbi_desktop.ingest.importer import undo_last_import
from barberbi_desktop.storage.db import Database, open_database
from barberbi_desktop.storage.migrate import fingerprint
from barberbi_desktop.storage.models import Base
from tests.import_helpers import query, run_import

pytestmark = pytest.mark.pg


def _migrate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code = main(["migrate", *args, "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else err.strip())


def _rows(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, with the back ends' spellings made one (SQLite's 0/1 for
    a boolean, JSON as text, dates as text)."""
    out = {}
    for table in Base.metadata.sorted_tables:
        kinds = [type(c.type) for c in table.columns]
        names = ", ".join(f'"{c.name}"' for c in table.columns)
        rows = query(db, f'SELECT {names} FROM "{table.name}"')
        out[table.name] = sorted(
            (tuple(_plain(v, k) for v, k in zip(r, kinds, strict=True)) for r in rows), key=repr
        )
    return out


def _plain(value: Any, kind: type) -> Any:
    if value is None:
        return None
    if kind is Boolean:
        return int(value)
    if kind is JSON:
        return json.loads(value) if isinstance(value, str) else value
    if isinstance(value, date):
        return value.isoformat()
    return value


def _fingerprint(db: Database) -> dict[str, dict[str, int]]:
    """`fingerprint` without the audit log, where the file records each migration."""
    with db.read() as conn:
        return {k: v for k, v in fingerprint(conn).items() if k != "audit_log"}


def _data(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    return {k: v for k, v in _rows(db).items() if k != "audit_log"}


def _kept(db: Database) -> dict[str, Any]:
    """Rows and money per table, and each imported table's natural keys."""
    out: dict[str, Any] = {t: {k: v for k, v in f.items() if k != "ids"}
                           for t, f in _fingerprint(db).items()}  # fmt: skip
    for table in ("locations", "clients", "barbers", "services", "appointments", "sale_items"):
        key = "name" if table == "locations" else "natural_key"
        out[f"{table} keys"] = sorted(r[0] for r in query(db, f"SELECT {key} FROM {table}"))
    return out


def _importer_shop(path: Path) -> Database:
    """A shop that only ever imported exports: bookings, a payments + items pair, lists."""
    db = open_database(path)
    run_import(db, "template_week1.csv")
    run_import(db, "square_transactions.csv", "square_items.csv")
    run_import(db, "lists/fresha_clients.csv")
    run_import(db, "fresha.csv")
    return db


def test_an_importer_only_shop_moves_whole_and_keeps_working(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    file_db = _importer_shop(tmp_path / "shop.db")
    code, result = _migrate(capsys, "--from", str(file_db.path), "--to", pg_url)
    assert code == 0 and result["status"] == "copied" and result["verified"]
    assert result["tables"]["appointments"]["rows"] == query(
        file_db, "SELECT count(*) FROM appointments")[0][0]  # fmt: skip
    server = open_database(pg_url, create=False)
    try:
        assert _data(server) == _data(file_db)
        # The file's log says who moved it where (the copy has the log up to the move).
        (entry,) = query(file_db, "SELECT detail FROM audit_log WHERE action = 'migrate'")
        assert json.loads(entry[0])["to"] == result["to"]
        assert len(_rows(server)["audit_log"]) == len(_rows(file_db)["audit_log"]) - 1
        # The server goes on exactly like the file: an undo of the batch imported before
        # the move (its change records came along) puts back the same rows...
        for db in (file_db, server):
            undo_last_import(db)
        assert _data(server) == _data(file_db)
        # ... and a new import lands the same records (PostgreSQL does not hand out a
        # deleted client's id again, as SQLite does, so records are compared by their keys).
        for db in (file_db, server):
            run_import(db, "template_week2.csv")
        assert _kept(server) == _kept(file_db)
    finally:
        server.dispose()
        file_db.dispose()


def test_the_demo_shop_moves_once_and_a_second_run_changes_nothing(
    demo_db_file: Path, pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, first = _migrate(capsys, "--from", str(demo_db_file), "--to", pg_url)
    assert code == 0 and first["status"] == "copied"
    source = open_database(demo_db_file, create=False)
    server = open_database(pg_url, create=False)
    try:
        copied = _fingerprint(server)
        assert copied == _fingerprint(source)
        assert first["tables"]["sale_items"] == {
            k: v for k, v in copied["sale_items"].items() if k != "ids"
        }
        sequences = query(server, "SELECT sequencename, last_value FROM pg_sequences "
                                  "ORDER BY sequencename")  # fmt: skip

        code, again = _migrate(capsys, "--from", str(demo_db_file), "--to", pg_url)
        assert code == 0 and again["status"] == "unchanged"
        assert _fingerprint(server) == copied
        assert query(server, "SELECT sequencename, last_value FROM pg_sequences "
                             "ORDER BY sequencename") == sequences  # fmt: skip

        # Another shop is refused, and the server keeps the demo.
        other = _importer_shop(tmp_path / "other.db")
        other.dispose()
        code, err = _migrate(capsys, "--from", str(tmp_path / "other.db"), "--to", pg_url)
        assert code == 2
        visits = copied["appointments"]["rows"]
        assert err.startswith("barberbi: The database ") and err.endswith(
            f"already holds a different shop ({visits:,} appointments); barberbi migrate only "
            "copies into an empty database, so nothing was copied."
        )
        assert _fingerprint(server) == copied
    finally:
        source.dispose()
        server.dispose()


def test_the_wrong_kind_of_source_or_target_is_refused(
    demo_db_file: Path, pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "copy.db"
    code, err = _migrate(capsys, "--from", str(demo_db_file), "--to", str(target))
    assert code == 2 and err == (
        f"barberbi: --to must be a PostgreSQL database (postgresql+psycopg://user@host/name), "
        f"not {target}."
    )
    assert not target.exists()
    code, err = _migrate(capsys, "--from", pg_url, "--to", pg_url)
    assert (code, err) == (2, "barberbi: --from must be a shop file (SQLite), not a server "
                              "database.")  # fmt: skip
    code, err = _migrate(capsys, "--from", str(tmp_path / "none.db"), "--to", pg_url)
    assert (code, err) == (2, f"barberbi: {tmp_path / 'none.db'} does not exist.")


def test_a_demo_can_be_written_straight_to_a_server(
    pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["demo", "--db", pg_url, "--seed", "3", "--end", "2026-11-24", "--json"]
    assert main(args) == 0
    counts = json.loads(capsys.readouterr().out)
    server = open_database(pg_url, create=False)
    try:
        assert query(server, "SELECT count(*) FROM appointments") == [(counts["appointments"],)]
        assert counts["appointments"] > 1000
    finally:
        server.dispose()
    assert main(args) == 2  # a demo needs an empty database
    assert "already holds" in capsys.readouterr().err
