"""An Excel workbook's first sheet as rows of text, read within limits.

A workbook is a ZIP of XML files, and its size on disk says little about what it
holds: a 409 KB file with one cell of repeated text took 4.5 GB of memory before
it was refused, and a 1 MB one ended in MemoryError. So nothing is parsed until
the ZIP's own directory passes (declared sizes, compression ratio) and every XML
part has been scanned as raw bytes, block by block, for a run of text longer
than any cell, too many cells, a row number past Excel's last row and a DTD.
Only then does openpyxl read the first sheet, streaming (read-only), its rows
capped at Excel's own limit. A damaged workbook is refused with one sentence
that names the file.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from barberbi_desktop.errors import InputError

MAX_UNCOMPRESSED = 1 << 30  # all parts together, as the ZIP declares them
MAX_SHARED_STRINGS = 64 << 20  # openpyxl holds the whole table in memory
MAX_RATIO = 100  # real sheets deflate 5-25 to 1; a bomb about 1,000 to 1
RATIO_FROM = 1 << 20  # small parts (blank sheets, styles) may compress further
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
MAX_RUN_BYTES = 256 << 10  # the raw XML of one text run: 32,767 characters, escaped
MAX_CELLS = 20_000_000
MAX_ROWS = 1_048_576  # Excel's own limit
_BLOCK = 1 << 20
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s>/]")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)")
_ROW_NUMBER = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\s[^>]*?\br=\"(\d+)")


@dataclass(frozen=True)
class Limits:
    """The caps, as one value, so a test can lower them."""

    uncompressed: int = MAX_UNCOMPRESSED
    shared_strings: int = MAX_SHARED_STRINGS
    ratio: float = MAX_RATIO
    cells: int = MAX_CELLS
    rows: int = MAX_ROWS


def _damaged(path: Path, what: str) -> InputError:
    return InputError(
        f"{path.name} is a damaged Excel workbook ({what}), so it cannot be read; open it in "
        "Excel and save it again, or export the report as CSV."
    )


def check_package(path: Path, limits: Limits = Limits()) -> None:
    """Refuse a workbook whose parts would not fit in memory or time, before parsing.

    Python's zipfile never inflates a part past the size the directory declares
    (it stops and reports a bad checksum), so the declared sizes bound the work.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            total = sum(p.file_size for p in parts)
            if total > limits.uncompressed:
                raise InputError(
                    f"{path.name} would expand to {total / 2**20:,.0f} MB when opened, more "
                    f"than BarberBI reads from one workbook ({limits.uncompressed >> 20:,} MB); "
                    "export a shorter date range, or export it as CSV."
                )
            for part in parts:
                _check_part(path, part, limits)
            for part in parts:
                if part.filename.endswith((".xml", ".rels")):
                    _scan_part(path, archive, part, limits)
    except zipfile.BadZipFile as exc:
        raise _damaged(path, _short(exc)) from exc
    except (OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise _damaged(path, _short(exc)) from exc


def _check_part(path: Path, part: zipfile.ZipInfo, limits: Limits) -> None:
    ratio = part.file_size / max(part.compress_size, 1)
    if part.file_size > RATIO_FROM and ratio > limits.ratio:
        raise InputError(
            f"{path.name} holds a part ({part.filename}) that expands {ratio:,.0f} times when "
            "opened, which no real export does (it looks like a ZIP bomb), so it was not read."
        )
    if part.filename.lower().endswith("sharedstrings.xml") and (
        part.file_size > limits.shared_strings
    ):
        raise InputError(
            f"{path.name} has {part.file_size / 2**20:,.0f} MB of text in its shared strings, "
            f"more than BarberBI reads ({limits.shared_strings >> 20} MB); export it as CSV."
        )


def _scan_part(
    path: Path, archive: zipfile.ZipFile, part: zipfile.ZipInfo, limits: Limits
) -> None:
    """One pass over a part's raw bytes: no run of text longer than a cell, no DTD, and
    not too many cells. Each block is searched in C; memory stays at two blocks."""
    cells = 0
    carry = b""
    with archive.open(part) as fh:
        while True:
            block = fh.read(_BLOCK)
            buffer = carry + block
            if not block:
                complete, carry = buffer, b""
            else:  # hold back the unfinished run or tag for the next block
                cut = max(buffer.rfind(b"<"), buffer.rfind(b">"))
                cut = 0 if cut < 0 else cut
                complete, carry = buffer[:cut], buffer[cut:]
                if len(carry) > MAX_RUN_BYTES + 1:
                    _too_long(path, part)
            if _has_long_run(complete):
                _too_long(path, part)
            if _DTD.search(complete):
                raise _damaged(path, f"{part.filename} declares a DTD, which workbooks never do")
            numbers = _ROW_NUMBER.findall(complete)
            if numbers and max(map(int, numbers)) > limits.rows:
                raise InputError(
                    f"{path.name} has a row numbered {max(map(int, numbers)):,}, past the "
                    f"{limits.rows:,} rows Excel itself holds, so it is damaged or not an "
                    "export."
                )
            cells += len(_CELL.findall(complete))
            if cells > limits.cells:
                raise InputError(
                    f"{path.name} has more than {limits.cells:,} cells in one sheet, more "
                    "than BarberBI reads from a workbook; export a shorter date range, or "
                    "export it as CSV."
                )
            if not block:
                return


def _has_long_run(data: bytes, limit: int = MAX_RUN_BYTES) -> bool:
    """True if ``data`` holds ``limit`` bytes in a row without ``<`` or ``>``.

    Such a run covers a whole window of ``limit // 2`` bytes at a multiple of that
    size, so only windows with no tag mark in them are measured exactly; real XML
    has one every few dozen bytes, and the check costs a few searches per block.
    """
    window = max(limit // 2, 1)
    for start in range(0, len(data), window):
        stop = min(start + window, len(data))
        if data.find(b"<", start, stop) >= 0 or data.find(b">", start, stop) >= 0:
            continue
        left = max(data.rfind(b"<", 0, start), data.rfind(b">", 0, start)) + 1
        ends = [i for i in (data.find(b"<", stop), data.find(b">", stop)) if i >= 0]
        if (min(ends) if ends else len(data)) - left >= limit:
            return True
    return False


def _too_long(path: Path, part: zipfile.ZipInfo) -> None:
    raise InputError(
        f"{path.name} holds a text longer than any Excel cell can ({MAX_CELL_CHARS:,} "
        f"characters) in {part.filename}, so it is damaged or not an export; export the "
        "report again."
    )


def _short(exc: BaseException) -> str:
    """The first sentence of a library's message, to fit inside ours."""
    return str(exc).strip().split("\n")[0].split(". ")[0].rstrip(".") or type(exc).__name__


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def sheet_rows(
    path: Path, width: int | None = None, limits: Limits = Limits()
) -> Iterator[list[str]]:
    """The first sheet's rows as text (call `check_package` first), ``width`` cells each
    if given. The sheet's declared size is ignored: a forged one made every row 16,384
    cells wide. Rows missing in between come back empty, up to Excel's limit."""
    from openpyxl import load_workbook

    fh = path.open("rb")  # a file, not a name: openpyxl refuses names not ending .xlsx
    try:
        wb = load_workbook(fh, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises whatever its parsers hit on a bad file
        fh.close()
        raise _damaged(path, _short(exc)) from exc
    number = 0
    try:
        if not wb.worksheets:
            raise _damaged(path, "it has no sheet")
        ws = wb.worksheets[0]
        ws.reset_dimensions()
        for values in ws.iter_rows(max_col=width, values_only=True):
            number += 1
            if number > limits.rows:
                raise InputError(
                    f"{path.name} has more than {limits.rows:,} rows, more than Excel itself "
                    "holds, so it is damaged or not an export."
                )
            cells = [cell_text(v) for v in values]
            for k, cell in enumerate(cells):
                if len(cell) > MAX_CELL_CHARS:
                    raise InputError(
                        f"{path.name}: row {number}, column {k + 1} holds {len(cell):,} "
                        f"characters, more than an Excel cell can ({MAX_CELL_CHARS:,}), so the "
                        "file is damaged or not an export."
                    )
            yield cells
    except InputError:
        raise
    except Exception as exc:
        where = f"after row {number}" if number else "before its first row"
        raise _damaged(path, f"the sheet breaks off {where}: {_short(exc)}") from exc
    finally:
        wb.close()
        fh.close()
