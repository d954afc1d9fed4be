"""Workbooks that would eat the computer: refused in seconds, in bounded memory, in a sentence.

The bombs are written here (never committed): a workbook is a ZIP of XML, so a
sheet or a shared string of repeated text compresses about a thousand to one.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from barberbi_desktop.errors import InputError
from barberbi_desktop.ingest import xlsx
from barberbi_desktop.ingest.read import open_table

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _workbook(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _replace_part(package: bytes, name: str, write) -> bytes:
    """Rewrite one part of a workbook; ``write(fh)`` streams the new content."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as src, zipfile.ZipFile(
        out, "w", zipfile.ZIP_DEFLATED, compresslevel=9
    ) as dst:
        for item in src.infolist():
            if item.filename == name:
                with dst.open(name, "w") as fh:
                    write(fh)
            else:
                dst.writestr(item, src.read(item.filename))
    return out.getvalue()


def _with_sheet(rows: list[list[str]], prolog: str = "") -> bytes:
    """A workbook whose first sheet is exactly these inline strings (openpyxl itself
    cuts a long cell at 32,767 characters when it writes)."""
    body = "".join(
        f'<row r="{i}">'
        + "".join(f'<c t="inlineStr"><is><t>{cell}</t></is></c>' for cell in row)
        + "</row>"
        for i, row in enumerate(rows, start=1)
    )
    sheet = f'<?xml version="1.0"?>{prolog}<worksheet xmlns="{NS}"><sheetData>{body}'
    sheet += "</sheetData></worksheet>"
    return _replace_part(_workbook([["x"]]), "xl/worksheets/sheet1.xml",
                         lambda fh: fh.write(sheet.encode()))  # fmt: skip


def _sheet_with_one_huge_cell(megabytes: int) -> bytes:
    """One inline-string cell of ``megabytes`` MB of the same letter."""
    head = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>client</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>'
    ).encode()
    tail = b"</t></is></c></row></sheetData></worksheet>"

    def write(fh) -> None:
        fh.write(head)
        block = b"A" * (1 << 20)
        for _ in range(megabytes):
            fh.write(block)
        fh.write(tail)

    return _replace_part(_workbook([["x"]]), "xl/worksheets/sheet1.xml", write)


_MEASURE = """
import json, resource, sys, time
from pathlib import Path
from barberbi_desktop.errors import InputError
from barberbi_desktop.ingest.read import open_table
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
try:
    table = open_table(Path(sys.argv[1]))
    rows = sum(len(c) for c in table.chunks())
    outcome = f"read {rows} rows"
except InputError as exc:
    outcome = str(exc)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "seconds": time.perf_counter() - t0,
                  "grew_mb": (after - before) / 1024, "peak_mb": after / 1024}))
"""


def _measure(path: Path) -> dict[str, object]:
    """Open ``path`` in a fresh process whose address space is capped at 1.5 GB (today's
    reader would take 4.5 GB); report what it said, how long and how much memory."""
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))\n"
    done = subprocess.run(
        [sys.executable, "-c", limit + _MEASURE, str(path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_compressed_huge_cell_is_refused_in_seconds_with_little_memory(tmp_path: Path) -> None:
    bomb = tmp_path / "Appointments.xlsx"
    bomb.write_bytes(_sheet_with_one_huge_cell(400))
    assert bomb.stat().st_size < 1_000_000  # 400 MB of text in under a megabyte
    result = _measure(bomb)
    print(f"\nbomb of {bomb.stat().st_size / 1024:.0f} KB: {result}")
    assert "Appointments.xlsx" in str(result["outcome"]) and "ZIP bomb" in str(result["outcome"])
    assert float(result["seconds"]) < 5
    assert float(result["grew_mb"]) < 500


def test_a_part_that_lies_about_its_size_is_refused_unread(tmp_path: Path) -> None:
    """The directory says 1 KB; inflating would give 50 MB. zipfile stops at 1 KB."""
    path = tmp_path / "liar.xlsx"
    data = bytearray(_sheet_with_one_huge_cell(50))
    name = b"xl/worksheets/sheet1.xml"
    entry = data.rfind(b"PK\x01\x02", 0, data.rfind(name))  # its central directory record
    assert data[entry + 46 : entry + 46 + len(name)] == name
    data[entry + 24 : entry + 28] = (1024).to_bytes(4, "little")  # the uncompressed size
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as z:
        assert z.getinfo("xl/worksheets/sheet1.xml").file_size == 1024
    result = _measure(path)
    assert "liar.xlsx is a damaged Excel workbook" in str(result["outcome"])
    assert float(result["grew_mb"]) < 500 and float(result["seconds"]) < 5


def test_a_long_cell_that_does_not_compress_is_refused(tmp_path: Path) -> None:
    import random

    rng = random.Random(7)
    text = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(300_000))
    path = tmp_path / "notes.xlsx"
    path.write_bytes(_with_sheet([["client", "notes"], ["Ann", text]]))
    with pytest.raises(InputError, match=r"notes\.xlsx holds a text longer than any Excel cell"):
        open_table(path)


def test_a_cell_over_excels_limit_but_under_the_byte_cap_is_refused_with_its_row(
    tmp_path: Path,
) -> None:
    path = tmp_path / "notes.xlsx"
    path.write_bytes(_with_sheet([["client", "notes"], ["Ann", "x"], ["Bob", "y" * 40_000]]))
    with pytest.raises(InputError, match=r"notes\.xlsx: row 3, column 2 holds 40,000 characters"):
        list(open_table(path).chunks())


def test_a_forged_sheet_size_does_not_pad_rows_to_16384_cells(tmp_path: Path) -> None:
    """The declared A1:XFD20001 made every row 16,384 cells wide: 330 million cells."""
    body = "".join(
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>C{i}</t></is></c>'
        f'<c r="B{i}"><v>{i}</v></c></row>'
        for i in range(2, 20_002)
    )
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}">'
        '<dimension ref="A1:XFD20001"/><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>client</t></is></c>'
        f'<c r="B1" t="inlineStr"><is><t>price</t></is></c></row>{body}'
        "</sheetData></worksheet>"
    ).encode()
    path = tmp_path / "forged.xlsx"
    path.write_bytes(_replace_part(_workbook([["x"]]), "xl/worksheets/sheet1.xml",
                                   lambda fh: fh.write(sheet)))  # fmt: skip
    t0 = time.perf_counter()
    table = open_table(path)
    rows = [tuple(r) for chunk in table.chunks() for r in chunk.itertuples(index=False)]
    assert table.header == ["client", "price"] and len(rows) == 20_000
    assert rows[0] == ("C2", "2") and rows[-1] == ("C20001", "20001")
    assert time.perf_counter() - t0 < 5


