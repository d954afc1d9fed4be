"""Landing canonical rows in the shop database: set-based upserts with exact undo.

Rows are first written to TEMP staging tables (a separate database, so the
shop file is not touched while a file is parsed); then, inside one
``BEGIN IMMEDIATE`` transaction, SQL statements match, update and insert whole
sets at once. Row-by-row ORM work would take minutes for a million rows.

Undo is exact because an update first copies the old values of the columns
it changes into ``import_changes``, and every inserted row carries the batch id:
undo writes the old values back and deletes what still carries the batch id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from barberbi_desktop.errors import InputError
from barberbi_desktop.ingest import sale_lines
from barberbi_desktop.ingest.canonical import LINE_COLUMNS
from barberbi_desktop.ingest.sale_lines import ITEMS_SELECT, script
from barberbi_desktop.storage import premium
from barberbi_desktop.storage.bulk import deferred_indexes
from barberbi_desktop.storage.cursor import INTEGRITY_ERRORS, Cursor, reason

TERMINAL = ("completed", "cancelled", "no_show")
BIG_BATCH = 100_000  # above this many visits, secondary indexes are rebuilt once at the end
UNDO_REBUILD_MIN = 10_000  # an undo removing this many rows may rebuild indexes instead

# Instants are BIGINT: on PostgreSQL an INTEGER is 32-bit and ends on 2038-01-19 (SQLite
# reads BIGINT as its own 64-bit INTEGER).
_STAGE_TYPES = {
    "row": "INTEGER", "line_no": "INTEGER", "start_utc": "BIGINT", "end_utc": "BIGINT",
    "booked_at_utc": "BIGINT", "cancelled_at_utc": "BIGINT", "time_known": "BOOLEAN",
    "quantity": "INTEGER", "unit_price_cents": "INTEGER",
    "discount_cents": "INTEGER", "tax_cents": "INTEGER", "tip_cents": "INTEGER",
}  # fmt: skip
WHOLE_TYPES = ("INTEGER", "BIGINT")

# Columns an import may change, per table; undo restores exactly these.
APPT_COLS = [
    "client_id", "barber_id", "location_id", "service_id", "start_utc", "end_utc", "status",
    "status_raw", "booked_at_utc", "cancelled_at_utc", "channel", "source_id", "time_known",
]  # fmt: skip
ITEM_COLS = [
    "appointment_id", "client_id", "location_id", "barber_id", "sold_at_utc", "kind",
    "service_id", "name",
    "quantity", "unit_price_cents", "discount_cents", "tax_cents", "tip_cents",
    "payment_method",
]  # fmt: skip
CLIENT_COLS = ["email", "phone"]
RESTORABLE = {
    "appointments": [*APPT_COLS, "source_hash"], "sale_items": ITEM_COLS, "clients": CLIENT_COLS,
}  # fmt: skip


def create_stage(cur: Cursor) -> None:
    """The staging tables: parsed rows, and visits a verbatim re-import skipped.

    ``role`` is ``primary`` (a row is a visit's line), ``summary`` (a payments file:
    a line only when no item file gives the visit's lines) or ``lines`` (an item file).
    """
    cur.execute("DROP TABLE IF EXISTS temp.stage_lines")
    cols = ", ".join(f"{c} {_STAGE_TYPES.get(c, 'TEXT')}" for c in LINE_COLUMNS)
    rid = "rid BIGSERIAL, " if cur.postgres else ""  # SQLite numbers rows itself (rowid)
    cur.execute(
        f"CREATE TEMP TABLE stage_lines ({rid}file_idx INTEGER, role TEXT, {cols}, "
        "is_line INTEGER, item_key TEXT)"
    )
    cur.execute("DROP TABLE IF EXISTS temp.stage_known_hits")
    cur.execute("CREATE TEMP TABLE stage_known_hits (k TEXT PRIMARY KEY)")
    cur.execute("DROP TABLE IF EXISTS temp.stage_rejected")
    cur.execute("CREATE TEMP TABLE stage_rejected (visit_key TEXT PRIMARY KEY)")


def _py(values: pd.Series) -> list[Any]:
    if values.dtype.kind in "iu" and not values.hasnans:
        return values.tolist()
    if isinstance(values.dtype, pd.Int64Dtype):
        return values.to_numpy(dtype=object, na_value=None).tolist()
    out = values.to_numpy(dtype=object)
    return [None if v is None or v is pd.NA or v != v else v for v in out]


def _whole(values: list[Any]) -> list[Any]:
    """Whole numbers a float column holds (pandas makes an integer column with gaps
    float) as ints: PostgreSQL's COPY refuses ``3.0`` for an integer column."""
    return [v if v is None or not isinstance(v, float) else int(v) for v in values]


def stage(cur: Cursor, lines: pd.DataFrame, file_idx: int, role: str) -> None:
    """Stage parsed lines, each already keyed as the line of a one-row visit.

    Most big files have one row per visit, and then that key is final
    (`sale_lines.number_lines` renumbers only files whose visits have several rows):
    building it here spares an UPDATE of every staged row.
    """
    columns = [_py(lines[c]) for c in LINE_COLUMNS]
    if cur.postgres:
        columns = [_whole(v) if _STAGE_TYPES.get(c) in WHOLE_TYPES and lines[c].dtype.kind == "f"
                   else v for c, v in zip(LINE_COLUMNS, columns, strict=True)]  # fmt: skip
    n = len(lines)
    sep = ":s:" if role == "summary" else ":"
    keys = (lines["visit_key"].astype(str) + sep + lines["line_hash"].astype(str) + ":0").tolist()
    cur.insert_rows(
        "stage_lines", ["file_idx", "role", *LINE_COLUMNS, "is_line", "item_key"],
        zip([file_idx] * n, [role] * n, *columns, [1] * n, keys, strict=True),
    )


_KNOWN_HITS = (
    "FROM stage_known s JOIN appointments a ON a.natural_key = s.k "
    "AND a.source_hash = s.h WHERE (SELECT count(*) FROM sale_items t "
    "WHERE t.appointment_id = a.id) <= 1"
)


def known_rows(cur: Cursor, keys: pd.Series, hashes: pd.Series) -> pd.Series:
    """Rows whose appointment was imported from exactly this row, and only it, before.

    A visit of several lines is never skipped this way (its rows are parsed and its
    lines compared), so a partly skipped visit cannot lose the skipped lines.
    """
    cur.execute("CREATE TEMP TABLE IF NOT EXISTS stage_known (pos INTEGER, k TEXT, h TEXT)")
    cur.execute("DELETE FROM stage_known")
    have = keys.notna().to_numpy()
    positions = [i for i, ok in enumerate(have) if ok]
    cur.insert_rows("stage_known", ["pos", "k", "h"],
                    zip(positions, keys[have].tolist(), hashes[have].tolist(), strict=True))
    hits = cur.execute(f"SELECT s.pos, s.k {_KNOWN_HITS}").fetchall()
    if cur.postgres:  # a million single-row INSERTs would take a minute on a server
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS stage_known_new (k TEXT)")
        cur.execute("DELETE FROM stage_known_new")
        cur.insert_rows("stage_known_new", ["k"], ([k] for _, k in hits))
        cur.execute("INSERT OR IGNORE INTO stage_known_hits SELECT DISTINCT k FROM stage_known_new")
    else:
        cur.executemany("INSERT OR IGNORE INTO stage_known_hits VALUES (?)",
                        [(k,) for _, k in hits])  # fmt: skip
    mask = [False] * len(keys)
    for pos, _ in hits:
        mask[pos] = True
    return pd.Series(mask, index=keys.index)


@dataclass
class MergeResult:
    counts: dict[int, dict[str, int]] = field(default_factory=dict)  # file_idx -> outcome counts
    changed: bool = False
    money: dict[str, int | None] | None = None  # what landed (sale_lines.money)
    kept_detail: int = 0  # visits whose item lines a payments file's summary left standing


_script = script


def check_join(cur: Cursor, names: dict[int, str], key_column: dict[int, str]) -> None:
    """Line items that point at a payment the payments file does not have are refused."""
    has_primary = cur.execute("SELECT EXISTS (SELECT 1 FROM stage_lines WHERE role = 'summary')")
    if not has_primary.fetchone()[0]:
        return
    orphan = cur.execute(
        "SELECT l.file_idx, l.row, l.source_id FROM stage_lines l WHERE l.role = 'lines' AND "
        "NOT EXISTS (SELECT 1 FROM stage_lines p WHERE p.role = 'summary' AND "
        "p.visit_key = l.visit_key) ORDER BY l.file_idx, l.row LIMIT 1"
    ).fetchone()
    if orphan:
        f, row, key = orphan
        primary = next(n for i, n in names.items() if i != f)
        raise InputError(
            f"{names[f]}, row {row}, column {key_column[f]}: {key!r} is not in {primary}, so "
            "the two files do not belong together (export both for the same dates)."
        )


def merge(
    cur: Cursor, *, batch_id: int, platform: str, family: str, default_zone: str,
    kind: str, has_tax: bool = False, has_tips: bool = False, has_price: bool = True,
) -> MergeResult:
    """Upsert everything staged; returns per-file outcome counts and the money that landed.

    ``has_tax``/``has_tips``: the files have such a column, so their sums are known
    (else the money report says null, not zero).
    """
    p = {"b": batch_id, "source_platform": platform, "family": family, "zone": default_zone}
    cur.execute("CREATE INDEX temp.ix_stage_visit ON stage_lines (visit_key, role, line_no)")
    cur.analyze("stage_lines")
    _locations(cur, p)
    _clients(cur, p)
    if kind == "customers":
        return _customer_counts(cur)
    simple = sale_lines.number_lines(cur)
    if not simple:
        cur.execute("CREATE INDEX temp.ix_stage_item_key ON stage_lines (item_key)")
    sale_lines.visits(cur, simple)
    _barbers_services(cur, p)
    n_visits = cur.execute("SELECT COUNT(*) FROM stage_visits").fetchone()[0]
    big = n_visits > BIG_BATCH
    _appointments(cur, p, big)
    removed = _items(cur, p, big)
    # Services this batch created have no list price: the price they sold at decides.
    premium.mark(cur, premium.threshold(cur), "import_batch_id = ? AND list_price_cents IS NULL",
                 (batch_id,))
    result = _counts(cur, removed)
    result.money = sale_lines.money(cur, has_tax=has_tax, has_tips=has_tips,
                                    has_price=has_price)
    result.kept_detail = cur.execute(
        "SELECT count(*) FROM stage_appts WHERE keep_detail = 1"
    ).fetchone()[0]
    return result


def _locations(cur: Cursor, p: dict[str, Any]) -> None:
    last = cur.execute("SELECT coalesce(max(id), 0) FROM locations").fetchone()[0]
    cur.execute(
        "INSERT INTO locations (name, timezone, currency, opening_hours, retail_tax_bp) "
        "SELECT min(location), :zone, coalesce((SELECT currency FROM locations ORDER BY id "
        "LIMIT 1), 'USD'), '{}', 0 FROM (SELECT DISTINCT location FROM stage_lines) s "
        "WHERE NOT EXISTS (SELECT 1 FROM locations l WHERE lower(l.name) = lower(s.location)) "
        "GROUP BY lower(location)",
        p,
    )
    cur.execute(
        "INSERT INTO import_changes (batch_id, table_name, row_id, action, before) "
        "SELECT :b, 'locations', id, 'insert', NULL FROM locations WHERE id > :last",
        {**p, "last": last},
    )
    cur.execute("DROP TABLE IF EXISTS temp.stage_loc")
    cur.execute(
        "CREATE TEMP TABLE stage_loc AS SELECT lower(name) AS lname, min(id) AS id "
        "FROM locations GROUP BY lower(name)"
    )


def _clients(cur: Cursor, p: dict[str, Any]) -> None:
    _script(cur,
        """
        DROP TABLE IF EXISTS temp.stage_clients;
        CREATE TEMP TABLE stage_clients AS
          SELECT client_key, max(client_ext) AS ext, max(client_name) AS name,
                 max(email) AS email, max(phone) AS phone, min(start_utc) AS first_seen,
                 min(location) AS location, CAST(NULL AS INTEGER) AS client_id, 'same' AS outcome,
                 CASE WHEN max(client_ext) IS NOT NULL THEN 1 WHEN max(email) IS NOT NULL
                      THEN 2 WHEN max(phone) IS NOT NULL THEN 3 ELSE 4 END AS strength
          FROM stage_lines WHERE client_key IS NOT NULL GROUP BY client_key;
        CREATE UNIQUE INDEX temp.ix_stage_clients ON stage_clients (client_key);
        """
    )
    match = [
        "UPDATE stage_clients SET client_id = (SELECT id FROM clients c "
        "WHERE c.natural_key = stage_clients.client_key) WHERE client_id IS NULL",
        "UPDATE stage_clients SET client_id = (SELECT id FROM clients c WHERE c.email = "
        "stage_clients.email ORDER BY id LIMIT 1) WHERE client_id IS NULL AND email IS NOT NULL",
        "UPDATE stage_clients SET client_id = (SELECT id FROM clients c WHERE c.phone = "
        "stage_clients.phone ORDER BY id LIMIT 1) WHERE client_id IS NULL AND phone IS NOT NULL",
    ]
    for sql in match:
        cur.execute(sql)
    # Fill in an email or phone the shop did not have yet (remembering the old values).
    fill = (
        "FROM stage_clients s JOIN clients c ON c.id = s.client_id WHERE "
        "(c.email IS NULL AND s.email IS NOT NULL) OR (c.phone IS NULL AND s.phone IS NOT NULL)"
    )
    cur.execute(
        "INSERT INTO import_changes (batch_id, table_name, row_id, action, before) "
        "SELECT :b, 'clients', c.id, 'update', json_object('email', c.email, 'phone', "
        "c.phone, 'import_batch_id', c.import_batch_id) FROM clients c "
        f"WHERE c.id IN (SELECT c.id {fill})",  # once per client (JSON has no DISTINCT)
        p,
    )
    cur.execute(f"UPDATE stage_clients SET outcome = 'update' WHERE client_key IN "
                f"(SELECT s.client_key {fill})")
    cur.execute(
        "UPDATE clients SET email = coalesce(clients.email, s.email), phone = "
        "coalesce(clients.phone, s.phone), import_batch_id = :b FROM (SELECT client_id, "
        "max(email) AS email, max(phone) AS phone FROM stage_clients WHERE outcome = 'update' "
        "GROUP BY client_id) s WHERE clients.id = s.client_id",
        p,
    )
    # Insert the rest, strongest identity first, re-matching after each pass so that
    # a person known by id in one row and by email in another becomes one client.
    for strength in (1, 2, 3, 4):
        cur.execute(
            "UPDATE stage_clients SET outcome = 'insert' WHERE client_id IS NULL AND "
            "strength = ?",
            (strength,),
        )
        cur.execute(
            "INSERT INTO clients (display_name, email, phone, first_seen_utc, home_location_id, "
            "external_ids, natural_key, import_batch_id) SELECT coalesce(s.name, s.email, "
            "s.phone, 'Unnamed client'), s.email, s.phone, s.first_seen, l.id, CASE WHEN s.ext "
            "IS NOT NULL THEN json_object(CAST(:family AS TEXT), s.ext) ELSE '{}' END, "
            "s.client_key, :b "
            "FROM stage_clients s LEFT JOIN stage_loc l ON l.lname = lower(s.location) "
            "WHERE s.client_id IS NULL AND s.strength = :s ORDER BY s.client_key",
            {**p, "s": strength},
        )
        for sql in match:
            cur.execute(sql)
    new_names = cur.execute(
        "SELECT EXISTS (SELECT 1 FROM stage_clients WHERE outcome = 'insert' AND strength = 4)"
    ).fetchone()[0]
    if new_names:
        _propose_merges(cur, p)


def _propose_merges(cur: Cursor, p: dict[str, Any]) -> None:
    """New name-only clients whose name an existing client already has: ask, do not merge."""
    _script(
        cur,
        """
        DROP TABLE IF EXISTS temp.stage_names;
        CREATE TEMP TABLE stage_names AS SELECT lower(display_name) AS lname, min(id) AS id
          FROM clients WHERE import_batch_id IS NOT :b GROUP BY lower(display_name);
        CREATE UNIQUE INDEX temp.ix_stage_names ON stage_names (lname)
        """.replace(":b", str(int(p["b"]))),
    )
    cur.execute(
        "INSERT INTO client_merge_proposals (batch_id, client_id, candidate_id, reason, status) "
        "SELECT :b, c.id, n.id, 'the same name (' || c.display_name || ') and nothing else "
        "in common', 'open' FROM stage_clients s JOIN clients c ON c.id = s.client_id "
        "JOIN stage_names n ON n.lname = lower(c.display_name) "
        "WHERE s.outcome = 'insert' AND s.strength = 4",
        p,
    )
    cur.execute("DROP TABLE temp.stage_names")


def _customer_counts(cur: Cursor) -> MergeResult:
    rows = cur.execute(
        "SELECT l.file_idx, s.outcome, COUNT(*) FROM stage_lines l JOIN stage_clients s "
        "ON s.client_key = l.client_key GROUP BY l.file_idx, s.outcome"
    ).fetchall()
    return _result(rows)


def _result(rows: list[tuple[int, str, int]]) -> MergeResult:
    out = MergeResult()
    for f, outcome, n in rows:
        name = {"insert": "inserted", "update": "updated", "same": "unchanged"}[outcome]
        out.counts.setdefault(f, {"inserted": 0, "updated": 0, "unchanged": 0})[name] += n
        out.changed |= outcome != "same"
    return out


def _barbers_services(cur: Cursor, p: dict[str, Any]) -> None:
    _script(cur,
        """
        DROP TABLE IF EXISTS temp.stage_barbers;
        CREATE TEMP TABLE stage_barbers AS
          SELECT l.id AS location_id, lower(v.barber) AS lname, min(v.barber) AS name,
                 CAST(NULL AS INTEGER) AS barber_id
          FROM stage_lines v  -- every visit's barber is some staged row's
          JOIN stage_loc l ON l.lname = lower(v.location)
          WHERE v.barber IS NOT NULL GROUP BY l.id, lower(v.barber);
        UPDATE stage_barbers SET barber_id = (SELECT id FROM barbers b WHERE
          b.location_id = stage_barbers.location_id AND lower(b.name) = stage_barbers.lname
          ORDER BY id LIMIT 1);
        DROP TABLE IF EXISTS temp.stage_services;
        CREATE TEMP TABLE stage_services AS
          SELECT lower(name) AS lname, min(name) AS name, min(category) AS category,
                 CAST(NULL AS INTEGER) AS service_id
          FROM (SELECT item_name AS name, category FROM stage_lines
                WHERE is_line = 1 AND kind IN ('service', 'package') AND item_name IS NOT NULL) x
          GROUP BY lower(name);
        UPDATE stage_services SET service_id = (SELECT id FROM services s
          WHERE lower(s.name) = stage_services.lname ORDER BY id LIMIT 1);
        """
    )
    cur.execute(
        "INSERT INTO barbers (location_id, name, pay_model, working_hours, active, "
        "external_ids, natural_key, import_batch_id) SELECT location_id, name, 'commission', "
        "'{}', TRUE, '{}', 'barber:' || location_id || ':' || lname, :b FROM stage_barbers "
        "WHERE barber_id IS NULL",
        p,
    )
    cur.execute(
        "UPDATE stage_barbers SET barber_id = (SELECT id FROM barbers b WHERE b.natural_key = "
        "'barber:' || stage_barbers.location_id || ':' || stage_barbers.lname) "
        "WHERE barber_id IS NULL"
    )
    cur.execute(
        "INSERT INTO services (name, category, premium, active, natural_key, import_batch_id) "
        "SELECT name, coalesce(category, 'other'), FALSE, TRUE, 'service:' || lname, :b "
        "FROM stage_services WHERE service_id IS NULL",
        p,
    )
    cur.execute(
        "UPDATE stage_services SET service_id = (SELECT id FROM services s WHERE s.natural_key "
        "= 'service:' || stage_services.lname) WHERE service_id IS NULL"
    )


def _diff(cols: list[str], a: str = "t", s: str = "s") -> str:
    return " OR ".join(f"{s}.{c} IS NOT {a}.{c}" for c in cols)


def _with_ids(select: str, base: int) -> str:
    """Wrap a staging SELECT (with ``old_id``) so new rows get ids in natural-key order.

    Assigning ids while the stage table is built spares a pass over a million
    rows afterwards; ordering by natural key keeps the unique index append-only.
    """
    return (
        f"SELECT x.*, coalesce(x.old_id, {int(base)} + row_number() OVER "
        "(PARTITION BY x.old_id IS NULL ORDER BY x.natural_key)) AS id, "
        "CASE WHEN x.old_id IS NULL THEN 'insert' ELSE 'same' END AS outcome "
        f"FROM ({select}) x"
    )


def _max_id(cur: Cursor, table: str) -> int:
    return int(cur.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0])


