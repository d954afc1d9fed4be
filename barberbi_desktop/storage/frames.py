"""SQL to pandas, set-based and columnar: never an object per row.

Two million appointments must load in seconds. Python's ``sqlite3`` builds a
tuple per row, which alone costs more than the budget, so frames are read
through the Arrow ADBC SQLite driver straight into columns, over a read-only
connection (a frame load can never write). SQLite is dynamically typed and
ADBC infers a column's type from the rows it sees, so every column is CAST to
its declared type and read in a single batch.

The ADBC driver carries its own copy of SQLite. Two copies of SQLite in one
process defeat SQLite's file locking (POSIX locks are per process; SQLite's
"how to corrupt a database" lists exactly this), and the soak test crashed
with SIGBUS when an ADBC read met a ``sqlite3`` write. So the reads run in a
separate reader process, kept alive between loads: to SQLite it is simply
another program reading the file under WAL.

On PostgreSQL the same reader process reads through the Arrow ADBC PostgreSQL
driver (`storage.frame_sources`): not two SQLite copies there, but the GIL
argument is the same.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc

from barberbi_desktop import platform
from barberbi_desktop.engines.data import ShopData
from barberbi_desktop.errors import InputError
from barberbi_desktop.priority import background_pool
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.files import create_private, remove_dead_folders
from barberbi_desktop.storage.frame_sources import (
    arrow,
    close,
    connect,
    inline,
    is_pg,
    source_of,
)

INT, TXT, REAL = "INTEGER", "TEXT", "REAL"
_INSTANT, _CATEGORY, _BOOL, _DATE, _JSON = "instant", "category", "bool", "date", "json"

# table -> [(column, alias, sql type, pandas kind)]; kind None keeps ADBC's column.
_COLUMNS: dict[str, list[tuple[str, str, str, str | None]]] = {
    "appointments": [
        ("id", "appointment_id", INT, None),
        ("client_id", "client_id", INT, None),
        ("barber_id", "barber_id", INT, None),
        ("location_id", "location_id", INT, None),
        ("service_id", "service_id", INT, None),
        ("start_utc", "start", INT, _INSTANT),
        ("end_utc", "end", INT, _INSTANT),
        ("booked_at_utc", "booked_at", INT, _INSTANT),
        ("cancelled_at_utc", "cancelled_at", INT, _INSTANT),
        ("status", "status", TXT, _CATEGORY),
        ("channel", "channel", TXT, _CATEGORY),
        ("source_platform", "source_platform", TXT, _CATEGORY),
        ("time_known", "time_known", INT, _BOOL),
    ],
    "sale_items": [
        ("id", "item_id", INT, None),
        ("appointment_id", "appointment_id", INT, None),
        ("client_id", "client_id", INT, None),
        ("location_id", "location_id", INT, None),
        ("barber_id", "barber_id", INT, None),
        ("sold_at_utc", "sold_at", INT, _INSTANT),
        ("kind", "kind", TXT, _CATEGORY),
        ("service_id", "service_id", INT, None),
        ("name", "name", TXT, _CATEGORY),
        ("quantity", "quantity", INT, None),
        ("unit_price_cents", "unit_price_cents", INT, None),
        ("discount_cents", "discount_cents", INT, None),
        ("tax_cents", "tax_cents", INT, None),
        ("tip_cents", "tip_cents", INT, None),
        ("payment_method", "payment_method", TXT, _CATEGORY),
    ],
    "clients": [
        ("id", "client_id", INT, None),
        ("display_name", "display_name", TXT, None),
        ("email", "email", TXT, None),
        ("phone", "phone", TXT, None),
        ("first_seen_utc", "first_seen", INT, _INSTANT),
        ("referral_source", "referral_source", TXT, _CATEGORY),
        ("home_location_id", "home_location_id", INT, None),
        ("merge_target_id", "merge_target_id", INT, None),
    ],
    "barbers": [
        ("id", "barber_id", INT, None),
        ("location_id", "location_id", INT, None),
        ("name", "name", TXT, None),
        ("pay_model", "pay_model", TXT, None),
        ("commission_bp", "commission_bp", INT, None),
        ("weekly_booth_rent_cents", "weekly_booth_rent_cents", INT, None),
        ("hourly_rate_cents", "hourly_rate_cents", INT, None),
        ("working_hours", "working_hours", TXT, _JSON),
        ("active", "active", INT, _BOOL),
        ("hired_on", "hired_on", TXT, _DATE),
    ],
    "services": [
        ("id", "service_id", INT, None),
        ("name", "name", TXT, None),
        ("category", "category", TXT, None),
        ("list_price_cents", "list_price_cents", INT, None),
        ("duration_min", "duration_min", INT, None),
        ("premium", "premium", INT, _BOOL),
        ("active", "active", INT, _BOOL),
        ("introduced_on", "introduced_on", TXT, _DATE),
    ],
    "locations": [
        ("id", "location_id", INT, None),
        ("name", "name", TXT, None),
        ("timezone", "timezone", TXT, None),
        ("currency", "currency", TXT, None),
        ("opening_hours", "opening_hours", TXT, _JSON),
        ("retail_tax_bp", "retail_tax_bp", INT, None),
    ],
    "reviews": [
        ("id", "review_id", INT, None),
        ("location_id", "location_id", INT, None),
        ("barber_id", "barber_id", INT, None),
        ("client_id", "client_id", INT, None),
        ("posted_utc", "posted", INT, _INSTANT),
        ("rating", "rating", INT, None),
        ("source", "source", TXT, _CATEGORY),
    ],
    "training_log": [
        ("id", "entry_id", INT, None),
        ("barber_id", "barber_id", INT, None),
        ("occurred_on", "occurred_on", TXT, _DATE),
        ("hours", "hours", REAL, None),
        ("topic", "topic", TXT, None),
    ],
    "brand_events": [
        ("id", "event_id", INT, None),
        ("location_id", "location_id", INT, None),
        ("occurred_on", "occurred_on", TXT, _DATE),
        ("kind", "kind", TXT, _CATEGORY),
        ("description", "description", TXT, None),
        ("cost_cents", "cost_cents", INT, None),
    ],
}
_WINDOWED = {"appointments": "start_utc", "sale_items": "sold_at_utc"}
_SORT = {"appointments": ["start", "appointment_id"], "sale_items": ["sold_at", "item_id"]}


def _convert(series: pd.Series, sql_type: str, kind: str | None) -> pd.Series:
    if kind == _INSTANT:
        return pd.to_datetime(series.astype("float64"), unit="s", utc=True)
    if kind == _CATEGORY:
        return series.astype("category")
    if kind == _BOOL:
        return series.fillna(0).astype(bool)
    if kind == _DATE:
        return pd.to_datetime(series.astype("object"), format="ISO8601").dt.date
    if kind == _JSON:
        return pd.Series(
            [json.loads(v) if isinstance(v, str) else {} for v in series],
            index=series.index,
            dtype="object",
        )
    if sql_type == INT:
        # Integers stay exact: numpy int64 when complete, nullable Int64 when a value is
        # unknown (missing money is unknown, never zero).
        return series.astype("int64") if not series.isna().any() else series.astype("Int64")
    if sql_type == TXT:
        return series.astype("object").where(series.notna(), None)
    return series.astype("float64")


def _cast(col: str, alias: str, sql_type: str, kind: str | None, pg: bool) -> str:
    """A column CAST to its declared type (SQLite is dynamically typed). PostgreSQL's
    columns already have their types, and reading them as they are saves a quarter
    of the server's time on the chain; only dates and JSON are read as their text,
    which `_convert` parses as it does SQLite's."""
    if pg:
        if kind in (_DATE, _JSON):
            return f'CAST("{col}" AS TEXT) AS "{alias}"'
        return f'"{col}" AS "{alias}"'
    return f'CAST("{col}" AS {sql_type}) AS "{alias}"'


