"""Accounts with a PIN, what each role may see, and the audit log.

A PIN is short, so its hash must be slow: the standard library's scrypt with a
random salt per account, stored as ``scrypt$n$r$p$salt$hash`` so the cost can
be raised later without breaking old accounts. The owner is the first account;
staff can import and see the Dashboard and Alerts, never per-client money, pay
models, settings or exports.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import text

from barberbi_desktop.errors import InputError
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.pg import qmark

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
PIN_DIGITS = (4, 8)
OWNER_ONLY = ("clients", "revenue", "six_figure", "settings", "exports", "report")


@dataclass(frozen=True)
class User:
    user_id: int
    name: str
    role: str  # owner, staff
    active: bool = True  # False: disabled by the owner (a removed account is never listed)

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    def may(self, area: str) -> bool:
        """Whether this account may open ``area`` (see `OWNER_ONLY`)."""
        return self.is_owner or area not in OWNER_ONLY


def hash_pin(pin: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def pin_matches(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = base64.b64decode(digest)
    actual = hashlib.scrypt(
        pin.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
        dklen=len(expected),
    )  # fmt: skip
    return hmac.compare_digest(actual, expected)


def check_pin(pin: str) -> None:
    low, high = PIN_DIGITS
    if not (pin.isdigit() and low <= len(pin) <= high):
        raise InputError(f"A PIN is {low} to {high} digits.")


def has_users(db: Database) -> bool:
    with db.read() as conn:
        row = conn.execute(text("SELECT 1 FROM users WHERE active LIMIT 1")).first()
    return row is not None


def list_users(db: Database) -> list[User]:
    with db.read() as conn:
        rows = conn.execute(
            text("SELECT id, name, role FROM users WHERE active ORDER BY role DESC, name")
        ).all()
    return [User(int(i), str(n), str(r)) for i, n, r in rows]


def create_user(db: Database, name: str, role: str, pin: str, by: User | None = None) -> User:
    """The first account must be the owner; later ones only an owner may create."""
    name = name.strip()
    if not name:
        raise InputError("An account needs a name.")
    if role not in ("owner", "staff"):
        raise InputError(f"A role is owner or staff, not {role!r}.")
    check_pin(pin)
    first = not has_users(db)
    if first and role != "owner":
        raise InputError("The first account is the owner's.")
    if not first and (by is None or not by.is_owner):
        raise InputError("Only the owner can add accounts.")
    with db.write() as conn:
        taken = conn.execute(text("SELECT 1 FROM users WHERE name = :n"), {"n": name}).first()
        if taken:
            raise InputError(f"There is already an account called {name!r}.")
        user_id = conn.execute(
            text(
                "INSERT INTO users (name, role, pin_hash, created_utc, active) "
                "VALUES (:n, :r, :h, :t, :a) RETURNING id"
            ),
            {
                "n": name,
                "r": role,
                "h": hash_pin(pin),
                "t": int(datetime.now(UTC).timestamp()),
                "a": True,
            },
        ).scalar_one()
        _audit(conn, by.user_id if by else user_id, "user_created", {"name": name, "role": role})
    return User(int(user_id), name, role)


def log_in(db: Database, name: str, pin: str, via: str | None = None) -> User:
    """The account, if the PIN is right; every attempt is audited, and wrong PINs
    lock the account for a while (storage/accounts.py keeps the count)."""
    from barberbi_desktop.storage.accounts import verify_pin

    return verify_pin(db, name, pin, via=via)


def audit(db: Database, user_id: int | None, action: str, detail: dict[str, Any]) -> None:
    audit_many(db, user_id, action, [detail])


def audit_many(
    db: Database, user_id: int | None, action: str, details: list[dict[str, Any]]
) -> None:
    with db.write() as conn:
        for detail in details:
            _audit(conn, user_id, action, detail)


def audit_row(cur: Any, user_id: int | None, action: str, detail: dict[str, Any]) -> None:
    """Audit inside a raw driver transaction (sqlite3 or psycopg), so the entry lands
    with the change it records or not at all (an import that landed always has its entry)."""
    cur.execute(
        qmark(cur, "INSERT INTO audit_log (at_utc, user_id, action, detail) VALUES (?, ?, ?, ?)"),
        (int(datetime.now(UTC).timestamp()), user_id, action, json.dumps(detail, default=str)),
    )


def _audit(conn: Any, user_id: int | None, action: str, detail: dict[str, Any]) -> None:
    conn.execute(
        text("INSERT INTO audit_log (at_utc, user_id, action, detail) VALUES (:t, :u, :a, :d)"),
        {
            "t": int(datetime.now(UTC).timestamp()),
            "u": user_id,
            "a": action,
            "d": json.dumps(detail, default=str),
        },
    )


def audit_log(db: Database, limit: int = 500) -> pd.DataFrame:
    with db.read() as conn:
        rows = conn.execute(
            text(
                "SELECT a.id, a.at_utc, coalesce(u.name, '') AS who, a.action, "
                "CAST(a.detail AS TEXT) AS detail "
                "FROM audit_log a LEFT JOIN users u ON u.id = a.user_id "
                "ORDER BY a.id DESC LIMIT :n"
            ),
            {"n": limit},
        ).all()
    frame = pd.DataFrame(rows, columns=["id", "at_utc", "who", "action", "detail"])
    frame["at_utc"] = pd.to_datetime(frame["at_utc"], unit="s", utc=True)
    return frame
