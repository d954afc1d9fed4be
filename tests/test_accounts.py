"""Accounts a shop can live with: lock-out, PIN change and reset, disabling and removing
staff, and the audit log in sentences."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from barberbi_desktop.errors import InputError
from barberbi_desktop.storage.accounts import change_pin as change_own_pin
from barberbi_desktop.storage.accounts import (
    list_accounts,
    lock_seconds,
    locked_for,
    remove_user,
    reset_pin,
    set_active,
    verify_pin,
    wait_text,
)
from barberbi_desktop.storage.audit_text import sentence
from barberbi_desktop.storage.db import Database, open_database
from barberbi_desktop.storage.users import audit_log, create_user, list_users, log_in
from tests.pg_server import db_arg


def _actions(db: Database) -> list[str]:
    return list(audit_log(db)["action"])[::-1]


def test_the_delay_starts_at_the_fifth_wrong_pin_doubles_and_is_capped() -> None:
    assert [lock_seconds(n) for n in range(1, 10)] == [0, 0, 0, 0, 30, 60, 120, 240, 480]
    assert lock_seconds(40) == lock_seconds(10_000) == 30 * 60
    assert wait_text(0.2) == "1 second" and wait_text(29.1) == "30 seconds"
    assert wait_text(240) == "4 minutes"


def test_five_wrong_pins_lock_the_account_and_a_restart_does_not_reset_it(
    empty_db: Database,
) -> None:
    owner = create_user(empty_db, "Ola", "owner", "2580")
    create_user(empty_db, "Sam", "staff", "1234", by=owner)
    start = time.time()
    for _ in range(4):
        with pytest.raises(InputError, match="do not match"):
            verify_pin(empty_db, "Sam", "0000", now=start)
    with pytest.raises(InputError, match="5 times in a row: Sam can try again in 30 seconds"):
        verify_pin(empty_db, "Sam", "0000", now=start)
    # Locked: even the right PIN is refused, with the time left, and is not checked.
    with pytest.raises(InputError, match=r"^Too many wrong PINs for Sam: try again in 20 seconds"):
        verify_pin(empty_db, "Sam", "1234", now=start + 10)
    # Another account is not affected.
    assert verify_pin(empty_db, "Ola", "2580", now=start + 10).is_owner

    # "Restart": a new connection to the same file sees the same lock.
    again = open_database(db_arg(empty_db), create=False)
    try:
        assert locked_for(again, "Sam", now=start + 10) == pytest.approx(20)
        with pytest.raises(InputError, match="try again in 60 seconds"):
            verify_pin(again, "Sam", "9999", now=start + 31)  # the sixth: 60 s
        assert verify_pin(again, "Sam", "1234", now=start + 92).name == "Sam"
        assert locked_for(again, "Sam", now=start + 92) == 0  # a right PIN clears the count
        with pytest.raises(InputError, match="do not match"):
            verify_pin(again, "Sam", "0000", now=start + 93)  # counting starts again
    finally:
        again.dispose()
    actions = _actions(empty_db)
    assert actions.count("locked_out") == 2 and actions.count("login_failed") == 7


def test_change_your_own_pin_needs_the_current_one(empty_db: Database) -> None:
    owner = create_user(empty_db, "Ola", "owner", "2580")
    with pytest.raises(InputError, match="do not match"):
        change_own_pin(empty_db, owner, "1111", "7777")
    with pytest.raises(InputError, match="4 to 8 digits"):
        change_own_pin(empty_db, owner, "2580", "77")
    change_own_pin(empty_db, owner, "2580", "7777")
    assert log_in(empty_db, "Ola", "7777").is_owner
    with pytest.raises(InputError, match="do not match"):
        log_in(empty_db, "Ola", "2580")
    assert "pin_changed" in _actions(empty_db)


def test_the_owner_resets_a_staff_pin_and_clears_the_lock(empty_db: Database) -> None:
    owner = create_user(empty_db, "Ola", "owner", "2580")
    sam = create_user(empty_db, "Sam", "staff", "1234", by=owner)
    for _ in range(5):
        with pytest.raises(InputError):
            log_in(empty_db, "Sam", "0000")
    assert locked_for(empty_db, "Sam") > 0
    with pytest.raises(InputError, match="Only the owner"):
        reset_pin(empty_db, sam, owner.user_id, "5555")
    with pytest.raises(InputError, match="Change my PIN"):
        reset_pin(empty_db, owner, owner.user_id, "5555")
    reset_pin(empty_db, owner, sam.user_id, "4321")
    assert locked_for(empty_db, "Sam") == 0
    assert log_in(empty_db, "Sam", "4321").name == "Sam"
    entry = audit_log(empty_db).query("action == 'pin_reset'").iloc[0]
    assert entry.who == "Ola" and '"Sam"' in entry.detail


def test_disable_enable_remove_and_the_last_owner_stays(empty_db: Database) -> None:
    owner = create_user(empty_db, "Ola", "owner", "2580")
    sam = create_user(empty_db, "Sam", "staff", "1234", by=owner)
    log_in(empty_db, "Sam", "1234")

    with pytest.raises(InputError, match=r"only owner.*always needs an owner"):
        set_active(empty_db, owner, owner.user_id, False)
    with pytest.raises(InputError, match="only owner"):
        remove_user(empty_db, owner, owner.user_id)
    with pytest.raises(InputError, match="Only the owner"):
        set_active(empty_db, sam, owner.user_id, False)

    set_active(empty_db, owner, sam.user_id, False)
    assert [u.name for u in list_users(empty_db)] == ["Ola"]  # the login list
    assert [(u.name, u.active) for u in list_accounts(empty_db)] == [
        ("Ola", True), ("Sam", False)
    ]
    with pytest.raises(InputError, match="Sam's account is disabled"):
        log_in(empty_db, "Sam", "1234")
    set_active(empty_db, owner, sam.user_id, True)
    assert log_in(empty_db, "Sam", "1234").name == "Sam"

    remove_user(empty_db, owner, sam.user_id)
    assert [u.name for u in list_accounts(empty_db)] == ["Ola"]
    with pytest.raises(InputError, match="do not match"):
        log_in(empty_db, "Sam", "1234")
    # The row stays, so Sam's logins still name him; the name is free for a new Sam.
    with empty_db.read() as conn:
        rows = conn.execute(text("SELECT count(*) FROM users")).scalar_one()
    assert rows == 2
    log = audit_log(empty_db)
    assert log.query("action == 'login'")["who"].str.startswith("Sam (removed ").all()
    create_user(empty_db, "Sam", "staff", "8888", by=owner)
    assert log_in(empty_db, "Sam", "8888").name == "Sam"

    # A second owner may be disabled; then the first is the last again.
    kim = create_user(empty_db, "Kim", "owner", "1357", by=owner)
    set_active(empty_db, owner, kim.user_id, False)
    with pytest.raises(InputError, match="Ola is the only owner"):
        remove_user(empty_db, owner, owner.user_id)
    assert {"user_disabled", "user_enabled", "user_removed"} <= set(_actions(empty_db))


@pytest.mark.parametrize(
    ("action", "who", "detail", "said"),
    [
        (
            "import", "Ana",
            {"file": "/home/ana/Downloads/fresha.csv", "platform": "fresha", "kind": "sales",
             "batch_id": 4, "inserted": 120, "updated": 3, "rejected": 0},
            "Ana imported fresha.csv (fresha): 120 new, 3 updated.",
        ),
        (
            "import_undone", "Ana", {"batch_id": 4, "file": "fresha.csv", "deleted": 120},
            "Ana undid the import of fresha.csv: 120 deleted.",
        ),
        ("login_failed", None, {"name": "Bob"}, "A wrong name or PIN was tried for 'Bob'."),
        ("backup", None, {"path": "/b/shop-2026.db"},
         "The command line made a backup: shop-2026.db."),
        (
            "settings_changed", "Ola", {"section": "schedule", "nightly_hour": [2, 3]},
            "Ola changed the schedule settings: nightly hour 2 -> 3.",
        ),
        ("export", "Ola", {"what": "owner report", "month": "2026-10", "path": "/x/r.pdf"},
         "Ola wrote the owner report for 2026-10 to r.pdf."),
        ("something_new", "Ola", {"count": 2}, "Ola: something new (count 2)."),
        ("import", "Ana", '{"file": 3, "inserted": "many"}', None),  # an odd old entry
    ],
)  # fmt: skip
def test_audit_entries_read_as_sentences(
    action: str, who: str | None, detail: object, said: str | None
) -> None:
    text_ = sentence(action, who, detail)  # type: ignore[arg-type]
    if said is not None:
        assert text_ == said
    assert text_.endswith(".") and "{" not in text_
