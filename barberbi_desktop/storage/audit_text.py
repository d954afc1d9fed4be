"""The audit log in plain sentences ("Ana imported fresha.csv: 120 new, 3 updated").

The log stores an action and a JSON detail so nothing is lost; an owner reading it
wants what happened, so the Settings page and ``barberbi audit`` show `sentence`.
An action this module does not know still reads as a sentence built from its
detail, never as raw JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import PurePath
from typing import Any

COMMAND_LINE = "The command line"


def _file(value: Any) -> str:
    """A file's name without its folders (the full path stays in the stored detail)."""
    return PurePath(str(value)).name if value else "a file"


def _plural(count: Any, word: str) -> str:
    n = int(count or 0)
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _value(value: Any) -> str:
    if value is None or value == "":
        return "blank"
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return str(value)


def _import(who: str, d: dict[str, Any]) -> str:
    parts = [f"{int(d.get('inserted') or 0):,} new", f"{int(d.get('updated') or 0):,} updated"]
    if d.get("rejected"):
        parts.append(f"{int(d['rejected']):,} refused")
    platform = f" ({d['platform']})" if d.get("platform") else ""
    return f"{who} imported {_file(d.get('file'))}{platform}: {', '.join(parts)}"


def _undo(who: str, d: dict[str, Any]) -> str:
    counts = [
        f"{int(v):,} {k.replace('_', ' ')}"
        for k, v in d.items()
        if k not in ("batch_id", "file") and isinstance(v, int) and v
    ]
    tail = f": {', '.join(counts)}" if counts else ""
    return f"{who} undid the import of {_file(d.get('file'))}{tail}"


def _settings(who: str, d: dict[str, Any]) -> str:
    section = d.get("section", "settings")
    changes = []
    for key, value in d.items():
        if key == "section":
            continue
        if isinstance(value, list) and len(value) == 2:
            changes.append(f"{key.replace('_', ' ')} {_value(value[0])} -> {_value(value[1])}")
        else:
            changes.append(f"{key.replace('_', ' ')} {_value(value)}")
    shown = "; ".join(changes[:4]) + (f"; and {len(changes) - 4} more" if len(changes) > 4 else "")
    return f"{who} changed the {section} settings" + (f": {shown}" if shown else "")


def _export(who: str, d: dict[str, Any]) -> str:
    what = d.get("what", "data")
    if what == "owner report":
        month = f" for {d['month']}" if d.get("month") else ""
        return f"{who} wrote the owner report{month} to {_file(d.get('path'))}"
    count = f" ({_plural(d['clients'], 'client')})" if d.get("clients") is not None else ""
    return f"{who} exported the {what}{count} to {_file(d.get('path'))}"


def _role(d: dict[str, Any]) -> str:
    role = str(d.get("role", ""))
    return "location manager" if role == "manager" else role


def _login_failed(who: str, d: dict[str, Any]) -> str:
    name = d.get("name", "")
    if d.get("reason") == "disabled":
        return f"{name} tried to log in, but the account is disabled"
    return f"A wrong name or PIN was tried for {name!r}" if name else "A wrong name or PIN"


def _run(who: str, d: dict[str, Any]) -> str:
    engines = ", ".join(d.get("engines") or []) or "the analyses"
    as_of = f" as of {d['as_of']}" if d.get("as_of") else ""
    return f"{who} ran {engines}{as_of}"


SENTENCES: dict[str, Callable[[str, dict[str, Any]], str]] = {
    "login": lambda who, d: f"{who} logged in" + (f" ({d['via']})" if d.get("via") else ""),
    "login_failed": _login_failed,
    "locked_out": lambda who, d: (
        f"{d.get('name', who)} typed {d.get('failures')} wrong PINs in a row; the next try "
        f"had to wait {d.get('seconds')} seconds"
    ),
    "user_created": lambda who, d: f"{who} created the {_role(d)} account {d.get('name')}",
    "pin_changed": lambda who, d: f"{who} changed their PIN",
    "pin_reset": lambda who, d: f"{who} reset the PIN of {d.get('name')}",
    "user_disabled": lambda who, d: f"{who} disabled the account {d.get('name')}",
    "user_enabled": lambda who, d: f"{who} enabled the account {d.get('name')}",
    "user_removed": lambda who, d: f"{who} removed the account {d.get('name')}",
    "import": _import,
    "import_undone": _undo,
    "import_profile_saved": lambda who, d: (
        f"{who} saved the import layout {d.get('name')!r} (based on {d.get('base')})"
    ),
    "settings_changed": _settings,
    "export": _export,
    "backup": lambda who, d: f"{who} made a backup: {_file(d.get('path'))}",
    "restore_requested": lambda who, d: f"{who} asked to restore the backup {_file(d.get('path'))}",
    "restore": lambda who, d: f"{who} restored the backup {_file(d.get('path'))}",
    "engine_run": _run,
    "audit_viewed": lambda who, d: f"{who} read the audit log",
}


def sentence(action: str, who: str | None, detail: dict[str, Any] | str | None) -> str:
    """One audit entry as a sentence; ``who`` is blank for the command line without
    accounts or an unknown name."""
    if isinstance(detail, str):
        try:
            detail = json.loads(detail)
        except ValueError:
            detail = {"detail": detail}
    d = detail if isinstance(detail, dict) else {}
    actor = who or (d.get("by") if isinstance(d.get("by"), str) else None) or COMMAND_LINE
    make = SENTENCES.get(action)
    if make is not None:
        try:
            return make(actor, d) + "."
        except (TypeError, ValueError, KeyError):
            pass  # an old entry with another shape: the generic sentence below
    said = ", ".join(
        f"{k.replace('_', ' ')} {_value(v)}" for k, v in d.items() if v not in ("", None)
    )
    return f"{actor}: {action.replace('_', ' ')}" + (f" ({said})" if said else "") + "."
