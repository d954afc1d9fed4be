"""Visits and their sale lines, from staged export rows; and the money that landed.

A visit is every staged row that shares its visit key (appointment, receipt or
transaction id). Each row that sold something is a line of its own: a receipt
with a cut by one stylist and colour by another keeps both, and a negative row
(refund, comp, correction) lands as an ``adjustment`` line that lowers the
visit's revenue. A line's identity is its visit, what it sold (``line_hash``
over the parsed line) and its place among identical lines of that visit, so the same
export read again changes nothing and an overlapping export merges.

A newer export of a visit is the truth about that visit's lines: lines the
database holds for it that the file no longer has are removed (their whole
row is kept in ``import_changes`` so undo puts them back). Two exceptions keep
detail that a coarser file cannot see: a payments file's one-line summary of a
visit never replaces line items an item export gave it, and a file holding
only adjustments for a visit (a refund of an earlier sale) adds them without
touching the sale.

After landing, `money` reads back from the database what this import's lines
hold and `check_money` refuses the import if that differs by a cent from what
was parsed, so "the report says N" can never again disagree with the database.
"""

from __future__ import annotations

from typing import Any

from barberbi_desktop.errors import InputError
from barberbi_desktop.storage.cursor import Cursor

SOLD = ("service", "product", "package", "gift_card")
EXTRAS = ("tip", "tax", "discount")
_SOLD = ", ".join(f"'{k}'" for k in SOLD)
_LINE_KINDS = _SOLD + ", 'adjustment'"

# Every column of sale_items, so a removed line can be written back exactly by undo.
ITEM_ROW = [
    "id", "appointment_id", "client_id", "location_id", "barber_id", "sold_at_utc", "kind",
    "service_id", "name", "quantity", "unit_price_cents", "discount_cents", "tax_cents",
    "tip_cents", "payment_method", "natural_key", "import_batch_id",
]  # fmt: skip

def _flag(condition: str) -> str:
    """A condition as a 0/1 flag (PostgreSQL would store a boolean, which compares with
    neither 0 nor 1 and has no max or sum)."""
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


VISIT_FIELDS = [
    "start_utc", "end_utc", "status", "status_raw", "booked_at_utc", "cancelled_at_utc",
    "time_known", "channel",
    "client_key", "barber", "location", "source_id",
]  # fmt: skip


def script(cur: Cursor, sql: str) -> None:
    """Run several statements inside the open transaction (see `Cursor.script`)."""
    cur.script(sql)


def number_lines(cur: Cursor) -> bool:
    """Number each visit's rows and give every row that is a line its item key.

    Returns True when the file is *simple*: one row per visit and no separate
    line-item file, the common case of a big booking export, which skips the
    window functions (a million rows).

    A row of a payments file (role ``summary``) is a line only when the import
    has no item rows for its visit (or, for a refund row, no refund item rows);
    its key is marked ``:s:`` so a later item export can tell a summary from detail.
    """
    simple = not cur.execute(
        "SELECT EXISTS (SELECT 1 FROM stage_lines WHERE role = 'lines') OR EXISTS "
        "(SELECT 1 FROM stage_lines GROUP BY visit_key HAVING count(*) > 1)"
    ).fetchone()[0]
    if simple:  # every row is the one line of its visit, keyed so when it was staged
        return True
    rid = cur.rowid
    script(
        cur,
        f"""
        DROP TABLE IF EXISTS temp.stage_detail;
        CREATE TEMP TABLE stage_detail AS SELECT visit_key,
          max({_flag("kind = 'adjustment'")}) AS has_adjustment
          FROM stage_lines WHERE role = 'lines' GROUP BY visit_key;
        CREATE UNIQUE INDEX temp.ix_stage_detail ON stage_detail (visit_key);
        -- A payments file's refund row is the visit's only record of the refund unless
        -- the item file has refund lines of its own.
        UPDATE stage_lines SET is_line = CASE WHEN role != 'summary' THEN 1
          WHEN kind = 'adjustment' THEN coalesce((SELECT 1 - d.has_adjustment FROM stage_detail d
            WHERE d.visit_key = stage_lines.visit_key), 1)
          WHEN EXISTS (SELECT 1 FROM stage_detail d WHERE d.visit_key = stage_lines.visit_key)
            THEN 0 ELSE 1 END;
        DROP TABLE IF EXISTS temp.stage_num;
        CREATE TEMP TABLE stage_num AS SELECT {rid} AS rid,
          row_number() OVER (PARTITION BY visit_key ORDER BY file_idx, row) - 1 AS n,
          row_number() OVER (PARTITION BY visit_key, role, line_hash ORDER BY file_idx, row) - 1
            AS occ
          FROM stage_lines;
        CREATE UNIQUE INDEX temp.ix_stage_num ON stage_num (rid);
        UPDATE stage_lines SET line_no = (SELECT n FROM stage_num WHERE rid = stage_lines.{rid}),
          item_key = visit_key || CASE WHEN role = 'summary' THEN ':s:' ELSE ':' END
            || line_hash || ':' || (SELECT occ FROM stage_num WHERE rid = stage_lines.{rid})
          WHERE is_line = 1;
        UPDATE stage_lines SET item_key = NULL WHERE is_line = 0;
        DROP TABLE temp.stage_num
        """,
    )
    return False


