"""The recent months of a shop, kept in memory and brought up to date by batch.

The KPI refresh runs every minute and right after every import. Reading 200
days of a ten-location chain (600,000 visits, a million sale lines) costs
seconds each time, yet between two refreshes usually nothing, or one small
import, has changed. So the frames from the last load are kept, and a refresh
re-reads only what changed since:

- the data version has not moved: the frames are reused as they are;
- every version since the last load was produced by an import batch
  (``import_batches.data_version``): only the rows those batches wrote are
  re-read, with every sale line of the visits they touched, through the
  ordinary ``sqlite3`` connection (no reader process for a few hundred rows);
- anything else (an undo, a demo write, an earlier window, another file): a
  full load, exactly as `load_shop_data` does it.

The result is always what a full load would return; tests compare the two.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import text

from barberbi_desktop.engines.data import ShopData
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.frames import (
    load_shop_data,
    read_rows,
    sort_key,
    source_of,
    with_visit_totals,
)

# Past this many changed visits a full load is about as quick as the catch-up.
MAX_DELTA_ROWS = 50_000
# The cached window is trimmed to the asked-for start once it holds this much extra.
TRIM_SLACK = timedelta(days=7)
# The small tables an import can write to (reviews, training and brand events are the
# owner's own records, never imported).
_SMALL = ("barbers", "services", "locations")


@dataclass
class _Entry:
    source: str  # the file or server database the frames came from (`source_of`)
    start: datetime
    version: int
    data: ShopData


@dataclass(frozen=True)
class LoadInfo:
    """How the last load was served: 'full', 'cached' or 'delta' (with rows re-read)."""

    how: str
    rows: int = 0


class RecentFrames:
    def __init__(self) -> None:
        self._entry: _Entry | None = None
        self._lock = threading.Lock()
        self.last = LoadInfo("none")

    def load(self, db: Database, start: datetime) -> ShopData:
        """Appointments and sales from ``start`` on, and every other table whole."""
        with self._lock:
            version, batches = _versions(db, self._entry.version if self._entry else None)
            entry = self._entry
            reusable = (
                entry is not None
                and entry.source == source_of(db)
                and entry.start <= start
                and version >= entry.version
            )
            if reusable and version == entry.version:
                self.last = LoadInfo("cached")
            elif reusable and sorted(v for _, v in batches) == list(
                range(entry.version + 1, version + 1)
            ):
                delta = _catch_up(db, entry, [b for b, _ in batches])
                if delta is None:
                    entry = self._full(db, start, version)
                else:
                    entry.data, entry.version = delta[0], version
                    self.last = LoadInfo("delta", delta[1])
            else:
                entry = self._full(db, start, version)
            if start - entry.start >= TRIM_SLACK:
                entry.data, entry.start = _trim(entry.data, start), start
            return replace(entry.data, start=start)

    def _full(self, db: Database, start: datetime, version: int) -> _Entry:
        # The version is read before the load: a write landing during it makes the next
        # refresh catch up once more, which re-reads rows already seen (harmless).
        self._entry = _Entry(source_of(db), start, version, load_shop_data(db, start=start))
        self.last = LoadInfo("full", len(self._entry.data.appointments))
        return self._entry


def _versions(db: Database, since: int | None) -> tuple[int, list[tuple[int, int]]]:
    """The data version now, and the (batch, version) pairs produced after ``since``."""
    with db.read() as conn:
        version = int(
            conn.execute(text("SELECT data_version FROM shop_state WHERE id = 1")).scalar_one()
        )
        if since is None or version <= since:
            return version, []
        rows = conn.execute(
            text(
                "SELECT id, data_version FROM import_batches WHERE status = 'landed' "
                "AND data_version > :v AND data_version <= :now"
            ),
            {"v": since, "now": version},
        ).all()
    return version, [(int(b), int(v)) for b, v in rows]


def _catch_up(db: Database, entry: _Entry, batch_ids: list[int]) -> tuple[ShopData, int] | None:
    """The cached frames with the rows of ``batch_ids`` re-read, and how many visits
    were re-read; None if too many."""
    ids = ", ".join(str(int(b)) for b in batch_ids)
    since = int(entry.start.timestamp())
    moved = (
        "CAST(before ->> 'appointment_id' AS BIGINT)"
        if db.is_postgres
        else "json_extract(before, '$.appointment_id')"
    )
    with db.read() as conn:
        # Every visit a batch touched, directly or through one of its sale lines (a line
        # that moved to another visit changes the visit it left, too).
        touched = conn.exec_driver_sql(
            f"SELECT id FROM appointments WHERE import_batch_id IN ({ids}) "
            f"UNION SELECT appointment_id FROM sale_items WHERE import_batch_id IN ({ids}) "
            "AND appointment_id IS NOT NULL "
            f"UNION SELECT {moved} FROM import_changes "
            f"WHERE batch_id IN ({ids}) AND table_name = 'sale_items' AND action = 'update' "
            f"AND {moved} IS NOT NULL"
        ).fetchall()
        visit_ids = sorted({int(r[0]) for r in touched})
        if len(visit_ids) > MAX_DELTA_ROWS:
            return None
        visits = ", ".join(map(str, visit_ids)) or "NULL"
        appts = read_rows(conn, "appointments", f"WHERE id IN ({visits}) AND start_utc >= ?",
                          (since,))  # fmt: skip
        items = read_rows(
            conn,
            "sale_items",
            f"WHERE (appointment_id IN ({visits}) OR import_batch_id IN ({ids})) "
            "AND sold_at_utc >= ?",
            (since,),
        )
        clients = read_rows(conn, "clients", f"WHERE import_batch_id IN ({ids})")
        small = {name: read_rows(conn, name, "") for name in _SMALL}
    old = entry.data
    keep_items = ~(
        old.sale_items["item_id"].isin(items["item_id"])
        | old.sale_items["appointment_id"].isin(visit_ids)
    )
    keep_appts = ~old.appointments["appointment_id"].isin(visit_ids)
    keep_clients = ~old.clients["client_id"].isin(clients["client_id"])
    data = replace(
        old,
        appointments=_combine(
            old.appointments[keep_appts],
            with_visit_totals(appts, items),
            ["start", "appointment_id"],
        ),
        sale_items=_combine(old.sale_items[keep_items], items, ["sold_at", "item_id"]),
        clients=_combine(old.clients[keep_clients], clients, ["client_id"]),
        **small,
    )
    return data, len(visit_ids)


def _combine(kept: pd.DataFrame, new: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Kept rows (already in order) plus re-read ones, in a full load's order and types.

    The few new rows are placed by binary search rather than sorting the whole
    frame again: a full sort of a million rows cost more than the rest of a refresh.
    """
    if not len(new):
        return kept.reset_index(drop=True)
    new = new.sort_values(order, kind="stable", ignore_index=True)
    for column, dtype in kept.dtypes.items():
        if isinstance(dtype, pd.CategoricalDtype):
            # Share one set of categories, or concat falls back to strings row by row.
            fresh = pd.Index(new[column].dropna().unique()).difference(dtype.categories)
            categories = dtype.categories.append(fresh)
            if len(fresh):
                kept = kept.assign(**{column: kept[column].cat.set_categories(categories)})
            new[column] = pd.Categorical(new[column], categories=categories)
    both = pd.concat([kept, new], ignore_index=True)
    return both.take(_merged_order(kept, new, order)).reset_index(drop=True)


