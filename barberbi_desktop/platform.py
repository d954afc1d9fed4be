"""Every call that only one operating system has, with what the others do instead.

The rest of the package asks this module and never tests ``sys.platform`` itself,
so a Windows or macOS bundle runs the same code with the fallbacks below:

- the desktop notification service (D-Bus) only where a session bus exists;
  elsewhere the app uses the tray icon;
- the idle CPU class (Linux), else the lowest nice value, else nothing;
- transparent huge pages off (Linux ``prctl``), else nothing;
- a memory-backed scratch folder (``/dev/shm``), else the system's temp folder;
- helpers that end with the app: the kernel's parent-death signal (Linux), and
  everywhere a watcher thread that sees the parent go.

The ``system`` argument (default: this one) lets tests run each branch anywhere.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_PR_SET_THP_DISABLE = 41
WATCH_EVERY_S = 0.5


def _system(system: str | None) -> str:
    return sys.platform if system is None else system


def is_linux(system: str | None = None) -> bool:
    return _system(system).startswith("linux")


def session_bus_address(system: str | None = None) -> str | None:
    """Where the freedesktop notification service can be reached, if anywhere.

    Only Linux and the BSDs have it as the desktop's own service; a D-Bus that
    someone installed on Windows or macOS shows nothing on screen, so the tray
    is used there even when the variable is set."""
    name = _system(system)
    if name.startswith(("win", "cygwin", "darwin")):
        return None
    return os.environ.get("DBUS_SESSION_BUS_ADDRESS") or None


def _prctl(option: int, value: int) -> bool:
    try:
        return ctypes.CDLL(None).prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def disable_huge_pages(system: str | None = None) -> bool:
    """Turn transparent huge pages off for this process and its children.

    True if the kernel took it; on other systems (no such pages to zero behind
    the program's back) nothing changes and the answer is False."""
    return is_linux(system) and _prctl(_PR_SET_THP_DISABLE, 1)


def lower_priority(pid: int = 0, system: str | None = None) -> str:
    """Put process ``pid`` (0: this one) in the background; says how.

    "idle": Linux's idle class (runs only on CPU time nothing else wants);
    "nice": the lowest nice value (macOS, the BSDs, or where the idle class is
    refused); "none": neither exists or both were refused (Windows: the helpers
    then run at normal priority)."""
    if is_linux(system) and hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        with contextlib.suppress(OSError):
            os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))
            return "idle"
    if hasattr(os, "setpriority"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, pid, 19)
            return "nice"
    return "none"


def scratch_base(system: str | None = None) -> Path:
    """The folder for short-lived files: memory-backed ``/dev/shm`` where it is a
    writable folder (Linux), else the system's temp folder."""
    shm = Path("/dev/shm")
    if is_linux(system) and shm.is_dir() and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return Path(tempfile.gettempdir())


def _parent_gone(parent: int) -> bool:
    if os.getppid() != parent:  # POSIX: an orphan is adopted by init or a subreaper
        return True
    if sys.platform.startswith("win"):  # Windows keeps the dead parent's id
        import multiprocessing

        process = multiprocessing.parent_process()
        return process is not None and not process.is_alive()
    return False


def _watch(parent: int, interval_s: float) -> None:
    while not _parent_gone(parent):
        time.sleep(interval_s)
    os._exit(0)  # nothing of a helper's work outlives the app that asked for it


def die_with_parent(
    kernel_signal: bool = True, interval_s: float = WATCH_EVERY_S, system: str | None = None
) -> bool:
    """End this helper process when its parent (the app) ends, even by SIGKILL.

    On Linux the kernel sends SIGTERM at the parent's death when
    ``kernel_signal`` is set. The kernel means the parent *thread*: a helper
    spawned from a worker thread would be killed when that thread ends (Qt's
    pool threads end after 30 idle seconds), so callers set it only for helpers
    spawned from the main thread. A watcher thread covers every other case and
    system, within ``interval_s``. Returns whether the kernel signal is set."""
    parent = os.getppid()
    armed = kernel_signal and is_linux(system) and _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if _parent_gone(parent) or (armed and os.getppid() != parent):
        os._exit(0)  # the parent died before the signal was armed
    threading.Thread(
        target=_watch, args=(parent, interval_s), name="barberbi-parent-watch", daemon=True
    ).start()
    return armed


# What Qt's X11 plugin (libqxcb.so and libQt6XcbQpa) links beyond PySide6's own
# libraries, with the Debian/Ubuntu package of each: readelf -d NEEDED on PySide6 6.11.
XCB_LIBRARIES = {
    "libxcb.so.1": "libxcb1",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
}


def _uses_xcb(environ: dict[str, str]) -> bool:
    """Whether Qt will try its X11 plugin first (Qt 6: Wayland sessions use Wayland)."""
    chosen = environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if chosen:
        return chosen == "xcb"
    wayland = environ.get("XDG_SESSION_TYPE") == "wayland" and environ.get("WAYLAND_DISPLAY")
    return not wayland


def xcb_plugin() -> Path | None:
    """PySide6's X11 platform plugin, found without importing Qt."""
    from importlib.util import find_spec

    spec = find_spec("PySide6")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        plugin = Path(folder) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.is_file():
            return plugin
    return None


def _load_error(name: str) -> str | None:
    """The dynamic loader's complaint about ``name``, or None when it loads."""
    try:
        ctypes.CDLL(name)
    except OSError as exc:
        return str(exc)
    return None


def display_problem(
    environ: dict[str, str] | None = None, plugin: Path | None = None, system: str | None = None
) -> str | None:
    """One sentence on why Qt cannot open a window, or None when it can try.

    Qt aborts the process (no exception) when no platform plugin loads, so this
    runs first: the X11 plugin is loaded the way Qt will load it, and when its
    libraries are missing the sentence names the packages to install."""
    env = dict(os.environ) if environ is None else environ
    if not is_linux(system) or not _uses_xcb(env):
        return None
    if not env.get("DISPLAY"):
        if env.get("QT_QPA_PLATFORM"):
            return None  # chosen on purpose; Qt says what is wrong with it
        return (
            "BarberBI needs a desktop to show its window and found none (DISPLAY is not "
            "set): start it from the desktop, or use the command-line sub-commands."
        )
    plugin = plugin or xcb_plugin()
    error = None if plugin is None else _load_error(str(plugin))
    if error is None:
        return None
    bundled = Path(getattr(sys, "_MEIPASS", "/nonexistent"))
    missing = [n for n in XCB_LIBRARIES if not (bundled / n).exists() and _load_error(n)]
    named = re.match(r"(\S+\.so[.\d]*): cannot open", error)
    if named and named[1] not in missing:
        missing.append(named[1])
    if not missing:
        return f"BarberBI cannot open its window: Qt's X11 plugin does not load ({error})."
    packages = " ".join(dict.fromkeys(XCB_LIBRARIES[m] for m in missing if m in XCB_LIBRARIES))
    install = f" (on Debian or Ubuntu: sudo apt-get install {packages})" if packages else ""
    return (
        f"BarberBI cannot open its window because Qt's X11 plugin needs "
        f"{', '.join(missing)}{install}."
    )
