"""Helper processes run in the background scheduling class from the moment they exist."""

from __future__ import annotations

import os
import sys
import time

import pytest

from barberbi_desktop.priority import BackgroundContext, background_pool


def _policy() -> tuple[int, int]:
    return os.sched_getscheduler(0), os.getpriority(os.PRIO_PROCESS, 0)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SCHED_IDLE is Linux's")
def test_a_helper_is_in_the_idle_class_and_the_window_is_not() -> None:
    with background_pool() as pool:
        policy, _ = pool.submit(_policy).result(timeout=60)
    assert policy == os.SCHED_IDLE
    assert os.sched_getscheduler(0) != os.SCHED_IDLE  # the parent keeps its priority


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SCHED_IDLE is Linux's")
def test_the_parent_demotes_a_helper_before_its_start_up_runs() -> None:
    process = BackgroundContext().Process(target=time.sleep, args=(5,))
    process.start()
    try:  # checked at once: the child is still importing, no initializer has run
        assert os.sched_getscheduler(process.pid) == os.SCHED_IDLE
    finally:
        process.terminate()
        process.join(10)


def _thp_enabled() -> str | None:
    """The kernel's own word on this process (Linux 5.0 and later)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("THP_enabled:"):
                return line.split()[1]
    return None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_a_helper_has_no_huge_pages_and_the_window_keeps_them() -> None:
    before = _thp_enabled()
    if before is None:
        pytest.skip("this kernel does not report THP_enabled")
    with background_pool() as pool:
        assert pool.submit(_thp_enabled).result(timeout=60) == "0"
    assert _thp_enabled() == before  # only the helper changed