def _upsert(cur: Cursor, table: str, stage_table: str, cols: list[str],
            p: dict[str, Any], big: bool, on_insert: str = "",
            carry: tuple[str, ...] = ()) -> None:
    """Record old values of changed rows, update them, insert the new ones.

    ``carry`` columns are written with a change but do not make one (a row's
    source hash). The stage table arrives with ``outcome`` 'insert' or 'same'
    and an ``id`` for every row (see `_with_ids`).
    """
    written = [*cols, *carry]
    before = ", ".join(f"'{c}', t.{c}" for c in [*written, "import_batch_id"])
    changed = f"FROM {stage_table} s JOIN {table} t ON t.id = s.id WHERE {_diff(cols)}"
    cur.execute(
        f"INSERT INTO import_changes (batch_id, table_name, row_id, action, before) "
        f"SELECT :b, '{table}', t.id, 'update', json_object({before}) {changed}",
        p,
    )
    cur.execute(f"UPDATE {stage_table} SET outcome = 'update' WHERE id IN (SELECT s.id {changed})")
    sets = ", ".join(f"{c} = s.{c}" for c in written)
    cur.execute(
        f"UPDATE {table} SET {sets}, import_batch_id = :b FROM {stage_table} s "
        f"WHERE {table}.id = s.id AND s.outcome = 'update'",
        p,
    )
    names = ", ".join(written)
    # ``on_insert``: a column set only when a row is new (e.g. the platform it came from).
    insert = (
        f"INSERT INTO {table} (id, {names}, natural_key, import_batch_id"
        f"{on_insert and ', ' + on_insert}) SELECT id, {names}, natural_key, :b"
        f"{on_insert and ', :' + on_insert} FROM {stage_table} WHERE outcome = 'insert' "
        "ORDER BY id"
    )
    if big:
        with deferred_indexes(cur, (table,)):
            cur.execute(insert, p)
    else:
        cur.execute(insert, p)
    cur.after_explicit_ids(table)


