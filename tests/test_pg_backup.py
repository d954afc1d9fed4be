"""Backups of a shop on a PostgreSQL server: pg_dump -Fc, checked; pg_restore, all or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic import command
from sqlalchemy import text

from barberbi_desktop.cli import main
from barberbi_desktop.errors import InputError
from barberbi_desktop.storage import backup_pg
from barberbi_desktop.storage import models as m
from barberbi_desktop.storage.backup import backups_dir, list_backups, make_backup, restore_backup
from barberbi_desktop.storage.db import SCHEMA_HEAD, Database, _alembic_config, open_database
from tests.pg_server import PgServer

pytestmark = pytest.mark.pg


@pytest.fixture
def server_shop(pg_url: str) -> Iterator[Database]:
    """A small shop on the server: one location and two clients."""
    db = open_database(pg_url)
    with db.session() as s:
        s.add(m.Location(name="Harbour St", timezone="America/New_York"))
        s.flush()
        for n in ("Ada", "Ben"):
            s.add(m.Client(display_name=n, natural_key=f"c-{n}"))
    yield db
    db.dispose()


def _clients(db: Database) -> list[str]:
    with db.read() as conn:
        return [r[0] for r in conn.execute(text("SELECT display_name FROM clients ORDER BY 1"))]


def _version(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(text("SELECT data_version FROM shop_state")).scalar_one())


def _url(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def test_a_backup_is_a_checked_archive_in_the_backups_folder(server_shop: Database) -> None:
    first = make_backup(server_shop)
    second = make_backup(server_shop, keep=1)
    assert second.parent == backups_dir() and second.suffix == ".dump"
    assert second.read_bytes().startswith(b"PGDMP")
    assert second.stat().st_mode & 0o777 == 0o600  # every client's name: owner-only
    assert not first.exists()  # rotated away: keep=1
    assert list_backups(server_shop) == [second]
    assert backup_pg.check_archive(second, second) == SCHEMA_HEAD
    assert not list(second.parent.glob("*.partial"))


def test_restore_brings_back_the_backup_and_keeps_what_it_replaced(
    server_shop: Database, tmp_path: Path
) -> None:
    archive = make_backup(server_shop, tmp_path / "monday.dump")
    with server_shop.write() as conn:
        conn.execute(text("DELETE FROM clients WHERE display_name = 'Ben'"))
        conn.execute(
            text("INSERT INTO clients (display_name, natural_key) VALUES ('Cy', 'c-Cy')")
        )
        conn.execute(text("UPDATE shop_state SET data_version = 40"))
    restored_into = restore_backup(_url(server_shop), archive)
    assert "the database barberbi_test" in restored_into
    assert _clients(server_shop) == ["Ada", "Ben"]
    assert _version(server_shop) == 41  # past the version other computers have seen
    (kept,) = backups_dir().glob("*.before-restore-*.dump")
    assert backup_pg.check_archive(kept, kept) == SCHEMA_HEAD
    # The shop is usable afterwards: a new client gets a fresh id.
    with server_shop.session() as s:
        s.add(m.Client(display_name="Dee", natural_key="c-Dee"))
    assert _clients(server_shop) == ["Ada", "Ben", "Dee"]


def test_the_cli_backs_up_and_restores_a_server_shop(
    server_shop: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "b.dump"
    assert main(["--db", _url(server_shop), "backup", "--out", str(out)]) == 0
    with server_shop.write() as conn:
        conn.execute(text("DELETE FROM clients"))
    assert main(["--db", _url(server_shop), "restore", str(out)]) == 0
    assert _clients(server_shop) == ["Ada", "Ben"]
    assert "db: the database barberbi_test" in capsys.readouterr().out


def _other_programs_dump(pg_server: PgServer, tmp_path: Path, sql: list[str]) -> Path:
    name = pg_server.new_name("other")
    url = pg_server.create_database(name)
    try:
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
            for stmt in sql:
                conn.execute(stmt)
        return backup_pg.dump(url, tmp_path / f"{name}.dump", check=False)
    finally:
        pg_server.drop_database(name)


@pytest.mark.parametrize(
    ("make", "sentence"),
    [
        (lambda p, _s: p.write_bytes(b""), r"is empty \(0 bytes\)"),
        (lambda p, _s: p.write_bytes(b"not a dump at all"), "not a PostgreSQL archive"),
        (lambda p, _s: p.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200), "barberbi migrate"),
        (lambda p, _s: p.write_bytes(b"PGDMP" + b"\x00" * 40), "damaged or not a PostgreSQL"),
    ],
    ids=["empty", "garbage", "sqlite", "truncated"],
)
def test_a_file_that_is_not_a_server_backup_is_refused_untouched(
    server_shop: Database, tmp_path: Path, make, sentence: str
) -> None:
    bad = tmp_path / "bad.dump"
    make(bad, server_shop)
    before = (_clients(server_shop), _version(server_shop))
    with pytest.raises(InputError, match=sentence) as info:
        restore_backup(_url(server_shop), bad)
    assert "\n" not in str(info.value)
    assert (_clients(server_shop), _version(server_shop)) == before
    assert not list(backups_dir().glob("*.before-restore-*"))


def test_another_programs_dump_and_a_newer_schema_are_refused(
    server_shop: Database, pg_server: PgServer, pg_template: str, tmp_path: Path
) -> None:
    foreign = _other_programs_dump(pg_server, tmp_path, ["CREATE TABLE recipes (name text)"])
    with pytest.raises(InputError, match="its tables are another program's"):
        restore_backup(_url(server_shop), foreign)
    newer_name = pg_server.new_name("newer")
    newer_url = pg_server.create_database(newer_name, template=pg_template)
    try:
        with psycopg.connect(newer_url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("UPDATE alembic_version SET version_num = '0099'")
        newer = backup_pg.dump(newer_url, tmp_path / "newer.dump", check=False)
    finally:
        pg_server.drop_database(newer_name)
    with pytest.raises(InputError, match=r"newer version of BarberBI \(schema 0099\)"):
        restore_backup(_url(server_shop), newer)
    assert _clients(server_shop) == ["Ada", "Ben"]


def test_without_pg_dump_a_backup_is_one_sentence(
    server_shop: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(backup_pg, "find_tool", lambda _name: None)
    with pytest.raises(InputError, match=r"needs PostgreSQL's pg_dump, which is not installed"):
        make_backup(server_shop, tmp_path / "x.dump")
    assert not list(tmp_path.iterdir())


def test_a_restore_that_cannot_finish_changes_nothing(
    server_shop: Database, tmp_path: Path
) -> None:
    """Another program's view on a shop table stops pg_restore from dropping it half
    way; its single transaction leaves every table as it was."""
    archive = make_backup(server_shop, tmp_path / "a.dump")
    with server_shop.write() as conn:
        conn.execute(text("DELETE FROM clients WHERE display_name = 'Ada'"))
        conn.execute(text("CREATE VIEW owner_report AS SELECT display_name FROM clients"))
    version = _version(server_shop)
    with pytest.raises(InputError, match=r"was not changed: the restore failed \(.*depend"):
        restore_backup(_url(server_shop), archive)
    assert _clients(server_shop) == ["Ben"] and _version(server_shop) == version


def test_a_restore_waits_for_no_writer_but_refuses_when_one_holds_on(
    server_shop: Database, tmp_path: Path
) -> None:
    archive = make_backup(server_shop, tmp_path / "a.dump")
    with server_shop.write() as conn:  # another computer's write in progress
        conn.execute(text("DELETE FROM clients WHERE display_name = 'Ada'"))
        with pytest.raises(InputError, match="busy in another program, so nothing was restored"):
            backup_pg.restore(_url(server_shop), archive, tmp_path, busy_timeout_ms=200)
    assert _clients(server_shop) == ["Ben"]


def _at_0012(db: Database) -> str:
    """Take the shop back to schema 0012 (instants as int4), as an older version left it;
    returns its address, the shop closed."""
    with db.engine.begin() as conn:
        cfg = _alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0012")
    db.dispose()
    return _url(db)


def _schema(url: str) -> tuple[str, str]:
    """The revision and the type of appointments.start_utc, read without opening the shop."""
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        rev = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        kind = conn.execute(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'appointments' AND column_name = 'start_utc'"
        ).fetchone()
    assert rev is not None and kind is not None
    return rev[0], kind[0]


def test_an_older_server_schema_is_backed_up_before_its_upgrade(server_shop: Database) -> None:
    url = _at_0012(server_shop)
    assert _schema(url) == ("0012", "integer")
    upgraded = open_database(url, create=False)
    try:
        assert _schema(url) == (SCHEMA_HEAD, "bigint")
        assert _clients(upgraded) == ["Ada", "Ben"]
    finally:
        upgraded.dispose()
    (archive,) = backups_dir().glob("barberbi_test*.before-upgrade-*.dump")
    assert archive.stat().st_mode & 0o777 == 0o600
    assert backup_pg.check_archive(archive, archive) == "0012"  # the shop as it was
    assert list_backups(upgraded) == []  # not one of the rotated backups
    assert not list(backups_dir().glob("*.partial"))
    # Opening it again, at the head now, writes no second archive.
    open_database(url, create=False).dispose()
    assert len(list(backups_dir().glob("*.before-upgrade-*"))) == 1


def test_without_pg_dump_an_older_server_schema_is_not_upgraded(
    server_shop: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _at_0012(server_shop)
    monkeypatch.setattr(backup_pg, "find_tool", lambda _name: None)
    with pytest.raises(InputError) as info:
        open_database(url, create=False)
    sentence = str(info.value)
    assert sentence.startswith("The database barberbi_test")
    assert f"was not upgraded from schema 0012 to {SCHEMA_HEAD} and is unchanged" in sentence
    assert "pg_dump, which writes that backup, is not installed" in sentence
    assert sentence.endswith("(Debian and Ubuntu: apt install postgresql-client) and open the "
                             "shop again.")  # fmt: skip
    assert "\n" not in sentence
    assert main(["--db", url, "alerts"]) == 2
    assert capsys.readouterr().err.strip() == f"barberbi: {sentence}"
    assert _schema(url) == ("0012", "integer")
    assert not backups_dir().exists() or not list(backups_dir().iterdir())


def test_a_pg_dump_that_fails_leaves_an_older_server_schema_as_it_was(
    server_shop: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An older pg_dump than the server is the common failure (Debian's client 13, a
    server 17): pg_dump refuses, and the upgrade with it."""
    fake = tmp_path / "pg_dump"
    fake.write_text(
        "#!/bin/sh\necho 'pg_dump: error: aborting because of server version mismatch' >&2\n"
        "exit 1\n"
    )
    fake.chmod(0o755)
    url = _at_0012(server_shop)
    monkeypatch.setattr(backup_pg, "find_tool", lambda name: fake if name == "pg_dump" else None)
    with pytest.raises(InputError) as info:
        open_database(url, create=False)
    assert str(info.value).endswith(
        "and pg_dump could not write that backup (aborting because of server version "
        "mismatch); fix that (a pg_dump older than the server must be updated) and open the "
        "shop again."
    )
    assert _schema(url) == ("0012", "integer")
    assert not list(backups_dir().glob("*before-upgrade*"))
