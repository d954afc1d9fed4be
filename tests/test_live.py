"""Live updates between computers on one PostgreSQL server (issue #22, item 3).

A "computer" here is a second `Database` (its own engine and connections) or a
second process; the server cannot tell either from another machine.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import create_engine, text

from barberbi_desktop.errors import InputError
from barberbi_desktop.events import AlertsRaised, DataChanged, EventHub, ResultsReady
from barberbi_desktop.storage import live
from barberbi_desktop.storage.db import Database, open_database
from barberbi_desktop.ui.live import LiveUpdates
from tests.pg_server import PgServer, _free_port

pytestmark = pytest.mark.pg
ROOT = Path(__file__).resolve().parents[1]


def land_import(db: Database) -> int:
    """What an import's commit does to the shop: a landed batch and a new data version,
    in one transaction. Returns the new version."""
    with db.write() as conn:
        batch = conn.execute(
            text(
                "INSERT INTO import_batches (platform, file_name, sha256, started_utc, "
                "finished_utc, status) VALUES ('square', 'sales.csv', :h, :t, :t, 'landed') "
                "RETURNING id"
            ),
            {"h": "0" * 64, "t": int(time.time())},
        ).scalar_one()
        conn.execute(text("UPDATE shop_state SET data_version = data_version + 1"))
        conn.execute(
            text("UPDATE import_batches SET data_version = (SELECT data_version FROM "
                 "shop_state WHERE id = 1) WHERE id = :b"),
            {"b": batch},
        )  # fmt: skip
        return int(conn.execute(text("SELECT data_version FROM shop_state")).scalar_one())


@pytest.fixture
def two(pg_url: str) -> Iterator[tuple[Database, Database]]:
    """The same shop open on two computers."""
    here, there = open_database(pg_url), open_database(pg_url)
    yield here, there
    here.dispose()
    there.dispose()


@pytest.fixture
def listening(qtbot: QtBot, two: tuple[Database, Database]) -> Iterator[
    tuple[LiveUpdates, list[object], list[str], Database]
]:
    """This computer's app listening; its hub's events and status sentences; the other."""
    here, there = two
    hub, events, said = EventHub(), [], []
    for kind in (DataChanged, ResultsReady, AlertsRaised):
        hub.subscribe(kind, events.append)
    updates = LiveUpdates(here, hub, backoff_s=(0.2, 0.4))
    updates.status.connect(said.append)
    with qtbot.waitSignal(updates.connected, timeout=10_000):
        updates.start()
    yield updates, events, said, there
    updates.close()


def test_another_computers_import_refreshes_this_one_within_2_s(
    qtbot: QtBot, listening: tuple[LiveUpdates, list[object], list[str], Database]
) -> None:
    updates, events, _said, there = listening
    version = land_import(there)
    committed = time.monotonic()
    qtbot.waitUntil(lambda: any(isinstance(e, DataChanged) for e in events), timeout=2_000)
    assert time.monotonic() - committed < 2.0
    assert events == [DataChanged(reason="changed on another computer")]
    assert updates.version == version


def test_this_computers_own_write_is_not_announced_back_to_it(
    qtbot: QtBot, listening: tuple[LiveUpdates, list[object], list[str], Database]
) -> None:
    updates, events, _said, there = listening
    land_import(updates.db)  # this app already told its own hub
    qtbot.wait(700)
    assert events == []
    land_import(there)  # the listener is alive: the other computer's change arrives
    qtbot.waitUntil(lambda: len(events) == 1, timeout=2_000)


def test_a_rolled_back_write_sends_nothing(
    qtbot: QtBot, listening: tuple[LiveUpdates, list[object], list[str], Database]
) -> None:
    _updates, events, _said, there = listening
    with pytest.raises(InputError), there.write() as conn:
        conn.execute(text("UPDATE shop_state SET data_version = data_version + 1"))
        raise InputError("row 3: the file is refused, nothing lands")
    qtbot.wait(700)
    assert events == []
    with there.read() as conn:
        assert conn.execute(text("SELECT data_version FROM shop_state")).scalar_one() == 0


def test_several_changes_in_one_read_are_one_refresh(
    qtbot: QtBot, listening: tuple[LiveUpdates, list[object], list[str], Database]
) -> None:
    updates, events, _said, there = listening
    assert updates._notifier is not None
    updates._notifier.setEnabled(False)  # the GUI thread was busy while three landed
    for _ in range(3):
        land_import(there)
    time.sleep(0.3)
    updates._notifier.setEnabled(True)
    qtbot.waitUntil(lambda: len(events) >= 1, timeout=2_000)
    qtbot.wait(200)
    assert events == [DataChanged(reason="changed on another computer")]
    assert updates.version == 3


def test_results_and_alerts_of_the_computer_that_ran_the_job_reach_the_others(
    qtbot: QtBot, listening: tuple[LiveUpdates, list[object], list[str], Database]
) -> None:
    _updates, events, _said, there = listening
    live.announce(there.engine, live.RESULTS, "kpi 41")
    live.announce(there.engine, live.ALERTS, "7,9")
    qtbot.waitUntil(lambda: len(events) == 2, timeout=2_000)
    assert events == [ResultsReady("kpi", 41), AlertsRaised((7, 9))]


def test_a_dropped_connection_is_said_once_then_reconnects_and_refreshes_once(
    qtbot: QtBot,
    pg_server: PgServer,
    listening: tuple[LiveUpdates, list[object], list[str], Database],
) -> None:
    updates, events, said, there = listening
    assert updates.listener is not None
    pid = updates.listener._conn.info.backend_pid
    with pg_server.admin() as admin:  # what a server restart does to every connection
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    qtbot.waitUntil(lambda: len(said) == 2, timeout=5_000)
    assert said[0].startswith("The connection to the database ")
    assert "was lost (was the server restarted?)" in said[0] and ". " not in said[0]
    assert said[1].startswith("Connected again to the database ")
    assert events == [DataChanged(reason="reconnected")]
    events.clear()
    land_import(there)
    qtbot.waitUntil(lambda: len(events) == 1, timeout=2_000)
    assert events == [DataChanged(reason="changed on another computer")]


def test_a_server_that_cannot_be_reached_is_said_in_one_sentence_and_retried(
    qtbot: QtBot,
) -> None:
    port = _free_port()
    away = Database(create_engine(f"postgresql+psycopg://nobody@127.0.0.1:{port}/shop"), None)
    said: list[str] = []
    updates = LiveUpdates(away, EventHub(), backoff_s=(0.1,))
    updates.status.connect(said.append)
    updates.start()
    try:
        qtbot.waitUntil(lambda: updates._failures >= 2, timeout=10_000)
        assert said == [
            f"The database shop on 127.0.0.1:{port} cannot be reached, so changes from other "
            "computers do not show yet; BarberBI keeps trying."
        ]
    finally:
        updates.close()
        away.dispose()


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        raise AssertionError(f"no line from the second app within {timeout} s")
    return proc.stdout.readline().strip()


def test_a_second_app_process_hears_an_import_within_2_s(pg_url: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.live_child", pg_url], cwd=ROOT, env=env, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    db = open_database(pg_url)
    try:
        assert _read_line(proc, 30) == "ready"
        before = time.time()  # the commit is after this, so the delay is at most this
        land_import(db)
        word, reason, at = _read_line(proc, 2).split("\t")
        assert (word, reason) == ("changed", "changed on another computer")
        assert 0 <= float(at) - before < 2.0
    finally:
        db.dispose()
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_the_trigger_is_on_postgresql_only_and_sqlite_is_unchanged(
    pg_url: str, tmp_path: Path
) -> None:
    with psycopg.connect(pg_url.replace("+psycopg", "")) as conn:
        found = conn.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'shop_state'::regclass "
            "AND NOT tgisinternal"
        ).fetchall()
    assert found == [("barberbi_data_changed",)]
    file_db = open_database(tmp_path / "shop.db")
    try:
        land_import(file_db)
        with file_db.read() as conn:
            triggers = conn.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).all()
        assert triggers == []
        live.announce(file_db.engine, live.RESULTS, "kpi 1")  # a no-op, not an error
    finally:
        file_db.dispose()


def test_this_apps_import_in_its_helper_refreshes_it_once_not_twice(
    qtbot: QtBot, listening: tuple[LiveUpdates, list[object], list[str], Database]
) -> None:
    """The real path: the import helper process commits on its own connections (the
    server announces it), and its event is relayed to this app's hub."""
    import threading

    from barberbi_desktop.jobs import imports
    from tests.import_helpers import FIXTURES

    updates, events, _said, there = listening
    hub = EventHub()
    hub.subscribe(DataChanged, events.append)
    done: list[object] = []
    worker = threading.Thread(target=lambda: done.append(imports.import_files(
        updates.db, [FIXTURES / "template_week1.csv"], hub=hub)))  # fmt: skip
    try:
        worker.start()  # the event loop runs meanwhile: a notice may come before it ends
        qtbot.waitUntil(lambda: not worker.is_alive(), timeout=60_000)
        (reports,) = done
        assert [r.status for r in reports] == ["landed"]
        qtbot.wait(700)  # time for the server's notice of the helper's commit
        assert events == [DataChanged(reason="import", batch_id=reports[0].batch_id)]
        with there.read() as conn:
            version = conn.execute(text("SELECT data_version FROM shop_state")).scalar_one()
        assert updates.version == version
        land_import(there)  # another computer's import still refreshes this one
        qtbot.waitUntil(lambda: len(events) == 2, timeout=2_000)
        assert events[1] == DataChanged(reason="changed on another computer")
    finally:
        imports.shutdown()


def test_a_notice_heard_while_this_apps_import_lands_waits_for_its_version(
    qtbot: QtBot, listening: tuple[LiveUpdates, list[object], list[str], Database]
) -> None:
    updates, events, _said, there = listening
    own = updates.own_writes
    own.begin()  # the helper's commit (another connection) is heard before it returns
    mine = land_import(there)
    qtbot.wait(500)
    assert events == [] and updates._held == [mine]
    own.end([mine])
    qtbot.wait(300)
    assert events == [] and updates.version == mine
    own.begin()  # another computer lands while this app's import lands: one refresh
    mine = land_import(there)
    theirs = land_import(there)
    qtbot.wait(300)
    assert events == []
    own.end([mine])
    qtbot.waitUntil(lambda: len(events) == 1, timeout=2_000)
    qtbot.wait(200)
    assert events == [DataChanged(reason="changed on another computer")]
    assert updates.version == theirs
