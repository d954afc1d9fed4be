"""Landing a list in the shop database: set-based SQL that fills in, never takes away.

Clients go through the booking import's own matching (`load._clients`: platform
id, then email, then phone; a name alone never merges), staged as lines of the
same shape, so a list and a booking export find the same person. What only
lists carry (first seen, referral source, marketing consent, birthday) is then
filled in where the shop has nothing, except first seen, which takes the
earlier date. Services match by name, staff by platform id, then by name within
their location, like the services and barbers a booking import creates.

Undo stays exact. Inserted rows carry the batch id, as in `load`. An update
records the old values of exactly the columns it may change in
``import_changes`` under ``"<table>:list"``, a name `load.undo_batch` does not
read, so the two never restore the same row from different snapshots;
`undo_batch` here writes those back and must run before `load.undo_batch`,
which then deletes the batch's change records.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from barberbi_desktop.ingest import load
from barberbi_desktop.ingest.canonical import LINE_COLUMNS
from barberbi_desktop.storage import premium
from barberbi_desktop.storage.cursor import Cursor

# Columns a list may change on an existing row, per table; undo restores exactly these.
RESTORE = {
    "clients": ["first_seen_utc", "referral_source", "marketing_consent", "birthday_month",
                "birthday_day"],
    "services": ["category", "list_price_cents", "duration_min", "premium"],
    "barbers": ["active", "external_ids"],
}  # fmt: skip
Outcomes = list[tuple[str, int]]  # (insert, update or same; how many file rows)
_NAMES = {"insert": "inserted", "update": "updated", "same": "unchanged"}
_STAGE = ("client_extra", "client_more", "names_list", "svc_rows", "svc", "staff_rows", "staff")
# The staged list columns that are not text (flags are 0/1, except a staff member's
# ``active``, which is written to a boolean column as it is).
_TYPES = {
    "row": "INTEGER", "consent": "INTEGER", "bmd": "INTEGER", "duration": "INTEGER",
    "price": "INTEGER", "category_given": "INTEGER", "active": "BOOLEAN",
}  # fmt: skip
JSON_COLUMNS = {"external_ids"}


def _frame_into(cur: Cursor, table: str, frame: pd.DataFrame) -> None:
    cur.execute(f"DROP TABLE IF EXISTS temp.{table}")
    cols = ", ".join(f"{c} {_TYPES.get(c, 'TEXT')}" for c in frame.columns)
    cur.execute(f"CREATE TEMP TABLE {table} ({cols})")
    values = [load._py(frame[c]) for c in frame.columns]
    values = [load._whole(v) if _TYPES.get(c) == "INTEGER" else v
              for c, v in zip(frame.columns, values, strict=True)]  # fmt: skip
    cur.insert_rows(table, list(frame.columns), zip(*values, strict=True))


def _record(cur: Cursor, table: str, joined: str, diff: str, p: dict[str, Any]) -> None:
    """Old values of the rows ``joined`` (``FROM ... t``) selects where ``diff`` holds."""
    before = ", ".join(f"'{c}', t.{c}" for c in RESTORE[table])
    cur.execute(
        "INSERT INTO import_changes (batch_id, table_name, row_id, action, before) "
        f"SELECT :b, '{table}:list', t.id, 'update', json_object({before}) {joined} AND {diff}",
        p,
    )


def merge(cur: Cursor, kind: str, rows: pd.DataFrame, *, batch_id: int, family: str,
          zone: str) -> dict[str, int]:
    """Land a list's good rows (`lists.transform`); returns inserted/updated/unchanged rows."""
    p = {"b": batch_id, "family": family, "zone": zone, "t": premium.threshold(cur)}
    outcomes = {"clients": _clients, "services": _services, "staff": _staff}[kind](cur, rows, p)
    counts = dict.fromkeys(_NAMES.values(), 0)
    for outcome, n in outcomes:
        counts[_NAMES[outcome]] += n
    return counts


def _differs(new: str, old: str, json: bool) -> str:
    """``new`` is not ``old`` (NULLs alike); JSON compares as its text, since PostgreSQL's
    ``json`` has no equality."""
    if json:
        return f"CAST(({new}) AS TEXT) IS NOT CAST({old} AS TEXT)"
    return f"({new}) IS NOT {old}"


def _json_get(cur: Cursor, doc: str, key: str) -> str:
    """The text under ``key`` (an SQL string literal) of the JSON object ``doc``."""
    if cur.postgres:
        return f"(CAST({doc} AS json) ->> {key})"
    return f"json_extract({doc}, '$.\"' || {key} || '\"')"