def visits(cur: Cursor, simple: bool) -> None:
    """One staged visit per visit key, with what its lines say about it as a whole.

    The visit's fields come from its first row that is not an adjustment (a refund
    row carries the refund's date, not the visit's), filled in from the first row
    of an item file. ``adjust_only``: the visit's lines are all adjustments, so it
    is a refund or comp of a sale, not a sale.
    """
    fields = ", ".join(VISIT_FIELDS)
    if simple:
        script(
            cur,
            f"""
            DROP TABLE IF EXISTS temp.stage_visits;
            CREATE TEMP TABLE stage_visits AS
              SELECT visit_key, {fields},
                     CASE WHEN kind IN ('service', 'package') THEN item_name END AS service_name,
                     0 AS summary_tip,
                     payment_method, {_flag("kind = 'adjustment'")} AS adjust_only,
                     row_hash, {_flag("role = 'summary'")} AS summary_only,
                     {_flag("role != 'summary'")} AS has_detail,
                     {_flag("role = 'summary'")} AS has_summary,
                     {_flag("kind = 'adjustment'")} AS has_adjustment
              FROM stage_lines;
            CREATE UNIQUE INDEX temp.ix_stage_visits ON stage_visits (visit_key)
            """,
        )
        return
    coalesced = ", ".join(f"coalesce(p.{c}, f.{c}) AS {c}" for c in VISIT_FIELDS)
    first = (
        f"SELECT * FROM stage_lines WHERE {cur.rowid} IN (SELECT rid FROM (SELECT "
        f"{cur.rowid} AS rid, row_number() OVER (PARTITION BY visit_key ORDER BY "
        "kind = 'adjustment', file_idx, row) AS n FROM stage_lines WHERE {where}) x "
        "WHERE n = 1)"
    )
    script(
        cur,
        f"""
        DROP TABLE IF EXISTS temp.stage_prim;
        DROP TABLE IF EXISTS temp.stage_first;
        DROP TABLE IF EXISTS temp.stage_visits;
        DROP TABLE IF EXISTS temp.stage_vsum;
        CREATE TEMP TABLE stage_prim AS {first.format(where="role != 'lines'")};
        CREATE UNIQUE INDEX temp.ix_stage_prim ON stage_prim (visit_key);
        CREATE TEMP TABLE stage_first AS {first.format(where="role = 'lines'")};
        CREATE UNIQUE INDEX temp.ix_stage_first ON stage_first (visit_key);
        CREATE TEMP TABLE stage_vsum AS SELECT visit_key,
          sum(CASE WHEN is_line = 0 THEN coalesce(tip_cents, 0) ELSE 0 END) AS summary_tip,
          {_flag(f"sum(CASE WHEN is_line = 1 AND kind IN ({_SOLD}) THEN 1 ELSE 0 END) = 0")}
            AS adjust_only,
          {_flag("sum(CASE WHEN is_line = 1 AND role != 'summary' THEN 1 ELSE 0 END) = 0")}
            AS summary_only,
          CASE WHEN count(*) = 1 THEN max(row_hash) END AS row_hash,
          max({_flag("is_line = 1 AND role != 'summary'")}) AS has_detail,
          max({_flag("role = 'summary'")}) AS has_summary,
          max({_flag("is_line = 1 AND kind = 'adjustment'")}) AS has_adjustment,
          (SELECT l.item_name FROM stage_lines l WHERE l.visit_key = s.visit_key AND
            l.is_line = 1 AND l.kind IN ('service', 'package') AND l.item_name IS NOT NULL
            ORDER BY l.line_no LIMIT 1) AS service_name
          FROM stage_lines s GROUP BY visit_key;
        CREATE UNIQUE INDEX temp.ix_stage_vsum ON stage_vsum (visit_key);
        CREATE TEMP TABLE stage_visits AS
          SELECT p.visit_key, {coalesced}, m.service_name, m.summary_tip,
                 p.payment_method, m.adjust_only, m.row_hash, m.summary_only, m.has_detail,
                 m.has_summary, m.has_adjustment
          FROM stage_prim p LEFT JOIN stage_first f ON f.visit_key = p.visit_key
          JOIN stage_vsum m ON m.visit_key = p.visit_key
          UNION ALL
          SELECT f.visit_key, {", ".join(f"f.{c}" for c in VISIT_FIELDS)}, m.service_name,
                 0, f.payment_method, m.adjust_only, m.row_hash, 0, m.has_detail,
                 m.has_summary, m.has_adjustment
          FROM stage_first f JOIN stage_vsum m ON m.visit_key = f.visit_key
          WHERE NOT EXISTS (SELECT 1 FROM stage_prim p WHERE p.visit_key = f.visit_key);
        CREATE UNIQUE INDEX temp.ix_stage_visits ON stage_visits (visit_key)
        """,
    )