def _appointments(cur: Cursor, p: dict[str, Any], big: bool) -> None:
    terminal = ", ".join(f"'{s}'" for s in TERMINAL)
    select = """
          SELECT v.visit_key AS natural_key, c.client_id, b.barber_id, l.id AS location_id,
                 sv.service_id, v.start_utc, v.end_utc, v.status, v.status_raw,
                 v.booked_at_utc,
                 CASE WHEN v.status = 'cancelled' THEN coalesce(v.cancelled_at_utc,
                   (SELECT a.cancelled_at_utc FROM appointments a
                    WHERE a.natural_key = v.visit_key)) END AS cancelled_at_utc,
                 v.channel, v.source_id,
                 coalesce(v.time_known, TRUE) AS time_known,
                 v.row_hash AS source_hash,
                 (SELECT id FROM appointments a WHERE a.natural_key = v.visit_key) AS old_id,
                 0 AS stale, v.adjust_only, 0 AS keep_detail, 0 AS detail_refunds
          FROM stage_visits v
          JOIN stage_loc l ON l.lname = lower(v.location)
          LEFT JOIN stage_clients c ON c.client_key = v.client_key
          LEFT JOIN stage_barbers b ON b.location_id = l.id AND b.lname = lower(v.barber)
          LEFT JOIN stage_services sv ON sv.lname = lower(v.service_name)
    """
    cur.analyze("stage_visits", "stage_clients", "stage_barbers", "stage_services", "stage_loc")
    cur.execute("DROP TABLE IF EXISTS temp.stage_appts")
    cur.execute(
        "CREATE TEMP TABLE stage_appts AS "
        + _with_ids(select, _max_id(cur, "appointments"))
    )
    _script(
        cur,
        f"""
        CREATE INDEX temp.ix_stage_appts ON stage_appts (id);
        CREATE UNIQUE INDEX temp.ix_stage_appts_key ON stage_appts (natural_key);
        -- An old export read again must not turn a finished visit back into a booking,
        -- nor overwrite what was sold on it with what it looked like before.
        UPDATE stage_appts SET stale = 1, status = (SELECT a.status FROM appointments a
            WHERE a.id = stage_appts.id),
          status_raw = (SELECT a.status_raw FROM appointments a WHERE a.id = stage_appts.id),
          cancelled_at_utc = (SELECT a.cancelled_at_utc FROM appointments a
            WHERE a.id = stage_appts.id)
          WHERE old_id IS NOT NULL AND status IN ('booked', 'confirmed') AND
            (SELECT a.status FROM appointments a WHERE a.id = stage_appts.id) IN ({terminal});
        -- A refund or comp of a sale the shop already has (only adjustment lines) adds its
        -- lines and leaves the visit itself as it was (its row carries the refund's date).
        UPDATE stage_appts SET ({", ".join(APPT_COLS)}, source_hash) = (SELECT
            {", ".join(f"a.{c}" for c in APPT_COLS)}, a.source_hash FROM appointments a
            WHERE a.id = stage_appts.id)
          WHERE old_id IS NOT NULL AND adjust_only = 1;
        """,
    )
    sale_lines.keep_detail(cur)
    _upsert(cur, "appointments", "stage_appts", APPT_COLS, p, big, on_insert="source_platform",
            carry=("source_hash",))