def _json_put(cur: Cursor, doc: str, key: str, value: str) -> str:
    """The JSON object ``doc`` with ``key`` set to the text ``value``."""
    if cur.postgres:
        return f"CAST(CAST({doc} AS jsonb) || jsonb_build_object({key}, {value}) AS json)"
    return f"json_set({doc}, '$.\"' || {key} || '\"', {value})"


# --- clients -------------------------------------------------------------------------


def _clients(cur: Cursor, rows: pd.DataFrame, p: dict[str, Any]) -> Outcomes:
    locs = cur.execute("SELECT name FROM locations").fetchall()
    lines = pd.DataFrame({
        "row": rows["row"], "client_key": rows["client_key"], "client_ext": rows["client_ext"],
        "client_name": rows["client_name"], "email": rows["email"], "phone": rows["phone"],
        "start_utc": rows["first_seen"],  # the booking import's first visit
        "location": locs[0][0] if len(locs) == 1 else None,  # a home only where it is clear
    }).reindex(columns=LINE_COLUMNS)  # fmt: skip
    load.create_stage(cur)
    load.stage(cur, lines, 0, "primary")
    cur.execute("DROP TABLE IF EXISTS temp.stage_loc")
    cur.execute("CREATE TEMP TABLE stage_loc AS SELECT lower(name) AS lname, min(id) AS id "
                "FROM locations GROUP BY lower(name)")  # fmt: skip
    load._clients(cur, p)
    extra = pd.DataFrame({
        "client_key": rows["client_key"], "referral": rows["referral"],
        "consent": rows["consent"].map({True: 1, False: 0}).astype(object),
        "bmd": rows["birthday_month"] * 100 + rows["birthday_day"],
    })  # fmt: skip
    _frame_into(cur, "stage_client_extra", extra)
    load._script(cur, """
        CREATE TEMP TABLE stage_client_more AS
          SELECT s.client_id, min(s.first_seen) AS first_seen, max(x.referral) AS referral,
                 max(x.consent) AS consent, max(x.bmd) AS bmd,
                 max(CASE WHEN s.outcome = 'insert' THEN 1 ELSE 0 END) AS inserted
          FROM stage_clients s LEFT JOIN stage_client_extra x ON x.client_key = s.client_key
          WHERE s.client_id IS NOT NULL GROUP BY s.client_id;
        CREATE UNIQUE INDEX temp.ix_stage_client_more ON stage_client_more (client_id);
        -- Clients this batch created are deleted by undo: no old values to keep.
        UPDATE clients SET referral_source = m.referral,
               marketing_consent = CAST(m.consent AS BOOLEAN),
               birthday_month = m.bmd / 100, birthday_day = m.bmd % 100
          FROM stage_client_more m WHERE clients.id = m.client_id AND m.inserted = 1
        """)  # fmt: skip
    new = {
        "first_seen_utc": "CASE WHEN m.first_seen < coalesce(t.first_seen_utc, m.first_seen + 1)"
                          " THEN m.first_seen ELSE t.first_seen_utc END",
        "referral_source": "coalesce(t.referral_source, m.referral)",
        "marketing_consent": "coalesce(t.marketing_consent, CAST(m.consent AS BOOLEAN))",
        "birthday_month": "CASE WHEN t.birthday_month IS NULL THEN m.bmd / 100 "
                          "ELSE t.birthday_month END",
        "birthday_day": "CASE WHEN t.birthday_month IS NULL THEN m.bmd % 100 "
                        "ELSE t.birthday_day END",
    }  # fmt: skip
    joined = ("FROM stage_client_more m JOIN clients t ON t.id = m.client_id "
              "WHERE m.inserted = 0")  # fmt: skip
    diff = "(" + " OR ".join(f"({e}) IS NOT t.{c}" for c, e in new.items()) + ")"
    _record(cur, "clients", joined, diff, p)
    cur.execute(f"UPDATE stage_clients SET outcome = 'update' WHERE outcome = 'same' AND "
                f"client_id IN (SELECT t.id {joined} AND {diff})")
    sets = ", ".join(f"{c} = {e}" for c, e in new.items())
    cur.execute(f"UPDATE clients AS t SET {sets} FROM stage_client_more m "
                f"WHERE t.id = m.client_id AND m.inserted = 0 AND {diff}")
    _propose_same_name(cur, p)
    counts = load._customer_counts(cur).counts.get(0, {})
    return [(o, counts.get(k, 0)) for o, k in _NAMES.items()]


