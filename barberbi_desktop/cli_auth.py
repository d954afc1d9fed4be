"""The command line's PIN guard and its audit entries.

Once a shop has accounts, the commands that show the owner's figures or change
the shop's data (`GUARDED`, and ``import --undo``) ask for the owner's name and
PIN: typed at the terminal (the PIN without echo), or ``--user NAME`` with the
PIN as the first line of standard input, for scripts. A wrong PIN is checked
exactly like a login in the app, so it counts towards the same lock-out. A shop
without accounts works as before. Either way the command is audited, with the
owner's account when there is one ("The command line" when there is not).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from barberbi_desktop.errors import InputError

GUARDED = ("run", "report", "backup", "restore", "audit", "migrate")
USER_HELP = "the owner's account name; the PIN is then read from standard input"


def add_user_options(sub: argparse._SubParsersAction) -> None:
    """``--user`` after a guarded command (``barberbi backup --user Ola``). SUPPRESS as
    the default keeps a value given before the command (``barberbi --user Ola backup``)."""
    for name in (*GUARDED, "import"):
        sub.choices[name].add_argument("--user", default=argparse.SUPPRESS, help=USER_HELP)


def needs_owner(args: argparse.Namespace) -> bool:
    return args.command in GUARDED or (args.command == "import" and bool(args.undo))


def _credentials(args: argparse.Namespace) -> tuple[str, str]:
    name = getattr(args, "user", None)
    stdin = sys.stdin
    interactive = stdin is not None and stdin.isatty()
    if name is None:
        if not interactive:
            raise InputError(
                f"barberbi {args.command} needs the owner's name and PIN: run it in a "
                "terminal, or give --user NAME and the PIN on standard input."
            )
        print("Owner's account name: ", end="", file=sys.stderr, flush=True)
        name = stdin.readline().strip()
        return name, getpass.getpass("PIN: ", stream=sys.stderr)
    if interactive:
        return name, getpass.getpass(f"PIN for {name}: ", stream=sys.stderr)
    return name, (stdin.readline() if stdin is not None else "").strip()


def _shop(args: argparse.Namespace) -> str | None:
    """The shop whose owner a command needs: ``migrate``'s is the file it copies (its
    entry stays in that file's log, so a second run still finds the server unchanged)."""
    return str(args.source) if args.command == "migrate" else args.db


def authorise(args: argparse.Namespace) -> None:
    """Set ``args.user_id`` and ``args.user_name`` (None without accounts), or refuse."""
    from barberbi_desktop.config import resolve_db
    from barberbi_desktop.storage.db import open_database, sqlite_path
    from barberbi_desktop.storage.users import has_users, log_in

    args.user_id = args.user_name = None
    shop = _shop(args)
    path = sqlite_path(resolve_db(shop))
    if path is not None and not path.exists():
        return  # no shop yet, so no accounts (the command says what is missing)
    try:
        db = open_database(shop, create=False)
    except InputError:
        if args.command == "restore":
            return  # a damaged or unreadable shop is what a restore is for
        raise
    try:
        if not has_users(db):
            return
        name, pin = _credentials(args)
        user = log_in(db, name, pin, via="command line")
    finally:
        db.dispose()
    if not user.is_owner:
        raise InputError(f"{user.name} is a staff account; only the owner can run "
                         f"barberbi {args.command}.")  # fmt: skip
    args.user_id, args.user_name = user.user_id, user.name


def _entry(args: argparse.Namespace, result: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    if args.command == "run":
        engines = [e.get("engine") for e in result.get("engines", [result])]
        as_of = args.as_of.isoformat() if args.as_of else None
        return "engine_run", {"engines": engines, "as_of": as_of}
    if args.command == "report":
        return "export", {"what": "owner report", "month": args.month, "path": str(args.out)}
    if args.command == "backup":
        return "backup", {"path": result.get("path")}
    if args.command == "audit":
        return "audit_viewed", {"limit": args.limit}
    if args.command == "migrate":
        return "migrate", {"to": result.get("to"), "status": result.get("status")}
    return None  # import --undo audits itself, in the undo's own transaction


def audit_command(args: argparse.Namespace, result: dict[str, Any]) -> None:
    """Record a guarded command that succeeded. A restore's entry goes into the restored
    database (opened the ordinary way: an older backup is upgraded after a copy, as at
    the next start); its account numbers may differ, so the entry names the owner."""
    from barberbi_desktop.storage.db import open_database
    from barberbi_desktop.storage.users import audit

    if args.command == "restore":
        entry: tuple[str, dict[str, Any]] | None = (
            "restore", {"path": str(args.path), "by": args.user_name}
        )
    else:
        entry = _entry(args, result)
    if entry is None:
        return
    action, detail = entry
    user_id = None if args.command == "restore" else args.user_id
    db = open_database(_shop(args), create=False)
    try:
        audit(db, user_id, action, {k: v for k, v in detail.items() if v is not None})
    finally:
        db.dispose()