ITEMS_SELECT = f"""
          SELECT l.item_key AS natural_key, a.id AS appointment_id,
                 a.client_id, a.location_id, lb.barber_id, a.start_utc AS sold_at_utc, l.kind,
                 CASE WHEN l.kind IN ('service', 'package') THEN sv.service_id END AS service_id,
                 coalesce(l.item_name, CASE WHEN l.kind = 'adjustment' THEN 'Adjustment'
                                            ELSE 'Item' END) AS name,
                 l.quantity, l.unit_price_cents,
                 l.discount_cents + CASE WHEN l.line_no = e.first_line THEN e.discount ELSE 0 END
                   AS discount_cents,
                 l.tax_cents + CASE WHEN l.line_no = e.first_line THEN e.tax ELSE 0 END
                   AS tax_cents,
                 l.tip_cents + CASE WHEN l.line_no = e.first_line THEN e.tip ELSE 0 END
                   AS tip_cents,
                 coalesce(l.payment_method, v.payment_method) AS payment_method,
                 (SELECT id FROM sale_items t WHERE t.natural_key = l.item_key) AS old_id
          FROM stage_visits v
          JOIN stage_appts a ON a.natural_key = v.visit_key
          JOIN stage_lines l ON l.visit_key = v.visit_key AND l.is_line = 1
          JOIN stage_extras e ON e.visit_key = v.visit_key
          LEFT JOIN stage_services sv ON sv.lname = lower(l.item_name)
          LEFT JOIN stage_barbers lb ON lb.location_id = a.location_id
            AND lb.lname = lower(l.barber)
          WHERE a.status = 'completed' AND a.stale = 0 AND l.kind IN ({_LINE_KINDS})
            AND NOT (a.keep_detail = 1 AND (l.kind != 'adjustment' OR a.detail_refunds = 1))
          UNION ALL
          SELECT v.visit_key || ':s:tips', a.id, a.client_id, a.location_id, NULL, a.start_utc,
                 'adjustment', NULL, 'Tips from the payments file', 1, 0, 0, 0, v.summary_tip,
                 v.payment_method,
                 (SELECT id FROM sale_items t WHERE t.natural_key = v.visit_key || ':s:tips')
          FROM stage_visits v JOIN stage_appts a ON a.natural_key = v.visit_key
          WHERE a.status = 'completed' AND a.stale = 0 AND v.summary_tip != 0
          UNION ALL
          SELECT v.visit_key || ':extras', a.id, a.client_id, a.location_id, NULL, a.start_utc,
                 'adjustment', NULL, 'Tips, tax and discounts', 1, 0, e.discount, e.tax, e.tip,
                 v.payment_method,
                 (SELECT id FROM sale_items t WHERE t.natural_key = v.visit_key || ':extras')
          FROM stage_visits v JOIN stage_appts a ON a.natural_key = v.visit_key
          JOIN stage_extras e ON e.visit_key = v.visit_key
          WHERE a.status = 'completed' AND a.stale = 0 AND a.keep_detail = 0
            AND e.first_line IS NULL AND (e.tip != 0 OR e.tax != 0 OR e.discount != 0)
"""


