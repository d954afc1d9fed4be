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

Helpers end with the app, also when it is killed with SIGKILL (a helper left
behind holds the shop file open and blocks a restore): see `end_with_parent`.
The system-specific calls live in `barberbi_desktop.platform`.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import SpawnContext, SpawnProcess
from typing import Any

from barberbi_desktop import platform


def lower(pid: int = 0) -> None:
    """Put process ``pid`` (0: this one) in the background."""
    platform.lower_priority(pid)


def no_huge_pages() -> bool:
    """Turn transparent huge pages off for this process and its children (Linux).

    True if the kernel took it; elsewhere, or if it refused, nothing changes.
    """
    return platform.disable_huge_pages()


def background_priority() -> None:
    """Put this process in the background (a process-pool initializer): idle CPU
    class and no huge pages to zero (see the module docstring)."""
    lower(0)
    no_huge_pages()


def end_with_parent() -> bool:
    """Make this helper end when the app does, even when the app is killed.

    The kernel's parent-death signal follows the thread that spawned the helper,
    so it is armed only for helpers spawned from the main thread (the parent
    records which, see `_BackgroundProcess`); a watcher thread covers the rest."""
    from_main = getattr(multiprocessing.current_process(), "spawned_from_main", False)
    return platform.die_with_parent(kernel_signal=from_main)


class _BackgroundProcess(SpawnProcess):
    def start(self) -> None:
        # Pickled with the process object, so the helper knows it (end_with_parent).
        self.spawned_from_main = threading.current_thread() is threading.main_thread()
        super().start()
        if self.pid is not None:
            lower(self.pid)


class BackgroundContext(SpawnContext):
    """The spawn start method, with every process demoted as soon as it exists."""

    Process = _BackgroundProcess


def _start(then: Callable[..., None] | None, args: tuple[Any, ...]) -> None:
    end_with_parent()
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
