"""``barberbi install-desktop``: a launcher the desktop's menu accepts, and the icons."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from barberbi_desktop import desktop_entry
from barberbi_desktop.cli import main

SIZES = ["16x16", "32x32", "48x48", "64x64", "128x128", "256x256"]


def _keys(text: str) -> dict[str, str]:
    lines = text.splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if line)


def test_install_writes_the_launcher_and_every_icon(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["install-desktop", "--prefix", str(tmp_path), "--json"]) == 0
    files = {Path(f) for f in json.loads(capsys.readouterr().out)["files"]}
    launcher = tmp_path / "applications" / "barberbi.desktop"
    icons = {tmp_path / f"icons/hicolor/{s}/apps/barberbi.png" for s in SIZES}
    svg = tmp_path / "icons/hicolor/scalable/apps/barberbi.svg"
    assert files == {launcher, svg, *icons}
    assert svg.read_text(encoding="utf-8").lstrip().startswith(("<svg", "<?xml"))
    for icon in icons:
        assert icon.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    keys = _keys(launcher.read_text(encoding="utf-8"))
    assert keys["Icon"] == "barberbi" and keys["Type"] == "Application"
    # Not frozen: the launcher runs the barberbi script (or this Python's module).
    assert keys["Exec"].split()[0].strip('"').endswith(("barberbi", Path(sys.executable).name))


def test_frozen_the_launcher_runs_the_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "dist" / "BarberBI" / "BarberBI"
    bundle.parent.mkdir(parents=True)
    bundle.write_bytes(b"")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(bundle))
    assert desktop_entry.launch_command() == [str(bundle.resolve())]
    desktop_entry.install_desktop(tmp_path / "share")
    text = (tmp_path / "share/applications/barberbi.desktop").read_text(encoding="utf-8")
    assert _keys(text)["Exec"] == str(bundle.resolve())


def test_the_default_is_the_users_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert desktop_entry.default_prefix() == tmp_path / ".local" / "share"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert desktop_entry.default_prefix() == tmp_path / "xdg"


def test_exec_quotes_paths_with_spaces_and_reserved_characters() -> None:
    assert desktop_entry.exec_value(["/opt/BarberBI/BarberBI"]) == "/opt/BarberBI/BarberBI"
    assert desktop_entry.exec_value(["/home/al/My Apps/BarberBI"]) == '"/home/al/My Apps/BarberBI"'
    # $ is escaped for the quoting rule; that backslash is escaped again as a string.
    assert desktop_entry.exec_value(["/a$b/x"]) == '"/a\\\\$b/x"'
    assert desktop_entry.exec_value(["/100%/x"]) == "/100%%/x"


def test_a_file_as_prefix_is_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["install-desktop", "--prefix", str(target)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("barberbi: --prefix") and err.count("\n") == 0
    assert target.read_text() == "x"


VALIDATOR = shutil.which("desktop-file-validate")


@pytest.mark.skipif(
    VALIDATOR is None,
    reason="needs desktop-file-validate (Debian: apt-get install desktop-file-utils)",
)
@pytest.mark.parametrize(
    "argv",
    [None, ["/opt/Barber BI/BarberBI"], ["/home/o'neil/$apps/BarberBI"], ["/srv/100%/BarberBI"]],
)
def test_the_launcher_is_valid(tmp_path: Path, argv: list[str] | None) -> None:
    desktop_entry.install_desktop(tmp_path, argv=argv)
    launcher = tmp_path / "applications" / "barberbi.desktop"
    out = subprocess.run(
        [VALIDATOR, str(launcher)], capture_output=True, text=True, timeout=30, check=False
    )
    assert out.returncode == 0 and not out.stdout.strip(), out.stdout + out.stderr