def test_rows_past_excels_limit_are_refused(tmp_path: Path) -> None:
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>client</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>price</t></is></c></row>'
        '<row r="2000000000"><c r="A2000000000"><v>1</v></c></row>'
        "</sheetData></worksheet>"
    ).encode()
    path = tmp_path / "far.xlsx"
    path.write_bytes(_replace_part(_workbook([["x"]]), "xl/worksheets/sheet1.xml",
                                   lambda fh: fh.write(sheet)))  # fmt: skip
    t0 = time.perf_counter()
    with pytest.raises(InputError, match=r"far\.xlsx has a row numbered 2,000,000,000, past"):
        open_table(path)
    assert time.perf_counter() - t0 < 2
    with pytest.raises(InputError, match=r"has more than 1,000 rows, more than Excel"):
        list(xlsx.sheet_rows(path, limits=xlsx.Limits(rows=1000)))  # the reader's own cap


def test_too_many_cells_are_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "wide.xlsx"
    path.write_bytes(_workbook([["client", "price"]] + [["Ann", 35]] * 600))
    with pytest.raises(InputError, match=r"wide\.xlsx has more than 1,000 cells in one sheet"):
        xlsx.check_package(path, xlsx.Limits(cells=1000))
    xlsx.check_package(path, xlsx.Limits(cells=1202))  # exactly at the cap: fine


def test_malformed_xml_is_one_sentence(tmp_path: Path) -> None:
    good = _workbook([["client", "price"], ["Ann", 35]])
    path = tmp_path / "cut.xlsx"
    with zipfile.ZipFile(io.BytesIO(good)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    cut = sheet[: sheet.index(b"</sheetData>")] + b'<row r="3"><c r="A3"><v>'
    path.write_bytes(_replace_part(good, "xl/worksheets/sheet1.xml", lambda fh: fh.write(cut)))
    with pytest.raises(InputError) as caught:
        list(open_table(path).chunks())
    message = str(caught.value)
    assert message.startswith("cut.xlsx is a damaged Excel workbook (the sheet breaks off after")
    assert message.count(". ") == 0 and "\n" not in message


def test_a_dtd_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dtd.xlsx"
    laughs = '<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    path.write_bytes(_with_sheet([["client", "price"], ["&b;", "35"]], prolog=laughs))
    with pytest.raises(InputError, match=r"dtd\.xlsx is a damaged Excel workbook .*DTD"):
        open_table(path)


def test_an_ordinary_workbook_still_reads(tmp_path: Path) -> None:
    from datetime import datetime

    path = tmp_path / "ok.xlsx"
    path.write_bytes(_workbook([["Report"], [], ["client", "start", "price"],
                                ["Ann", datetime(2026, 11, 2, 10, 0), 35.0],
                                ["Bob", datetime(2026, 11, 2, 11, 0), 25.5]]))  # fmt: skip
    table = open_table(path, {"client", "start", "price"})
    assert table.header == ["client", "start", "price"] and table.header_row == 3
    [chunk] = list(table.chunks())
    assert chunk.to_dict("records") == [
        {"client": "Ann", "start": "2026-11-02 10:00:00", "price": "35"},
        {"client": "Bob", "start": "2026-11-02 11:00:00", "price": "25.5"},
    ]
    assert list(chunk.index) == [4, 5]


def test_a_workbook_saved_with_a_csv_name_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "Appointments.csv"
    path.write_bytes(_workbook([["client", "price"], ["Ann", 35]]))
    table = open_table(path, {"client", "price"})
    assert table.kind == "xlsx" and [list(c.iloc[0]) for c in table.chunks()] == [["Ann", "35"]]


@given(
    st.integers(0, 40),
    st.lists(st.tuples(st.sampled_from([b"<", b">"]), st.integers(0, 40)), max_size=12),
)
@settings(max_examples=200, deadline=None)
def test_the_long_run_check_agrees_with_a_plain_measurement(lead: int, parts) -> None:
    """Runs between tag marks, at every length around the cap, in any order."""
    data = b"y" * lead + b"".join(mark + b"x" * length for mark, length in parts)
    longest = max((len(r) for r in re.split(rb"[<>]", data)), default=0)
    assert xlsx._has_long_run(data, limit=16) == (longest >= 16)
