"""A reader that stops early (`barberbi audit | head -1`) ends the command quietly, exit 0."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.users import audit_many

ROOT = Path(__file__).resolve().parents[1]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}


@pytest.mark.parametrize("args", [["audit"], ["alerts", "--json"]], ids=["audit", "alerts-json"])
def test_a_closed_stdout_ends_quietly_with_exit_0(args: list[str], empty_db: Database) -> None:
    # The read end is closed before the command writes anything: every write hits EPIPE.
    command = [sys.executable, "-m", "barberbi_desktop", "--db", str(empty_db.path), *args]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(), cwd=ROOT
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert err == ""


@pytest.mark.skipif(shutil.which("head") is None, reason="needs a shell with head")
def test_audit_piped_into_head_ends_quietly(empty_db: Database, tmp_path: Path) -> None:
    # ~300 kB of audit lines: far more than a pipe holds, so the writer meets the closed pipe.
    audit_many(empty_db, None, "export", [{"what": "owner report", "n": i} for i in range(4000)])
    err = tmp_path / "err.txt"
    script = (
        f'"{sys.executable}" -m barberbi_desktop --db "{empty_db.path}" audit --limit 4000 '
        f'2>"{err}" | head -2; echo "status=${{PIPESTATUS[0]}}"'
    )
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("needs bash for PIPESTATUS")
    out = subprocess.run(
        [bash, "-c", script], capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=60
    )
    zone, first, status = out.stdout.splitlines()
    assert zone.startswith("Times in") and "owner report" in first
    assert status == "status=0"
    assert err.read_text() == ""
