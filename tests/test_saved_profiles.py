"""Saved mappings: map an unknown export once, and next month's is detected by itself."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from barberbi_desktop.cli import main
from barberbi_desktop.errors import InputError
from barberbi_desktop.ingest.profiles import profiles
from barberbi_desktop.ingest.saved_profiles import (
    check_name,
    from_toml,
    save_profile,
    saved_profiles,
    to_toml,
)
from barberbi_desktop.storage.db import Database, open_database
from tests.import_helpers import address, query

HEADER = "When,Who,Stylist,What,Amount,Chair notes"
MAP = ["--platform", "barberbi", "--map", "start=When", "--map", "client_name=Who",
       "--map", "barber=Stylist", "--map", "service=What", "--map", "price=Amount"]  # fmt: skip


def _till(path: Path, *rows: str) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main([*args, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else {}


def test_save_detect_next_month_and_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    target = str(tmp_path / "shop.db")
    october = _till(tmp_path / "till-october.csv", "2026-10-30 10:00,Al,Marco,Cut,20.00,",
                    "2026-10-31 11:00,Bea,Dee,Beard Trim,15.00,window")  # fmt: skip
    code, out = _run(capsys, "--db", target, "import", str(october), *MAP,
                     "--save-profile", "corner_till")  # fmt: skip
    assert code == 0 and out["saved_profile"] == "corner_till"
    assert out["files"][0]["inserted"] == 2
    # November's export overlaps October's last day: detected, and the overlap is known.
    november = _till(tmp_path / "till-november.csv", "2026-10-31 11:00,Bea,Dee,Beard Trim,15.00,"
                     "window", "2026-11-02 09:00,Cal,Marco,Cut,20.00,")  # fmt: skip
    code, out = _run(capsys, "--db", target, "import", str(november))
    (r,) = out["files"]
    assert code == 0 and r["platform"] == "corner_till" and r["confidence"] >= 0.9
    assert (r["inserted"], r["updated"], r["unchanged"]) == (1, 0, 1)
    code, out = _run(capsys, "--db", target, "import", "--export-profile", "corner_till")
    data = tomllib.loads(out["profile"])
    assert (data["name"], data["kind"], data["family"]) == ("corner_till", "appointments",
                                                           "barberbi")  # fmt: skip
    assert data["columns"] == {"start": ["When"], "client_name": ["Who"], "barber": ["Stylist"],
                               "service": ["What"], "price": ["Amount"]}  # fmt: skip
    assert main(["--db", target, "import", "--export-profile", "corner_till"]) == 0
    assert capsys.readouterr().out == out["profile"]  # plain TOML on stdout
    db = open_database(target, create=False)
    try:
        assert from_toml(out["profile"]) == saved_profiles(db)["corner_till"]
        assert query(db, "SELECT name, base FROM import_profiles") == [("corner_till", "barberbi")]
        assert query(db, "SELECT COUNT(*) FROM appointments") == [(3,)]
    finally:
        db.dispose()


def test_a_saved_profile_is_a_platform_and_a_bad_name_stops_before_importing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = str(tmp_path / "shop.db")
    till = _till(tmp_path / "till.csv", "2026-10-30 10:00,Al,Marco,Cut,20.00,")
    for name, says in (("Corner Till", "cannot be a profile name"),
                       ("fresha", "exists already")):  # fmt: skip
        assert main(["--db", target, "import", str(till), *MAP, "--save-profile", name]) == 2
        assert says in capsys.readouterr().err
    db = open_database(target, create=False)
    try:
        assert query(db, "SELECT COUNT(*) FROM import_batches") == [(0,)]
    finally:
        db.dispose()
    assert main(["--db", target, "import", str(till), *MAP, "--save-profile", "till"]) == 0
    other = _till(tmp_path / "renamed.csv", "2026-11-03 10:00,Al,Marco,Cut,20.00,")
    assert main(["--db", target, "import", str(other), "--platform", "till"]) == 0
    assert main(["--db", target, "import", str(till), *MAP, "--save-profile", "till"]) == 2
    assert "A profile called 'till' exists already" in capsys.readouterr().err


def test_a_refused_file_saves_nothing(db: Database, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    bad = _till(tmp_path / "till.csv", "not a date,Al,Marco,Cut,20.00,")
    code, out = _run(capsys, "--db", address(db), "import", str(bad), *MAP,
                     "--save-profile", "till")  # fmt: skip
    assert code == 2 and out["saved_profile"] is None
    assert saved_profiles(db) == {}


def test_names_and_the_mapping_are_checked(db: Database) -> None:
    with pytest.raises(InputError, match="cannot be a profile name"):
        check_name(db, "x")
    with pytest.raises(InputError, match="maps no column"):
        save_profile(db, "empty", "barberbi", {"start": ""})
    with pytest.raises(InputError, match="not a platform"):
        save_profile(db, "nowhere", "no_such_platform", {"start": "When"})
    saved = save_profile(db, "on_a_list", "fresha_clients", {"client_id": "Kundennummer"})
    assert (saved.kind, saved.family, saved.signature) == ("clients", "fresha", ["Kundennummer"])
    # One made on a saved profile keeps the built-in one as its base.
    save_profile(db, "second", "on_a_list", {"client_email": "E-Mail"})
    assert query(db, "SELECT name, base FROM import_profiles ORDER BY name") == [
        ("on_a_list", "fresha_clients"), ("second", "fresha_clients")
    ]  # fmt: skip


@pytest.mark.parametrize("name", sorted(profiles()))
def test_every_built_in_profile_survives_the_toml_round_trip(name: str) -> None:
    assert from_toml(to_toml(profiles()[name])) == profiles()[name]


def test_the_import_dialog_offers_to_save_a_changed_mapping(
    qtbot: QtBot, db: Database, tmp_path: Path
) -> None:
    from barberbi_desktop.ui.imports_tab import ImportsTab
    from barberbi_desktop.ui.tasks import TaskRunner
    from tests.import_helpers import FIXTURES

    runner = TaskRunner()
    tab = ImportsTab(db, runner)
    qtbot.addWidget(tab)
    path = tmp_path / "fresha-export.csv"
    path.write_text((FIXTURES / "fresha.csv").read_text().replace("Team member", "Chair"))
    dialog = tab.open_dialog(path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=10_000)
    assert dialog.save_row.isHidden()  # nothing changed yet, nothing to save
    barber = dialog.field_boxes["barber"]
    barber.setCurrentIndex(barber.findData("Chair"))
    assert not dialog.save_row.isHidden()
    dialog.save_mapping.setChecked(True)
    dialog.profile_name.setText("fresha_chairs")
    with qtbot.waitSignal(dialog.finished_import, timeout=20_000):
        dialog.import_button.click()
    qtbot.waitUntil(lambda: "Mapping saved as fresha_chairs" in dialog.outcome.text(),
                    timeout=10_000)  # fmt: skip
    saved = saved_profiles(db)["fresha_chairs"]
    assert saved.columns["barber"] == ["Chair"] and saved.family == "fresha"
    qtbot.waitUntil(lambda: runner.pending == 0)
    runner.wait()
