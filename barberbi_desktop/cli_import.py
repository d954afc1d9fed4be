"""The ``barberbi import`` family: import files, undo the last import, save the template."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from barberbi_desktop.errors import InputError


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
    imp.add_argument("--location", help="the location of files that do not name one")
    imp.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    imp.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help="import the good rows and report the bad ones (default: refuse the file)",
    )
    imp.add_argument(
        "--repair-encoding",
        action="store_true",
        help="in a UTF-8 file, read bytes that are not UTF-8 as Windows-1252 and list those "
        "rows (default: refuse the file)",
    )
    imp.add_argument("--undo", action="store_true", help="undo the last import exactly")
    imp.add_argument("--template", type=Path, metavar="OUT", help="save the import template")
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


def cmd_import(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    from barberbi_desktop.ingest.importer import Importer, undo_last_import
    from barberbi_desktop.ingest.template import write_template
    from barberbi_desktop.storage.db import open_database

    if args.template:
        return {"command": "import", "template": str(write_template(args.template))}, 0
    if not args.files and not args.undo:
        raise InputError("Name the files to import, e.g. barberbi import appointments.csv.")
    db = open_database(args.db, create=not args.undo)
    try:
        if args.undo:
            return {"command": "import", "undone": undo_last_import(db)}, 0
        reports = Importer(db).import_files(
            args.files,
            platform=args.platform,
            mapping=_mapping(args.map),
            date_order=args.date_order,
            location=args.location,
            dry_run=args.dry_run,
            skip_bad_rows=args.skip_bad_rows,
            repair_encoding=args.repair_encoding,
        )
    finally:
        db.dispose()
    for r in reports:
        if r.status == "rejected":
            print(f"barberbi: {r.reason}", file=sys.stderr)
    status = 2 if any(r.status == "rejected" for r in reports) else 0
    return {"command": "import", "files": [r.as_dict() for r in reports]}, status


def print_import(result: dict[str, Any]) -> None:
    if "template" in result:
        print(f"Template saved to {result['template']}.")
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
            f"{name}: {verb} as {r['platform']} (confidence {r['confidence']:.0%}): "
            f"{r['rows_read']} rows read, {r['inserted']} new, {r['updated']} updated, "
            f"{r['unchanged']} unchanged, {r['rejected']} skipped"
        )
        for problem in r["problems"][:5]:
            print(f"    {problem}")


def cmd_watch(args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    from barberbi_desktop.ingest.watch import WatchFolder
    from barberbi_desktop.storage.db import open_database

    db = open_database(args.db)
    try:
        if args.remember:
            from barberbi_desktop.storage.settings import set_setting

            folder = args.folder.expanduser().absolute()
            folder.mkdir(parents=True, exist_ok=True)
            set_setting(db, "watch_folder", str(folder))
            return {"command": "watch", "remembered": str(folder)}, 0
        watcher = WatchFolder(db, args.folder)
        if args.once:
            done = watcher.scan_once()
            return {"command": "watch", "files": [d.as_dict() for d in done]}, 0
        watcher.run_forever(args.interval)
    finally:
        db.dispose()
    return {"command": "watch"}, 0
