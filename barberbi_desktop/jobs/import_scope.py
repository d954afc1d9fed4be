"""Which locations an import landed at, for a location manager's Imports tab and undo.

An import batch records who made it, not where: a chain's computers share one
database and a file may hold several locations' rows. Where it landed is read
from what it wrote: the rows that still carry its batch id (visits, sale lines,
barbers, reviews), the rows it updated (`import_changes`) and the locations it
created. A batch undone since, or one that only changed client lists, has no
location left to read; its location manager still sees it if they made it.

A location manager may undo the shop's last import only when it landed at their
location alone (or changed no location's rows and was theirs): undo takes the
last batch whatever it holds, so a batch that also wrote another location's rows
is the owner's to take back. The check and the undo are one transaction, so a
batch another computer lands in between is never undone by mistake.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from barberbi_desktop.events import EventHub
from barberbi_desktop.ingest.importer import undo_last_import
from barberbi_desktop.storage.cursor import raw_cursor
from barberbi_desktop.storage.db import Database

# Tables whose rows stand at one location and carry the batch that wrote them.
PLACED = ("appointments", "sale_items", "barbers", "reviews")
UPDATED = ("appointments", "sale_items", "barbers")  # updates are kept in import_changes


def _places_sql(where: str) -> str:
    """(batch, location) pairs; ``where`` is "batch" (one batch, :b) or "location" (:loc)."""
    own = "import_batch_id = :b" if where == "batch" else "location_id = :loc"
    changed = "c.batch_id = :b" if where == "batch" else "t.location_id = :loc"
    made = "batch_id = :b" if where == "batch" else "row_id = :loc"
    parts = [
        f"SELECT import_batch_id AS batch, location_id AS loc FROM {t} "
        f"WHERE import_batch_id IS NOT NULL AND {own}"
        for t in PLACED
    ]
    parts += [
        f"SELECT c.batch_id, t.location_id FROM import_changes c JOIN {t} t ON t.id = c.row_id "
        f"WHERE c.table_name = '{t}' AND c.action = 'update' AND {changed}"
        for t in UPDATED
    ]
    parts.append(
        "SELECT batch_id, row_id FROM import_changes WHERE table_name = 'locations' "
        f"AND action = 'insert' AND {made}"
    )
    return " UNION ".join(parts)


def batches_at(db: Database, location_id: int, user_id: int | None = None) -> set[int]:
    """The batches that landed rows at ``location_id``, and those ``user_id`` made."""
    with db.read() as conn:
        found = {int(b) for b, _ in conn.execute(text(_places_sql("location")),
                                                 {"loc": location_id})}  # fmt: skip
        if user_id is not None:
            found |= {int(b) for (b,) in conn.execute(
                text("SELECT id FROM import_batches WHERE user_id = :u"), {"u": user_id})}
    return found


def _refusal(
    cur: Any, batch_id: int, file_name: str, made_by: int | None, location_id: int,
    user_id: int | None,
) -> str | None:
    """Why this manager may not undo the batch (None: they may)."""
    places = {int(loc) for _, loc in cur.execute(_places_sql("batch"), {"b": batch_id})
              .fetchall()}  # fmt: skip
    if places == {location_id} or (not places and made_by is not None and made_by == user_id):
        return None
    where = "other locations too" if location_id in places else "another location"
    return (
        f"The last import (#{batch_id}, {file_name}) landed at {where}, so only the owner "
        "can undo it."
    )


def may_undo(db: Database, location_id: int, user_id: int | None) -> bool:
    """Whether this location manager may undo the shop's last import now."""
    with raw_cursor(db) as cur:
        row = cur.execute(
            "SELECT id, file_name, user_id FROM import_batches WHERE status = 'landed' "
            "ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return row is not None and _refusal(cur, *row, location_id, user_id) is None


def undo_last_import_at(
    db: Database, location_id: int, hub: EventHub | None = None, user_id: int | None = None
) -> dict[str, Any]:
    """`importer.undo_last_import` for a location manager: the same exact undo, refused
    in one sentence when the last batch is not their location's alone."""

    def refuse(cur: Any, batch_id: int, file_name: str, made_by: int | None) -> str | None:
        return _refusal(cur, batch_id, file_name, made_by, location_id, user_id)

    return undo_last_import(db, hub, user_id, refuse=refuse)
