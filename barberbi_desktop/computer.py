"""This computer's own settings, which the shop database must not hold.

A chain's computers share one server database, but each stands in one location
and imports that location's exports: which location is a fact about the computer,
not the shop (issue #22). It lives in a small JSON file in the user's data folder,
per shop (keyed by the shop's address with any password masked), so the same
computer can hold a different choice for its demo shop. Qt-free: the command line
and the import helper read it too.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from barberbi_desktop.config import data_dir

IMPORT_LOCATION = "import_location"
# A chain's computers each watch a folder of their own: a path on one computer means
# nothing on another (on a file shop it stays a shop setting, as before).
WATCH_FOLDER = "watch_folder"


def settings_path() -> Path:
    return data_dir() / "computer.json"


def _read() -> dict[str, Any]:
    try:
        value = json.loads(settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):  # none yet, or damaged: this computer has no choices
        return {}
    return value if isinstance(value, dict) else {}


def _get(key: str, shop: str) -> str | None:
    chosen = _read().get(key, {})
    value = chosen.get(shop) if isinstance(chosen, dict) else None
    return value if isinstance(value, str) and value else None


def import_location(shop: str) -> str | None:
    """The location this computer imports for in ``shop`` (None: not chosen)."""
    return _get(IMPORT_LOCATION, shop)


def set_import_location(shop: str, location: str | None) -> None:
    """Remember (or, with None, forget) the location this computer imports for."""
    _set(IMPORT_LOCATION, shop, location)


def watch_folder(shop: str) -> str | None:
    """The folder this computer watches for ``shop``'s exports (None: none)."""
    return _get(WATCH_FOLDER, shop)


def set_watch_folder(shop: str, folder: str | None) -> None:
    _set(WATCH_FOLDER, shop, folder)


def _set(key: str, shop: str, value: str | None) -> None:
    data = _read()
    chosen = data.get(key)
    chosen = chosen if isinstance(chosen, dict) else {}
    if value:
        chosen[shop] = value
    else:
        chosen.pop(shop, None)
    data[key] = chosen
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".computer-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
        os.replace(temp, path)  # a crash leaves the old file whole, never half a new one
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