def _propose_same_name(cur: Cursor, p: dict[str, Any]) -> None:
    """A new client whose id, email or phone matched nobody but whose name an existing client
    has (say, a Fresha client already imported by name from the appointment list): ask the
    owner, do not merge. Name-only rows were proposed by `load._clients` already; clients
    with an id of the same platform are other people."""
    cur.execute("DROP TABLE IF EXISTS temp.stage_names_list")
    cur.execute(
        "CREATE TEMP TABLE stage_names_list AS SELECT lower(display_name) AS lname, "
        "min(id) AS id FROM clients WHERE id NOT IN (SELECT client_id FROM stage_clients "
        "WHERE outcome = 'insert' AND client_id IS NOT NULL) AND natural_key NOT LIKE "
        ":family || ':client:%' GROUP BY lower(display_name)",
        p,
    )
    cur.execute("CREATE UNIQUE INDEX temp.ix_stage_names_list ON stage_names_list (lname)")
    cur.execute(
        "INSERT INTO client_merge_proposals (batch_id, client_id, candidate_id, reason, status) "
        "SELECT :b, c.id, n.id, 'the same name (' || c.display_name || ') and nothing else "
        "in common', 'open' FROM stage_clients s JOIN clients c ON c.id = s.client_id "
        "JOIN stage_names_list n ON n.lname = lower(c.display_name) "
        "WHERE s.outcome = 'insert' AND s.strength < 4",
        p,
    )


# --- services ------------------------------------------------------------------------


def _services(cur: Cursor, rows: pd.DataFrame, p: dict[str, Any]) -> Outcomes:
    frame = rows[["row", "name", "duration", "price", "category", "category_given"]].copy()
    frame["category_given"] = frame["category_given"].astype(int)
    _frame_into(cur, "stage_svc_rows", frame)
    load._script(cur, """
        CREATE TEMP TABLE stage_svc AS
          SELECT lower(name) AS lname, name, duration, price, category, category_given,
                 CAST(NULL AS INTEGER) AS service_id, 'same' AS outcome
          FROM stage_svc_rows WHERE row IN (SELECT min(row) FROM stage_svc_rows
                                           GROUP BY lower(name));
        CREATE UNIQUE INDEX temp.ix_stage_svc ON stage_svc (lname);
        UPDATE stage_svc SET service_id = coalesce(
          (SELECT id FROM services s WHERE lower(s.name) = stage_svc.lname ORDER BY id LIMIT 1),
          (SELECT id FROM services s WHERE s.natural_key = 'service:' || stage_svc.lname));
        UPDATE stage_svc SET outcome = 'insert' WHERE service_id IS NULL
        """)  # fmt: skip
    cur.execute(
        "INSERT INTO services (name, category, list_price_cents, duration_min, premium, active, "
        "natural_key, import_batch_id) SELECT name, category, price, duration, "
        "coalesce(price >= :t, FALSE), TRUE, 'service:' || lname, :b FROM stage_svc "
        "WHERE outcome = 'insert' ORDER BY lname",
        p,
    )
    price = "coalesce(s.price, t.list_price_cents)"
    new = {
        "category": "CASE WHEN s.category_given = 1 OR t.category = 'other' THEN s.category "
                    "ELSE t.category END",
        "list_price_cents": price,
        "duration_min": "coalesce(s.duration, t.duration_min)",
        "premium": f"CASE WHEN {price} IS NULL THEN t.premium ELSE {price} >= :t END",
    }  # fmt: skip
    _update_changed(cur, "services", "stage_svc", "service_id", "lname", new, p)
    return cur.execute(
        "SELECT s.outcome, COUNT(*) FROM stage_svc_rows r JOIN stage_svc s "
        "ON s.lname = lower(r.name) GROUP BY s.outcome"
    ).fetchall()


def _update_changed(cur: Cursor, table: str, stage: str, id_col: str, key_col: str,
                    new: dict[str, str], p: dict[str, Any]) -> None:
    """Write ``new`` (column -> SQL over the stage ``s`` and the row ``t``) to the matched
    rows it changes, old values first into ``import_changes``, and mark them updated."""
    joined = f"FROM {stage} s JOIN {table} t ON t.id = s.{id_col} WHERE s.outcome = 'same'"
    diff = "(" + " OR ".join(_differs(e, f"t.{c}", c in JSON_COLUMNS)
                             for c, e in new.items()) + ")"  # fmt: skip
    _record(cur, table, joined, diff, p)
    cur.execute(f"UPDATE {stage} SET outcome = 'update' WHERE {key_col} IN "
                f"(SELECT s.{key_col} {joined} AND {diff})", p)  # fmt: skip
    sets = ", ".join(f"{c} = {e}" for c, e in new.items())
    cur.execute(f"UPDATE {table} AS t SET {sets} FROM {stage} s WHERE t.id = s.{id_col} "
                f"AND s.outcome = 'update'", p)  # fmt: skip


# --- staff ---------------------------------------------------------------------------


