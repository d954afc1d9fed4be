"""Engine runs a killed process left "running" are marked "interrupted" at the next start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from barberbi_desktop.jobs import runner
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.results import start_run
from tests.pg_server import db_arg

# A process that starts a run and is killed before it can finish or fail it.
KILLED = """
import os, signal, sys
from datetime import date
from barberbi_desktop.storage.db import open_database
from barberbi_desktop.storage.results import start_run
db = open_database(sys.argv[1], create=False)
print(start_run(db, "ltv", date(2026, 11, 24)), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _status(db: Database, run_id: int) -> tuple[str, str | None]:
    with db.read() as conn:
        row = conn.execute(
            text("SELECT status, error FROM engine_runs WHERE id = :i"), {"i": run_id}
        ).one()
    return row[0], row[1]


def _run_with_metrics(db: Database, metrics: dict[str, object], started: datetime) -> int:
    with db.write() as conn:
        return int(
            conn.execute(
                text(
                    "INSERT INTO engine_runs (engine, as_of, data_version, started_utc, status, "
                    "metrics) VALUES ('kpi', '2026-11-24', 0, :t, 'running', :m) RETURNING id"
                ),
                {"t": int(started.timestamp()), "m": json.dumps(metrics)},
            ).scalar_one()
        )


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_run_whose_process_was_killed_is_marked_interrupted_at_the_next_run(
    empty_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    killed = subprocess.Popen(
        [sys.executable, "-c", KILLED, db_arg(empty_db)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    out, err = killed.communicate(timeout=60)
    assert killed.returncode == -9, err
    dead_run = int(out.strip())
    assert _status(empty_db, dead_run) == ("running", None)
    mine = start_run(empty_db, "kpi", date(2026, 11, 24))  # this process: still going
    now = datetime.now(UTC)
    reused = _run_with_metrics(  # this pid, but a process that started at another time
        empty_db, {"owner": {"pid": os.getpid(), "host": os.uname().nodename, "since": 1}}, now
    )
    old_unowned = _run_with_metrics(empty_db, {}, now - timedelta(days=2))
    new_unowned = _run_with_metrics(empty_db, {}, now)

    monkeypatch.setitem(runner.ENGINES, "fake", lambda *_args: {"ok": True})
    runner.run_engine(empty_db, "fake", date(2026, 11, 24))  # a run starts: stale ones end

    status, error = _status(empty_db, dead_run)
    assert status == "interrupted"
    assert error is not None and "stopped before it finished" in error
    assert f"process {killed.pid}" in error
    assert _status(empty_db, reused)[0] == "interrupted"
    assert _status(empty_db, old_unowned)[0] == "interrupted"
    assert _status(empty_db, mine)[0] == "running"
    assert _status(empty_db, new_unowned)[0] == "running"


def test_runs_that_ended_are_left_alone(empty_db: Database) -> None:
    from barberbi_desktop.storage.results import fail_run, mark_interrupted_runs

    run_id = _run_with_metrics(empty_db, {}, datetime.now(UTC) - timedelta(days=3))
    fail_run(empty_db, run_id, "ValueError: boom")
    assert mark_interrupted_runs(empty_db) == []
    assert _status(empty_db, run_id) == ("failed", "ValueError: boom")