def extras(cur: Cursor) -> None:
    """Tip, tax and discount rows ride on the visit's first line.

    A visit whose only money is such rows gets one carrier line, so nothing with
    money in it is dropped. A payments file's tips for a visit an item file details
    get a line of their own (``:s:tips``): an item file read again alone must not
    take them off.
    """
    script(
        cur,
        f"""
        DROP TABLE IF EXISTS temp.stage_extras;
        CREATE TEMP TABLE stage_extras AS
          SELECT v.visit_key,
                 coalesce(sum(CASE WHEN l.kind = 'tip' THEN l.unit_price_cents END), 0) AS tip,
                 coalesce(sum(CASE WHEN l.kind = 'tax' THEN l.unit_price_cents END), 0) AS tax,
                 coalesce(sum(CASE WHEN l.kind = 'discount' THEN l.unit_price_cents END), 0)
                   AS discount,
                 min(CASE WHEN l.kind IN ({_LINE_KINDS}) THEN l.line_no END) AS first_line
          FROM stage_visits v LEFT JOIN stage_lines l ON l.visit_key = v.visit_key
            AND l.is_line = 1
          GROUP BY v.visit_key;
        CREATE UNIQUE INDEX temp.ix_stage_extras ON stage_extras (visit_key)
        """,
    )


def keep_detail(cur: Cursor) -> None:
    """A payments file's summary of a visit never replaces the item lines it already has,
    and its refund rows are not added again where an item export gave the refund."""
    detail = (
        "EXISTS (SELECT 1 FROM sale_items t WHERE t.appointment_id = stage_appts.id AND "
        "t.natural_key NOT LIKE stage_appts.natural_key || ':s:%' AND t.natural_key != "
        "stage_appts.natural_key || ':extras' AND t.kind {which})"
    )
    cur.execute(
        "UPDATE stage_appts SET keep_detail = 1 WHERE old_id IS NOT NULL AND natural_key IN "
        f"(SELECT visit_key FROM stage_visits WHERE summary_only = 1) AND "
        f"{detail.format(which=f'IN ({_SOLD})')}"
    )
    cur.execute(
        "UPDATE stage_appts SET detail_refunds = 1 WHERE keep_detail = 1 AND "
        f"{detail.format(which='= ' + repr('adjustment'))}"
    )


def replace_lines(cur: Cursor, p: dict[str, Any]) -> int:
    """Remove the lines a newer export of a visit no longer has; returns how many.

    Each removed row is copied whole into ``import_changes`` first, so undo can put
    it back. A visit that is no longer completed loses its lines. Visits holding
    only adjustments, summaries kept beside detail, and visits with a refused row
    (``--skip-bad-rows``) remove nothing.
    """
    cur.execute("DROP TABLE IF EXISTS temp.stage_gone")
    cur.execute(
        "CREATE TEMP TABLE stage_gone AS SELECT t.id FROM stage_appts a JOIN stage_visits v "
        "ON v.visit_key = a.natural_key JOIN sale_items t ON t.appointment_id = a.id "
        "WHERE a.old_id IS NOT NULL AND a.stale = 0 AND a.keep_detail = 0 "
        "AND v.adjust_only = 0 AND NOT EXISTS (SELECT 1 FROM stage_rejected r "
        "WHERE r.visit_key = a.natural_key) "
        "AND NOT EXISTS (SELECT 1 FROM stage_items s WHERE s.natural_key = t.natural_key) "
        # A refund given after this export was taken stays unless the export has refunds.
        "AND (t.kind != 'adjustment' OR v.has_adjustment = 1 OR t.natural_key IN "
        "(a.natural_key || ':extras', a.natural_key || ':s:tips')) "
        # A payments file replaces payments-file lines, an item file item lines.
        "AND CASE WHEN t.natural_key LIKE a.natural_key || ':s:%' THEN v.has_summary "
        "ELSE v.has_detail END = 1"
    )
    row = ", ".join(f"'{c}', t.{c}" for c in ITEM_ROW)
    cur.execute(
        "INSERT INTO import_changes (batch_id, table_name, row_id, action, before) "
        f"SELECT :b, 'sale_items', t.id, 'delete', json_object({row}) FROM sale_items t "
        "WHERE t.id IN (SELECT id FROM stage_gone)",
        p,
    )
    return cur.execute(
        "DELETE FROM sale_items WHERE id IN (SELECT id FROM stage_gone)"
    ).rowcount


