"""``barberbi install-desktop``: the launcher and icons a Linux desktop's menu shows.

A freedesktop ``.desktop`` file (Desktop Entry Specification 1.4) and the
hicolor icons, copied from the package's own resources. The launcher starts
whatever is running now: the bundle's executable when frozen (PyInstaller),
else the ``barberbi`` script beside this Python, so a moved bundle or a new
virtual environment needs the command run again.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

from barberbi_desktop.errors import InputError

APP_ID = "barberbi"
# Characters the Exec key reserves: an argument holding any must be quoted.
_RESERVED = re.compile(r"""[\s"'\\><~|&;$*?#()`]""")


def default_prefix() -> Path:
    """The user's data folder (``$XDG_DATA_HOME``, else ``~/.local/share``)."""
    xdg = os.environ.get("XDG_DATA_HOME")
    return Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"


def launch_command() -> list[str]:
    """What the launcher runs: this bundle, the installed script, or this Python."""
    if getattr(sys, "frozen", False):
        return [str(Path(sys.executable).resolve())]
    script = Path(sys.executable).with_name("barberbi")
    if script.is_file():
        return [str(script)]
    found = shutil.which("barberbi")
    if found:
        return [str(Path(found).resolve())]
    return [str(Path(sys.executable)), "-m", "barberbi_desktop"]


def exec_value(argv: list[str]) -> str:
    """The Exec key's value: reserved characters quoted, then escaped as a string."""
    parts = []
    for arg in argv:
        arg = arg.replace("%", "%%")
        if _RESERVED.search(arg):
            arg = '"' + re.sub(r'(["`$\\])', r"\\\1", arg) + '"'
        parts.append(arg)
    return " ".join(parts).replace("\\", "\\\\")


def desktop_file(argv: list[str]) -> str:
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Version=1.4\n"  # 1.5 adds nothing used here; older validators reject it
        "Name=BarberBI\n"
        "GenericName=Barbershop Business Intelligence\n"
        "Comment=Client value, revenue and live KPIs for your barbershop\n"
        f"Exec={exec_value(argv)}\n"
        f"Icon={APP_ID}\n"
        "Terminal=false\n"
        "Categories=Office;Finance;\n"
        "Keywords=barbershop;salon;sales;clients;KPI;\n"
    )


def _icons() -> list[tuple[str, bytes]]:
    """(hicolor folder, file contents) for every icon the package carries."""
    folder = resources.files("barberbi_desktop.resources") / "icons"
    found = []
    for item in folder.iterdir():
        size = re.fullmatch(r"barberbi-(\d+)\.png", item.name)
        if size:
            found.append((f"{size[1]}x{size[1]}", item.read_bytes()))
        elif item.name == "barberbi.svg":
            found.append(("scalable", item.read_bytes()))
    return sorted(found)


def install_desktop(prefix: Path | None = None, argv: list[str] | None = None) -> list[Path]:
    """Write the launcher and icons under ``prefix``; returns the files written.

    Running it again replaces them (the launcher then points at this copy)."""
    root = Path(prefix) if prefix is not None else default_prefix()
    if root.exists() and not root.is_dir():
        raise InputError(f"--prefix {root}: that is a file; give a folder.")
    written = []
    try:
        for folder, data in _icons():
            ext = "svg" if folder == "scalable" else "png"
            target = root / "icons" / "hicolor" / folder / "apps" / f"{APP_ID}.{ext}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written.append(target)
        launcher = root / "applications" / f"{APP_ID}.desktop"
        launcher.parent.mkdir(parents=True, exist_ok=True)
        launcher.write_text(desktop_file(argv or launch_command()), encoding="utf-8")
        written.append(launcher)
    except PermissionError as exc:
        raise InputError(
            f"--prefix {root}: no permission to write {exc.filename}; choose a folder of "
            "yours, or leave --prefix out for your own menu."
        ) from exc
    _refresh_caches(root)
    return written


def _refresh_caches(root: Path) -> None:
    """Menus and icon themes notice new files sooner with their caches rebuilt; where the
    tools are missing the desktop finds the files at its next scan anyway."""
    for tool, args in (
        ("update-desktop-database", [str(root / "applications")]),
        ("gtk-update-icon-cache", ["-q", "-t", "-f", str(root / "icons" / "hicolor")]),
    ):
        path = shutil.which(tool)
        if path:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run([path, *args], capture_output=True, timeout=30, check=False)
