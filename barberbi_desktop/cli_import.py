"""The ``barberbi import`` family: import files, undo the last import, save the template."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from barberbi_desktop.errors import InputError
from barberbi_desktop.ingest.profiles import platform_title
from barberbi_desktop.ingest.sale_lines import money_sentence


def add_parsers(sub: argparse._SubParsersAction) -> None:
    imp = sub.add_parser("import", help="import booking exports (CSV or XLSX)")
    imp.add_argument("files", nargs="*", type=Path, help="export files")
    imp.add_argument("--platform", help="skip detection: the platform that wrote the files")
    imp.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="use COLUMN for FIELD (e.g. --map barber=Stylist; --map barber= un-maps it); "
        "repeatable",
    )
    imp.add_argument("--date-order", choices=["dmy", "mdy"], help="for dates like 03/04/2026")
    imp.add_argument(
        "--location",
        help="the location of files that do not name one (default: the one this computer "
        "imports for, see --remember-location)",
    )
    imp.add_argument(
        "--remember-location",
        action="store_true",
        help="make --location the location this computer imports for in this shop (kept on "
        "this computer, not in the shop); give --location '' to forget it",
    )
    imp.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    imp.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help="import the good rows and report the bad ones (default: refuse the file)",
    )
    imp.add_argument(
        "--allow-long-visits",
        action="store_true",
        help="accept visits over 12 hours (default: refuse the file, they are usually a mistake)",
    )
    imp.add_argument(
        "--repair-encoding",
        action="store_true",
        help="in a UTF-8 file, read bytes that are not UTF-8 as Windows-1252 and list those "
        "rows (default: refuse the file)",
    )
    imp.add_argument("--undo", action="store_true", help="undo the last import exactly")
    imp.add_argument("--template", type=Path, metavar="OUT", help="save the import template")
    imp.add_argument(
        "--save-profile",
        metavar="NAME",
        help="once the file has landed, save its platform and --map choices as profile NAME "
        "(used with --platform NAME, and detected in next month's export)",
    )
    imp.add_argument(
        "--export-profile", metavar="NAME", help="print profile NAME as TOML (saved or built in)"
    )
    imp.add_argument("--json", action="store_true")

    watch = sub.add_parser("watch", help="import files dropped into a folder")
    watch.add_argument("folder", type=Path)
    watch.add_argument(
        "--once",
        action="store_true",
        help="import the files that stay unchanged for the settle time (10 s), then exit",
    )
    watch.add_argument(
        "--remember",
        action="store_true",
        help="make this the shop's watch folder: the open app scans it every 15 seconds",
    )
    watch.add_argument("--interval", type=float, default=10.0, help="seconds between scans")
    watch.add_argument("--json", action="store_true")


def _mapping(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        field, sep, column = item.partition("=")
        if not sep or not field.strip():
            raise InputError(f"--map {item!r}: write it as FIELD=COLUMN, e.g. barber=Stylist.")
        out[field.strip()] = column.strip()
    return out


def remember_location(args: argparse.Namespace) -> dict[str, Any]:
    """Keep (or forget) the location this computer imports for, once the shop has it."""
    from sqlalchemy import text

    from barberbi_desktop.computer import set_import_location
    from barberbi_desktop.storage.db import open_database

    if args.location is None:
        raise InputError("Give the location with --location NAME (or --location '' to forget).")
    db = open_database(args.db, create=False)
    try:
        with db.read() as conn:
            names = [r[0] for r in conn.execute(text("SELECT name FROM locations ORDER BY id"))]
        if args.location and args.location not in names:
            raise InputError(
                f"The shop has no location {args.location!r}; it has "
                f"{', '.join(names) or 'none yet (import a file first)'}."
            )
        set_import_location(db.url, args.location or None)
        return {"command": "import", "import_location": args.location or None}
    finally:
        db.dispose()


def cmd_import(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    from barberbi_desktop.computer import import_location
    from barberbi_desktop.ingest.importer import Importer, preview, undo_last_import
    from barberbi_desktop.ingest.saved_profiles import (
        check_name,
        export_profile,
        save_profile,
        saved_profiles,
    )
    from barberbi_desktop.ingest.template import write_template
    from barberbi_desktop.storage.db import open_database

    if args.template:
        return {"command": "import", "template": str(write_template(args.template))}, 0
    if args.export_profile:
        db = open_database(args.db, create=False)
        try:
            return {"command": "import", "profile": export_profile(db, args.export_profile)}, 0
        finally:
            db.dispose()
    if args.remember_location:
        return remember_location(args), 0
    if not args.files and not args.undo:
        raise InputError("Name the files to import, e.g. barberbi import appointments.csv.")
    db = open_database(args.db, create=not args.undo)
    saved = None
    try:
        if args.undo:
            undone = undo_last_import(db, user_id=getattr(args, "user_id", None))
            return {"command": "import", "undone": undone}, 0
        if args.save_profile:
            check_name(db, args.save_profile)  # before anything lands
        reports = Importer(db).import_files(
            args.files,
            platform=args.platform,
            mapping=_mapping(args.map),
            date_order=args.date_order,
            location=args.location or import_location(db.url),
            dry_run=args.dry_run,
            skip_bad_rows=args.skip_bad_rows,
            allow_long_visits=args.allow_long_visits,
            repair_encoding=args.repair_encoding,
        )
        if args.save_profile and reports[0].status == "landed":
            found = preview(args.files[0], args.platform, _mapping(args.map), rows=1,
                            saved=saved_profiles(db))  # fmt: skip
            save_profile(db, args.save_profile, found.platform, found.mapping)
            saved = args.save_profile
    finally:
        db.dispose()
    for r in reports:
        if r.status == "rejected":
            print(f"barberbi: {r.reason}", file=sys.stderr)
    status = 2 if any(r.status == "rejected" for r in reports) else 0
    result: dict[str, Any] = {"command": "import", "files": [r.as_dict() for r in reports]}
    if args.save_profile:
        result["saved_profile"] = saved  # None: the file did not land, so nothing was saved
    return result, status


def print_import(result: dict[str, Any]) -> None:
    if "template" in result:
        print(f"Template saved to {result['template']}.")
        return
    if "profile" in result:
        print(result["profile"], end="")
        return
    if "import_location" in result:
        chosen = result["import_location"]
        print(f"This computer imports for {chosen}." if chosen else
              "This computer no longer imports for one location.")  # fmt: skip
        return
    if "undone" in result:
        u = result["undone"]
        print(f"Undid import #{u['batch_id']} ({u['file']}): {u['removed']} rows removed, "
              f"{u['restored']} rows restored.")
        return
    for r in result["files"]:
        name = Path(r["file"]).name
        if r["status"] == "rejected":
            print(f"{name}: rejected")
            continue
        verb = "checked (dry run, nothing written)" if r["status"] == "dry_run" else "imported"
        print(
            f"{name}: {verb} as {platform_title(r['platform'])} ({r['kind']}, confidence "
            f"{r['confidence']:.0%}): "
            f"{r['rows_read']} rows read, {r['inserted']} new, {r['updated']} updated, "
            f"{r['unchanged']} unchanged, {r['rejected']} skipped"
        )
        if r.get("money"):
            print(f"    Money: {money_sentence(r['money'])}")
        for problem in r["problems"][:5]:
            print(f"    {problem}")
    if result.get("saved_profile"):
        print(f"Mapping saved as profile {result['saved_profile']}: import the next export "
              f"with --platform {result['saved_profile']}, or let BarberBI detect it.")


def cmd_watch(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    from barberbi_desktop.ingest.watch import WatchFolder
    from barberbi_desktop.storage.db import open_database

    db = open_database(args.db)
    try:
        if args.remember:
            from barberbi_desktop.storage.shop_config import set_watch_folder

            folder = args.folder.expanduser().absolute()
            folder.mkdir(parents=True, exist_ok=True)
            set_watch_folder(db, str(folder))
            return {"command": "watch", "remembered": str(folder)}, 0
        watcher = WatchFolder(db, args.folder)
        if args.once:
            done = watcher.scan_once()
            return {"command": "watch", "files": [d.as_dict() for d in done]}, 0
        watcher.run_forever(args.interval)
    finally:
        db.dispose()
    return {"command": "watch"}, 0