def _items(cur: Cursor, p: dict[str, Any], big: bool) -> int:
    """Upsert the sale lines and remove those a newer export dropped; returns removed."""
    sale_lines.extras(cur)
    cur.execute("DROP TABLE IF EXISTS temp.stage_items")
    cur.execute(
        "CREATE TEMP TABLE stage_items AS "
        + _with_ids(ITEMS_SELECT, _max_id(cur, "sale_items"))
    )
    cur.execute("CREATE INDEX temp.ix_stage_items ON stage_items (id)")
    cur.execute("CREATE UNIQUE INDEX temp.ix_stage_items_key ON stage_items (natural_key)")
    cur.analyze("stage_items", "stage_appts")
    removed = sale_lines.replace_lines(cur, p)
    _upsert(cur, "sale_items", "stage_items", ITEM_COLS, p, big)
    return removed


def _counts(cur: Cursor, removed: int) -> MergeResult:
    """Each staged row's outcome: new, updated (the row, its visit or its client) or the same.

    A row of a new visit is new; a row of a visit the shop had is updated when the
    visit, its line (a new or changed line is a new item) or its client changed.
    """
    rows = cur.execute(
        """
        SELECT l.file_idx,
               CASE WHEN a.outcome = 'insert' THEN 'insert'
                    WHEN a.outcome != 'same' OR i.outcome != 'same' OR c.outcome = 'update'
                    THEN 'update' ELSE 'same' END AS o,
               COUNT(*)
        FROM stage_lines l
        JOIN stage_appts a ON a.natural_key = l.visit_key
        LEFT JOIN stage_items i ON i.natural_key = l.item_key
        LEFT JOIN stage_clients c ON c.client_key = l.client_key
        GROUP BY l.file_idx, o
        """
    ).fetchall()
    result = _result(rows)
    result.changed |= removed > 0
    return result


