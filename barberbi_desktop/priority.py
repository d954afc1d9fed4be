"""Background work yields the CPU to the window.

On a two-core shop computer, engines and the frame reader at normal priority
starved the GUI thread for a tenth of a second at a time; every helper
process lowers its own priority when it starts.
"""

from __future__ import annotations

import contextlib
import os


def background_priority() -> None:
    """Lower this process's CPU priority (a process-pool initializer)."""
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):  # not permitted: run at normal priority
            os.nice(10)
