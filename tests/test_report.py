"""The monthly owner report: a two-page PDF from the CLI and the window; bad months refused."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from barberbi_desktop.cli import main
from barberbi_desktop.engines.month import monthly
from barberbi_desktop.storage.db import open_database
from barberbi_desktop.storage.frames import load_shop_data
from barberbi_desktop.ui.main_window import MainWindow


def _pages(pdf: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))


@pytest.fixture
def shop(demo_db_file: Path, tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    shutil.copyfile(demo_db_file, path)
    assert main(["--db", str(path), "run", "revenue", "--as-of", "2026-11-24"]) == 0
    return path


def test_cli_writes_a_two_page_report(shop: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    assert main(["--db", str(shop), "report", "--month", "2026-10", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF") and _pages(out) == 2


def test_month_figures_match_the_appointments(shop: Path) -> None:
    db = open_database(shop, create=False)
    try:
        data = load_shop_data(db)
    finally:
        db.dispose()
    f = monthly(data, "2026-10")
    local = data.local_start()
    october = data.appointments[(local >= "2026-10-01") & (local < "2026-11-01")]
    done = october[october["status"] == "completed"]
    head = f.headline.set_index("figure")["this_month"]
    assert head["Revenue"] == done["revenue_cents"].sum()
    assert head["Visits"] == len(done)
    assert f.daily.sum() == done["revenue_cents"].sum() and len(f.daily) == 31
    assert f.by_barber["revenue"].sum() == done["revenue_cents"].sum()


def test_bad_months_are_refused_and_write_nothing(
    shop: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.pdf"
    assert main(["--db", str(shop), "report", "--month", "October", "--out", str(out)]) == 2
    assert "write the month as YYYY-MM" in capsys.readouterr().err
    assert main(["--db", str(shop), "report", "--month", "2019-01", "--out", str(out)]) == 2
    assert "no appointments in January 2019" in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob(".r.pdf*"))


def test_the_window_writes_the_report_off_the_gui_thread(
    qtbot: QtBot, shop: Path, tmp_path: Path
) -> None:
    db = open_database(shop, create=False)
    try:
        window = MainWindow(db)
        qtbot.addWidget(window)
        out = tmp_path / "from-app.pdf"
        window.write_report("2026-10", out)
        qtbot.waitUntil(lambda: "saved to" in window.status.text(), timeout=20_000)
        assert _pages(out) == 2
        window.close()
    finally:
        db.dispose()


def test_figures_an_export_never_had_are_unknown_in_the_month() -> None:
    from tests.random_shop import ShopSpec, build

    bare = build(ShopSpec(seed=2, visits=200, days=60, has_tips=False, has_status=False),
                 date(2026, 11, 24))  # fmt: skip
    head = monthly(bare, "2026-10").headline.set_index("figure")["this_month"]
    for figure in ("Tips", "No-show rate", "Cancellation rate"):
        assert np.isnan(head[figure]), figure  # was 0 (and 0% no-shows)
    assert head["Revenue"] > 0 and head["Product sales"] > 0
    full = build(ShopSpec(seed=2, visits=200, days=60), date(2026, 11, 24))
    head = monthly(full, "2026-10").headline.set_index("figure")["this_month"]
    assert head["Tips"] > 0 and 0 < head["No-show rate"] < 1
