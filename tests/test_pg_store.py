"""A shop on a PostgreSQL server: creation, refusals, the whole-shop write lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import inspect, text

from barberbi_desktop.cli import main
from barberbi_desktop.errors import InputError
from barberbi_desktop.storage import pg
from barberbi_desktop.storage.db import SCHEMA_HEAD, environment_errors, open_database
from barberbi_desktop.storage.models import Base
from tests.conftest import DEMO_END
from tests.pg_server import PASSWORD, PASSWORD_ROLE, PgServer, _free_port

pytestmark = pytest.mark.pg


@pytest.fixture
def blank(pg_server: PgServer) -> Iterator[str]:
    """An empty database on the server (no schema), dropped after the test."""
    name = pg_server.new_name("barberbi_blank")
    url = pg_server.create_database(name)
    yield url
    pg_server.drop_database(name)


def _tables(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every table and its rows, read with psycopg alone (nothing of ours)."""
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        )]
        return {n: conn.execute(f'SELECT * FROM "{n}" ORDER BY 1').fetchall() for n in names}


def test_a_new_server_database_gets_the_same_schema_as_a_file(blank: str) -> None:
    db = open_database(blank)
    try:
        assert db.is_postgres and db.dialect == "postgresql" and db.path is None
        with db.read() as conn:
            tables = set(inspect(conn).get_table_names())
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
                SCHEMA_HEAD
            )
            assert conn.execute(text("SELECT data_version FROM shop_state")).all() == [(0,)]
        assert {t.name for t in Base.metadata.sorted_tables} <= tables
    finally:
        db.dispose()
    # Opening it again is a no-op: no second shop_state row, same revision.
    again = open_database(blank)
    again.dispose()
    assert _tables(blank)["shop_state"] == [(1, 1, 0)]


def test_postgres_scheme_without_driver_means_psycopg(pg_server: PgServer, blank: str) -> None:
    plain = blank.replace("postgresql+psycopg://", "postgresql://")
    db = open_database(plain)
    try:
        assert db.engine.url.drivername == "postgresql+psycopg"
    finally:
        db.dispose()