def _select(table: str, omit: tuple[str, ...], pg: bool) -> str:
    return ", ".join(
        _cast(col, alias, sql_type, kind, pg)
        for col, alias, sql_type, kind in _COLUMNS[table]
        if alias not in omit
    )


def _fetch(
    conn: Any, table: str, where: str, params: tuple[Any, ...], omit: tuple[str, ...] = ()
) -> pa.Table:
    """One table as Arrow, every column cast to its declared type, in one batch."""
    select = _select(table, omit, is_pg(conn))
    return arrow(conn, f"SELECT {select} FROM {table}{where}", params)


def _to_frame(table: str, arrow: pa.Table) -> pd.DataFrame:
    # Text that becomes a category is dictionary-encoded by Arrow (in C++), then given
    # sorted categories, exactly what ``astype("category")`` would have produced.
    encoded = {
        alias: arrow.column(alias).dictionary_encode()
        for _, alias, sql_type, kind in _COLUMNS[table]
        if kind == _CATEGORY
        and alias in arrow.column_names
        and pa.types.is_string(arrow.column(alias).type)
    }
    for alias, column in encoded.items():
        arrow = arrow.set_column(arrow.schema.get_field_index(alias), alias, column)
    raw = arrow.to_pandas()
    frame = pd.DataFrame(
        {
            alias: _sorted_categories(raw[alias])
            if alias in encoded
            else _convert(raw[alias], sql_type, kind)
            for _, alias, sql_type, kind in _COLUMNS[table]
            if alias in raw
        }
    )
    if table in _SORT:
        frame = _in_order(frame, *_SORT[table])
    return frame


