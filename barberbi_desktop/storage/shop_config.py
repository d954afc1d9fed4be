"""What the owner can change in Settings, validated, saved and audited.

Qt-free so the rules are tested without a window: each save checks every row
first and either writes all of it or nothing, with one sentence naming the
row and field that is wrong. Engines read the targets and weights saved here
(see `kpi_settings` and `methodology_settings`), the alert jobs the rules'
thresholds (`alert_settings`); the scheduler reads the schedule; imports read the
premium price threshold (`premium_threshold_cents`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any
from zoneinfo import available_timezones

import pandas as pd
from sqlalchemy import text

from barberbi_desktop.alerts.rules import (
    COOLDOWN,
    DOLLARS,
    PRIORITIES,
    RULES,
    AlertSettings,
    cooldown_hours,
)
from barberbi_desktop.engines.kpi import KpiSettings
from barberbi_desktop.engines.methodology import MethodologySettings
from barberbi_desktop.errors import InputError
from barberbi_desktop.storage import premium
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.pg import qmark
from barberbi_desktop.storage.settings import get_setting, set_setting
from barberbi_desktop.storage.target_units import kpi_label, kpi_unit, parse_target
from barberbi_desktop.storage.users import User, audit
from barberbi_desktop.storage.working_hours import as_week, clean_week, week_text

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PAY_MODELS = ("commission", "booth_rent", "hourly")
MAX_DOLLARS = 1_000_000  # the largest dollar threshold an alert rule takes
SCHEDULE_DEFAULTS = {"kpi_every_s": 60, "nightly_hour": 2, "debounce_s": 180}
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def hours_text(span: list[int] | None) -> str:
    """[540, 1080] -> "09:00-18:00"; no span -> "closed"."""
    if not span:
        return "closed"
    (a, b) = span
    return f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}"


def parse_hours(value: str, where: str) -> list[int] | None:
    if value.strip().lower() in ("", "closed", "-"):
        return None
    match = _SPAN.match(value)
    if not match:
        raise InputError(f"{where}: write opening hours as 09:00-18:00 or 'closed', not {value!r}.")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if not (0 <= start < end <= 24 * 60 and m1 < 60 and m2 < 60):
        raise InputError(f"{where}: {value!r} does not close after it opens on the same day.")
    return [start, end]


def load_locations(db: Database) -> pd.DataFrame:
    with db.read() as conn:
        rows = conn.execute(
            text("SELECT id, name, timezone, currency, opening_hours FROM locations ORDER BY id")
        ).all()
    out = []
    for loc_id, name, zone, currency, hours in rows:
        hours = json.loads(hours) if isinstance(hours, str) else (hours or {})
        out.append(
            {"id": loc_id, "name": name, "timezone": zone, "currency": currency}
            # Never set (an imported location) reads blank, not "closed" every day.
            | {day: hours_text(hours.get(str(i))) if hours else "" for i, day in enumerate(DAYS)}
        )
    return pd.DataFrame(out, columns=["id", "name", "timezone", "currency", *DAYS])


def save_locations(db: Database, rows: list[dict[str, Any]], by: User | None) -> int:
    updates = []
    for n, row in enumerate(rows, start=1):
        where = f"Location row {n} ({row['name']})"
        currency = _zone_and_currency(where, row["timezone"], row["currency"])
        hours = {
            str(i): span
            for i, day in enumerate(DAYS)
            if (span := parse_hours(str(row[day]), f"{where}, {day}")) is not None
        }
        updates.append((row["timezone"], currency, json.dumps(hours), int(row["id"])))
    changed = _changed(load_locations(db), rows, ["timezone", "currency", *DAYS])
    with db.write() as conn:
        cur = conn.connection.driver_connection.cursor()
        cur.executemany(
            qmark(cur, "UPDATE locations SET timezone = ?, currency = ?, opening_hours = ? "
                  "WHERE id = ?"),
            updates,
        )
        if changed:  # a new zone moves every local time the engines use (see save_barbers)
            conn.execute(text("UPDATE shop_state SET data_version = data_version + 1"))
    if changed:
        audit(db, by and by.user_id, "settings_changed", {"section": "locations", **changed})
    return len(changed)


def _zone_and_currency(where: str, zone: Any, currency: Any) -> str:
    """Check a location's zone and currency; returns the currency as stored (upper case)."""
    if str(zone).strip() not in available_timezones():
        raise InputError(f"{where}: {zone!r} is not a time zone such as America/New_York.")
    code = str(currency).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise InputError(f"{where}: a currency is a three-letter code such as USD.")
    return code


