"""A throwaway PostgreSQL server for the test run, and the back-end switch.

``pytest --backend=postgresql`` runs the shared fixtures (``db``, ``empty_db``,
``demo_db``, ``shop``) on PostgreSQL instead of SQLite. The server is
``BARBERBI_TEST_PG_URL`` when set (a superuser URL; the run creates and drops its
own databases there), else a cluster this module starts once per session with
``initdb`` + ``pg_ctl`` in a temporary folder, on a free local port, with trust
authentication on localhost (run as the ``postgres`` user when the tests run as
root, since PostgreSQL refuses to run as root). Each test gets a fresh database
cloned from a migrated template (``CREATE DATABASE ... TEMPLATE``: about 50 ms,
instead of running every migration again).

Markers: ``sqlite_only`` (skipped on the PostgreSQL back end: file checks, WAL,
corrupt files) and ``pg`` (always needs a server, whatever the back end; skipped
with the reason when there are no server binaries).
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ENV_URL = "BARBERBI_TEST_PG_URL"


def db_arg(db: Any) -> str:
    """What ``--db`` takes for an open database on either back end: its file or its URL."""
    return str(db.path) if db.path is not None else db.engine.url.render_as_string(False)
PASSWORD_ROLE = "barberbi_pw"
PASSWORD = "right-secret"


def _find_bin(name: str) -> Path | None:
    found = shutil.which(name)
    if found:
        return Path(found)
    roots = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    for root in reversed(roots):
        if (root / name).exists():
            return root / name
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """A reachable server: ``url(name)`` gives a SQLAlchemy URL of one database on it."""

    base: str  # postgresql+psycopg://user@host:port (no database)
    own_cluster: bool
    folder: Path | None = None
    bin_dir: Path | None = None
    _names: Iterator[int] = field(default_factory=itertools.count)

    def url(self, database: str, user: str | None = None, password: str | None = None) -> str:
        base = self.base
        if user is not None:
            scheme, rest = base.split("://", 1)
            host = rest.split("@", 1)[-1]
            auth = user if password is None else f"{user}:{password}"
            base = f"{scheme}://{auth}@{host}"
        return f"{base}/{database}"

    def admin(self):  # -> psycopg.Connection
        import psycopg

        return psycopg.connect(self.url("postgres").replace("+psycopg", ""), autocommit=True)

    def new_name(self, prefix: str) -> str:
        return f"{prefix}_{os.getpid()}_{next(self._names)}"

    def create_database(self, name: str, template: str | None = None) -> str:
        with self.admin() as conn:
            tmpl = f' TEMPLATE "{template}"' if template else ""
            conn.execute(f'CREATE DATABASE "{name}"{tmpl}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.own_cluster and self.folder is not None and self.bin_dir is not None:
            _as_owner([str(self.bin_dir / "pg_ctl"), "stop", "-m", "immediate", "-w",
                       "-D", str(self.folder / "data")], self.folder)
            shutil.rmtree(self.folder, ignore_errors=True)


def _as_owner(cmd: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    """Run a server command as the folder's owner (``postgres`` when we are root)."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=folder)


def start_cluster() -> PgServer:
    """initdb + pg_ctl start in a new temporary folder; raises RuntimeError when impossible."""
    initdb, pg_ctl = _find_bin("initdb"), _find_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise RuntimeError("no PostgreSQL server binaries (initdb, pg_ctl) on this computer")
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise RuntimeError("running as root and there is no 'postgres' user") from exc
    folder = Path(tempfile.mkdtemp(prefix="barberbi-pg-"))
    if os.geteuid() == 0:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    data = folder / "data"
    try:
        _as_owner([str(initdb), "-D", str(data), "-U", "postgres", "--auth=trust",
                   "--encoding=UTF8", "--locale=C", "--no-sync"], folder)
        (data / "pg_hba.conf").write_text(
            "local all all trust\n"
            f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n"
            "host all all 127.0.0.1/32 trust\n"
            "host all all ::1/128 trust\n"
        )
        port = _free_port()
        options = (
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        _as_owner([str(pg_ctl), "start", "-w", "-t", "60", "-D", str(data),
                   "-l", str(folder / "server.log"), "-o", options], folder)
    except subprocess.CalledProcessError as exc:
        log = folder / "server.log"
        detail = log.read_text() if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"the test server did not start: {exc.stderr} {detail}") from exc
    server = PgServer(f"postgresql+psycopg://postgres@127.0.0.1:{port}", True, folder,
                      initdb.parent)
    with server.admin() as conn:
        conn.execute(f"CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD '{PASSWORD}'")
    return server


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the store the shared database fixtures use (default sqlite)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: SQLite by nature; skipped on PostgreSQL")
    config.addinivalue_line("markers", "pg: needs a PostgreSQL server whatever the back end")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--backend") != "postgresql":
        return
    skip = pytest.mark.skip(reason="SQLite-only check (--backend=postgresql)")
    for item in items:
        if "sqlite_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--backend"))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    url = os.environ.get(ENV_URL)
    if url:
        base = url.rsplit("/", 1)[0] if url.count("/") > 2 else url
        if base.startswith("postgresql://"):
            base = "postgresql+psycopg://" + base.split("://", 1)[1]
        yield PgServer(base, own_cluster=False)
        return
    try:
        server = start_cluster()
    except RuntimeError as exc:
        pytest.skip(f"no PostgreSQL server for this test: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer) -> Iterator[str]:
    """The name of an empty, migrated shop database that fresh ones are cloned from."""
    from barberbi_desktop.storage.db import open_database

    name = pg_server.new_name("barberbi_template")
    pg_server.create_database(name)
    open_database(pg_server.url(name)).dispose()
    yield name
    pg_server.drop_database(name)


@pytest.fixture
def pg_url(pg_server: PgServer, pg_template: str) -> Iterator[str]:
    """A fresh, empty, migrated shop database on the server, dropped after the test."""
    name = pg_server.new_name("barberbi_test")
    url = pg_server.create_database(name, template=pg_template)
    yield url
    pg_server.drop_database(name)


@pytest.fixture
def fresh_db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A new empty shop on the chosen back end (a file on SQLite, a database on PostgreSQL)."""
    if backend == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return "sqlite:///" + str(tmp_path / "shop.db")