def test_an_unreachable_server_is_one_sentence_and_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/shop"
    with pytest.raises(InputError, match=r"cannot be reached") as info:
        open_database(url)
    assert "\n" not in str(info.value)
    assert main(["--db", url, "alerts"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot be reached" in err and "Traceback" not in err


def test_a_wrong_password_is_refused(pg_server: PgServer, blank: str) -> None:
    if not pg_server.own_cluster:
        pytest.skip("the password role exists only on the test's own cluster")
    name = blank.rsplit("/", 1)[1]
    with pytest.raises(InputError, match=f"refused the password of user {PASSWORD_ROLE}"):
        open_database(pg_server.url(name, PASSWORD_ROLE, "wrong"))
    assert _tables(blank) == {}


def test_the_right_password_opens_the_database(pg_server: PgServer, blank: str) -> None:
    if not pg_server.own_cluster:
        pytest.skip("the password role exists only on the test's own cluster")
    name = blank.rsplit("/", 1)[1]
    with pg_server.admin() as admin:
        admin.execute(f'ALTER DATABASE "{name}" OWNER TO {PASSWORD_ROLE}')
    open_database(pg_server.url(name, PASSWORD_ROLE, PASSWORD)).dispose()
    assert "shop_state" in _tables(blank)


def test_a_missing_database_is_named(pg_server: PgServer) -> None:
    with pytest.raises(InputError, match=r"has no database no_such_shop; create it first"):
        open_database(pg_server.url("no_such_shop"))


@pytest.mark.parametrize(
    "setup",
    [
        ["CREATE TABLE recipes (name text)", "INSERT INTO recipes VALUES ('soup')"],
        # Another program that also uses Alembic: its revision is not one of ours.
        [
            "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)",
            "INSERT INTO alembic_version VALUES ('ae1027a6acf')",
            "CREATE TABLE orders (id int)",
        ],
    ],
    ids=["plain", "own-alembic"],
)
def test_a_database_of_another_program_is_refused_untouched(
    blank: str, setup: list[str]
) -> None:
    with psycopg.connect(blank.replace("+psycopg", ""), autocommit=True) as conn:
        for sql in setup:
            conn.execute(sql)
    before = _tables(blank)
    with pytest.raises(InputError, match=r"holds tables of another program"):
        open_database(blank)
    assert _tables(blank) == before


def test_a_newer_schema_is_refused_untouched(pg_url: str) -> None:
    with psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    before = _tables(pg_url)
    with pytest.raises(InputError, match=r"newer version of BarberBI \(schema 0099\)"):
        open_database(pg_url)
    assert _tables(pg_url) == before


class _OldServer:
    """Answers ``SHOW server_version_num`` as a PostgreSQL 12 server would."""

    def execute(self, _stmt: object) -> _OldServer:
        return self

    def scalar_one(self) -> str:
        return "120017"


def test_a_server_older_than_13_is_refused() -> None:
    url = "postgresql+psycopg://me@db.example:5432/shop"
    with pytest.raises(InputError, match=r"shop on db.example:5432 runs PostgreSQL 12; .* 13"):
        pg.check_server(_OldServer(), url)  # type: ignore[arg-type]


def test_the_real_server_passes_the_version_check(pg_url: str) -> None:
    db = open_database(pg_url)
    try:
        with db.read() as conn:
            version = int(conn.execute(text("SHOW server_version_num")).scalar_one())
            pg.check_server(conn, pg_url)
        assert version >= pg.MIN_SERVER_VERSION
    finally:
        db.dispose()


def test_writers_on_two_computers_take_turns(pg_url: str) -> None:
    """Two separately opened databases (two computers) never write at the same time:
    the second waits on the whole-shop lock until the first commits."""
    first, second = open_database(pg_url), open_database(pg_url)
    events: list[str] = []
    holding = threading.Event()

    def hold() -> None:
        with first.write() as conn:
            conn.execute(text("UPDATE shop_state SET data_version = data_version + 1"))
            holding.set()
            time.sleep(0.5)
            events.append("first commits")

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(10)
        with second.write() as conn:
            events.append("second writes")
            version = conn.execute(text("SELECT data_version FROM shop_state")).scalar_one()
        assert events == ["first commits", "second writes"]
        assert version == 1  # it saw the first writer's committed change
    finally:
        thread.join()
        first.dispose()
        second.dispose()


def test_a_lock_held_too_long_is_busy_in_a_sentence(pg_url: str) -> None:
    holder = open_database(pg_url)
    waiter = open_database(pg_url, busy_timeout_ms=200)
    try:
        with holder.write():
            started = time.monotonic()
            with pytest.raises(InputError, match=r"busy in another program"), environment_errors(
                waiter.place, "nothing was saved"
            ), waiter.write() as conn:
                conn.execute(text("UPDATE shop_state SET data_version = 5"))
            assert time.monotonic() - started < 5
        with holder.read() as conn:
            assert conn.execute(text("SELECT data_version FROM shop_state")).scalar_one() == 0
    finally:
        holder.dispose()
        waiter.dispose()


def test_reads_do_not_wait_for_a_writer(pg_url: str) -> None:
    db = open_database(pg_url)
    try:
        with db.write() as conn:
            conn.execute(text("UPDATE shop_state SET data_version = 7"))
            with db.read() as reader:
                # The reader sees the last committed state, without waiting.
                assert reader.execute(text("SELECT data_version FROM shop_state")).scalar() == 0
    finally:
        db.dispose()


def test_the_demo_is_written_to_a_server_like_to_a_file(
    pg_url: str, demo_db_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`barberbi demo --db postgresql://...`: the same shop as the file demo, row for row."""
    assert main(["demo", "--db", pg_url, "--seed", "7", "--end", DEMO_END.isoformat()]) == 0
    capsys.readouterr()
    tables = ("locations", "barbers", "clients", "appointments", "sale_items")
    sums = {t: text(f"SELECT COUNT(*), COALESCE(SUM(id), 0) FROM {t}") for t in tables}
    server, lite = open_database(pg_url), open_database(demo_db_file, create=False)
    try:
        with server.read() as a, lite.read() as b:
            for table, sql in sums.items():
                assert tuple(a.execute(sql).one()) == tuple(b.execute(sql).one()), table
    finally:
        server.dispose()
        lite.dispose()
    # A second demo into the same, now full, database is refused and changes nothing.
    assert main(["demo", "--db", pg_url, "--seed", "8"]) == 2
    assert "already holds a shop" in capsys.readouterr().err
