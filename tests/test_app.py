"""The window opens and closes cleanly, and the CLI keeps its exit-status promises."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from barberbi_desktop.cli import main
from barberbi_desktop.storage.db import Database
from barberbi_desktop.ui.main_window import TABS, MainWindow


def test_the_window_opens_on_the_demo_shop_and_closes(qtbot: QtBot, demo_db: Database) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == [t[0] for t in TABS]
    qtbot.waitUntil(lambda: window.summary is not None, timeout=5000)
    assert "BarberBI Demo Shop" in window.status.text()
    assert f"{window.summary.appointments:,} appointments" in window.status.text()
    assert window.windowTitle() == "BarberBI — BarberBI Demo Shop"
    window.close()
    assert window.runner.pending == 0


def test_an_empty_shop_says_what_is_missing(qtbot: QtBot, empty_db: Database) -> None:
    window = MainWindow(empty_db)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.summary is not None, timeout=5000)
    assert window.status.text().startswith("shop.db · no visits yet")  # a name, not a URL
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=5000)
    assert window.built("Revenue") is None  # not opened yet, so not built or read
    window.tabs.setCurrentIndex(2)  # builds the tab on the next event-loop turn
    qtbot.waitUntil(lambda: window.built("Revenue") is not None, timeout=5000)
    revenue = window.built("Revenue")
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=5000)
    assert revenue.empty.isHidden() and not revenue.no_visits.isHidden()  # no visits: not "yet"
    assert "No visits yet" in revenue.no_visits.sentence.text()
    settings = window.settings_tab
    assert window.tabs.widget(6).page is settings
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=5000)
    assert settings.locations.table.rowCount() == 0 and settings.barbers.table.rowCount() == 0
    window.close()


def test_tab_shortcuts_switch_tabs(qtbot: QtBot, empty_db: Database) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    window = MainWindow(empty_db)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 2
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=5000)
    window.close()


def test_demo_command_writes_a_shop_and_reports_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "demo.db"
    code = main(["demo", "--db", str(target), "--seed", "3", "--end", "2026-06-30", "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["appointments"] > 10_000 and report["locations"] == 1
    assert main(["demo", "--db", str(target)]) == 2
    assert "already holds appointments" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"not a database at all", "is not a BarberBI database"), (None, "does not exist")],
)
def test_a_bad_db_gives_one_sentence_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    path = tmp_path / "x.db"
    if content is not None:
        path.write_bytes(content)
    assert main(["--db", str(path), "backup", "--out", str(tmp_path / "b.db")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and err.count("\n") == 0
    if content is not None:
        assert path.read_bytes() == content


def test_backup_and_restore_round_trip(tmp_path: Path, demo_db_file: Path) -> None:
    import shutil

    live = tmp_path / "shop.db"
    shutil.copyfile(demo_db_file, live)
    assert main(["--db", str(live), "backup", "--out", str(tmp_path / "copy.db")]) == 0
    live.write_bytes(b"")  # disaster strikes
    assert main(["--db", str(live), "restore", str(tmp_path / "copy.db")]) == 0
    from barberbi_desktop.storage.db import open_database
    from barberbi_desktop.storage.summary import shop_summary

    db = open_database(live, create=False)
    assert shop_summary(db).appointments > 10_000
    db.dispose()


def test_import_contracts_keep_qt_out_of_the_model_layers() -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=root, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_screenshots_writes_one_png_per_tab(
    tmp_path: Path, demo_db_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "shots"
    assert main(["--db", str(demo_db_file), "screenshots", "--out", str(out), "--json"]) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    assert [Path(f).name for f in files] == [
        "01-dashboard.png",
        "02-clients.png",
        "03-revenue.png",
        "04-six-figure.png",
        "05-alerts.png",
        "06-imports.png",
        "07-settings.png",
    ]
    for f in files:
        data = Path(f).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 5000


def test_the_window_remembers_tab_geometry_and_the_clients_and_alerts_filters(
    qtbot: QtBot, empty_db: Database, tmp_path: Path
) -> None:
    from PySide6.QtCore import QSettings

    settings = QSettings(str(tmp_path / "view.ini"), QSettings.Format.IniFormat)
    first = MainWindow(empty_db, settings=settings)
    qtbot.addWidget(first)
    first.resize(640, 480)  # the offscreen screen is 800 x 600
    first.tabs.setCurrentIndex(3)
    first.clients.segment.setCurrentText("At-Risk")
    first.clients.search.setText("Lee")
    first.alerts.priority.setCurrentText("High")
    first.alerts.rule.setCurrentIndex(first.alerts.rule.findData("vip_at_risk"))
    first.close()
    qtbot.waitUntil(lambda: first.runner.pending == 0, timeout=5000)
    again = MainWindow(
        empty_db, settings=QSettings(str(tmp_path / "view.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(again)
    assert again.tabs.currentIndex() == 3
    assert again.clients.segment.currentText() == "At-Risk"
    assert again.clients.search.text() == "Lee"
    assert again.alerts.priority.currentText() == "High"
    assert again.alerts.rule.currentData() == "vip_at_risk"
    assert (again.size().width(), again.size().height()) == (640, 480)
    qtbot.waitUntil(lambda: again.runner.pending == 0, timeout=5000)
    again.close()
