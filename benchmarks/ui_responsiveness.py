"""How long the GUI thread ever stalls while every engine runs and a file is imported.

Run by hand: ``python benchmarks/ui_responsiveness.py --db SHOP_OR_CHAIN.db``
(a copy is used). Opens the main window offscreen with the app's own wiring
(event hub, bridge, scheduler), starts a 10 ms heartbeat timer on the GUI
thread, then runs every engine through the scheduler's worker threads and
imports a file through the Imports tab, exactly as the app would. Prints JSON
with the longest gap between heartbeats (target: under 100 ms) and the
start-up time until the window is shown with the shop summary and the
Dashboard's stored KPIs (target on the shop demo: under 2 s).

Each stall over 100 ms is listed as [when (s), length (s), CPU time the GUI
thread used in it (s), time it waited, runnable, for a CPU (s, from its
schedstat), CPU time the virtual machine lost to its host in it (s, from
/proc/stat's "steal", both CPUs together), the tab then shown]. What is left of
the length was spent blocked: on the GIL, a lock, or the loop's own 5 ms sleeps.
``gui_callbacks_over_30ms`` lists [when, ms, name] of every task callback and
one-per-turn step that held the GUI thread over 30 ms, and
``loop_passes_over_30ms`` [when, ms handling events, ms switching tab, tab] each
pass of the benchmark's own loop that took over 30 ms; ``--attribute`` also
times every event it handles and lists each widget whose own paint took over 10
ms. A stall in which the GUI thread barely ran while the host took the CPUs
away is not the app's doing; ``longest_on_cpu_stall_ms`` is the longest stall
in which the GUI thread itself was on a CPU for at least half of the time.
``--trace-stalls`` samples every thread's stack while the GUI thread is late
and prints what each stall was.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


STEAL_WATCHER = """
import os, sys, time
parent = os.getppid()
with open(sys.argv[1], "w", buffering=1) as out:
    while os.getppid() == parent:  # ends with the benchmark, even one that was killed
        with open("/proc/stat") as f:
            out.write(f"{time.perf_counter()} {f.readline().split()[8]}\\n")
        time.sleep(0.02)
