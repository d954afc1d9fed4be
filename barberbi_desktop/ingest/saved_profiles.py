"""Column mappings the owner saved, used next month like a built-in platform.

An export no profile knows is imported once with a mapping (``--map`` or the
import dialog's column choices). Saved under a name, the mapping becomes a
profile: the built-in profile it was made on (its date, money and status
conventions) with exactly the chosen columns, whose names are also its
signature, so a file with those headers is detected as it with high
confidence. It keeps the base profile's family, so the natural keys of the
rows it imports are the same as those of the import it was saved from, and
the next overlapping export updates rather than duplicates.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import fields, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from barberbi_desktop.errors import InputError
from barberbi_desktop.ingest.profiles import FIELDS, Profile, _profile, profiles
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.users import audit

NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def as_profile(name: str, base: str, mapping: dict[str, str]) -> Profile:
    """The profile a saved mapping stands for."""
    parent = profiles()[base]
    columns = {fld: [column] for fld, column in mapping.items() if column}
    return replace(
        parent, name=name, title=f"{name} (saved mapping on {parent.title})",
        columns=columns, signature=list(dict.fromkeys(mapping[f] for f in columns)),
        family=parent.family or parent.name,
    )  # fmt: skip


def _rows(db: Database) -> list[tuple[str, str, dict[str, str]]]:
    with db.read() as conn:
        rows = conn.execute(
            text("SELECT name, base, mapping FROM import_profiles ORDER BY name")
        ).all()
    return [(n, b, json.loads(m) if isinstance(m, str) else dict(m or {})) for n, b, m in rows]


def saved_profiles(db: Database) -> dict[str, Profile]:
    """The shop's saved mappings as profiles; one whose base is gone is left out."""
    builtin = profiles()
    return {n: as_profile(n, b, m) for n, b, m in _rows(db) if b in builtin}


def check_name(db: Database, name: str) -> str:
    """``name`` if a new mapping may be saved under it; else one sentence saying why not."""
    if not NAME.match(name):
        raise InputError(
            f"{name!r} cannot be a profile name: use 2 to 40 lower-case letters, digits or "
            "underscores, starting with a letter (e.g. my_salon_export)."
        )
    if name in profiles() or name in {n for n, _, _ in _rows(db)}:
        raise InputError(f"A profile called {name!r} exists already; choose another name.")
    return name


def save_profile(db: Database, name: str, platform: str, mapping: dict[str, str],
                 user_id: int | None = None) -> Profile:
    """Save ``mapping`` (field -> column, as the import used it) made on ``platform``."""
    check_name(db, name)
    bases = {n: b for n, b, _ in _rows(db)}
    base = bases.get(platform, platform)
    if base not in profiles():
        raise InputError(f"{platform!r} is not a platform BarberBI knows.")
    clean = {f: c for f, c in mapping.items() if c and f in FIELDS}
    if not clean:
        raise InputError(f"The mapping for {name!r} maps no column, so there is nothing to "
                         "save.")  # fmt: skip
    with db.write() as conn:
        conn.execute(
            text("INSERT INTO import_profiles (name, base, mapping, created_utc) "
                 "VALUES (:n, :b, :m, :t)"),
            {"n": name, "b": base, "m": json.dumps(clean),
             "t": int(datetime.now(UTC).timestamp())},
        )  # fmt: skip
    audit(db, user_id, "import_profile_saved", {"name": name, "base": base, "mapping": clean})
    return as_profile(name, base, clean)


def export_profile(db: Database, name: str) -> str:
    """A saved (or built-in) profile as TOML, the shape of the files in resources/profiles."""
    profile = saved_profiles(db).get(name) or profiles().get(name)
    if profile is None:
        known = sorted(saved_profiles(db)) or ["(none saved yet)"]
        raise InputError(f"There is no profile called {name!r}; saved ones: "
                         f"{', '.join(known)}.")  # fmt: skip
    return to_toml(profile)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return json.dumps(str(v), ensure_ascii=False)  # a TOML basic string


_TABLES = ("columns", "signatures", "statuses", "channels", "item_types")


def to_toml(profile: Profile) -> str:
    """TOML that `profiles._profile` reads back into an equal profile."""
    lines = [f"# {profile.title}"]
    for f in fields(profile):
        value = getattr(profile, f.name)
        if f.name in _TABLES or value is None:
            continue
        lines.append(f"{f.name} = {_value(value)}")
    for table in _TABLES:
        entries = getattr(profile, table)
        if entries:
            lines += ["", f"[{table}]"]
            lines += [f"{json.dumps(k)} = {_value(v)}" for k, v in entries.items()]
    return "\n".join(lines) + "\n"


def from_toml(source: str) -> Profile:
    """Read a profile written by `to_toml` (or a file in resources/profiles)."""
    return _profile(tomllib.loads(source))
