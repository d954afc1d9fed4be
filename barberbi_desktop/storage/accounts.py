"""Living with accounts: checking a PIN with a lock-out, changing and resetting PINs,
disabling and removing staff.

A four-digit PIN falls to 10,000 guesses, so after `LOCK_AFTER` wrong PINs in a row
an account makes the next try wait (30 s, doubling, capped at `LOCK_MAX_S`). The
count lives in the settings table (key ``login.lockout.<id>``), so closing the app
or the command line does not reset it; a right PIN or an owner's reset clears it.

A removed account is never deleted: the audit log refers to it. It is marked
inactive, gets an unusable PIN hash (`REMOVED`) and a name that says so, which
frees the name for a new account while its history still reads "Sam (removed
2026-11-24)". The shop always keeps one active owner.
"""

from __future__ import annotations

import json
import math
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, text

from barberbi_desktop.errors import InputError
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.users import User, _audit, check_pin, hash_pin, pin_matches

LOCK_AFTER = 5
LOCK_FIRST_S, LOCK_MAX_S = 30, 30 * 60
REMOVED = "removed"  # the pin_hash of a removed account: pin_matches never accepts it
NO_MATCH = "That name and PIN do not match an account."


class LockedOut(InputError):
    """A refusal that says how long the account must wait, so a dialog can count down."""

    def __init__(self, message: str, seconds: float) -> None:
        super().__init__(message)
        self.seconds = seconds


def lock_seconds(failures: int) -> int:
    """How long the next try waits after ``failures`` wrong PINs in a row."""
    if failures < LOCK_AFTER:
        return 0
    return min(LOCK_FIRST_S * 2 ** min(failures - LOCK_AFTER, 16), LOCK_MAX_S)


def wait_text(seconds: float) -> str:
    """'25 seconds' or '4 minutes', rounded up so the time said is never too short."""
    whole = max(1, math.ceil(seconds))
    if whole <= 90:
        return f"{whole} second{'s' if whole != 1 else ''}"
    minutes = math.ceil(whole / 60)
    return f"{minutes} minutes"


def _key(user_id: int) -> str:
    return f"login.lockout.{user_id}"


def _lock_state(conn: Connection, user_id: int) -> dict[str, Any]:
    raw = conn.execute(text("SELECT value FROM settings WHERE key = :k"), {"k": _key(user_id)})
    value = raw.scalar()
    state = json.loads(value) if isinstance(value, str) else value
    return state if isinstance(state, dict) else {"failures": 0, "until": 0}


def _set_lock(conn: Connection, user_id: int, state: dict[str, Any] | None) -> None:
    if state is None:
        conn.execute(text("DELETE FROM settings WHERE key = :k"), {"k": _key(user_id)})
        return
    conn.execute(
        text(
            "INSERT INTO settings (key, value, type) VALUES (:k, :v, 'json') "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value, type = excluded.type"
        ),
        {"k": _key(user_id), "v": json.dumps(state)},
    )


def locked_for(db: Database, name: str, now: float | None = None) -> float:
    """Seconds until ``name`` may try a PIN again (0: now)."""
    now = time.time() if now is None else now
    with db.read() as conn:
        user_id = conn.execute(text("SELECT id FROM users WHERE name = :n"), {"n": name}).scalar()
        if user_id is None:
            return 0.0
        until = float(_lock_state(conn, int(user_id)).get("until", 0))
    return max(0.0, until - now)


def _locked_sentence(name: str, left: float) -> str:
    return f"Too many wrong PINs for {name}: try again in {wait_text(left)}."


def verify_pin(
    db: Database, name: str, pin: str, via: str | None = None, now: float | None = None
) -> User:
    """The account if ``pin`` is right. A locked account is refused before its PIN is
    even hashed; a wrong PIN counts towards (and may start) the lock, audited."""
    now = time.time() if now is None else now
    with db.read() as conn:
        row = conn.execute(
            text("SELECT id, role, pin_hash, active FROM users WHERE name = :n"), {"n": name}
        ).first()
        until = 0.0 if row is None else float(_lock_state(conn, int(row[0])).get("until", 0))
    detail: dict[str, Any] = {"name": name} | ({"via": via} if via else {})
    if row is not None and until > now:
        raise LockedOut(_locked_sentence(name, until - now), until - now)
    ok = row is not None and pin_matches(pin, row[2])
    wait = 0
    with db.write() as conn:
        if row is None:
            _audit(conn, None, "login_failed", detail)
            raise_after = NO_MATCH
        elif ok:
            _set_lock(conn, int(row[0]), None)
            if not row[3]:
                _audit(conn, int(row[0]), "login_failed", detail | {"reason": "disabled"})
                raise_after = f"{name}'s account is disabled; the owner can enable it in Settings."
            else:
                _audit(conn, int(row[0]), "login", detail)
                raise_after = ""
        else:
            state = _lock_state(conn, int(row[0]))
            failures = int(state.get("failures", 0)) + 1
            wait = lock_seconds(failures)
            _set_lock(conn, int(row[0]), {"failures": failures, "until": now + wait})
            _audit(conn, int(row[0]), "login_failed", detail)
            raise_after = NO_MATCH
            if wait:
                _audit(conn, int(row[0]), "locked_out",
                       {"name": name, "failures": failures, "seconds": wait})  # fmt: skip
                raise_after = (
                    f"That PIN is wrong, {failures} times in a row: {name} can try again "
                    f"in {wait_text(wait)}."
                )
    if raise_after and wait:
        raise LockedOut(raise_after, wait)
    if raise_after:
        raise InputError(raise_after)
    assert row is not None
    return User(int(row[0]), name, str(row[1]))


