"""``barberbi migrate``: a shop file's history copied into a PostgreSQL server.

The work is `storage.migrate`; this module is the command's arguments and its short
report (``--json`` prints the same as JSON).
"""

from __future__ import annotations

import argparse
from typing import Any

HELP = "copy a shop file's whole history into a PostgreSQL server (ids kept, verified)"


def add_parser(sub: argparse._SubParsersAction) -> None:
    mig = sub.add_parser("migrate", help=HELP)
    mig.add_argument("--from", dest="source", required=True, help="the shop file (SQLite)")
    mig.add_argument("--to", dest="target", required=True,
                     help="the server database, postgresql+psycopg://user:password@host/name")
    mig.add_argument("--json", action="store_true")


def cmd_migrate(args: argparse.Namespace) -> dict[str, Any]:
    from barberbi_desktop.storage.migrate import migrate

    return migrate(args.source, args.target)


def print_migrate(result: dict[str, Any]) -> None:
    if result["status"] == "unchanged":
        print(f"{result['to'][:1].upper()}{result['to'][1:]} already holds the shop in "
              f"{result['from']}; nothing was changed.")  # fmt: skip
    else:
        print(f"Copied {result['from']} into {result['to']} in {result['seconds']} s; every "
              "table's rows, ids and money totals match.")  # fmt: skip
    for name, figures in result["tables"].items():
        money = "; ".join(f"{k} {v:,}" for k, v in figures.items() if k != "rows")
        print(f"  {name:<24}{figures['rows']:>12,} rows{'; ' + money if money else ''}")
