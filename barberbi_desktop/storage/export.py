"""Tables written for spreadsheets: formula-safe, owner-only, whole or not at all.

A client's name comes from a booking platform, where anyone can type it. A
spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and
some read a leading tab or carriage return the same way) as a formula, and a
CSV reader that takes a bare carriage return for the end of a row starts a
new cell with whatever follows it. So a cell whose text, or any line of it,
starts with one of those gets a leading apostrophe (shown as text), and every
text cell is quoted, keeping its line breaks inside the quotes.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pandas as pd

from barberbi_desktop.storage.files import written_whole

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_LINE_STARTS_FORMULA = re.compile(r"(?:^|[\r\n])[=+\-@\t\r]")


def safe_cell(value: Any) -> Any:
    """``value``, with a leading apostrophe if it or any line of it would start a formula."""
    if isinstance(value, str) and _LINE_STARTS_FORMULA.search(value):
        return "'" + value
    return value


def write_table(frame: pd.DataFrame, path: Path, sheet: str = "Sheet1") -> int:
    """Write ``frame`` as .xlsx (by the suffix) or CSV; returns the number of rows.

    The file is created owner-only (it lists clients and their contacts) under a
    temporary name and renamed once complete."""
    safe = frame.map(safe_cell)
    with written_whole(path) as temp:
        if path.suffix.lower() == ".xlsx":
            with temp.open("r+b") as fh:
                safe.to_excel(fh, index=False, sheet_name=sheet, engine="openpyxl")
        else:
            with temp.open("w", encoding="utf-8", newline="") as fh:
                # Every text cell quoted; "\r\n" ends a row, so no bare "\r" or "\n"
                # inside a cell is ever outside its quotes.
                safe.to_csv(fh, index=False, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    return len(frame)