def add_location(db: Database, name: Any, zone: Any, currency: Any, by: User | None) -> int:
    """Add a location before (or besides) any import, so imports land at it in its zone.

    A brand-new shop has no location until its first import creates one in the
    computer's zone; the owner adds it first (welcome page, Settings) so the first
    import's local times are read in the shop's real zone. Returns the new id.
    """
    label = str(name or "").strip()
    where = f"The location {label!r}" if label else "The new location"
    if not label:
        raise InputError("The new location needs a name, such as the shop's name.")
    if len(label) > 120:
        raise InputError(f"{where}: a location name is at most 120 characters.")
    code = _zone_and_currency(where, zone, currency)
    with db.write() as conn:
        taken = conn.execute(text("SELECT 1 FROM locations WHERE lower(name) = lower(:n)"),
                             {"n": label}).first()  # fmt: skip
        if taken:
            raise InputError(f"{where} already exists; choose another name.")
        new_id = conn.execute(
            text("INSERT INTO locations (name, timezone, currency, opening_hours, retail_tax_bp)"
                 " VALUES (:n, :z, :c, '{}', 0) RETURNING id"),
            {"n": label, "z": str(zone).strip(), "c": code},
        ).scalar_one()  # fmt: skip
    audit(db, by and by.user_id, "settings_changed",
          {"section": "locations", "added": label, "timezone": str(zone).strip(),
           "currency": code})  # fmt: skip
    return int(new_id)


def set_up_shop(db: Database, shop: Any, location: Any, zone: Any, currency: Any,
                by: User | None) -> int:
    """The welcome page's form: the shop's name and its first location (named after the
    shop unless the owner names the location). Returns the location's id."""
    name = str(shop or "").strip()
    if not name:
        raise InputError("Type the shop's name first.")
    new_id = add_location(db, str(location or "").strip() or name, zone, currency, by)
    set_setting(db, "shop_name", name)
    return new_id


def load_barbers(db: Database) -> pd.DataFrame:
    """Barbers with pay in owner units (%, $) and their week as stored (see working_hours)."""
    with db.read() as conn:
        rows = conn.execute(
            text(
                "SELECT b.id, b.name, l.name, b.active, b.pay_model, b.commission_bp, "
                "b.weekly_booth_rent_cents, b.hourly_rate_cents, b.working_hours, "
                "b.location_id, l.timezone, l.opening_hours FROM barbers b "
                "JOIN locations l ON l.id = b.location_id ORDER BY l.id, b.name"
            )
        ).all()
    frame = pd.DataFrame(
        rows,
        columns=["id", "name", "location", "active", "pay_model", "commission_bp",
                 "weekly_booth_rent_cents", "hourly_rate_cents", "working_hours",
                 "location_id", "timezone", "opening_hours"],
    )  # fmt: skip
    frame["active"] = frame["active"].astype(bool)
    frame["commission_pct"] = frame.pop("commission_bp").map(_div(100))
    frame["booth_rent"] = frame.pop("weekly_booth_rent_cents").map(_div(100))
    frame["hourly"] = frame.pop("hourly_rate_cents").map(_div(100))
    frame["working_hours"] = frame["working_hours"].map(as_week).astype(object)
    frame["opening_hours"] = frame["opening_hours"].map(as_week).astype(object)
    return frame


def _div(by: int) -> Any:
    return lambda v: None if v is None or pd.isna(v) else float(v) / by


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or not str(value).strip()


def _number(value: Any, where: str, field: str, high: float) -> float | None:
    if _blank(value):
        return None
    number = _as_number(value)
    if not isinstance(number, float):
        raise InputError(f"{where}: {field} must be a number, not {value!r}.")
    if not 0 <= number <= high:
        raise InputError(f"{where}: {field} must be between 0 and {high:,.0f}.")
    return number