def _sorted_categories(column: pd.Series) -> pd.Series:
    return column.cat.reorder_categories(sorted(column.cat.categories))


def _in_order(frame: pd.DataFrame, first: str, second: str) -> pd.DataFrame:
    """Rows by (first, second); no copy when they arrive in that order already."""
    order = np.lexsort((sort_key(frame[second]), sort_key(frame[first])))
    if np.array_equal(order, np.arange(len(order))):
        return frame
    return frame.take(order).reset_index(drop=True)


def sort_key(column: pd.Series) -> np.ndarray:
    """Sortable numpy values (an instant column would otherwise become Python objects)."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        return column.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ns]")
    return column.to_numpy()


def _window(
    table: str, start: datetime | None, end: datetime | None
) -> tuple[str, tuple[int, ...]]:
    column = _WINDOWED.get(table)
    clauses: list[str] = []
    params: list[int] = []
    if column and start is not None:
        clauses.append(f"{column} >= ?")
        params.append(int(start.timestamp()))
    if column and end is not None:
        clauses.append(f"{column} < ?")
        params.append(int(end.timestamp()))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", tuple(params)


def _visit_totals(items: pd.DataFrame) -> pd.DataFrame:
    """Per-appointment sums of its sale items (numpy grouping beats SQL GROUP BY here).

    Appointment ids are dense integers, so each sum is one ``bincount`` over them.
    """
    with_appt = items[items["appointment_id"].notna()]
    ids = with_appt["appointment_id"].to_numpy(dtype="int64")
    price = with_appt["unit_price_cents"].astype("Float64")
    line = (price * with_appt["quantity"]).fillna(0).to_numpy(dtype="int64")
    is_service = with_appt["kind"].isin(["service", "package"]).to_numpy()
    is_adjustment = with_appt["kind"].eq("adjustment").to_numpy(dtype=bool, na_value=False)
    columns = {
        "service_cents": np.where(is_service, line, 0),
        "product_cents": np.where(is_service | is_adjustment, 0, line),
        "adjustment_cents": np.where(is_adjustment, line, 0),
        "discount_cents": with_appt["discount_cents"].to_numpy(dtype="int64"),
        "tax_cents": with_appt["tax_cents"].to_numpy(dtype="int64"),
        "tip_cents": with_appt["tip_cents"].to_numpy(dtype="int64"),
        "item_count": np.ones(len(ids), dtype="int64"),
        "unknown_price_items": price.isna().to_numpy(dtype="int64"),
    }
    if len(ids) and ids.min() >= 0 and ids.max() < 4 * len(ids) + 1_000_000:
        size = int(ids.max()) + 1
        seen = np.flatnonzero(np.bincount(ids, minlength=size))
        sums = {
            # Float sums of whole cents are exact below 2**53 (90 trillion dollars).
            name: np.bincount(ids, weights=values, minlength=size)[seen].astype("int64")
            for name, values in columns.items()
        }
        return pd.DataFrame(sums, index=pd.Index(seen, name="appointment_id"))
    frame = pd.DataFrame({"appointment_id": ids, **columns})
    return frame.groupby("appointment_id").sum()


_POOL: ProcessPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _reader() -> ProcessPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = background_pool()
        return _POOL


def shutdown_reader() -> None:
    """Stop the reader process (it is also stopped when the interpreter exits)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is not None:
            _POOL.shutdown(wait=True)
            _POOL = None


