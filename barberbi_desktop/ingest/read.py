"""Reading an export file into chunks of text cells, whatever program wrote it.

Exports arrive as CSV in four encodings and several delimiters, or as XLSX
with report titles above the header and totals below. Everything here turns a
file into (header, chunks of strings with spreadsheet row numbers) and refuses
what is not a table with one sentence *before* any row is parsed, so nothing
downstream has to guess what kind of file it was given.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from barberbi_desktop.errors import InputError
from barberbi_desktop.ingest.encoding import Place, TextScan, locate, scan_text

HEADER_SCAN_ROWS = 40
CHUNK_ROWS = 50_000

_MAGIC: list[tuple[bytes, str]] = [
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"BM", "a bitmap image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
]
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_TOTAL_ROW = re.compile(
    r"^\s*(grand\s+)?(totals?|sum|subtotal|suma|razem|podsumowanie|gesamt|total général)\b",
    re.IGNORECASE,
)


@dataclass
class RawTable:
    """A file's header and a way to stream its rows as text.

    ``chunks()`` yields DataFrames of ``str`` cells (blank = ``""``) whose index
    is the row number a spreadsheet would show, so every problem can name it.
    """

    path: Path
    kind: str  # csv, xlsx
    header: list[str]
    header_row: int
    encoding: str | None = None
    delimiter: str | None = None
    encoding_errors: str = "strict"  # encoding.REPAIR when stray bytes are read as cp1252
    notes: list[str] = field(default_factory=list)  # for the report: rows read that way
    _open_rows: Callable[[], Iterator[list[str]]] | None = field(default=None, repr=False)

    def chunks(self, size: int | None = None) -> Iterator[pd.DataFrame]:
        size = size or CHUNK_ROWS
        if self.kind == "csv":
            yield from self._csv_chunks(size)
        else:
            yield from self._row_chunks(size)

    def _frame(self, rows: list[list[str]], first_row: int) -> pd.DataFrame:
        width = len(self.header)
        fixed = [(r + [""] * width)[:width] for r in rows]
        frame = pd.DataFrame(fixed, columns=self._unique_header(), dtype=str)
        frame.index = pd.RangeIndex(first_row, first_row + len(frame))
        return _drop_blank_and_totals(frame)

    def _unique_header(self) -> list[str]:
        seen: dict[str, int] = {}
        out = []
        for name in self.header:
            n = seen.get(name, 0)
            seen[name] = n + 1
            out.append(name if n == 0 else f"{name} ({n + 1})")
        return out

    def _csv_chunks(self, size: int) -> Iterator[pd.DataFrame]:
        row = self.header_row + 1
        try:
            reader = pd.read_csv(
                self.path,
                sep=self.delimiter,
                encoding=self.encoding,
                encoding_errors=self.encoding_errors,
                header=None,
                skiprows=self.header_row,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                chunksize=size,
                engine="c",
                quotechar='"',
                skip_blank_lines=False,
                skipinitialspace=True,
                on_bad_lines="error",
                names=self._unique_header(),
            )
            for chunk in reader:
                n = len(chunk)
                chunk.index = pd.RangeIndex(row, row + n)
                row += n
                yield _drop_blank_and_totals(chunk)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
            raise InputError(
                f"{self.path.name} cannot be read as a table near row {row}: {_short(exc)}."
            ) from exc

    def _row_chunks(self, size: int) -> Iterator[pd.DataFrame]:
        assert self._open_rows is not None
        rows: list[list[str]] = []
        first = self.header_row + 1
        number = self.header_row
        for cells in self._open_rows():
            number += 1
            rows.append(cells)
            if len(rows) >= size:
                yield self._frame(rows, first)
                rows, first = [], number + 1
        if rows:
            yield self._frame(rows, first)


def _short(exc: Exception) -> str:
    return str(exc).strip().split("\n")[0].rstrip(".")


def _drop_blank_and_totals(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop empty rows and report total rows ("Total", "Suma", ...) wherever they are.

    Only the first few columns are looked at for the total label: that is where
    every report puts it, and checking every cell of a million rows is slow.
    """
    if frame.empty:
        return frame
    keep = frame.ne("").any(axis=1)
    first_cell = pd.Series("", index=frame.index, dtype=object)
    for k in reversed(range(min(3, frame.shape[1]))):
        cell = frame.iloc[:, k].str.strip()
        first_cell = cell.where(cell.ne(""), first_cell)
    keep &= ~first_cell.str.match(_TOTAL_ROW)
    return frame[keep]