def save_barbers(db: Database, rows: list[dict[str, Any]], by: User | None) -> int:
    """Pay and weekly hours of every row, all or nothing.

    A row without ``working_hours`` keeps the week it has. Any change bumps the data
    version: the engines' cached frames and "nothing changed" skips key on it, and a
    week or pay model set here changes utilisation, capacity and the pay comparison.
    """
    pay = ["active", "pay_model", "commission_pct", "booth_rent", "hourly"]
    weeks = {int(row["id"]): row["working_hours"] for row in rows if "working_hours" in row}
    updates, hours = [], []
    for n, row in enumerate(rows, start=1):
        where = f"Barber row {n} ({row['name']})"
        if int(row["id"]) in weeks:
            week = clean_week(weeks[int(row["id"])], where)
            weeks[int(row["id"])] = week
            hours.append((json.dumps(week), int(row["id"])))
    checked = [row | {"working_hours": weeks[int(row["id"])]} if int(row["id"]) in weeks
               else row for row in rows]  # fmt: skip
    changed = _changed(load_barbers(db), checked, pay + (["working_hours"] if weeks else []))
    # An imported barber's pay may be unknown; one whose pay the owner edits must be complete.
    touched = {key.split()[1] for key in changed if key.split()[2] in pay}
    for n, row in enumerate(rows, start=1):
        where = f"Barber row {n} ({row['name']})"
        model = str(row["pay_model"])
        if model not in PAY_MODELS:
            raise InputError(f"{where}: the pay model is one of {', '.join(PAY_MODELS)}.")
        pct = _number(row.get("commission_pct"), where, "the commission %", 100)
        rent = _number(row.get("booth_rent"), where, "the weekly booth rent", 100_000)
        hourly = _number(row.get("hourly"), where, "the hourly rate", 10_000)
        needed = {"commission": pct, "booth_rent": rent, "hourly": hourly}[model]
        if needed is None and str(row["id"]) in touched:
            raise InputError(f"{where}: a {model.replace('_', ' ')} barber needs its amount.")
        updates.append(
            (
                model,
                None if pct is None else round(pct * 100),
                None if rent is None else round(rent * 100),
                None if hourly is None else round(hourly * 100),
                bool(row["active"]),
                int(row["id"]),
            )
        )
    with db.write() as conn:
        raw = conn.connection.driver_connection.cursor()
        raw.executemany(
            qmark(raw, "UPDATE barbers SET pay_model = ?, commission_bp = ?, "
                  "weekly_booth_rent_cents = ?, hourly_rate_cents = ?, active = ? WHERE id = ?"),
            updates,
        )
        raw.executemany(qmark(raw, "UPDATE barbers SET working_hours = ? WHERE id = ?"), hours)
        if changed:
            raw.execute("UPDATE shop_state SET data_version = data_version + 1")
    if changed:
        for key, (old, new) in changed.items():
            if key.endswith(" working_hours"):  # the audit log reads "Mon-Fri 09:00-18:00"
                changed[key] = [week_text(as_week(old)), week_text(as_week(new))]
        audit(db, by and by.user_id, "settings_changed", {"section": "barbers", **changed})
    return len(changed)


def _changed(before: pd.DataFrame, rows: list[dict[str, Any]], columns: list[str]) -> dict:
    """{"row <id> <column>": [old, new]} for every value that differs."""
    old = before.set_index("id")
    out: dict[str, Any] = {}
    for row in rows:
        for column in (c for c in columns if c in row):  # a row may leave a column as it is
            a, b = old.loc[int(row["id"]), column], row[column]
            a, b = (None if _blank(a) else a), (None if _blank(b) else b)
            if a != b and _as_number(a) != _as_number(b):
                out[f"row {row['id']} {column}"] = [a, b]
    return out


def _as_number(value: Any) -> Any:
    """"35" and 35.0 are the same commission; text stays text."""
    try:
        return float(str(value).replace("$", "").replace(",", "").replace("%", ""))
    except ValueError:
        return value


@dataclass(frozen=True)
class Target:
    engine: str  # kpi, methodology
    key: str
    label: str
    default: float
    value: float
    unit: str = "count"  # cents, share, count, rating, hours, minutes, visits (as stored)


def load_targets(db: Database) -> list[Target]:
    from barberbi_desktop.engines.method_metrics import SPECS

    kpi = get_setting(db, "kpi.targets", {}) or {}
    method = get_setting(db, "methodology.targets", {}) or {}
    out = [
        Target("kpi", key, kpi_label(key), float(v), float(kpi.get(key, v)), kpi_unit(key))
        for key, v in KpiSettings().targets.items()
    ]
    out += [
        Target(
            "methodology",
            s.key,
            f"{s.label} target",
            s.target,
            float(method.get(s.key, s.target)),
            s.unit,
        )
        for s, _ in SPECS
    ]
    return out