def put_back_removed(cur: Cursor, batch_id: int) -> int:
    """Undo's half of `replace_lines`: write the removed lines back as they were."""
    values = ", ".join(cur.json_field("c.before", col, "sale_items") for col in ITEM_ROW)
    put_back = cur.execute(
        f"INSERT INTO sale_items ({', '.join(ITEM_ROW)}) SELECT {values} FROM import_changes c "
        "WHERE c.batch_id = ? AND c.table_name = 'sale_items' AND c.action = 'delete'",
        (batch_id,),
    ).rowcount
    if put_back:
        cur.after_explicit_ids("sale_items")
    return put_back


_SUMS = f"""
  coalesce(sum(CASE WHEN {{k}} IN ({_SOLD}) THEN {{q}} * {{u}} END), 0),
  coalesce(sum(CASE WHEN {{k}} = 'adjustment' THEN {{q}} * {{u}} END), 0),
  coalesce(sum({{d}}), 0), coalesce(sum({{x}}), 0), coalesce(sum({{t}}), 0),
  coalesce(sum(CASE WHEN {{u}} IS NULL AND {{k}} IN ({_SOLD}) THEN 1 END), 0), count(*)
"""
_MONEY_KEYS = ("sales", "adjustments", "discounts", "tax", "tips", "unknown_price", "lines")


def _landed(cur: Cursor) -> tuple[int, ...]:
    """What the database holds for the sale lines this import wrote or kept.

    The import's own lines are found by their natural keys; visits that a verbatim
    re-import skipped without parsing (``stage_known_hits``) count with all their lines.
    """
    sums = _SUMS.format(k="t.kind", q="t.quantity", u="t.unit_price_cents",
                        d="t.discount_cents", x="t.tax_cents", t="t.tip_cents")
    # One set of ids rather than ``natural_key IN (...) OR appointment_id IN (...)``, which
    # PostgreSQL can only answer by probing the whole list for every row of the table.
    return _ints(cur.execute(
        f"SELECT {sums} FROM sale_items t WHERE t.id IN (SELECT i.id FROM stage_items s "
        "JOIN sale_items i ON i.natural_key = s.natural_key UNION SELECT i.id FROM "
        "stage_known_hits h JOIN appointments a ON a.natural_key = h.k "
        "JOIN sale_items i ON i.appointment_id = a.id)"
    ).fetchone())


def _ints(row: tuple[Any, ...]) -> tuple[int, ...]:
    """PostgreSQL sums big integers as numeric (Python ``Decimal``); money is whole cents."""
    return tuple(int(v) for v in row)


