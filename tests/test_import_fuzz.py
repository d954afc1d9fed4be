"""Property: any file is either imported cleanly or refused with a sentence, never half-done.

Hypothesis feeds arbitrary bytes and arbitrary mutations of valid exports. A
refusal must be an `InputError`-style report (no other exception escapes) and
must leave the database byte-for-byte as it was.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from barberbi_desktop.ingest.importer import Importer
from barberbi_desktop.storage.db import open_database
from tests.import_helpers import FIXTURES, NOW, file_bytes

VALID = [
    (FIXTURES / name).read_bytes()
    for name in ("template_week1.csv", "fresha.csv", "acuity.csv", "booksy.csv", "calendly.csv")
]
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A shop that already holds one import, so a bad file has something to damage."""
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "seed.db"
    db = open_database(path)
    Importer(db, now=NOW).import_files([FIXTURES / "template_week1.csv"])
    db.dispose()
    return path


def _check(seeded: Path, tmp_path: Path, content: bytes, suffix: str = ".csv") -> None:
    work = tmp_path / "shop.db"
    for extra in ("-wal", "-shm"):
        Path(str(work) + extra).unlink(missing_ok=True)
    shutil.copyfile(seeded, work)
    export = tmp_path / f"export{suffix}"
    export.write_bytes(content)
    before = file_bytes(work)
    db = open_database(work, create=False)
    try:
        (report,) = Importer(db, now=NOW).import_files([export])
    finally:
        db.dispose()
    if report.status == "rejected":
        assert report.reason and "\n" not in report.reason
        assert file_bytes(work) == before
    else:
        assert report.status == "landed"
        conn = sqlite3.connect(work)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            batch = conn.execute(
                "SELECT rows_read, inserted + updated + unchanged + rejected FROM import_batches "
                "ORDER BY id DESC LIMIT 1"
            ).fetchone()
        finally:
            conn.close()
        assert batch[0] == report.rows_read and batch[1] >= report.rows_read - report.rejected


@SETTINGS
@given(content=st.binary(max_size=2000))
def test_arbitrary_bytes(seeded: Path, tmp_path: Path, content: bytes) -> None:
    _check(seeded, tmp_path, content)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "dup_line", "cell"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=12))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 40))]
        elif op == "truncate":
            del data[pos:]
        elif op == "dup_line":
            lines = bytes(data).split(b"\n")
            k = draw(st.integers(0, len(lines) - 1))
            lines.insert(k, lines[k])
            data = bytearray(b"\n".join(lines))
        else:
            text = draw(st.sampled_from(
                [b"-45", b"($1,000,000.00)", b"2099-01-01", b"31/02/2026", b"\"", b";", b"\t",
                 b"N/A", b"1e308", b"\xe9", b"cancelled", b"=cmd|' /C calc'!A0"]
            ))  # fmt: skip
            data[pos:pos] = text
    return bytes(data)


@SETTINGS
@given(content=mutated())
def test_mutations_of_valid_exports(seeded: Path, tmp_path: Path, content: bytes) -> None:
    _check(seeded, tmp_path, content)
