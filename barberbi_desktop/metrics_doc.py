"""Metric definitions for tooltips, read from METRICS.md (the one source; docs/ links to it).

Each metric's text sits under a heading ``### key``; the app shows it as the
tooltip of the number, so the documentation and the UI cannot disagree.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

_HEADING = re.compile(r"^###\s+([a-z0-9_]+)\s*$")


@functools.cache
def definitions() -> dict[str, str]:
    text = (resources.files("barberbi_desktop.resources") / "METRICS.md").read_text(
        encoding="utf-8"
    )
    out: dict[str, str] = {}
    key: str | None = None
    lines: list[str] = []

    def flush() -> None:
        if key is not None:
            body = " ".join(" ".join(lines).split())
            out[key] = body.replace("**", "").replace("`", "")

    for line in text.splitlines():
        match = _HEADING.match(line)
        if match or line.startswith("#"):
            flush()
            key, lines = (match.group(1) if match else None), []
        elif key is not None:
            lines.append(line)
    flush()
    return out


def definition(key: str) -> str | None:
    return definitions().get(key)
