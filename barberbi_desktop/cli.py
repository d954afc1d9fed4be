"""The ``barberbi`` command: the app by default, sub-commands for headless work.

Exit status: 0 on success, 2 when an input is refused (one sentence on
stderr, nothing written), 1 on an internal error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from barberbi_desktop import __version__
from barberbi_desktop.errors import InputError

EXIT_OK, EXIT_INTERNAL, EXIT_REJECTED = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="barberbi", description="BarberBI Desktop: business intelligence for barbershops."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--db",
        help="database file or SQLAlchemy URL (default: BARBERBI_DB, "
        "else shop.db in the user data folder)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the app on the demo shop (generated once, then reused)",
    )
    parser.add_argument("--user", help="the owner's account name for commands that ask for it "
                        "(the PIN is then read from standard input)")  # fmt: skip
    sub = parser.add_subparsers(dest="command")

    demo = sub.add_parser("demo", help="write a realistic demo shop database and exit")
    demo.add_argument("--db", dest="sub_db", help="where to write it")
    demo.add_argument("--size", choices=["shop", "chain"], default="shop")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument(
        "--end",
        type=date.fromisoformat,
        default=None,
        help="last day of the history (default: today)",
    )
    demo.add_argument("--json", action="store_true")

    run = sub.add_parser("run", help="run analytics engines once, headless, and store results")
    run.add_argument(
        "engine",
        choices=["kpi", "ltv", "methodology", "noshow", "revenue", "all"],
        help="which engine (all: every engine)",
    )
    run.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        help="analyse as of this day (default: today); later data is never used",
    )
    run.add_argument("--json", action="store_true")

    alerts = sub.add_parser("alerts", help="list alerts, or acknowledge one")
    alerts.add_argument("action", nargs="?", choices=["list", "ack"], default="list")
    alerts.add_argument("alert_id", nargs="?", type=int, help="with ack: the alert's number")
    alerts.add_argument("--all", action="store_true", help="include acknowledged alerts")
    alerts.add_argument("--json", action="store_true")

    shots = sub.add_parser("screenshots", help="save one PNG per tab of the main window")
    shots.add_argument("--out", type=Path, required=True, help="folder for the PNG files")
    shots.add_argument("--json", action="store_true")

    report = sub.add_parser("report", help="write the monthly owner report as a PDF")
    report.add_argument("--month", required=True, help="YYYY-MM, in the shop's local time")
    report.add_argument("--out", type=Path, required=True, help="the PDF file to write")
    report.add_argument("--json", action="store_true")

    backup = sub.add_parser("backup", help="copy the database safely while it may be in use")
    backup.add_argument("--out", type=Path, help="backup file (default: the backups folder)")
    backup.add_argument("--json", action="store_true")
    from barberbi_desktop import cli_migrate
    from barberbi_desktop.cli_import import add_parsers

    add_parsers(sub)
    cli_migrate.add_parser(sub)
    log = sub.add_parser("audit", help="who logged in, imported, exported or changed settings")
    log.add_argument("--limit", type=int, default=50)
    log.add_argument("--json", action="store_true")
    restore = sub.add_parser("restore", help="replace the database with a backup")
    restore.add_argument("path", type=Path)
    from barberbi_desktop.cli_auth import add_user_options

    add_user_options(sub)
    desktop = sub.add_parser(
        "install-desktop", help="add BarberBI to the desktop's application menu (Linux)"
    )
    desktop.add_argument(
        "--prefix",
        type=Path,
        default=None,
        help="data folder to install into (default: XDG_DATA_HOME, else ~/.local/share)",
    )
    desktop.add_argument("--json", action="store_true")
    return parser


def _cmd_demo(args: argparse.Namespace) -> dict[str, Any]:
    from barberbi_desktop.demo.simulate import DemoSpec
    from barberbi_desktop.demo.store import create_demo

    target = args.sub_db or args.db
    if target is None:
        raise InputError("Say where to write the demo shop with --db PATH.")
    spec = DemoSpec(size=args.size, seed=args.seed, end=args.end or date.today())
    started = time.perf_counter()
    counts = create_demo(target, spec)
    return {
        "command": "demo",
        "db": str(target),
        "size": spec.size,
        "seed": spec.seed,
        "end": spec.end.isoformat(),
        "seconds": round(time.perf_counter() - started, 2),
        **counts,
    }


def _cmd_migrate(args: argparse.Namespace) -> dict[str, Any]:
    from barberbi_desktop.cli_migrate import cmd_migrate

    return cmd_migrate(args)


def _cmd_run(args: argparse.Namespace) -> dict[str, Any]:
    from barberbi_desktop.cli_progress import TerminalProgress
    from barberbi_desktop.jobs.runner import ENGINES, run_engine
    from barberbi_desktop.storage.db import open_database

    db = open_database(args.db, create=False)
    results: list[dict[str, Any]] = []
    try:
        names = sorted(ENGINES) if args.engine == "all" else [args.engine]
        with TerminalProgress(quiet=getattr(args, "json", False)) as bars:
            for name in names:
                try:
                    results.append(run_engine(db, name, args.as_of, bars.state(name)).summary)
                except InputError as exc:
                    if len(names) == 1:
                        raise
                    # `run all`: one engine short of data must not keep the others from running.
                    results.append({"engine": name, "not_run": str(exc)})
                bars.finished(name)
    finally:
        db.dispose()
    if len(results) == 1:
        return results[0]
    if all("not_run" in r for r in results):
        raise InputError(" ".join(r["not_run"] for r in results))
    return {"command": "run", "engines": results}


def _print_methodology(result: dict[str, Any]) -> None:
    overall = result["overall"]
    print(
        f"Six Figure Barber score as of {result['as_of']}: "
        f"{'not enough data' if overall is None else f'{overall:.0f}/100'} "
        f"(run {result['run_id']})."
    )
    for p in result["principles"]:
        shown = "n/a" if p["score"] is None else f"{p['score']:.0f}"
        print(f"  {p['name']:<34} {shown:>4}")
    for gap in result["gaps"][:3]:
        print(f"Gap {gap['rank']}: {gap['recommendation']}")
    for path in result["pathway"]:
        where = (
            "above $100k now"
            if path["already_there"]
            else f"projected {path['projected_crossing']}"
            if path["projected_crossing"]
            else "not on the current trend"
        )
        print(
            f"  {path['name']:<24} ${path['annualised']:>11,.0f}/yr  {where}, "
            f"P(within 12 months) {path['p_cross_12m']:.0%}"
        )


def _print_kpi(result: dict[str, Any]) -> None:
    from barberbi_desktop.engines.kpi_health import NO_VISITS_EVER

    health = result["health"]
    if health is None:  # unknown is not zero: the engine says why there is no score
        why = result.get("health_reason") or "no measure of the score is known"
        print(f"Business health as of {result['as_of']}: unknown: {why} "
              f"(run {result['run_id']}).")  # fmt: skip
        if why == NO_VISITS_EVER:
            return
    else:
        print(f"Business health as of {result['as_of']}: {health:.0f}/100 "
              f"(run {result['run_id']}).")  # fmt: skip
    thirty = {k["kpi"]: k for k in result["kpis"] if k["window"] == "30d"}
    money = {"revenue", "avg_ticket", "revenue_per_hour"}
    counts = {"visits", "new_clients", "returning_clients"}
    for name, k in thirty.items():
        if k["value"] is None:
            continue
        fmt = (
            (lambda v: f"${v / 100:,.0f}")
            if name in money
            else ((lambda v: f"{v:,.0f}") if name in counts else (lambda v: f"{v:.1%}"))
        )
        prior = "" if k["prior"] is None else f"  (prior 30 days {fmt(k['prior'])})"
        print(f"  {name:<18} {fmt(k['value']):>10}{prior}")
    band = result["today_band"]
    if band.get("available"):
        print(
            f"Today: ${band['so_far'] / 100:,.0f} so far, usual for a {band['weekday']} by "
            f"now ${band['expected_low'] / 100:,.0f} to ${band['expected_high'] / 100:,.0f} "
            f"({band['status']})."
        )


def _print_noshow(result: dict[str, Any]) -> None:
    print(f"No-show risk as of {result['as_of']} (run {result['run_id']}): {result['sentence']}")
    for note in result["notes"]:
        print(f"  {note}")
    stake = result["at_stake"]
    if result["method"] == "none" or not stake["bookings"]:
        return
    upcoming = result.get("upcoming") or []  # a stored run keeps its rows in tables
    print(f"{stake['bookings']:,} bookings listed: about {stake['expected_no_shows']:.1f} "
          f"no-shows, {stake['expected_minutes'] / 60:.1f} chair-hours and "
          f"${stake['expected_cents'] / 100:,.0f} at stake." + (" Riskiest:" if upcoming else ""))
    late = result.get("late_cancel") or {}
    if late.get("known") and stake.get("expected_late_cancels") is not None:
        cents = stake.get("expected_late_cents")
        money = "money unknown" if cents is None else f"${cents / 100:,.0f} at stake"
        print(f"Late cancellations (last {late['hours']} hours): about "
              f"{stake['expected_late_cancels']:.1f} expected, {money}. {late['sentence']}")
    elif late.get("reason"):
        print(late["reason"])
    riskiest = sorted(upcoming, key=lambda u: -(u["risk"] or 0))[:10]
    for u in riskiest:
        also = (f" (late cancel {u['late_cancel_risk']:.0%})"
                if u.get("late_cancel_risk") is not None else "")  # fmt: skip
        print(f"  {u['start'][:16].replace('T', ' ')} UTC  {u['risk']:.0%}{also}  "
              f"{u['barber'] or 'any barber'}: {u['reasons']}")


def _print_revenue(result: dict[str, Any]) -> None:
    cap = result["capacity"]
    if cap.get("utilisation") is not None:
        print(f"Chairs {cap['utilisation']:.0%} full ({cap['window'][0]} to {cap['window'][1]}); "
              f"busiest: {', '.join(cap['peak_slots']) or 'none near full'}.")
    else:
        print(f"Capacity: {cap.get('note') or cap.get('reason') or 'unknown.'}")
    print(f"Revenue roadmap as of {result['as_of']} (run {result['run_id']}):")
    if not result["roadmap"]:
        print("  Nothing the data supports yet.")
    for r in result["roadmap"]:
        print(f"  {r['rank']:>2}. [{r['horizon']}, {r['risk']} risk] {r['title']}: about "
              f"${r['gain_cents'] / 100:,.0f} a year (${r['gain_low_cents'] / 100:,.0f} to "
              f"${r['gain_high_cents'] / 100:,.0f}, confidence {r['confidence']:.0%})")
        print(f"      {r['detail']}")


def _print_run(result: dict[str, Any]) -> None:
    """A short human report of an engine run; --json gives everything."""
    if "not_run" in result:
        print(f"{result['engine']}: not run: {result['not_run']}")
        return
    if result.get("engine") == "kpi":
        _print_kpi(result)
        return
    if result.get("engine") == "methodology":
        _print_methodology(result)
        return
    if result.get("engine") == "revenue":
        _print_revenue(result)
        return
    if result.get("engine") == "noshow":
        _print_noshow(result)
        return
    print(
        f"Client value as of {result['as_of']}: {result['clients']:,} clients scored "
        f"(run {result['run_id']})."
    )
    from barberbi_desktop.engines.ltv_backtest import describe, describe_churn

    bt = result["backtest"]
    for said in (describe(bt), describe_churn(bt)):
        if said:
            print(said)
    for name, count in result["segments"].items():
        print(f"  {name:<12} {count:>7,}")
    for note in result.get("notes", []):
        print(f"Note: {note}")


def _cmd_alerts(args: argparse.Namespace) -> dict[str, Any]:
    from barberbi_desktop.alerts.store import acknowledge, list_alerts
    from barberbi_desktop.storage.db import open_database
    from barberbi_desktop.storage.settings import shop_zone

    db = open_database(args.db, create=False)
    try:
        if args.action == "ack":
            if args.alert_id is None:
                raise InputError("Say which alert to acknowledge: barberbi alerts ack NUMBER.")
            acknowledge(db, args.alert_id)
            return {"command": "alerts", "acknowledged": args.alert_id}
        frame = list_alerts(db, include_acknowledged=args.all)
        zone = shop_zone(db)
    finally:
        db.dispose()
    rows = [
        {
            "id": int(r.id),
            "priority": r.priority,
            "rule": r.rule,
            "title": r.title,
            "message": r.message,
            "created": r.created_utc.isoformat(),
            "acknowledged": None if pd.isna(r.acknowledged_utc) else r.acknowledged_utc.isoformat(),
        }
        for r in frame.itertuples()
    ]
    return {"command": "alerts", "zone": zone, "alerts": rows}


def _print_alerts(result: dict[str, Any]) -> None:
    if "acknowledged" in result:
        print(f"Alert {result['acknowledged']} acknowledged.")
        return
    from barberbi_desktop.storage.shop_time import shop_clock, times_note

    if not result["alerts"]:
        print("No alerts.")
        return
    zone = result["zone"]
    print(times_note(zone))  # the JSON keeps UTC instants; people read the shop's clock
    for a in result["alerts"]:
        done = "" if a["acknowledged"] is None else " (acknowledged)"
        when = shop_clock(datetime.fromisoformat(a["created"]), zone, "%Y-%m-%d %H:%M")
        print(f"#{a['id']} [{a['priority']}] {when} {a['title']}{done}")
        print(f"    {a['message']}")


def _cmd_screenshots(args: argparse.Namespace) -> dict[str, Any]:
    from barberbi_desktop.ui.screenshots import take_screenshots

    return {
        "command": "screenshots",
        "files": [str(p) for p in take_screenshots(args.db, args.out)],
    }


def _cmd_report(args: argparse.Namespace) -> dict[str, Any]:
    import os
    import re

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month):
        raise InputError(f"--month {args.month!r}: write the month as YYYY-MM, e.g. 2026-10.")
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # a PDF needs no screen
    from PySide6.QtWidgets import QApplication

    from barberbi_desktop.engines.data import NotEnoughData
    from barberbi_desktop.storage.db import open_database
    from barberbi_desktop.ui.report import write_report

    # A full QApplication (not just QGuiApplication), so widgets can follow in the
    # same process (the app, or a test suite).
    _app = QApplication.instance() or QApplication([])
    db = open_database(args.db, create=False)
    try:
        return {"command": "report", **write_report(db, args.month, args.out)}
    except NotEnoughData as exc:
        raise InputError(str(exc)) from exc
    finally:
        db.dispose()


def _cmd_backup(args: argparse.Namespace) -> dict[str, Any]:
    from barberbi_desktop.storage.backup import make_backup
    from barberbi_desktop.storage.db import open_database

    db = open_database(args.db, create=False)
    try:
        out = make_backup(db, args.out)
    finally:
        db.dispose()
    return {"command": "backup", "path": str(out)}


def _cmd_restore(args: argparse.Namespace) -> dict[str, Any]:
    from barberbi_desktop.storage.backup import restore_backup

    target = restore_backup(args.db, args.path)
    return {"command": "restore", "db": str(target), "from": str(args.path)}


def _cmd_install_desktop(args: argparse.Namespace) -> dict[str, Any]:
    from barberbi_desktop.desktop_entry import install_desktop

    return {"command": "install-desktop", "files": [str(p) for p in install_desktop(args.prefix)]}


def _cmd_audit(args: argparse.Namespace) -> dict[str, Any]:
    from barberbi_desktop.storage.audit_text import sentence
    from barberbi_desktop.storage.db import open_database
    from barberbi_desktop.storage.settings import shop_zone
    from barberbi_desktop.storage.users import audit_log

    db = open_database(args.db, create=False)
    try:
        log = audit_log(db, limit=args.limit)
        zone = shop_zone(db)
    finally:
        db.dispose()
    entries = []
    for r in log.itertuples(index=False):
        detail = json.loads(r.detail)
        entries.append({"at_utc": r.at_utc.isoformat(), "who": r.who or None, "action": r.action,
                        "detail": detail, "said": sentence(r.action, r.who, detail)})  # fmt: skip
    return {"command": "audit", "zone": zone, "entries": entries}


def _print_audit(result: dict[str, Any]) -> None:
    from barberbi_desktop.storage.shop_time import shop_clock, times_note

    if not result["entries"]:
        print("The audit log is empty.")
        return
    print(times_note(result["zone"]))
    for e in result["entries"]:
        when = shop_clock(datetime.fromisoformat(e["at_utc"]), result["zone"], "%Y-%m-%d %H:%M")
        print(f"{when}  {e['said']}")


def _print(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, indent=2, default=str))
        return
    for key, value in result.items():
        if key != "command":
            print(f"{key}: {value}")


# What a command's failure to write means, for the sentence a full disk or a busy or
# read-only database gets (storage.db.environment_errors).
OUTCOMES = {
    "import": "nothing was imported",
    "watch": "the file was not imported",
    "backup": "no backup was written",
    "restore": "the database was not changed",
    "run": "the results were not saved",
    "report": "no report was written",
    "demo": "the demo shop was not written",
    "screenshots": "the screenshots were not saved",
    "install-desktop": "the launcher was not installed",
    "migrate": "nothing was copied",
}


def _environment(args: argparse.Namespace) -> AbstractContextManager[None]:
    from barberbi_desktop.config import resolve_db
    from barberbi_desktop.storage import pg
    from barberbi_desktop.storage.db import environment_errors, sqlite_path

    db = getattr(args, "sub_db", None) or args.db
    if args.command == "migrate":  # what it may fail to write is the server database
        db = args.target
    outcome = OUTCOMES.get(args.command or "", "nothing was saved")
    if args.command == "import" and getattr(args, "undo", False):
        outcome = "the import was not undone"
    url = resolve_db(db)
    place = pg.where(url) if pg.is_postgres_url(url) else sqlite_path(url)
    return environment_errors(place, outcome)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a reader that stops early (``barberbi audit | head -1``) is not
    an error: the output it wanted was written, so the command ends quietly with 0."""
    import multiprocessing

    # In a bundle every helper is a spawned copy of this executable: it must turn into
    # the helper here, before parsing arguments meant for the app (no-op unfrozen).
    multiprocessing.freeze_support()
    try:
        try:
            return _main_in_environment(argv)
        finally:  # --help and --version leave by SystemExit, with stdout still to flush
            if sys.stdout is not None:  # None under pythonw
                sys.stdout.flush()  # a closed pipe shows here rather than at interpreter exit
    except BrokenPipeError:
        # Python's recipe: point stdout at devnull so its flush at exit cannot fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