def drop_stage(cur: Cursor) -> None:
    if not cur.usable:
        return
    for t in ("lines", "prim", "first", "visits", "clients", "barbers", "services", "appts",
              "extras", "items", "loc", "known", "known_hits", "known_new", "detail", "vsum",
              "gone", "rejected"):
        cur.execute(f"DROP TABLE IF EXISTS temp.stage_{t}")


# --- undo -----------------------------------------------------------------------------

@contextmanager
def _rebuilt_if_most(cur: Cursor, table: str, batch_id: int) -> Iterator[None]:
    """Delete with the table's secondary indexes dropped and rebuilt over what is left,
    when the batch is most of a big table.

    Taking one row out of seven B-trees costs about 25 us; building an index over a
    row that stays, about 1.3 us per index. An undo of 300,000 visits spent 9 of its
    11.6 s keeping appointments' indexes up to date (benchmarks/undo.py). Only the
    visit tables: deleting clients needs their own merge-target index to check the
    clients that point at them, and the tables are small."""
    if table in ("appointments", "sale_items"):
        gone = cur.execute(
            f"SELECT count(*) FROM {table} WHERE import_batch_id = ?", (batch_id,)
        ).fetchone()[0]
        if gone >= UNDO_REBUILD_MIN:
            stays = cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0] - gone
            if gone * 2 >= stays:
                with deferred_indexes(cur, (table,)):
                    yield
                return
    yield


