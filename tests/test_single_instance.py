"""One app per database: a second start brings the first forward and exits 0."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QDir
from PySide6.QtNetwork import QLocalSocket
from pytestqt.qtbot import QtBot

from barberbi_desktop.ui.single_instance import SingleInstance, server_name

ROOT = Path(__file__).resolve().parents[1]
LINE = "started again on this database; bringing this window forward"


@pytest.fixture
def short_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A short TMPDIR: a Unix socket path must stay under ~100 bytes, pytest's are long."""
    folder = Path(tempfile.mkdtemp(prefix="bb", dir="/tmp" if os.name == "posix" else None))
    monkeypatch.setenv("TMPDIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(os.name != "posix", reason="symlinks need privileges on Windows")
def test_the_name_is_one_per_database_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "shop.db"
    db.touch()
    monkeypatch.chdir(tmp_path)
    link = tmp_path / "link.db"
    link.symlink_to(db)
    assert server_name(db) == server_name("shop.db") == server_name(link)
    assert server_name(db) == server_name(f"sqlite:///{db}")
    assert server_name(db) != server_name(tmp_path / "other.db")
    assert len(server_name(db)) < 40


def _probe(name: str) -> bool:
    """Whether a server answers, without asking it forward (nothing is written)."""
    probe = QLocalSocket()
    probe.connectToServer(name)
    up = probe.waitForConnected(200)
    probe.abort()
    return up


@pytest.mark.skipif(os.name != "posix", reason="a stale socket file is a Unix matter")
def test_a_socket_left_by_a_killed_app_is_taken_over(qtbot: QtBot, short_tmp: Path) -> None:
    name = server_name(short_tmp / "shop.db")
    stale = Path(QDir.tempPath()) / name
    assert stale.parent == short_tmp
    left = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    left.bind(str(stale))  # bound and closed without unlinking, as after a kill -9
    left.close()
    assert stale.exists() and not _probe(name)

    first = SingleInstance(name)
    assert first.claim() is True and first.server is not None
    assert _probe(name)  # a probe that writes nothing does not ask for the window
    second = SingleInstance(name)
    assert second.claim() is False and second.server is None
    qtbot.waitUntil(lambda: first.raised == 1, timeout=5000)
    first.close()
    assert not stale.exists()
    third = SingleInstance(name)
    assert third.claim() is True  # after a clean exit the next start is first
    third.close()


def _app(db: Path, env: dict[str, str], stderr: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "barberbi_desktop", "--db", str(db)],
        stdout=subprocess.DEVNULL,
        stderr=stderr,  # type: ignore[arg-type]
        env=env,
        cwd=ROOT,
    )


@pytest.mark.skipif(os.name != "posix", reason="signals and socket paths as on Unix")
def test_a_second_start_raises_the_first_and_exits_0(tmp_path: Path, short_tmp: Path) -> None:
    db = tmp_path / "shop.db"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "QT_QPA_PLATFORM": "offscreen",
        "TMPDIR": str(short_tmp),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    log = tmp_path / "first.log"
    with log.open("wb") as first_err:
        first = _app(db, env, first_err)  # waits at the login (a new shop: make the owner)
        try:
            deadline = time.monotonic() + 60
            while not _probe(server_name(db)):
                assert first.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the first app never started listening"
                time.sleep(0.1)
            started = time.monotonic()
            second = subprocess.run(
                [sys.executable, "-m", "barberbi_desktop", "--db", str(tmp_path / "." / "shop.db")],
                capture_output=True, text=True, env=env, cwd=ROOT, timeout=60,
            )  # fmt: skip
            took = time.monotonic() - started
            assert second.returncode == 0, second.stderr
            assert "already open" in second.stderr and "brought its window forward" in second.stderr
            assert took < 20, f"the second start took {took:.1f} s"
            deadline = time.monotonic() + 10
            while LINE not in log.read_text():
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
            assert first.poll() is None  # the first one keeps running
            assert log.read_text().count(LINE) == 1
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