"""


def _read_steal(log: Path) -> list[tuple[float, int]]:
    """(when, steal ticks so far) pairs; CLOCK_MONOTONIC is shared between processes."""
    pairs = []
    with contextlib.suppress(OSError):
        for line in log.read_text().splitlines():
            with contextlib.suppress(ValueError, IndexError):
                when, ticks = line.split()
                pairs.append((float(when), int(ticks)))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--import-file", type=Path,
                        default=Path(__file__).parent.parent / "tests" / "data" / "imports"
                        / "template_week1.csv")  # fmt: skip
    parser.add_argument("--trace-stalls", action="store_true",
                        help="sample the GUI thread's stack during stalls and print the "
                             "most common frames of each stall over 60 ms")  # fmt: skip
    parser.add_argument("--attribute", action="store_true",
                        help="time every event the GUI thread handles and list those "
                             "over 30 ms (adds a Python call per event)")  # fmt: skip
    parser.add_argument("--tab-every-ms", type=float, default=0,
                        help="switch tab at most this often (0, the default: on every "
                             "turn of the loop, about every 5 ms)")  # fmt: skip
    ns = parser.parse_args()
    # An installed app has its modules compiled (pip does it); a checkout run with
    # PYTHONDONTWRITEBYTECODE would otherwise time the compiler, not the app.
    compileall.compile_dir(str(Path(__file__).parent.parent / "barberbi_desktop"), quiet=1)
    folder = Path(tempfile.mkdtemp(prefix="barberbi-ui-bench-"))
    path = folder / "shop.db"
    shutil.copyfile(ns.db, path)

    t0 = time.perf_counter()
    from PySide6.QtCore import QEvent, QTimer
    from PySide6.QtWidgets import QApplication

    from barberbi_desktop.events import EventHub
    from barberbi_desktop.jobs.scheduler import HEAVY, ShopScheduler, run_scheduled
    from barberbi_desktop.storage.db import open_database
    from barberbi_desktop.ui import tasks
    from barberbi_desktop.ui.bridge import HubBridge
    from barberbi_desktop.ui.main_window import MainWindow

    long_events: list[tuple[float, float, str]] = []  # (perf_counter, ms, what)
    long_paints: list[tuple[float, float, str]] = []  # widgets whose own paint took >10 ms

    class TimingApplication(QApplication):
        depth = 0

        def notify(self, receiver: object, event: object) -> bool:  # type: ignore[override]
            if TimingApplication.depth:
                if event.type() != QEvent.Type.Paint:
                    return super().notify(receiver, event)
                start = time.perf_counter()  # one widget's own paint, inside a repaint
                try:
                    return super().notify(receiver, event)
                finally:
                    if (took := (time.perf_counter() - start) * 1000) > 10:
                        parent = receiver.parent() if hasattr(receiver, "parent") else None
                        long_paints.append((start, took, f"{type(receiver).__name__} in "
                                            f"{type(parent).__name__}"))  # fmt: skip
            TimingApplication.depth = 1
            start = time.perf_counter()
            try:
                return super().notify(receiver, event)
            finally:
                TimingApplication.depth = 0
                if (took := (time.perf_counter() - start) * 1000) > 30:
                    long_events.append((start, took, f"{event.type().name} to "
                                        f"{type(receiver).__name__}"))  # fmt: skip

    app = QApplication.instance() or (TimingApplication([]) if ns.attribute
                                      else QApplication([]))  # fmt: skip
    db = open_database(path, create=False)
    hub = EventHub()
    bridge = HubBridge(hub)
    window = MainWindow(db, bridge=bridge, hub=hub)
    window.show()
    # Started: the window is up with the shop's summary and the Dashboard's stored KPIs.
    while window.summary is None or window.dashboard.run is None:
        app.processEvents()
        time.sleep(0.001)
    startup = time.perf_counter() - t0
    window.runner.settle()  # the rest of start-up (alerts, warming the other tabs' code)

    gaps: list[float] = []
    last = [time.perf_counter()]

    stalls: list[tuple[float, float, float, float, str]] = []  # gaps over 100 ms, and the tab shown

    cpu = [time.thread_time()]

    def queued() -> float:  # seconds this thread has waited, runnable, for a CPU
        with contextlib.suppress(OSError, IndexError, ValueError), open(schedstat) as f:
            return int(f.read().split()[1]) / 1e9
        return 0.0

    schedstat = f"/proc/self/task/{threading.get_native_id()}/schedstat"
    waits = [queued()]

    def beat() -> None:
        now, used, waited = time.perf_counter(), time.thread_time(), queued()
        gaps.append(now - last[0])
        if now - last[0] > 0.1:  # when, how long, on a CPU, waiting for one, the tab
            shown = window.tabs.tabText(window.tabs.currentIndex())
            stalls.append((round(last[0] - t1, 2), round(now - last[0], 3), round(used - cpu[0], 3),
                           round(waited - waits[0], 3), shown))  # fmt: skip
        last[0], cpu[0], waits[0] = now, used, waited

    traces: list[tuple[float, dict[str, int]]] = []  # (when, frame -> samples) per stall
    sampling = threading.Event()

    def sample() -> None:  # a watchdog: what is the GUI thread doing while it is late?
        import collections
        import traceback

        main = threading.main_thread().ident
        current: collections.Counter[str] | None = None
        while not sampling.is_set():
            late = time.perf_counter() - last[0]
            if late > 0.03:
                frames = sys._current_frames()
                if current is None:
                    current = collections.Counter()
                    traces.append((round(last[0] - t1, 2), current))
                names = {t.ident: t.name for t in threading.enumerate()}
                for ident, frame in frames.items():
                    if ident == threading.get_ident():
                        continue
                    stack = traceback.extract_stack(frame)[-12 if ident == main else -4:]
                    where = " < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}"
                                       for f in reversed(stack))  # fmt: skip
                    current[("GUI: " if ident == main else f"[{names.get(ident)}] ") + where] += 1
            else:
                current = None
            time.sleep(0.002)

    # The host's steal, every 20 ms, from a process of its own: a watcher thread here
    # would take the GIL from the GUI thread 50 times a second (perf showed the two
    # handing it back and forth through stalls), and /proc/stat takes ms to read.
    steal_log = folder / "steal.txt"
    stealer = subprocess.Popen([sys.executable, "-c", STEAL_WATCHER, str(steal_log)])

    collections_ms: list[tuple[float, int, float]] = []  # (when, generation, ms) over 10 ms
    gc_start = [0.0]

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            gc_start[0] = time.perf_counter()
        elif (took := time.perf_counter() - gc_start[0]) > 0.01:
            collections_ms.append((round(gc_start[0] - t1, 2), info["generation"],
                                   round(took * 1000, 1)))  # fmt: skip

    gc.callbacks.append(on_gc)
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(beat)
    timer.start()
    scheduler = ShopScheduler(db, hub, kpi_every_s=3600, debounce_s=3600, watch_every_s=3600,
                              engines_in_process=True)  # as the app runs them
    scheduler.start(paused=True)  # jobs are run by hand below, through the same path
    done = threading.Event()

    spans: list[tuple[str, float, float]] = []

    def engines() -> None:  # the scheduler's worker path, one engine after another
        for engine in ("kpi", *HEAVY):
            start = time.perf_counter() - t1
            run_scheduled(scheduler.key, engine)
            spans.append((engine, round(start, 2), round(time.perf_counter() - t1, 2)))
        done.set()

    t1 = time.perf_counter()
    last[0] = t1
    worker = threading.Thread(target=engines, name="bench-engines")
    worker.start()
    sampler = threading.Thread(target=sample, name="bench-sampler", daemon=True)
    if ns.trace_stalls:
        sampler.start()
    window.imports.import_paths([ns.import_file])
    tabs = window.tabs.count()
    i = 0
    switched = 0.0
    turns: list[tuple[float, float, float, str]] = []  # (when, loop pass ms, switch ms, to)
    while not done.is_set() or window.runner.pending:
        began = time.perf_counter()
        app.processEvents()
        switch_ms, to = 0.0, ""
        if time.perf_counter() - switched >= ns.tab_every_ms / 1000:
            before = time.perf_counter()
            window.tabs.setCurrentIndex(i % tabs)  # visit every tab while results arrive
            switch_ms, to = (time.perf_counter() - before) * 1000, window.tabs.tabText(i % tabs)
            if ns.attribute and switch_ms > 30:
                long_events.append((before, switch_ms, f"switch to {to}"))
            i += 1
            switched = time.perf_counter()
        if (pass_ms := (time.perf_counter() - began) * 1000) > 30:
            turns.append((round(began - t1, 3), round(pass_ms - switch_ms, 1),
                          round(switch_ms, 1), to))  # fmt: skip
        time.sleep(0.005)
    for _ in range(100):  # let the last refreshes land
        app.processEvents()
        time.sleep(0.01)
    busy = time.perf_counter() - t1
    imported = window.imports.outcome.text()  # what the Imports tab says happened
    threads = {t.native_id: t.name for t in threading.enumerate()}  # to name perf's thread ids
    sampling.set()
    stealer.terminate()
    stealer.wait()
    steal = _read_steal(steal_log)
    gc.callbacks.remove(on_gc)
    timer.stop()
    worker.join()
    scheduler.shutdown()
    window.runner.wait()
    window.close()
    bridge.close()
    db.dispose()
    shutil.rmtree(folder)
    ordered = sorted(gaps)
    tick = 1 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01

    def stolen(start: float, length: float) -> float:
        inside = [n for t, n in steal if t1 + start - 0.02 <= t <= t1 + start + length + 0.02]
        return round((inside[-1] - inside[0]) * tick, 3) if len(inside) > 1 else 0.0

    stalls = [(w, length, cpu_s, queue_s, stolen(w, length), tab)
              for w, length, cpu_s, queue_s, tab in stalls]  # fmt: skip
    slow = [(round(start - t1, 2), round(ms), name) for start, ms, name in tasks.SLOW
            if start >= t1]  # fmt: skip
    events = [(round(start - t1, 2), round(ms), what) for start, ms, what in long_events
              if start >= t1]  # fmt: skip
    paints = [(round(start - t1, 2), round(ms), what) for start, ms, what in long_paints
              if start >= t1]  # fmt: skip
    on_cpu = [length for _, length, cpu_s, *_ in stalls if cpu_s >= length / 2]
    if ns.trace_stalls:
        long_ones = {round(w, 2) for w, *_ in stalls}
        for when, frames in traces:
            if when not in long_ones:
                continue
            print(f"--- stall at {when} s ({sum(frames.values())} samples)", file=sys.stderr)
            for stack, n in frames.most_common(10):
                print(f"  {n:4d}  {stack}", file=sys.stderr)
    print(json.dumps({
        "db": str(ns.db),
        "tab_every_ms": ns.tab_every_ms,
        "startup_s": round(startup, 2),
        "clock_zero_s": round(t1, 4),  # CLOCK_MONOTONIC at 0 s, to line up with perf/traces
        "engines_and_import_s": round(busy, 1),
        "heartbeats": len(gaps),
        "longest_stall_ms": round(max(gaps) * 1000, 1) if gaps else None,
        "p99_gap_ms": round(ordered[int(len(ordered) * 0.99)] * 1000, 1) if gaps else None,
        "gaps_over_50ms": sum(1 for g in gaps if g > 0.05),
        "longest_on_cpu_stall_ms": round(max(on_cpu) * 1000, 1) if on_cpu else None,
        "stalls_over_100ms": stalls[:20],
        "steal_s": round((steal[-1][1] - steal[0][1]) * tick, 2) if len(steal) > 1 else None,
        "engine_spans_s": spans,
        "import": imported,
        "garbage_collections_over_10ms": collections_ms[:20],
        "gui_callbacks_over_30ms": slow[:40],
        "loop_passes_over_30ms": sorted(turns, key=lambda t: -(t[1] + t[2]))[:20],
        **({"events_over_30ms": events[:60],
            "widget_paints_over_10ms": paints[:60]} if ns.attribute else {}),
        "thread_ids": threads,
        "goals": {"longest_stall_ms": 100, "startup_s_shop": 2.0},
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
