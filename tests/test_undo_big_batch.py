"""Undoing a batch that is most of the shop rebuilds the visit tables' indexes once
instead of taking every row out of every index (benchmarks/undo.py: 300,000 visits in
about 2 s, was 6-12 s), and leaves the shop exactly as it was, indexes included."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from barberbi_desktop.ingest import load
from barberbi_desktop.ingest.importer import undo_last_import
from barberbi_desktop.storage.db import Database
from tests.import_helpers import one, query, snapshot
from tests.template_rows import write_template_rows


def _indexes(db: Database) -> list[tuple[str, ...]]:
    if db.is_postgres:
        return query(db, "SELECT indexname, indexdef FROM pg_indexes "
                         "WHERE schemaname = 'public' ORDER BY indexname")  # fmt: skip
    assert db.path is not None
    conn = sqlite3.connect(db.path)
    try:
        return conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
        ).fetchall()
    finally:
        conn.close()


@pytest.fixture
def rebuilt(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    calls: list[tuple[str, ...]] = []
    real = load.deferred_indexes

    def spy(cur: sqlite3.Cursor, tables: Any) -> Any:
        calls.append(tuple(tables))
        return real(cur, tables)

    monkeypatch.setattr(load, "deferred_indexes", spy)
    return calls


def test_undo_of_a_batch_that_is_most_of_the_shop_rebuilds_and_restores_exactly(
    empty_db: Database, tmp_path: Path, rebuilt: list[tuple[str, ...]]
) -> None:
    assert one(empty_db, write_template_rows(tmp_path / "shop.csv", 300, seed=3)).status == "landed"
    before, indexes = snapshot(empty_db), _indexes(empty_db)
    big = write_template_rows(tmp_path / "big.csv", 20_000, seed=5, first_id=1_000_000)
    assert one(empty_db, big).inserted == 20_000
    rebuilt.clear()  # the import itself may defer indexes too

    undone = undo_last_import(empty_db)

    assert ("sale_items",) in rebuilt and ("appointments",) in rebuilt
    assert undone["removed"] > 20_000
    assert snapshot(empty_db) == before and _indexes(empty_db) == indexes
    if empty_db.is_postgres:  # the server's indexes were never dropped (storage.bulk)
        return
    assert empty_db.path is not None
    conn = sqlite3.connect(empty_db.path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


def test_undo_of_a_small_batch_keeps_the_indexes(
    empty_db: Database, tmp_path: Path, rebuilt: list[tuple[str, ...]]
) -> None:
    assert one(empty_db, write_template_rows(tmp_path / "shop.csv", 300, seed=3)).status == "landed"
    before = snapshot(empty_db)
    one(empty_db, write_template_rows(tmp_path / "few.csv", 50, seed=5, first_id=1_000_000))
    rebuilt.clear()
    undo_last_import(empty_db)
    assert rebuilt == [] and snapshot(empty_db) == before
