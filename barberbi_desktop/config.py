"""Where the shop's data lives and how a database location is spelled.

A database can be named as a plain path or a SQLAlchemy URL; the environment
variable ``BARBERBI_DB`` overrides the default so that tests, demos and
power users can point the app elsewhere without touching the user folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path

APP_NAME = "BarberBI"
APP_AUTHOR = "BarberBI"
ENV_DB = "BARBERBI_DB"


def data_dir() -> Path:
    """The per-user folder for the shop database, backups and the demo shop."""
    return user_data_path(APP_NAME, APP_AUTHOR, ensure_exists=False)


def default_db_path() -> Path:
    return data_dir() / "shop.db"


def demo_db_path() -> Path:
    return data_dir() / "demo.db"


def resolve_db(db: str | os.PathLike[str] | None) -> str:
    """Turn ``--db``, ``BARBERBI_DB`` or the default into a SQLAlchemy URL."""
    chosen = db if db is not None else os.environ.get(ENV_DB)
    if chosen is None:
        chosen = default_db_path()
    text = str(chosen)
    if "://" in text:
        return text
    return "sqlite:///" + str(Path(text).expanduser().absolute())
