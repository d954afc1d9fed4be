"""Desktop notifications arrive for real: a session bus and Debian's dunst on Xvfb."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from barberbi_desktop.alerts import rules
from barberbi_desktop.alerts.notify import DbusNotifier, NotificationManager
from barberbi_desktop.alerts.store import raise_alerts
from barberbi_desktop.events import AlertsRaised, EventHub
from barberbi_desktop.storage.db import Database

TOOLS = ("Xvfb", "dbus-daemon", "dunst", "dunstctl")


@pytest.fixture
def desktop() -> Iterator[dict[str, str]]:
    """A private X display, session bus and notification daemon, torn down afterwards."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        message = f"needs {', '.join(missing)} (Debian: apt-get install xvfb dbus dunst)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    procs: list[subprocess.Popen[str]] = []
    try:
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", "1", "-screen", "0", "800x600x24"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        procs.append(xvfb)
        display = ":" + xvfb.stdout.readline().strip()
        bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        procs.append(bus)
        address = bus.stdout.readline().strip()
        env = {**os.environ, "DISPLAY": display, "DBUS_SESSION_BUS_ADDRESS": address}
        procs.append(
            subprocess.Popen(
                ["dunst"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True
            )
        )
        deadline = time.monotonic() + 10
        while (
            subprocess.run(
                ["dunstctl", "is-paused"], env=env, capture_output=True, check=False
            ).returncode
            != 0
        ):
            assert time.monotonic() < deadline, "dunst did not come up on the session bus"
            time.sleep(0.1)
        yield env
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(timeout=10)


def _shown(env: dict[str, str]) -> list[tuple[str, str]]:
    """(summary, body) of every notification dunst received."""
    subprocess.run(["dunstctl", "close-all"], env=env, check=True)
    time.sleep(0.2)
    history = json.loads(
        subprocess.run(
            ["dunstctl", "history"], env=env, capture_output=True, text=True, check=True
        ).stdout
    )
    return [(n["summary"]["data"], n["body"]["data"]) for group in history["data"] for n in group]


def test_a_notification_reaches_the_desktop(desktop: dict[str, str]) -> None:
    notifier = DbusNotifier(desktop["DBUS_SESSION_BUS_ADDRESS"])
    assert notifier.show("No-shows are up", "12% this week", "high") is True
    assert ("No-shows are up", "12% this week") in _shown(desktop)


def test_alerts_at_or_above_the_chosen_priority_are_notified(
    desktop: dict[str, str], empty_db: Database
) -> None:
    hub = EventHub()
    manager = NotificationManager(
        empty_db, hub, [DbusNotifier(desktop["DBUS_SESSION_BUS_ADDRESS"])], min_priority="high"
    )
    s = rules.AlertSettings()
    loud = rules.engine_failed("ltv", "MemoryError.", s)
    quiet = rules.Candidate(
        "pathway_behind",
        "low",
        "Sam is far from six figures",
        "...",
        "pathway_behind:1",
        timedelta(days=30),
    )
    ids = raise_alerts(empty_db, [loud, quiet])
    hub.publish(AlertsRaised(tuple(ids)))
    titles = [summary for summary, _ in _shown(desktop)]
    assert loud.title in titles and quiet.title not in titles
    assert manager.shown == [ids[0]]
    manager.close()


def test_without_a_bus_the_notifier_says_no_instead_of_failing() -> None:
    assert DbusNotifier("unix:path=/nonexistent/bus").show("t", "m", "high") is False