def _merged_order(kept: pd.DataFrame, new: pd.DataFrame, order: list[str]) -> np.ndarray:
    """Row positions of ``concat([kept, new])`` in (first key, second key) order."""
    k1, n1 = sort_key(kept[order[0]]), sort_key(new[order[0]])
    at = np.searchsorted(k1, n1, side="left")
    if len(order) > 1:  # among kept rows with the same first key, order by the second
        high = np.searchsorted(k1, n1, side="right")
        k2, n2 = sort_key(kept[order[1]]), sort_key(new[order[1]])
        for i in np.flatnonzero(high > at):
            at[i] += np.searchsorted(k2[at[i] : high[i]], n2[i], side="left")
    # ``new`` is sorted, so ``at`` never decreases: new row i lands at at[i] + i.
    n_kept, n_new = len(kept), len(new)
    positions = np.empty(n_kept + n_new, dtype=np.int64)
    new_dest = at + np.arange(n_new)
    kept_dest = np.arange(n_kept) + np.searchsorted(at, np.arange(n_kept), side="right")
    positions[kept_dest] = np.arange(n_kept)
    positions[new_dest] = n_kept + np.arange(n_new)
    return positions


def _trim(data: ShopData, start: datetime) -> ShopData:
    stamp = pd.Timestamp(start)
    appts = data.appointments[data.appointments["start"] >= stamp].reset_index(drop=True)
    items = data.sale_items[data.sale_items["sold_at"] >= stamp].reset_index(drop=True)
    return replace(data, appointments=appts, sale_items=items)


_SHARED = RecentFrames()


def load_recent(db: Database, start: datetime) -> ShopData:
    """`load_shop_data(db, start=start)`, from this process's cache where it can be."""
    return _SHARED.load(db, start)


def last_load() -> LoadInfo:
    return _SHARED.last