def save_targets(db: Database, values: dict[tuple[str, str], Any], by: User | None) -> int:
    """Targets as the owner typed them ("$1,500", "5%"), stored in the engines' units."""
    current = {(t.engine, t.key): t for t in load_targets(db)}
    saved: dict[str, dict[str, float]] = {"kpi": {}, "methodology": {}}
    changed = {}
    for (engine, key), raw in values.items():
        target = current.get((engine, key))
        if target is None:
            raise InputError(f"There is no {engine} target called {key!r}.")
        number = parse_target(raw, target.unit, target.label)
        if number != target.default:
            saved[engine][key] = number
        if number != target.value:
            changed[f"{engine} {key}"] = [target.value, number]
    set_setting(db, "kpi.targets", saved["kpi"] or None)
    set_setting(db, "methodology.targets", saved["methodology"] or None)
    if changed:
        audit(db, by and by.user_id, "settings_changed", {"section": "targets", **changed})
    return len(changed)


def kpi_settings(db: Database) -> KpiSettings:
    return KpiSettings(targets=KpiSettings().targets | (get_setting(db, "kpi.targets", {}) or {}))


def methodology_settings(db: Database) -> MethodologySettings:
    return MethodologySettings(
        targets=get_setting(db, "methodology.targets", {}) or {},
        principle_weights=get_setting(db, "methodology.principle_weights", {}) or {},
    )


def watch_folder(db: Database) -> str | None:
    """The folder this computer scans for exports: a shop setting on a file, this
    computer's own choice on a server (`barberbi_desktop.computer`)."""
    if db.is_postgres:
        from barberbi_desktop.computer import watch_folder as computers_folder

        return computers_folder(db.url)
    return get_setting(db, "watch_folder")


def set_watch_folder(db: Database, folder: str | None) -> None:
    if db.is_postgres:
        from barberbi_desktop.computer import set_watch_folder as set_computers_folder

        set_computers_folder(db.url, folder)
    else:
        set_setting(db, "watch_folder", folder)


def load_schedule(db: Database) -> dict[str, Any]:
    saved = get_setting(db, "schedule", {}) or {}
    return SCHEDULE_DEFAULTS | saved | {"watch_folder": watch_folder(db) or ""}


def save_schedule(db: Database, values: dict[str, Any], by: User | None) -> int:
    """The nightly hour is on the shop's clock (the scheduler runs it in the shop's zone)."""
    limits = {"kpi_every_s": (15, 3600), "nightly_hour": (0, 23), "debounce_s": (30, 3600)}
    names = {"kpi_every_s": "Refresh KPIs every (seconds)",
             "nightly_hour": "Nightly analytics at (hour, shop time)",
             "debounce_s": "After an import, wait (seconds)"}  # fmt: skip
    clean = {}
    for key, (low, high) in limits.items():
        try:
            number = int(values[key])
        except (TypeError, ValueError):
            raise InputError(f"Schedule: {names[key]} must be a whole number.") from None
        if not low <= number <= high:
            raise InputError(f"Schedule: {names[key]} must be {low} to {high}.")
        clean[key] = number
    before = load_schedule(db)
    folder = str(values.get("watch_folder") or "").strip()
    set_setting(db, "schedule", clean)
    set_watch_folder(db, folder or None)
    after = clean | {"watch_folder": folder}
    changed = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    if changed:
        audit(db, by and by.user_id, "settings_changed", {"section": "schedule", **changed})
    return len(changed)


def alert_settings(db: Database) -> AlertSettings:
    """The rules' thresholds as the owner left them (Alerts > Rules), else the defaults."""
    saved = get_setting(db, "alerts.rules", {}) or {}
    base = AlertSettings()
    hours = saved.get("cooldown_hours", {})
    return replace(
        base,
        **{k: float(v) for k, v in saved.get("thresholds", {}).items() if hasattr(base, k)},
        notify_at=saved.get("notify_at", base.notify_at),
        cooldowns=base.cooldowns
        | {k: timedelta(hours=float(v)) for k, v in hours.items() if k in base.cooldowns},
    )