def _parsed(cur: Cursor) -> tuple[int, ...]:
    """What the parsed file holds for the lines that should have landed.

    Worked out from the staged rows, not from the items that were written, so a
    join that loses or doubles a line shows up as a difference.
    """
    sums = _SUMS.format(k="l.kind", q="l.quantity", u="l.unit_price_cents",
                        d="l.discount_cents", x="l.tax_cents", t="l.tip_cents")
    written = (
        "a.status = 'completed' AND a.stale = 0 AND (a.keep_detail = 0 OR "
        "(l.kind = 'adjustment' AND a.detail_refunds = 0))"
    )
    lines = _ints(cur.execute(
        f"SELECT {sums} FROM stage_lines l JOIN stage_appts a ON a.natural_key = l.visit_key "
        f"WHERE l.is_line = 1 AND l.kind IN ({_LINE_KINDS}) AND {written}"
    ).fetchone())
    extra = _ints(cur.execute(
        "SELECT coalesce(sum(e.discount), 0), coalesce(sum(e.tax), 0), "
        "coalesce(sum(e.tip), 0) + coalesce(sum(v.summary_tip), 0), "
        "coalesce(sum(CASE WHEN e.first_line IS NULL AND (e.tip != 0 OR e.tax != 0 OR "
        "e.discount != 0) THEN 1 END), 0) + "
        "coalesce(sum(CASE WHEN v.summary_tip != 0 THEN 1 ELSE 0 END), 0) "
        "FROM stage_extras e JOIN stage_appts a ON a.natural_key = e.visit_key "
        "JOIN stage_visits v ON v.visit_key = e.visit_key WHERE a.status = 'completed' "
        "AND a.stale = 0 AND (a.keep_detail = 0 OR e.first_line IS NOT NULL)"
    ).fetchone())
    known_sums = _SUMS.format(k="t.kind", q="t.quantity", u="t.unit_price_cents",
                              d="t.discount_cents", x="t.tax_cents", t="t.tip_cents")
    known = _ints(cur.execute(
        f"SELECT {known_sums} FROM sale_items t WHERE t.appointment_id IN (SELECT a.id FROM "
        "appointments a WHERE a.natural_key IN (SELECT k FROM stage_known_hits))"
    ).fetchone())
    return (lines[0] + known[0], lines[1] + known[1], lines[2] + extra[0] + known[2],
            lines[3] + extra[1] + known[3], lines[4] + extra[2] + known[4], lines[5] + known[5],
            lines[6] + extra[3] + known[6])


def money(cur: Cursor, *, has_tax: bool, has_tips: bool,
          has_price: bool = True) -> dict[str, int | None]:
    """The import's money as the database holds it; refuses if it is not the parsed money.

    A file without a price column (a calendar export) has no sales figure: null, not $0.
    """
    landed = _landed(cur)
    parsed = _parsed(cur)
    if landed != parsed:
        diff = {k: (p, d) for k, p, d in zip(_MONEY_KEYS, parsed, landed, strict=True) if p != d}
        raise InputError(
            "The import was rolled back: the database would not hold exactly the money the file "
            f"holds ({', '.join(f'{k}: file {p}, database {d}' for k, (p, d) in diff.items())}); "
            "please report this file."
        )
    sales, adjustments, discounts, tax, tips, unknown, lines = landed
    has_tax = has_tax or bool(cur.execute(
        "SELECT EXISTS (SELECT 1 FROM stage_lines WHERE kind = 'tax')").fetchone()[0])
    has_tips = has_tips or bool(cur.execute(
        "SELECT EXISTS (SELECT 1 FROM stage_lines WHERE kind = 'tip')").fetchone()[0])
    return {
        "sales_cents": sales if has_price else None,
        "adjustments_cents": adjustments,
        "discounts_cents": discounts,
        "net_cents": sales + adjustments - discounts if has_price else None,
        "tax_cents": tax if has_tax else None,
        "tips_cents": tips if has_tips else None,
        "unknown_price_lines": unknown,
        "lines": lines,
    }


def _amount(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) / 100:,.2f}"


def money_sentence(money: dict[str, int | None] | None) -> str:
    """The money an import landed, as the owner compares it with the platform's own report."""
    if not money:
        return ""
    if money.get("sales_cents") is None:
        return f"{money['lines']:,} sale lines; the file has no prices, so its sales are unknown."
    parts = [f"{money['lines']:,} sale lines", f"sales {_amount(money['sales_cents'] or 0)}"]
    if money.get("adjustments_cents"):
        parts.append(f"refunds and corrections {_amount(money['adjustments_cents'] or 0)}")
    if money.get("discounts_cents"):
        parts.append(f"discounts {_amount(-(money['discounts_cents'] or 0))}")
    parts.append(f"net {_amount(money['net_cents'] or 0)}")
    for key, label in (("tax_cents", "tax"), ("tips_cents", "tips")):
        value = money.get(key)
        shown = _amount(value) if value is not None else "not in the file"
        parts.append(f"{label} {shown}")
    if money.get("unknown_price_lines"):
        parts.append(f"{money['unknown_price_lines']:,} lines without a price")
    return "; ".join(parts) + "."
