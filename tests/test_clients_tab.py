"""The Clients tab over a real LTV run: table, sorting, filters, detail and call lists."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from barberbi_desktop.jobs.runner import run_engine
from barberbi_desktop.storage.db import open_database
from barberbi_desktop.storage.results import client_scores, latest_run
from barberbi_desktop.ui.clients_tab import COLUMNS, ClientsTab, safe_cell
from barberbi_desktop.ui.tasks import TaskRunner

EVIL = '=HYPERLINK("http://evil.example","click")'
# A bare carriage return ends a row for readers that do not honour quotes: the line after
# it would be a formula cell of its own.
EVIL_LINE = "A\r=cmd|' /C calc'!A0"


@pytest.fixture(scope="module")
def scored(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clients") / "shop.db"
    shutil.copyfile(demo_db_file, path)
    db = open_database(path, create=False)
    run_engine(db, "ltv", date(2026, 11, 24))
    scores = client_scores(db, latest_run(db, "ltv").run_id)
    targets = scores[
        (scores["segment"] == "At-Risk") & scores["value_tier"].isin(["Premium VIP", "High Value"])
    ]
    with db.write() as conn:  # clients whose names are spreadsheet formulas
        for name, (_, target) in zip([EVIL, EVIL_LINE], targets.head(2).iterrows(), strict=True):
            conn.execute(
                text("UPDATE clients SET display_name = :n WHERE id = :i"),
                {"n": name, "i": int(target["client_id"])},
            )
    db.dispose()
    return path


@pytest.fixture
def tab(qtbot: QtBot, scored: Path) -> Iterator[ClientsTab]:
    db = open_database(scored, create=False)
    runner = TaskRunner()
    widget = ClientsTab(db, runner)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: widget.run is not None, timeout=10_000)
    yield widget
    runner.wait()
    db.dispose()


def test_every_scored_client_is_listed_most_valuable_first(tab: ClientsTab) -> None:
    assert tab.model.rowCount() == len(tab.scores) > 1000
    ltv_col = list(COLUMNS).index("ltv_cents")
    first = tab.model.data(tab.model.index(0, ltv_col), Qt.ItemDataRole.UserRole)
    second = tab.model.data(tab.model.index(1, ltv_col), Qt.ItemDataRole.UserRole)
    assert first == tab.scores["ltv_cents"].max() and first >= second
    assert tab.model.data(tab.model.index(0, ltv_col)).startswith("$")
    assert "Predictions use the combined model" in tab.quality.text()
    assert "closer than" in tab.quality.text() and "coin toss" in tab.quality.text()
    churn_col = list(COLUMNS).index("churn_risk")
    tip = tab.model.headerData(churn_col, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert tip and tip.startswith("Probability of no visit in the next 90 days")
    heights = tab.bars.opts["height"]
    assert heights.sum() == len(tab.scores)


def test_search_and_segment_filters(tab: ClientsTab) -> None:
    name = tab.scores["display_name"].iloc[5]
    tab.search.setText(name)
    assert 1 <= tab.model.rowCount() < 50
    tab.search.setText("")
    tab.segment.setCurrentText("Lapsed")
    lapsed = int((tab.scores["segment"] == "Lapsed").sum())
    assert tab.model.rowCount() == lapsed
    tab.segment.setCurrentText("All segments")
    assert tab.model.rowCount() == len(tab.scores)


def test_the_detail_says_why_and_what_to_do(tab: ClientsTab) -> None:
    tab.table.selectRow(0)
    row = tab.model.row(0)
    assert row["segment_rule"] in tab.detail.text() and "What to do" in tab.detail.text()


def test_call_list_exports_neutralise_formulas(tab: ClientsTab, tmp_path: Path) -> None:
    expected = tab.call_list()
    assert len(expected) > 0 and EVIL in set(expected["Client"])
    count = tab.export_call_list(tmp_path / "calls.csv")
    with (tmp_path / "calls.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert count == len(rows) == len(expected)
    assert "'" + EVIL in {r["Client"] for r in rows}
    assert all(not r["Client"].startswith("=") for r in rows)
    # E.164 phones start with '+', which spreadsheets read as a formula: shown as text.
    assert all(r["Phone"] == "" or r["Phone"].startswith("'+") for r in rows)
    tab.export_call_list(tmp_path / "calls.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "calls.xlsx").active
    names = [c.value for c in sheet["A"][1:]]
    assert "'" + EVIL in names and sheet["A1"].value == "Client"


def test_a_formula_after_a_line_break_stays_inside_its_quoted_cell(
    tab: ClientsTab, tmp_path: Path
) -> None:
    import os
    import stat

    out = tmp_path / "calls.csv"
    count = tab.export_call_list(out)
    raw = out.read_bytes()
    assert b"\"'A\r=cmd|' /C calc'!A0\"" in raw  # one quoted cell, neutralised as a whole
    with out.open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == count + 1 and {len(r) for r in rows} == {len(rows[0])}
    assert "'" + EVIL_LINE in {r[0] for r in rows}
    if os.name == "posix":
        assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_safe_cell_leaves_ordinary_values_alone() -> None:
    assert safe_cell("Ana Lee") == "Ana Lee" and safe_cell(12.5) == 12.5
    assert safe_cell("+15550100") == "'+15550100" and safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("Ana-Lee\nSmith") == "Ana-Lee\nSmith"
    assert safe_cell("Ana\n-1+1") == "'Ana\n-1+1" and safe_cell("Ana\r\n@x") == "'Ana\r\n@x"
    assert safe_cell("Ana\tLee") == "Ana\tLee" and safe_cell("\tAna") == "'\tAna"