def _read_all(
    source: str,
    start: datetime | None,
    end: datetime | None,
    folder: str,
    omit: dict[str, tuple[str, ...]] | None = None,
) -> dict[str, str]:
    """Runs in the reader process: every table as an Arrow IPC file in ``folder``.

    The two big tables are read on two read-only connections at once (SQLite
    works outside the GIL; WAL readers never block each other). Only Arrow
    tables live here, never pandas frames, so the reader stays small.
    """

    def read(tables: list[str]) -> dict[str, str]:
        conn = connect(source)
        out = {}
        try:
            for table in tables:
                where, params = _window(table, start, end)
                arrow = _fetch(conn, table, where, params, (omit or {}).get(table, ()))
                out[table] = _write_arrow(arrow, str(Path(folder) / f"{table}.arrow"))
            return out
        finally:
            close(conn)

    small = [t for t in _COLUMNS if t not in ("appointments", "sale_items")]
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="frames") as pool:
        parts = pool.map(read, [["appointments", *small], ["sale_items"]])
        return {k: v for part in parts for k, v in part.items()}


def _write_arrow(arrow: pa.Table, target: str) -> str:
    create_private(Path(target))  # every client's name and contacts: owner-only
    with pa.OSFile(target, "wb") as sink, pa.ipc.new_file(sink, arrow.schema) as writer:
        writer.write_table(arrow)
    return target


def _read_query(source: str, sql: str, params: tuple[Any, ...], target: str) -> str:
    """Runs in the reader process: one query's rows as an Arrow IPC file."""
    conn = connect(source)
    try:
        return _write_arrow(arrow(conn, sql, params), target)
    finally:
        close(conn)


def _in_reader(fn: Any, *args: Any) -> Any:
    try:
        return _reader().submit(fn, *args).result()
    except BrokenProcessPool:  # the reader died (killed, out of memory): start anew
        shutdown_reader()
        return _reader().submit(fn, *args).result()


SCRATCH_PREFIX = "barberbi-frames-"
_SWEPT: set[str] = set()


def _scratch() -> tempfile.TemporaryDirectory[str]:
    """A 0700 folder for one load's Arrow files, removed when the load ends (and at exit).

    Its name carries this process's id, so the first load of a later process removes
    what a killed one left behind (they hold every client's name, email and phone)."""
    base = platform.scratch_base()  # memory-backed where available: never touches a disk
    if str(base) not in _SWEPT:
        _SWEPT.add(str(base))
        remove_dead_folders(base, SCRATCH_PREFIX)
    return tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=base)