def _main_in_environment(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    try:
        with _environment(args):
            return _main(args)
    except InputError as exc:
        print(f"barberbi: {exc}", file=sys.stderr)
        return EXIT_REJECTED


def _main(args: argparse.Namespace) -> int:
    commands = {
        "alerts": _cmd_alerts,
        "audit": _cmd_audit,
        "demo": _cmd_demo,
        "run": _cmd_run,
        "backup": _cmd_backup,
        "restore": _cmd_restore,
        "report": _cmd_report,
        "screenshots": _cmd_screenshots,
        "install-desktop": _cmd_install_desktop,
        "migrate": _cmd_migrate,
    }
    try:
        if args.command is None:
            from barberbi_desktop.app import run_app

            return run_app(args.db, demo=args.demo)
        as_json = getattr(args, "json", False)
        from barberbi_desktop import cli_auth

        if args.command == "migrate":  # a wrong address is said before a PIN is asked
            from barberbi_desktop.storage.migrate import check_arguments

            check_arguments(args.source, args.target)
        if cli_auth.needs_owner(args):
            cli_auth.authorise(args)
        if args.command in ("import", "watch"):
            from barberbi_desktop import cli_import

            run = cli_import.cmd_import if args.command == "import" else cli_import.cmd_watch
            result, status = run(args)
            if as_json:
                _print(result, True)
            elif args.command == "import":
                cli_import.print_import(result)
            return status
        result = commands[args.command](args)
        if cli_auth.needs_owner(args):
            cli_auth.audit_command(args, result)
        if args.command == "alerts" and not as_json:
            _print_alerts(result)
        elif args.command == "audit" and not as_json:
            _print_audit(result)
        elif args.command == "migrate" and not as_json:
            from barberbi_desktop.cli_migrate import print_migrate

            print_migrate(result)
        elif args.command == "run" and not as_json:
            for single in result.get("engines", [result]):
                _print_run(single)
        else:
            _print(result, as_json)
        return EXIT_OK
    except InputError as exc:
        print(f"barberbi: {exc}", file=sys.stderr)
        return EXIT_REJECTED
    except KeyboardInterrupt:
        return EXIT_INTERNAL
    except BrokenPipeError:
        raise  # the reader stopped early: main() ends quietly
    except Exception as exc:  # the one place that turns a crash into a status code
        from barberbi_desktop.storage.db import environment_sentence

        if environment_sentence(exc, None, "") is not None:
            raise  # a full disk, a busy or read-only database: main() says it in a sentence
        print(f"barberbi: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
