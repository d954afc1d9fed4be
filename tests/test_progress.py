"""Progress you can see: a running engine's steps reach its row, the waiting tab and a
terminal, and nothing is drawn where stdout is not a terminal."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from barberbi_desktop.cli import main
from barberbi_desktop.cli_progress import TerminalProgress
from barberbi_desktop.engines.data import RunState
from barberbi_desktop.jobs import runner
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.results import (
    describe_left,
    fail_run,
    finish_run,
    record_progress,
    running_progress,
    start_run,
)
from barberbi_desktop.ui.revenue_tab import RevenueTab
from barberbi_desktop.ui.tasks import TaskRunner
from tests.import_helpers import one


def test_running_progress_reads_the_row_and_estimates_from_the_last_run(
    empty_db: Database,
) -> None:
    assert running_progress(empty_db, "revenue") is None
    run_id = start_run(empty_db, "revenue", date(2026, 11, 24))
    started = datetime.now(UTC)
    first = running_progress(empty_db, "revenue", now=started + timedelta(seconds=2))
    assert first is not None and first.fraction == 0 and first.left_s is None  # nothing known
    record_progress(empty_db, run_id, 0.5, "Estimating price elasticity")
    later = running_progress(empty_db, "revenue", now=started + timedelta(seconds=10))
    assert later is not None and later.message == "Estimating price elasticity"
    assert later.fraction == 0.5 and later.left_s == pytest.approx(10, abs=1.5)  # extrapolated
    fail_run(empty_db, run_id, "cancelled", status="cancelled")
    assert running_progress(empty_db, "revenue") is None


def test_the_last_run_s_duration_wins_over_extrapolating(empty_db: Database) -> None:
    done = start_run(empty_db, "ltv", date(2026, 11, 24))
    with empty_db.write() as conn:
        conn.exec_driver_sql(
            "UPDATE engine_runs SET status = 'ok', finished_utc = started_utc + 40 "
            f"WHERE id = {done}"
        )
    run_id = start_run(empty_db, "ltv", date(2026, 11, 24))
    record_progress(empty_db, run_id, 0.9, "Segmenting clients")  # steps are not evenly timed
    now = datetime.now(UTC) + timedelta(seconds=10)
    progress = running_progress(empty_db, "ltv", now=now)
    assert progress is not None and progress.left_s == pytest.approx(30, abs=1.5)
    assert describe_left(progress.left_s) == "about 30 s left"
    assert describe_left(None) == "time left not known yet"
    assert describe_left(600) == "about 10 min left"


def test_run_engine_keeps_each_step_on_the_run_row(
    empty_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []
    told: list[tuple[float, str]] = []

    def engine(db: Database, run_id: int, as_of: date, state: RunState, now: Any) -> dict:
        state.step(0.4, "Halfway there")
        seen.append(running_progress(db, "kpi"))
        with db.write() as conn:  # as an engine's store does with its results
            finish_run(conn, run_id, {})
        return {}

    monkeypatch.setitem(runner.ENGINES, "kpi", engine)
    state = RunState(progress=lambda f, m: told.append((f, m)))
    runner.run_engine(empty_db, "kpi", date(2026, 11, 24), state)
    assert told == [(0.4, "Halfway there")]  # the caller's own report still arrives
    assert seen[0].fraction == 0.4 and seen[0].message == "Halfway there"
    assert running_progress(empty_db, "kpi") is None  # finished: nothing waits on it


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_and_a_pipe_gets_nothing() -> None:
    piped = io.StringIO()
    with TerminalProgress(piped) as bars:
        assert not bars.enabled
        bars.state("revenue").step(0.5, "Estimating price elasticity")
        bars.finished("revenue")
    assert piped.getvalue() == ""
    tty = _Terminal()
    with TerminalProgress(tty) as bars:
        assert bars.enabled
        bars.state("revenue").step(0.55, "Finding what sells together")
        bars.finished("revenue")
    assert "Revenue roadmap: done" in tty.getvalue()
    quiet = _Terminal()
    with TerminalProgress(quiet, quiet=True) as bars:  # --json: the bytes are data
        bars.state("kpi").step(0.1, "Reading the recent days")
    assert quiet.getvalue() == ""


def test_barberbi_run_piped_prints_only_its_results(
    shop: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", str(shop.path), "run", "kpi", "--as-of", "2026-11-20"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Business health as of 2026-11-20")
    assert "━" not in out and "Today's figures:" not in out  # no bar in a pipe


def test_the_waiting_tab_says_which_analysis_runs_and_how_far(
    qtbot: QtBot, empty_db: Database
) -> None:
    one(empty_db, "template_week1.csv")  # a shop with visits whose analysis has not run yet
    tasks = TaskRunner()
    tab = RevenueTab(empty_db, tasks)
    qtbot.addWidget(tab)
    tab.show()
    qtbot.waitUntil(lambda: tasks.pending == 0)
    assert tab.progress.isHidden()  # nothing runs: only the sentence
    run_id = start_run(empty_db, "revenue", date(2026, 11, 24))
    record_progress(empty_db, run_id, 0.3, "Estimating price elasticity")
    tab.progress.poll()
    qtbot.waitUntil(lambda: tab.progress.isVisible(), timeout=5000)
    assert "Revenue roadmap" in tab.progress.label.text()
    assert "Estimating price elasticity (30%" in tab.progress.label.text()
    assert tab.progress.bar.value() == 300
    fail_run(empty_db, run_id, "cancelled", status="cancelled")
    tab.progress.poll()
    qtbot.waitUntil(lambda: tab.progress.isHidden(), timeout=5000)
    tab.progress.watch(False)
    tasks.wait()
