"""Shared fixtures: Qt offscreen, leak checks, and one demo shop per session."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from barberbi_desktop.demo.process import DemoSpec
from barberbi_desktop.demo.store import create_demo
from barberbi_desktop.storage.db import Database, open_database

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


@pytest.fixture
def demo_db(demo_db_file: Path) -> Iterator[Database]:
    db = open_database(demo_db_file, create=False)
    yield db
    db.dispose()


@pytest.fixture
def shop(demo_db_file: Path, tmp_path: Path) -> Iterator[Database]:
    """A copy of the demo shop that a test may change."""
    path = tmp_path / "shop.db"
    shutil.copyfile(demo_db_file, path)
    db = open_database(path, create=False)
    yield db
    db.dispose()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """An empty shop in New York time, where the import fixtures' times are read."""
    monkeypatch.setenv("TZ", "America/New_York")
    database = open_database(tmp_path / "shop.db")
    yield database
    database.dispose()


@pytest.fixture
def empty_db(tmp_path: Path) -> Iterator[Database]:
    db = open_database(tmp_path / "shop.db")
    yield db
    db.dispose()
