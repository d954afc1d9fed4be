"""Shared fixtures: Qt offscreen, leak checks, and one demo shop per session.

The shared database fixtures (``db``, ``empty_db``, ``demo_db``, ``shop``) run on
the back end ``--backend`` picks (SQLite by default; see tests/pg_server.py).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from barberbi_desktop.demo.process import DemoSpec
from barberbi_desktop.demo.store import create_demo
from barberbi_desktop.storage.db import Database, open_database

if TYPE_CHECKING:
    from tests.pg_server import PgServer

pytest_plugins = ("tests.pg_server",)

DEMO_END = date(2026, 11, 24)


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    """A test must not leave Python threads running behind it (DESIGN.md 8.10)."""
    before = set(threading.enumerate())
    yield
    # The frame reader and import helper processes are deliberate long-lived services
    # (storage.frames, jobs.imports); their manager and queue-feeder threads live as long
    # as they do. A _DummyThread is Python's record of a thread it did not start (a
    # QThreadPool worker that called into the standard library's threading); Qt owns it.
    service = {"_ExecutorManagerThread", "QueueFeederThread", "_DummyThread"}
    deadline = time.monotonic() + 5
    while True:
        leaked = [
            t
            for t in threading.enumerate()
            if t not in before
            and t.is_alive()
            and type(t).__name__ not in service
            and t.name not in service
        ]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not leaked, f"threads left running: {[t.name for t in leaked]}"


@pytest.fixture(autouse=True)
def _isolated_user_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the real user data folder from a test."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.delenv("BARBERBI_DB", raising=False)
    from PySide6.QtCore import QSettings

    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "config"))


@pytest.fixture(scope="session")
def demo_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shop-size demo (seed 7, history ending 2026-11-24), generated once."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    create_demo(path, DemoSpec(size="shop", seed=7, end=DEMO_END))
    return path


@pytest.fixture(scope="session")
def demo_pg_template(
    backend: str, demo_db_file: Path, request: pytest.FixtureRequest
) -> Iterator[str | None]:
    """On PostgreSQL: a database holding a copy of the demo, to clone per test."""
    if backend != "postgresql":
        yield None
        return
    from barberbi_desktop.storage.copy import copy_shop

    server: PgServer = request.getfixturevalue("pg_server")
    template = request.getfixturevalue("pg_template")
    name = server.new_name("barberbi_demo")
    source = open_database(demo_db_file, create=False)
    target = open_database(server.create_database(name, template=template))
    try:
        copy_shop(source, target)
    finally:
        source.dispose()
        target.dispose()
    yield name
    server.drop_database(name)


def _demo_clone(request: pytest.FixtureRequest, template: str) -> Iterator[Database]:
    server: PgServer = request.getfixturevalue("pg_server")
    name = server.new_name("barberbi_shop")
    db = open_database(server.create_database(name, template=template), create=False)
    yield db
    db.dispose()
    server.drop_database(name)


@pytest.fixture(scope="session")
def _demo_pg_shared(
    demo_pg_template: str | None, request: pytest.FixtureRequest
) -> Iterator[str | None]:
    """The one demo database that `demo_db` opens on PostgreSQL (a template cannot be
    opened while it is cloned)."""
    if demo_pg_template is None:
        yield None
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = server.new_name("barberbi_demo_shared")
    yield server.create_database(name, template=demo_pg_template)
    server.drop_database(name)


@pytest.fixture
def demo_db(demo_db_file: Path, _demo_pg_shared: str | None) -> Iterator[Database]:
    db = open_database(_demo_pg_shared or demo_db_file, create=False)
    yield db
    db.dispose()


@pytest.fixture
def shop(
    demo_db_file: Path,
    demo_pg_template: str | None,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Iterator[Database]:
    """A copy of the demo shop that a test may change."""
    if demo_pg_template is not None:
        yield from _demo_clone(request, demo_pg_template)
        return
    path = tmp_path / "shop.db"
    shutil.copyfile(demo_db_file, path)
    db = open_database(path, create=False)
    yield db
    db.dispose()


@pytest.fixture
def db(fresh_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """An empty shop in New York time, where the import fixtures' times are read."""
    monkeypatch.setenv("TZ", "America/New_York")
    database = open_database(fresh_db_url)
    yield database
    database.dispose()


@pytest.fixture
def empty_db(fresh_db_url: str) -> Iterator[Database]:
    db = open_database(fresh_db_url)
    yield db
    db.dispose()
