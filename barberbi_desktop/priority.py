"""Background work yields the CPU to the window.

On a two-core shop computer, engines and the frame reader at normal priority
starved the GUI thread for a tenth of a second at a time. Every helper process
is put in Linux's idle scheduling class, so it runs only on CPU time the window
does not want; elsewhere (or where that is refused) its nice value goes as low
as it can. The parent demotes each helper the moment it is spawned, so its own
start-up (importing pandas and the engines, a second or more of CPU) already
runs in the background; the pool initializer repeats it from inside.

The initializer also turns transparent huge pages off for the helper. numpy asks
for them on every large array, and the kernel then zeroes two megabytes at each
first touch. On a two-core virtual machine, a helper doing that on the other
core slowed the GUI thread's ordinary painting up to tenfold: a test process
allocating 400 MB arrays at nice 19 made the window's longest turn 260 ms,
and 30 ms with huge pages off for it. A perf recording of the chain demo's
benchmark showed the revenue helper zeroing huge pages (``clear_page_erms``)
all through a 114 ms GUI stall. The helpers lose nothing measurable: the chain's
LTV run took 34-39 s without huge pages and 38-43 s with them.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import SpawnContext, SpawnProcess
from typing import Any


def lower(pid: int = 0) -> None:
    """Put process ``pid`` (0: this one) in the background."""
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        with contextlib.suppress(OSError):
            os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))
            return
    if hasattr(os, "setpriority"):
        with contextlib.suppress(OSError):  # not permitted: run at normal priority
            os.setpriority(os.PRIO_PROCESS, pid, 19)


_PR_SET_THP_DISABLE = 41  # linux/prctl.h


def no_huge_pages() -> bool:
    """Turn transparent huge pages off for this process and its children (Linux).

    True if the kernel took it; elsewhere, or if it refused, nothing changes.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        return ctypes.CDLL(None).prctl(_PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def exit_with_parent() -> bool:
    """End this helper as soon as the process that started it is gone.

    A pool's worker waits on a queue whose both ends it holds itself, so it never
    sees its parent die: when an engine helper was killed mid-run, its frame
    reader lived on, orphaned, for good. A daemon thread waits on the parent's
    sentinel instead. True if there is a parent to follow.
    """
    import multiprocessing
    import threading
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:
        return False
    sentinel = parent.sentinel

    def follow() -> None:
        wait([sentinel])
        os._exit(1)

    threading.Thread(target=follow, name="exit-with-parent", daemon=True).start()
    return True


def background_priority() -> None:
    """Put this process in the background (a process-pool initializer): idle CPU
    class, no huge pages to zero (see the module docstring), and gone with its parent."""
    lower(0)
    no_huge_pages()
    exit_with_parent()


class _BackgroundProcess(SpawnProcess):
    def start(self) -> None:
        super().start()
        if self.pid is not None:
            lower(self.pid)


class BackgroundContext(SpawnContext):
    """The spawn start method, with every process demoted as soon as it exists."""

    Process = _BackgroundProcess


def _start(then: Callable[..., None] | None, args: tuple[Any, ...]) -> None:
    background_priority()
    if then is not None:
        then(*args)


def background_pool(
    initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    """One helper process in the background (engines, the frame reader, imports).

    ``initializer(*initargs)`` runs in the helper once it is in the background;
    queues and shared values in ``initargs`` are inherited at spawn.
    """
    return ProcessPoolExecutor(max_workers=1, mp_context=BackgroundContext(),
                               initializer=_start, initargs=(initializer, initargs))  # fmt: skip
