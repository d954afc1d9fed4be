"""The one platform module: Linux's calls where they exist, the fallbacks elsewhere, and
helpers that end with the app even when it is killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from barberbi_desktop import platform
from barberbi_desktop.alerts.notify import DbusNotifier

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's calls")


@pytest.mark.parametrize("system", ["win32", "darwin", "cygwin"])
def test_no_session_bus_outside_linux_so_the_tray_shows_notifications(
    system: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/1000/bus")
    assert platform.session_bus_address(system) is None
    assert platform.session_bus_address("linux") == "unix:path=/run/user/1000/bus"
    assert platform.session_bus_address("freebsd14") == "unix:path=/run/user/1000/bus"


def test_no_session_bus_variable_means_no_desktop_notifier(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    assert platform.session_bus_address("linux") is None
    assert DbusNotifier.available() is False
    assert DbusNotifier().show("t", "m", "high") is False


def test_huge_pages_are_left_alone_outside_linux() -> None:
    assert platform.disable_huge_pages("darwin") is False
    assert platform.disable_huge_pages("win32") is False


def test_scratch_folder_is_the_temp_folder_outside_linux() -> None:
    assert platform.scratch_base("darwin") == Path(tempfile.gettempdir())
    assert platform.scratch_base("win32") == Path(tempfile.gettempdir())


@linux_only
def test_scratch_folder_is_memory_backed_on_linux_when_there_is_one() -> None:
    expected = Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else Path(tempfile.gettempdir())
    assert platform.scratch_base() == expected


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no nice values here")
def test_other_unix_systems_get_the_lowest_nice_value() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert platform.lower_priority(child.pid, system="darwin") == "nice"
        assert os.getpriority(os.PRIO_PROCESS, child.pid) == 19
        if sys.platform.startswith("linux"):  # not the idle class: that is Linux's
            assert os.sched_getscheduler(child.pid) != os.SCHED_IDLE
    finally:
        child.kill()
        child.wait(10)


def test_a_system_with_neither_runs_helpers_at_normal_priority(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(os, "setpriority", raising=False)
    assert platform.lower_priority(0, system="win32") == "none"


# A parent that starts the app's helper pool, keeps its helper busy and waits to be
# killed. "thread": the helper is spawned from a worker thread that then ends.
PARENT = textwrap.dedent(
    """
    import os, sys, threading, time
    from barberbi_desktop.priority import background_pool

    pool = background_pool()
    if sys.argv[1] == "thread":
        got = []
        spawner = threading.Thread(target=lambda: got.append(pool.submit(os.getpid).result(60)))
        spawner.start()
        spawner.join()
        pid = got[0]
    else:
        pid = pool.submit(os.getpid).result(60)
    pool.submit(time.sleep, 600)  # busy: it is not waiting on the app's pipe
    print(pid, flush=True)
    threading.Event().wait()
    """
)


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper that never comes has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


@linux_only
@pytest.mark.parametrize("spawner", ["main", "thread"])
def test_helpers_end_when_the_app_is_killed(spawner: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    app = subprocess.Popen(
        [sys.executable, "-c", PARENT, spawner], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        helper = int(app.stdout.readline())  # type: ignore[union-attr]
        time.sleep(1.5)  # a helper spawned from an ended thread must not die with it
        assert _alive(helper)
        app.send_signal(signal.SIGKILL)
        app.wait(10)
        deadline = time.monotonic() + 5
        while _alive(helper) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(helper), "the helper outlived the killed app"
    finally:
        app.kill()
        app.wait(10)
        if "helper" in locals() and _alive(helper):
            os.kill(helper, signal.SIGKILL)


# Qt aborts the whole process when no platform plugin loads; the app checks first.


def test_no_check_where_qt_will_not_use_x11() -> None:
    assert platform.display_problem({"QT_QPA_PLATFORM": "offscreen"}, system="linux") is None
    wayland = {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}
    assert platform.display_problem(wayland, system="linux") is None
    assert platform.display_problem({}, system="win32") is None


def test_no_display_is_one_sentence() -> None:
    problem = platform.display_problem({}, system="linux")
    assert problem is not None and "DISPLAY is not set" in problem
    assert problem.count(". ") == 0 and problem.endswith(".")


def test_missing_x11_libraries_name_the_debian_packages(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    gone = {"libxcb-icccm.so.4", "libxcb-keysyms.so.1"}
    plugin = tmp_path / "libqxcb.so"

    def load_error(name: str) -> str | None:
        if name == str(plugin):
            return "libxcb-icccm.so.4: cannot open shared object file: No such file or directory"
        return f"{name}: cannot open shared object file" if name in gone else None

    monkeypatch.setattr(platform, "_load_error", load_error)
    problem = platform.display_problem({"DISPLAY": ":0"}, plugin=plugin, system="linux")
    assert problem == (
        "BarberBI cannot open its window because Qt's X11 plugin needs libxcb-icccm.so.4, "
        "libxcb-keysyms.so.1 (on Debian or Ubuntu: sudo apt-get install libxcb-icccm4 "
        "libxcb-keysyms1)."
    )


PROBE = textwrap.dedent(
    """
    import ctypes, sys
    from pathlib import Path
    from barberbi_desktop import platform
    real = platform.xcb_plugin()
    ctypes.CDLL(str(real.parents[2] / "lib" / "libQt6XcbQpa.so.6"))  # beside the real one
    print(platform.display_problem({"DISPLAY": ":0"}, plugin=Path(sys.argv[1])))
    print(platform.display_problem({"DISPLAY": ":0"}, plugin=real))
    """
)


@linux_only
def test_the_real_plugin_with_a_library_missing_is_caught_before_qt(tmp_path: Path) -> None:
    """The real plugin, its libxcb-icccm.so.4 renamed to one no system has: the loader's
    own failure, as Qt would meet it, becomes the sentence."""
    real = platform.xcb_plugin()
    if real is None:
        pytest.skip("this PySide6 has no X11 plugin")
    data = real.read_bytes()
    assert data.count(b"libxcb-icccm.so.4\0") == 1
    broken = tmp_path / "libqxcb.so"
    broken.write_bytes(data.replace(b"libxcb-icccm.so.4\0", b"libxcb-icccm.so.9\0"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(broken)],
        capture_output=True, text=True, timeout=60, env=env, check=True,
    )  # fmt: skip
    broken_line, real_line = out.stdout.splitlines()
    assert broken_line.startswith("BarberBI cannot open its window because Qt's X11 plugin")
    assert "libxcb-icccm.so.9" in broken_line
    if real_line != "None":  # this machine itself lacks some: then it must name them
        assert "sudo apt-get install" in real_line
