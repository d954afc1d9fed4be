"""Which text encoding a CSV export is in, checked byte by byte before it is read.

Exports come as UTF-8 (with or without a BOM), UTF-16 (Excel's "Unicode text")
or Windows-1252 (older Excel on Windows). A file must be in one of them
throughout: a UTF-8 file with one line saved by a Windows program used to be
read as Windows-1252 from top to bottom, turning every accented name into
``JosÃ© NÃºÃ±ez`` without a word. Now such a file is refused with the row and
column of its first stray byte; when the owner asks (``--repair-encoding``),
the bytes that are not UTF-8 are read as Windows-1252 and each row where that
happened is listed in the import report. A file that is not valid UTF-8 on any
line and reads as Windows-1252 everywhere is Windows-1252, as before.

The same pass refuses NUL bytes and lines over a megabyte before pandas would
try to hold them.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from barberbi_desktop.errors import InputError

MAX_LINE_BYTES = 1 << 20  # no real export has a 1 MB row; a file that does is not a table
SCAN_BLOCK = 1 << 20
KEEP_BAD = 20  # stray lines located and reported by row; the rest are counted
REPAIR = "barberbi-cp1252"  # codec error handler: undecodable UTF-8 bytes as Windows-1252


def _as_cp1252(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start : exc.end].decode("cp1252", errors="replace"), exc.end


codecs.register_error(REPAIR, _as_cp1252)


@dataclass(frozen=True)
class Stray:
    """A byte that is not valid in the file's encoding."""

    line: int  # physical line, 1-based
    at: int  # its position in that line, in bytes
    byte: int


@dataclass
class TextScan:
    encoding: str  # utf-8, utf-8-sig, utf-16 or cp1252
    stray: list[Stray] = field(default_factory=list)  # UTF-8 lines with other bytes (first few)
    stray_lines: int = 0  # how many such lines in all
    unreadable: Stray | None = None  # a byte no supported encoding reads

    @property
    def errors(self) -> str:
        """The codec error handler that reads the file (with its stray bytes repaired)."""
        return REPAIR if self.stray_lines else "strict"


def scan_text(path: Path) -> TextScan:
    """Check every byte of ``path``; raises `InputError` for binary data and long lines."""
    with path.open("rb") as fh:
        start = fh.read(4)
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _scan_utf16(path)
    bom = 3 if start.startswith(codecs.BOM_UTF8) else 0
    scan = _Lines(path)
    with path.open("rb") as fh:
        fh.seek(bom)
        carry = b""
        while block := fh.read(SCAN_BLOCK):
            nul = block.find(b"\x00")
            if nul >= 0:
                raise InputError(
                    f"{path.name} contains binary data (NUL bytes near byte "
                    f"{bom + scan.offset + len(carry) + nul}), so it is not a text export."
                )
            buffer = carry + block
            cut = buffer.rfind(b"\n") + 1
            scan.segment(buffer[:cut])
            carry = buffer[cut:]
            if len(carry) > MAX_LINE_BYTES:
                _too_long(path, scan.line)
        scan.segment(carry)
    if bom:
        return TextScan("utf-8-sig", scan.stray, scan.stray_lines, scan.unreadable)
    if not scan.stray_lines:
        return TextScan("utf-8")
    if not scan.utf8_seen and scan.unreadable is None:
        return TextScan("cp1252")
    return TextScan("utf-8", scan.stray, scan.stray_lines, scan.unreadable)


class _Lines:
    """Line-by-line bookkeeping for `scan_text`; whole blocks that decode skip it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.line = 1  # the line the next segment starts on
        self.offset = 0
        self.utf8_seen = False  # some line holds non-ASCII text that is valid UTF-8
        self.stray: list[Stray] = []
        self.stray_lines = 0
        self.unreadable: Stray | None = None

    def segment(self, data: bytes) -> None:
        """Whole lines (the last may lack its newline)."""
        if not data:
            return
        if len(data) > MAX_LINE_BYTES:
            for k, line in enumerate(data.split(b"\n")):
                if len(line) > MAX_LINE_BYTES:
                    _too_long(self.path, self.line + k)
        if data.isascii():
            pass
        elif _valid_utf8(data):
            self.utf8_seen = True
        else:
            for k, line in enumerate(data.split(b"\n")):
                if not line.isascii():
                    self._line(self.line + k, line)
        self.line += data.count(b"\n")
        self.offset += len(data)

    def _line(self, number: int, line: bytes) -> None:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.stray_lines += 1
            if len(self.stray) < KEEP_BAD:
                self.stray.append(Stray(number, exc.start, line[exc.start]))
            if self.unreadable is None:
                try:
                    line.decode("cp1252")
                except UnicodeDecodeError as bad:
                    self.unreadable = Stray(number, bad.start, line[bad.start])
            return
        self.utf8_seen = True


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _scan_utf16(path: Path) -> TextScan:
    decoder = codecs.getincrementaldecoder("utf-16")(errors="strict")
    line, offset = 1, 0
    try:
        with path.open("rb") as fh:
            while block := fh.read(SCAN_BLOCK):
                text = decoder.decode(block)
                line += text.count("\n")
                offset += len(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path.name} is damaged: it starts as UTF-16 text, but near line {line} "
            f"(byte {offset + exc.start}) it is not; export it again."
        ) from exc
    return TextScan("utf-16")


def _too_long(path: Path, line_no: int) -> None:
    raise InputError(
        f"{path.name}: line {line_no} is over 1 MB long, so this is not a booking export "
        "(or the file is damaged)."
    )


@dataclass(frozen=True)
class Place:
    """Where a stray byte is, as a spreadsheet shows it."""

    row: int
    column: int
    value: str  # the whole cell, read with the stray bytes as Windows-1252


def locate(path: Path, scan: TextScan, delimiter: str, strays: list[Stray]) -> list[Place]:
    """Row (CSV record, blank lines counted, as the importer numbers rows) and column of
    each stray byte. Reads only as far as the last one."""
    wanted = sorted(strays, key=lambda s: s.line)
    places: dict[Stray, Place] = {}
    consumed: list[bytes] = []  # the raw lines of the record being read
    state = {"line": 0}
    codec = "utf-8" if scan.encoding == "utf-8-sig" else scan.encoding

    def lines() -> Iterator[str]:
        with path.open("rb") as fh:
            if scan.encoding == "utf-8-sig":
                fh.seek(3)
            for raw in fh:
                state["line"] += 1
                consumed.append(raw)
                yield raw.decode(codec, errors=REPAIR)

    reader = csv.reader(lines(), delimiter=delimiter)
    row = 0
    first = 1
    try:
        for record in reader:
            row += 1
            last = state["line"]
            for stray in [s for s in wanted if first <= s.line <= last]:
                before = b"".join(consumed[: stray.line - first])
                prefix = (before + consumed[stray.line - first][: stray.at]).decode(
                    codec, errors=REPAIR
                )
                column = max(1, len(_last_record(prefix, delimiter)))
                value = record[column - 1] if column <= len(record) else ""
                places[stray] = Place(row, column, value)
                wanted.remove(stray)
            if not wanted:
                break
            consumed.clear()
            first = last + 1
    except csv.Error:  # a broken quote: say the line, which is what is known
        pass
    return [places.get(s) or Place(s.line, 0, "") for s in strays]


def _last_record(text: str, delimiter: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return rows[-1] if rows else []
