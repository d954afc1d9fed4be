"""The command line asks for the owner's PIN once a shop has accounts, and audits
reports, backups, restores, runs and undos with the account."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from barberbi_desktop.cli import main
from barberbi_desktop.ingest.importer import import_files
from barberbi_desktop.storage.accounts import locked_for
from barberbi_desktop.storage.db import Database, open_database
from barberbi_desktop.storage.users import audit_log, create_user
from tests.pg_server import db_arg

FIXTURES = Path(__file__).parent / "data" / "imports"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str, tty: bool = False) -> None:
    monkeypatch.setattr(sys, "stdin", _Terminal(text) if tty else io.StringIO(text))


def _shop(empty_db: Database) -> str:
    owner = create_user(empty_db, "Ola", "owner", "2580")
    create_user(empty_db, "Sam", "staff", "1234", by=owner)
    path = db_arg(empty_db)
    empty_db.dispose()
    return path


def _log(path: str) -> list[tuple[str, str, str]]:
    db = open_database(path, create=False)
    try:
        log = audit_log(db)
    finally:
        db.dispose()
    return [(r.action, r.who, r.detail) for r in log.itertuples()][::-1]


def test_guarded_commands_ask_for_the_owners_pin_on_stdin(
    empty_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    path = _shop(empty_db)
    out = tmp_path / "copy.db"
    _stdin(monkeypatch, "")
    assert main(["--db", str(path), "backup", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "needs the owner's name and PIN" in err and err.count("\n") == 1
    assert not out.exists()

    _stdin(monkeypatch, "0000\n")
    assert main(["--db", str(path), "backup", "--out", str(out), "--user", "Ola"]) == 2
    assert capsys.readouterr().err == "barberbi: That name and PIN do not match an account.\n"
    assert not out.exists()

    _stdin(monkeypatch, "1234\n")  # staff: right PIN, wrong role
    assert main(["--db", str(path), "--user", "Sam", "backup", "--out", str(out)]) == 2
    assert "Sam is a staff account; only the owner" in capsys.readouterr().err

    _stdin(monkeypatch, "2580\n")
    assert main(["--db", str(path), "backup", "--out", str(out), "--user", "Ola"]) == 0
    assert out.exists()
    log = _log(path)
    assert [a for a, _, _ in log][-4:] == ["login_failed", "login", "login", "backup"]
    _action, who, detail = log[-1]
    assert who == "Ola" and json.loads(detail)["path"] == str(out)
    assert json.loads(log[-2][2]) == {"name": "Ola", "via": "command line"}


def test_the_terminal_prompts_for_name_and_pin_without_echo(
    empty_db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _shop(empty_db)
    asked: list[str] = []

    def fake_getpass(prompt: str, stream: object = None) -> str:
        asked.append(prompt)
        return "2580"

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    _stdin(monkeypatch, "Ola\n", tty=True)
    assert main(["--db", str(path), "audit", "--limit", "5"]) == 0
    out = capsys.readouterr()
    assert asked == ["PIN: "] and "Owner's account name:" in out.err
    assert "Ola logged in (command line)." in out.out
    assert "{" not in out.out  # sentences, not JSON
    assert _log(path)[-1][:2] == ("audit_viewed", "Ola")


def test_wrong_pins_on_the_command_line_count_towards_the_lock_out(
    empty_db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _shop(empty_db)
    for _ in range(5):
        _stdin(monkeypatch, "9999\n")
        assert main(["--db", str(path), "--user", "Ola", "audit"]) == 2
    _stdin(monkeypatch, "2580\n")
    assert main(["--db", str(path), "--user", "Ola", "audit"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("barberbi: Too many wrong PINs for Ola: try again in ")
    db = open_database(path, create=False)
    try:
        assert 25 < locked_for(db, "Ola") <= 30
    finally:
        db.dispose()


@pytest.mark.sqlite_only  # the file's backups and audit log; PG: test_pg_backup
def test_undo_and_restore_are_audited_with_the_owner(
    empty_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_user(empty_db, "Ola", "owner", "2580")
    import_files(empty_db, [FIXTURES / "fresha.csv"])
    path = Path(str(empty_db.engine.url.database))
    empty_db.dispose()
    backup = tmp_path / "before.db"
    _stdin(monkeypatch, "2580\n")
    assert main(["--db", str(path), "backup", "--out", str(backup), "--user", "Ola"]) == 0

    _stdin(monkeypatch, "2580\n")
    assert main(["--db", str(path), "import", "--undo", "--user", "Ola"]) == 0
    undo = [e for e in _log(path) if e[0] == "import_undone"]
    assert len(undo) == 1 and undo[0][1] == "Ola"

    _stdin(monkeypatch, "0000\n")
    assert main(["--db", str(path), "restore", str(backup), "--user", "Ola"]) == 2
    assert not list(tmp_path.glob("*.before-restore-*"))  # a wrong PIN changes nothing
    _stdin(monkeypatch, "2580\n")
    assert main(["--db", str(path), "restore", str(backup), "--user", "Ola"]) == 0
    action, who, detail = _log(path)[-1]
    assert (action, who, json.loads(detail)) == ("restore", "", {"path": str(backup), "by": "Ola"})


@pytest.mark.sqlite_only  # the file's backups and audit log; PG: test_pg_backup
def test_without_accounts_commands_run_as_before_and_are_audited(
    empty_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = Path(str(empty_db.engine.url.database))
    empty_db.dispose()
    _stdin(monkeypatch, "")
    out = tmp_path / "b.db"
    assert main(["--db", str(path), "backup", "--out", str(out)]) == 0
    action, who, detail = _log(path)[-1]
    assert (action, who, json.loads(detail)["path"]) == ("backup", "", str(out))


def test_a_real_process_reads_the_pin_from_stdin(empty_db: Database, tmp_path: Path) -> None:
    path = _shop(empty_db)
    env = os.environ | {"PYTHONPATH": str(Path(__file__).parents[1])}
    cmd = [sys.executable, "-m", "barberbi_desktop", "--db", str(path), "audit", "--json",
           "--user", "Ola"]  # fmt: skip
    done = subprocess.run(cmd, input="2580\n", capture_output=True, text=True, env=env,
                          timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    entries = json.loads(done.stdout)["entries"]
    assert entries[0]["said"] == "Ola logged in (command line)."
    wrong = subprocess.run(cmd, input="1111\n", capture_output=True, text=True, env=env,
                           timeout=60, check=False)  # fmt: skip
    assert (wrong.returncode, wrong.stdout) == (2, "")
    assert wrong.stderr == "barberbi: That name and PIN do not match an account.\n"