def _staff(cur: Cursor, rows: pd.DataFrame, p: dict[str, Any]) -> Outcomes:
    load.create_stage(cur)  # the staff's locations, staged as lines so `load` creates them
    load.stage(cur, rows[["row", "location"]].reindex(columns=LINE_COLUMNS), 0, "primary")
    load._locations(cur, p)
    frame = rows[["row", "name", "staff_ext", "active", "location"]].copy()
    frame["staff_ext"] = frame["staff_ext"].where(frame["staff_ext"].ne(""), None)
    frame["active"] = frame["active"].map({True: 1, False: 0}).astype(object)
    _frame_into(cur, "stage_staff_rows", frame)
    family = "'" + p["family"].replace("'", "''") + "'"
    load._script(cur, f"""
        CREATE TEMP TABLE stage_staff AS
          SELECT l.id AS location_id, lower(r.name) AS lname, r.name, r.staff_ext AS ext,
                 r.active, CAST(NULL AS INTEGER) AS barber_id, 'same' AS outcome
          FROM stage_staff_rows r JOIN stage_loc l ON l.lname = lower(r.location)
          WHERE r.row IN (SELECT min(row) FROM stage_staff_rows
                          GROUP BY lower(location), lower(name));
        UPDATE stage_staff SET barber_id = (SELECT id FROM barbers b WHERE
          {_json_get(cur, "b.external_ids", family)} = stage_staff.ext ORDER BY id LIMIT 1)
          WHERE ext IS NOT NULL;
        UPDATE stage_staff SET barber_id = (SELECT id FROM barbers b WHERE
          b.location_id = stage_staff.location_id AND lower(b.name) = stage_staff.lname
          ORDER BY id LIMIT 1) WHERE barber_id IS NULL;
        UPDATE stage_staff SET barber_id = (SELECT id FROM barbers b WHERE b.natural_key =
          'barber:' || stage_staff.location_id || ':' || stage_staff.lname)
          WHERE barber_id IS NULL;
        UPDATE stage_staff SET outcome = 'insert' WHERE barber_id IS NULL
        """)  # fmt: skip
    cur.execute(
        "INSERT INTO barbers (location_id, name, pay_model, working_hours, active, external_ids, "
        "natural_key, import_batch_id) SELECT location_id, name, 'commission', '{}', "
        "coalesce(active, TRUE), CASE WHEN ext IS NOT NULL THEN "
        "json_object(CAST(:family AS TEXT), ext) "
        "ELSE '{}' END, 'barber:' || location_id || ':' || lname, :b FROM stage_staff "
        "WHERE outcome = 'insert' ORDER BY location_id, lname",
        p,
    )
    ids = "coalesce(t.external_ids, '{}')"
    new = {
        "active": "coalesce(s.active, t.active)",  # a name the list leaves out stays as it was
        "external_ids": f"CASE WHEN s.ext IS NOT NULL AND {_json_get(cur, ids, family)} IS NULL "
                        f"THEN {_json_put(cur, ids, family, 's.ext')} ELSE t.external_ids END",
    }  # fmt: skip
    _update_changed(cur, "barbers", "stage_staff", "barber_id", "barber_id", new, p)
    return cur.execute(
        "SELECT s.outcome, COUNT(*) FROM stage_staff_rows r JOIN stage_loc l "
        "ON l.lname = lower(r.location) JOIN stage_staff s ON s.location_id = l.id "
        "AND s.lname = lower(r.name) GROUP BY s.outcome"
    ).fetchall()


# --- undo, premium, clean-up ---------------------------------------------------------


def undo_batch(cur: Cursor, batch_id: int) -> int:
    """Write back what a list batch changed on existing rows; run before `load.undo_batch`."""
    restored = 0
    for table, cols in RESTORE.items():
        sets = ", ".join(f"{c} = {cur.json_field('c.before', c, table)}" for c in cols)
        restored += cur.execute(
            f"UPDATE {table} SET {sets} FROM import_changes c WHERE c.batch_id = ? AND "
            f"c.table_name = '{table}:list' AND c.action = 'update' AND {table}.id = c.row_id",
            (batch_id,),
        ).rowcount
    return restored


def mark_premium(cur: Cursor, batch_id: int) -> int:
    """Premium flags for the services ``batch_id`` created without a list price."""
    return premium.mark(cur, premium.threshold(cur),
                        "import_batch_id = ? AND list_price_cents IS NULL", (batch_id,))


def drop_stage(cur: Cursor) -> None:
    if not cur.usable:
        return
    load.drop_stage(cur)
    for t in _STAGE:
        cur.execute(f"DROP TABLE IF EXISTS temp.stage_{t}")