def list_accounts(db: Database) -> list[User]:
    """Every account that is not removed, disabled ones too (the owner may enable them)."""
    with db.read() as conn:
        rows = conn.execute(
            text(
                "SELECT id, name, role, active FROM users WHERE pin_hash != :r "
                "ORDER BY role != 'owner', active DESC, name"
            ),
            {"r": REMOVED},
        ).all()
    return [User(int(i), str(n), str(r), bool(a)) for i, n, r, a in rows]


def change_pin(db: Database, user: User, current: str, new: str) -> None:
    """Change one's own PIN; the current one is checked like a login (and counts)."""
    check_pin(new)
    verify_pin(db, user.name, current, via="PIN change")
    with db.write() as conn:
        conn.execute(
            text("UPDATE users SET pin_hash = :h WHERE id = :i"),
            {"h": hash_pin(new), "i": user.user_id},
        )
        _audit(conn, user.user_id, "pin_changed", {"name": user.name})


def _target(conn: Connection, by: User | None, user_id: int, doing: str) -> tuple[str, str, bool]:
    if by is None or not by.is_owner:
        raise InputError(f"Only the owner can {doing}.")
    row = conn.execute(
        text("SELECT name, role, active FROM users WHERE id = :i AND pin_hash != :r"),
        {"i": user_id, "r": REMOVED},
    ).first()
    if row is None:
        raise InputError("That account no longer exists.")
    return str(row[0]), str(row[1]), bool(row[2])


def _keep_an_owner(conn: Connection, user_id: int, name: str, role: str, doing: str) -> None:
    if role != "owner":
        return
    others = conn.execute(
        text("SELECT count(*) FROM users WHERE role = 'owner' AND active AND id != :i"),
        {"i": user_id},
    ).scalar_one()
    if not others:
        raise InputError(
            f"{name} is the only owner, so the account cannot be {doing}: "
            "the shop always needs an owner."
        )


def reset_pin(db: Database, by: User | None, user_id: int, new: str) -> None:
    """The owner gives an account a new PIN (a forgotten one); clears any lock-out."""
    check_pin(new)
    with db.write() as conn:
        name, _role, _active = _target(conn, by, user_id, "reset a PIN")
        assert by is not None
        if user_id == by.user_id:
            raise InputError("Change your own PIN with Change my PIN; it asks for the current one.")
        conn.execute(
            text("UPDATE users SET pin_hash = :h WHERE id = :i"),
            {"h": hash_pin(new), "i": user_id},
        )
        _set_lock(conn, user_id, None)
        _audit(conn, by.user_id, "pin_reset", {"name": name})


def set_active(db: Database, by: User | None, user_id: int, active: bool) -> None:
    """Disable an account (it can no longer log in) or enable it again."""
    with db.write() as conn:
        name, role, was = _target(conn, by, user_id, "disable or enable accounts")
        assert by is not None
        if was == active:
            return
        if not active:
            _keep_an_owner(conn, user_id, name, role, "disabled")
        conn.execute(
            text("UPDATE users SET active = :a WHERE id = :i"), {"a": bool(active), "i": user_id}
        )
        _audit(conn, by.user_id, "user_enabled" if active else "user_disabled", {"name": name})


def remove_user(db: Database, by: User | None, user_id: int) -> None:
    """Remove an account for good, keeping the row its audit history refers to."""
    with db.write() as conn:
        name, role, _active = _target(conn, by, user_id, "remove accounts")
        assert by is not None
        _keep_an_owner(conn, user_id, name, role, "removed")
        day = datetime.now(UTC).date().isoformat()
        new_name = f"{name} (removed {day})"
        taken = conn.execute(text("SELECT 1 FROM users WHERE name = :n"), {"n": new_name})
        if taken.first() is not None:
            new_name = f"{name} (removed {day}, #{user_id})"
        conn.execute(
            text("UPDATE users SET active = :off, pin_hash = :r, name = :n WHERE id = :i"),
            {"off": False, "r": REMOVED, "n": new_name, "i": user_id},
        )
        _set_lock(conn, user_id, None)
        _audit(conn, by.user_id, "user_removed", {"name": name})