def read_query(db: Database, sql: str, params: tuple[Any, ...] = ()) -> pd.DataFrame:
    """A large query result, read by the reader process and handed over as Arrow.

    Building 200,000 rows of Python tuples holds the GIL for seconds, and the GUI
    thread needs it every few milliseconds; turning Arrow columns into pandas
    holds it for milliseconds. Every column must be CAST to its type (ADBC infers
    types from the rows it sees); on PostgreSQL ``?`` placeholders take integers or
    text only (they are written into the statement).
    """
    _refuse_memory(db, "Large reads")
    with _scratch() as folder:
        file = _in_reader(_read_query, source_of(db), sql, params, str(Path(folder) / "q.arrow"))
        with pa.memory_map(file) as source:
            return pa.ipc.open_file(source).read_all().to_pandas()


def _refuse_memory(db: Database, what: str) -> None:
    if db.path is None and not db.is_postgres:
        raise InputError(f"{what} need a database file; in-memory databases cannot be shared.")


def _load_arrow(files: dict[str, str]) -> dict[str, pd.DataFrame]:
    frames = {}
    for table, file in files.items():
        with pa.memory_map(file) as source:
            frames[table] = _to_frame(table, pa.ipc.open_file(source).read_all())
    return frames


# Text columns the analytics never read: names, contact details, payment methods. An
# engine that needs none of them loads a chain's two million sale lines a second sooner.
LEAN: dict[str, tuple[str, ...]] = {
    "sale_items": ("name", "payment_method"),
    "clients": ("display_name", "email", "phone"),
}


def load_shop_data(
    db: Database,
    start: datetime | None = None,
    end: datetime | None = None,
    omit: dict[str, tuple[str, ...]] | None = None,
) -> ShopData:
    """Every table an engine needs, with appointments and sales in ``[start, end)``;
    ``omit`` leaves out columns by table (see `LEAN`)."""
    _refuse_memory(db, "Analytics")
    with _scratch() as folder:
        frames = _load_arrow(_in_reader(_read_all, source_of(db), start, end, folder, omit))
    frames["appointments"] = with_visit_totals(frames["appointments"], frames["sale_items"])
    return ShopData(**frames, start=start, end=end)


def with_visit_totals(appts: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Appointments with the sums of their sale items and the visit's revenue."""
    appts = appts.join(_visit_totals(items), on="appointment_id")
    sums = [
        "service_cents",
        "product_cents",
        "adjustment_cents",
        "discount_cents",
        "tax_cents",
        "tip_cents",
        "item_count",
        "unknown_price_items",
    ]
    appts[sums] = appts[sums].fillna(0).astype("int64")
    # Net: refunds, comps and corrections (negative adjustment lines) come off.
    appts["revenue_cents"] = (
        appts["service_cents"] + appts["product_cents"] + appts["adjustment_cents"]
        - appts["discount_cents"]
    )
    return appts


def read_rows(conn: Any, table: str, where: str, params: tuple[Any, ...] = ()) -> pd.DataFrame:
    """A few rows of one table through the ordinary connection (sqlite3 or psycopg).

    For small reads (the rows one import batch wrote) where starting the reader
    process would cost more than the read; the frame has exactly the columns
    and types of a full load, so the two can be concatenated.
    """
    pg = conn.dialect.name == "postgresql"
    sql = f"SELECT {_select(table, (), pg)} FROM {table} {where}"
    bound: tuple[Any, ...] | None = params
    if pg:  # psycopg's placeholders are not SQLite's
        sql, bound = inline(sql, params), None
    cursor = conn.connection.driver_connection.execute(sql, bound)
    rows = cursor.fetchall()  # plain tuples: no per-row objects for pandas to inspect
    aliases = [alias for _, alias, _, _ in _COLUMNS[table]]
    raw = pd.DataFrame.from_records(rows, columns=aliases)
    return _to_frame(table, pa.Table.from_pandas(raw, preserve_index=False))


def table_names() -> list[str]:
    return list(_COLUMNS)
