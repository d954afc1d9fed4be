"""A file in one encoding, or refused where it is not; repaired only when the owner asks."""

from __future__ import annotations

from pathlib import Path

import pytest

from barberbi_desktop.cli import main
from barberbi_desktop.ingest.encoding import scan_text
from barberbi_desktop.storage.db import Database
from tests.import_helpers import FIXTURES, one, query, stored

HEADER = (FIXTURES / "template_week1.csv").read_text().splitlines()[0]


def _row(i: int, name: str, notes: str = "") -> str:
    return (
        f"E{i},2026-11-{1 + i:02d} 10:00,,completed,K{i},{name},,,Marco,Skin Fade,cut,"
        f"35,,,,card,online,,Main{notes}"
    )


def _mixed(tmp_path: Path, bom: bool = False) -> Path:
    """A UTF-8 export where one row was pasted in by a Windows program (cp1252)."""
    path = tmp_path / "export.csv"
    data = (("\ufeff" if bom else "") + HEADER + "\n").encode()
    data += (_row(1, "José Núñez") + "\n").encode("utf-8")
    data += (_row(2, "Zoë Ångström") + "\n").encode("utf-8")
    data += (_row(3, "Iñaki Peña") + "\n").encode("cp1252")  # the stray row
    data += (_row(4, "Renée Côté") + "\n").encode("utf-8")
    path.write_bytes(data)
    return path


def test_one_stray_cp1252_row_is_refused_with_its_row_and_column(
    db: Database, tmp_path: Path
) -> None:
    before = stored(db)
    r = one(db, _mixed(tmp_path))
    assert r.status == "rejected"
    assert r.reason == (
        "export.csv: row 4, column 6 (client_name) has the byte 0xF1, which is not UTF-8 like "
        "the rest of the file; save the file again as 'CSV UTF-8', or import it with "
        "--repair-encoding to read such bytes as Windows-1252."
    )
    assert stored(db) == before  # nothing written, no mojibake anywhere


def test_a_bom_file_with_a_stray_row_is_refused_too(db: Database, tmp_path: Path) -> None:
    r = one(db, _mixed(tmp_path, bom=True))
    assert r.status == "rejected" and "row 4, column 6 (client_name)" in (r.reason or "")


def test_the_owner_can_repair_the_stray_rows(db: Database, tmp_path: Path) -> None:
    r = one(db, _mixed(tmp_path), repair_encoding=True)
    assert r.status == "landed", r.reason
    names = [n for (n,) in query(db, "SELECT display_name FROM clients ORDER BY id")]
    assert names == ["José Núñez", "Zoë Ångström", "Iñaki Peña", "Renée Côté"]
    assert r.problems[0] == (
        "row 4, column 6 (client_name): 'Iñaki Peña' was not UTF-8 and was read as "
        "Windows-1252."
    )


def test_the_row_counts_records_not_lines(db: Database, tmp_path: Path) -> None:
    """A quoted note spanning two lines is one row, as the importer numbers rows."""
    path = tmp_path / "export.csv"
    path.write_bytes(
        (HEADER + ",notes\n" + _row(1, "Ann Lee", ',"line one\nline two"') + "\n").encode()
        + (_row(2, "Bob Stone", ",café") + "\n").encode()
        + (_row(3, "Cy Park", ",crème") + "\n").encode("cp1252")
    )
    r = one(db, path)
    assert "export.csv: row 4, column 20 (notes) has the byte 0xE8" in (r.reason or "")


def test_the_cli_flag_repairs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _mixed(tmp_path)
    shop = str(tmp_path / "cli.db")
    assert main(["--db", shop, "import", str(path)]) == 2
    assert "row 4, column 6 (client_name)" in capsys.readouterr().err
    assert main(["--db", shop, "import", "--repair-encoding", str(path)]) == 0
    assert "'Iñaki Peña' was not UTF-8" in capsys.readouterr().out


def test_a_pure_windows_file_still_imports(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "windows.csv"
    rows = [_row(i, name) for i, name in enumerate(["José Núñez", "Françoise", "Jürgen"], 1)]
    path.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode("cp1252"))
    assert scan_text(path).encoding == "cp1252"
    r = one(db, path)
    assert r.status == "landed" and r.problems == []
    names = [n for (n,) in query(db, "SELECT display_name FROM clients ORDER BY id")]
    assert names == ["José Núñez", "Françoise", "Jürgen"]


def test_a_byte_no_encoding_reads_is_refused_even_with_repair(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(
        (HEADER + "\n" + _row(1, "José") + "\n").encode()
        + (_row(2, "Bad") + "\n").encode().replace(b"Bad", b"B\x81d")
    )
    r = one(db, path, repair_encoding=True)
    assert r.status == "rejected"
    assert r.reason == (
        "export.csv is not in a text encoding BarberBI can read (UTF-8, UTF-16 or "
        "Windows-1252): row 3, column 6 (client_name) has the byte 0x81; save it again from "
        "Excel as 'CSV UTF-8'."
    )


def test_a_large_clean_file_scans_quickly(tmp_path: Path) -> None:
    """The check reads every byte; a clean file must not pay for line-by-line work."""
    import time

    path = tmp_path / "big.csv"
    line = (_row(1, "José Núñez") + "\n").encode()
    path.write_bytes(HEADER.encode() + b"\n" + line * 400_000)  # about 30 MB
    t0 = time.perf_counter()
    assert scan_text(path).encoding == "utf-8"
    assert time.perf_counter() - t0 < 2