def _sniff_kind(path: Path, head: bytes) -> str:
    if not head:
        raise InputError(f"{path.name} is empty.")
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise InputError(
                f"{path.name} is {what}, not a booking export; export the report as CSV or "
                "Excel (.xlsx) from the booking platform."
            )
    if head.startswith(_OLE):
        blob = path.read_bytes()[: 1 << 20]
        if "EncryptionInfo".encode("utf-16-le") in blob:
            raise InputError(
                f"{path.name} is protected with a password, so it cannot be read; open it in "
                "Excel, remove the password (File > Info > Protect Workbook > Encrypt with "
                "Password, clear it) and save, or export the report again as CSV."
            )
        raise InputError(
            f"{path.name} is an old-style Excel 97-2003 workbook (.xls); open it in Excel or "
            "LibreOffice and save it as .xlsx or CSV, then import that file."
        )
    if head.startswith(_ZIP):
        return "xlsx"
    return "csv"


def open_table(
    path: Path, known_headers: set[str] | None = None, repair_encoding: bool = False
) -> RawTable:
    """Open ``path`` and find its header row; raises `InputError` for non-tables.

    ``repair_encoding``: read the bytes of a UTF-8 file that are not UTF-8 as
    Windows-1252 (listed in ``notes``) instead of refusing the file.
    """
    from barberbi_desktop.ingest.profiles import normalise_header

    if not path.exists():
        raise InputError(f"{path} does not exist.")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not an export file.")
    with path.open("rb") as fh:
        head = fh.read(8)
    kind = _sniff_kind(path, head)
    known = known_headers or set()

    def score(cells: list[str]) -> int:
        return sum(1 for c in cells if c and normalise_header(c) in known)

    if kind == "xlsx":
        return _open_xlsx(path, score)
    scan = scan_text(path)
    text = _head_text(path, scan.encoding, scan.errors)
    delimiter = _sniff_delimiter(path, text)
    try:
        try:
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            rows = [r for _, r in zip(range(HEADER_SCAN_ROWS), reader, strict=False)]
        except csv.Error as exc:
            raise InputError(f"{path.name} cannot be read as a table: {_short(exc)}.") from exc
        idx = _pick_header(path, rows, score)
    except InputError:
        if scan.stray_lines:  # the encoding is the first thing wrong with it
            _refuse_encoding(path, scan, delimiter, [], 0)
        raise
    header = _name_blanks([c.strip().lstrip("\ufeff") for c in rows[idx]])
    table = RawTable(path, "csv", header, header_row=idx + 1, encoding=scan.encoding,
                     delimiter=delimiter, encoding_errors=scan.errors)  # fmt: skip
    if scan.stray_lines:
        if scan.unreadable is not None or not repair_encoding:
            _refuse_encoding(path, scan, delimiter, header, idx + 1)
        table.notes = _repaired(path, scan, delimiter, header, idx + 1)
    return table


def _where(place: Place, header: list[str], header_row: int) -> str:
    if place.column == 0:
        return f"line {place.row}"
    known = place.row > header_row and place.column <= len(header)
    name = header[place.column - 1] if known else ""
    named = f" ({name})" if name and name != str(place.column) else ""
    return f"row {place.row}, column {place.column}{named}"