def undo_batch(cur: Cursor, batch_id: int) -> dict[str, int]:
    """Put the database back exactly as it was before ``batch_id`` (the last batch) landed."""
    restored = 0
    for table, cols in RESTORABLE.items():
        sets = ", ".join(
            f"{c} = {cur.json_field('c.before', c, table)}" for c in [*cols, "import_batch_id"]
        )
        restored += cur.execute(
            f"UPDATE {table} SET {sets} FROM import_changes c WHERE c.batch_id = ? AND "
            f"c.table_name = '{table}' AND c.action = 'update' AND {table}.id = c.row_id",
            (batch_id,),
        ).rowcount
    removed = 0
    derived = {
        "clients": ["client_scores"],
        "barbers": ["methodology_scores"],
    }
    for table in ("sale_items", "appointments", "clients", "barbers", "services"):
        for child in derived.get(table, []):
            col = "client_id" if table == "clients" else "barber_id"
            cur.execute(
                f"DELETE FROM {child} WHERE {col} IN (SELECT id FROM {table} "
                f"WHERE import_batch_id = ?)",
                (batch_id,),
            )
        try:
            with _rebuilt_if_most(cur, table, batch_id):
                removed += cur.execute(
                    f"DELETE FROM {table} WHERE import_batch_id = ?", (batch_id,)
                ).rowcount
        except INTEGRITY_ERRORS as exc:
            raise InputError(
                f"The import cannot be undone: records entered since then use its {table} "
                f"({reason(exc)})."
            ) from exc
    locs = [r[0] for r in cur.execute(
        "SELECT row_id FROM import_changes WHERE batch_id = ? AND table_name = 'locations' "
        "AND action = 'insert'", (batch_id,)
    )]
    for loc in locs:
        try:
            removed += cur.execute("DELETE FROM locations WHERE id = ?", (loc,)).rowcount
        except INTEGRITY_ERRORS as exc:
            raise InputError(
                "The import cannot be undone: the location it created is used elsewhere "
                f"({reason(exc)})."
            ) from exc
    restored += sale_lines.put_back_removed(cur, batch_id)
    cur.execute("DELETE FROM import_changes WHERE batch_id = ?", (batch_id,))
    cur.execute("DELETE FROM client_merge_proposals WHERE batch_id = ?", (batch_id,))
    return {"restored": restored, "removed": removed}


def json_counts(counts: dict[str, int]) -> str:
    return json.dumps(counts, sort_keys=True)