def save_alert_settings(db: Database, values: dict[str, Any], by: User | None) -> int:
    """``values``: threshold fields as shares (0-1), or dollars for those in
    `rules.DOLLARS`, ``COOLDOWN + rule`` in hours, ``notify_at``.

    Everything is checked before anything is written; unchanged defaults are not stored,
    so a later release's better default still reaches a shop that never changed it.
    """
    base, before = AlertSettings(), alert_settings(db)
    labels = {name: text for rule in RULES for name, text in rule.thresholds}
    thresholds, hours, changed = {}, {}, {}
    notify = before.notify_at
    for key, raw in values.items():
        rule = key.removeprefix(COOLDOWN)
        if key in labels and key in DOLLARS:
            number = _number(raw, f"Alert rule {labels[key]!r}", "the threshold", MAX_DOLLARS)
            if number is None or number <= 0:
                raise InputError(f"Alert rule {labels[key]!r}: enter an amount in dollars "
                                 "above $0.")  # fmt: skip
            number = round(number, 2)
            if number != getattr(base, key):
                thresholds[key] = number
            if number != getattr(before, key):
                changed[key] = [getattr(before, key), number]
        elif key in labels:
            number = _number(raw, f"Alert rule {labels[key]!r}", "the threshold", 1)
            if number is None or number <= 0:
                raise InputError(f"Alert rule {labels[key]!r}: enter a share above 0% and "
                                 "at most 100%.")  # fmt: skip
            if number != getattr(base, key):
                thresholds[key] = number
            if number != getattr(before, key):
                changed[key] = [getattr(before, key), number]
        elif rule != key and rule in base.cooldowns:
            number = _number(raw, f"Alert rule {rule}", "the cool-down", 24 * 365)
            if number is None:
                raise InputError(f"Alert rule {rule}: enter a cool-down in hours (0 or more).")
            if number != cooldown_hours(base.cooldowns[rule]):
                hours[rule] = number
            if number != cooldown_hours(before.cooldowns[rule]):
                changed[key] = [cooldown_hours(before.cooldowns[rule]), number]
        elif key == "notify_at":
            if raw not in PRIORITIES:
                raise InputError(f"Desktop pop-ups: choose one of {', '.join(PRIORITIES)}.")
            if raw != before.notify_at:
                changed[key] = [before.notify_at, raw]
            notify = raw
        else:
            raise InputError(f"There is no alert setting called {key!r}.")
    saved: dict[str, Any] = {"thresholds": thresholds, "cooldown_hours": hours}
    if notify != base.notify_at:
        saved["notify_at"] = notify
    set_setting(db, "alerts.rules", {k: v for k, v in saved.items() if v} or None)
    if changed:
        audit(db, by and by.user_id, "settings_changed", {"section": "alert rules", **changed})
    return len(changed)


def premium_threshold_cents(db: Database) -> int:
    """The price (cents) from which a service counts as premium."""
    saved = get_setting(db, premium.KEY)
    return premium.DEFAULT_CENTS if saved is None else int(saved)


def save_premium_threshold(db: Database, cents: Any, user_id: int | None) -> int:
    """Save the threshold and re-mark every service by it; returns how many flags changed.

    The default is not stored, so a shop that never chose one follows a better default
    in a later release.
    """
    where = "Services: the premium price threshold"
    if isinstance(cents, bool):
        raise InputError(f"{where} must be a whole number of cents, not {cents!r}.")
    try:
        value = int(cents)
    except (TypeError, ValueError):
        raise InputError(f"{where} must be a whole number of cents, not {cents!r}.") from None
    if value != cents and str(value) != str(cents).strip():
        raise InputError(f"{where} must be a whole number of cents, not {cents!r}.")
    if not 1 <= value <= premium.MAX_CENTS:
        raise InputError(f"{where} must be between 1 cent and {premium.MAX_CENTS} cents "
                         "($10,000).")  # fmt: skip
    before = premium_threshold_cents(db)
    with db.write() as conn:
        cur = conn.connection.driver_connection.cursor()
        if value == premium.DEFAULT_CENTS:
            cur.execute(qmark(cur, "DELETE FROM settings WHERE key = ?"), (premium.KEY,))
        else:
            cur.execute(
                qmark(cur, "INSERT INTO settings (key, value, type) VALUES (?, ?, 'int') "
                      "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                      "type = excluded.type"),
                (premium.KEY, json.dumps(value)),
            )
        changed = premium.mark(cur, value)
        if changed:  # the engines' caches and skips key on the data version
            cur.execute("UPDATE shop_state SET data_version = data_version + 1")
    if value != before:
        audit(db, user_id, "settings_changed", {
            "section": "services", "premium_threshold_cents": [before, value],
            "services_remarked": changed,
        })  # fmt: skip
    return changed