def _refuse_encoding(
    path: Path, scan: TextScan, delimiter: str, header: list[str], header_row: int
) -> None:
    if scan.unreadable is not None:
        [place] = locate(path, scan, delimiter, [scan.unreadable])
        raise InputError(
            f"{path.name} is not in a text encoding BarberBI can read (UTF-8, UTF-16 or "
            f"Windows-1252): {_where(place, header, header_row)} has the byte "
            f"0x{scan.unreadable.byte:02X}; save it again from Excel as 'CSV UTF-8'."
        )
    first = scan.stray[0]
    [place] = locate(path, scan, delimiter, [first])
    raise InputError(
        f"{path.name}: {_where(place, header, header_row)} has the byte 0x{first.byte:02X}, "
        "which is not UTF-8 like the rest of the file; save the file again as 'CSV UTF-8', "
        "or import it with --repair-encoding to read such bytes as Windows-1252."
    )


def _repaired(
    path: Path, scan: TextScan, delimiter: str, header: list[str], header_row: int
) -> list[str]:
    notes = [
        f"{_where(place, header, header_row)}: '{place.value}' was not UTF-8 and was read "
        "as Windows-1252."
        for place in locate(path, scan, delimiter, scan.stray)
    ]
    more = scan.stray_lines - len(scan.stray)
    if more:
        notes.append(f"{more} more lines were read the same way.")
    return notes


def _name_blanks(header: list[str]) -> list[str]:
    """Blank header cells (a trailing separator, a spacer column) get a visible name."""
    return [c or f"(column {k + 1})" for k, c in enumerate(header)]


def _pick_header(path: Path, rows: list[list[str]], score: Callable[[list[str]], int]) -> int:
    candidates = [(i, r) for i, r in enumerate(rows) if sum(1 for c in r if c.strip()) >= 2]
    if not candidates:
        if any(any(c.strip() for c in r) for r in rows):
            raise InputError(
                f"{path.name} has only one column; it does not look like a booking export "
                "(is it a list of notes, or saved with an unusual separator?)."
            )
        raise InputError(f"{path.name} is empty.")
    best_i, best_score = candidates[0][0], -1
    for i, r in candidates:
        s = score(r)
        if s > best_score:
            best_i, best_score = i, s
    if best_score == 0:
        # No known header anywhere: the first row that is as wide as the table below it.
        widths = [sum(1 for c in r if c.strip()) for _, r in candidates]
        widest = max(widths)
        best_i = next(i for (i, _), w in zip(candidates, widths, strict=True) if w >= widest * 0.8)
    return best_i


def _head_text(path: Path, encoding: str, errors: str) -> str:
    with path.open("r", encoding=encoding, errors=errors, newline="") as fh:
        return fh.read(256 * 1024)


def _sniff_delimiter(path: Path, text: str) -> str:
    lines = [ln for ln in text.splitlines()[:HEADER_SCAN_ROWS] if ln.strip()]
    if not lines:
        raise InputError(f"{path.name} is empty.")
    best, best_score = ",", -1.0
    for delim in (",", ";", "\t", "|"):
        try:
            counts = [len(next(csv.reader([ln], delimiter=delim))) for ln in lines]
        except csv.Error:
            continue
        wide = [c for c in counts if c > 1]
        if not wide:
            continue
        mode = max(set(wide), key=wide.count)
        score = wide.count(mode) * mode
        if score > best_score:
            best, best_score = delim, score
    return best


def _open_xlsx(path: Path, score: Callable[[list[str]], int]) -> RawTable:
    from barberbi_desktop.ingest import xlsx

    xlsx.check_package(path)  # sizes, ratio, cell runs: before any XML is parsed
    rows = xlsx.sheet_rows(path)
    try:
        head = [r for _, r in zip(range(HEADER_SCAN_ROWS), rows, strict=False)]
    finally:
        rows.close()
    idx = _pick_header(path, head, score)
    header = [c.strip() for c in head[idx]]
    while header and header[-1] == "":
        header.pop()
    header = _name_blanks(header)

    def body() -> Iterator[list[str]]:
        gen = xlsx.sheet_rows(path, width=len(header))  # cells past the header are dropped
        try:
            for _ in range(idx + 1):
                next(gen, None)
            yield from gen
        finally:
            gen.close()

    return RawTable(path, "xlsx", header, header_row=idx + 1, _open_rows=body)
