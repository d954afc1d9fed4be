"""Importing export files: detect, parse, validate, land all or nothing, undo.

This is the one entry point the CLI, the watch folder and the app use. Each
file (or pair of files that belong together, like Square's transactions and
items) is one batch in one transaction: it lands whole or not at all, and a
refused file leaves the database byte-for-byte as it was.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from barberbi_desktop.errors import InputError
from barberbi_desktop.events import DataChanged, EventHub
from barberbi_desktop.ingest import lists, lists_load, load, parse
from barberbi_desktop.ingest.canonical import (
    Chunk,
    Context,
    NeedDateOrder,
    fast_keys,
    row_hashes,
    transform,
)
from barberbi_desktop.ingest.profiles import (
    LIST_KINDS,
    Detection,
    Profile,
    batch_kind,
    known_headers,
    resolve,
)
from barberbi_desktop.ingest.read import RawTable, open_table
from barberbi_desktop.ingest.saved_profiles import saved_profiles
from barberbi_desktop.storage.cursor import Cursor, raw_cursor
from barberbi_desktop.storage.db import Database, environment_errors
from barberbi_desktop.storage.users import audit_row

MAX_STORED_PROBLEMS = 1000

PARALLEL_BYTES = 32 * 1024 * 1024


def _transformed(
    chunks: Iterator[tuple[pd.DataFrame, int]], profile: Profile, mapping: dict[str, str],
    ctx: Context, salt: str, parallel: bool,
) -> Iterator[Chunk]:
    """Transform chunks in order, in a helper process when ``parallel``.

    On two cores, parsing chunk n+1 in a helper while this process writes
    chunk n to the staging tables takes a third off a million-row import.
    Line-item files stay in this process: their line numbers carry over from
    chunk to chunk.
    """
    if not parallel:
        for raw, skipped in chunks:
            chunk = transform(raw, profile, mapping, ctx, salt)
            chunk.skipped = skipped
            yield chunk
        return
    pool = ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn"))
    try:
        pending: deque[tuple[Future[Chunk], int]] = deque()
        for raw, skipped in chunks:
            pending.append((pool.submit(transform, raw, profile, mapping, ctx, salt), skipped))
            if len(pending) >= 2:
                yield _done(*pending.popleft())
        while pending:
            yield _done(*pending.popleft())
    finally:
        for future, _ in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def _done(future: Future[Chunk], skipped: int) -> Chunk:
    chunk = future.result()
    chunk.skipped = skipped
    return chunk
DATE_FIELDS = ("start", "start_date", "end", "booked_at", "cancelled_at")


class _SplitVisit(Exception):
    """A visit the fast path skipped as known has rows further on in the file.

    Skipping part of a visit's rows would let its other rows replace the skipped
    lines, so the file is staged again with every row read.
    """


class AmbiguousDates(InputError):
    """Every date in the file reads as well day-first as month-first; someone must say which."""

    def __init__(self, file_name: str, column: str, example: str) -> None:
        super().__init__(
            f"{file_name}: the dates in column {column} (e.g. {example}) could be day/month or "
            "month/day; say which with --date-order dmy or --date-order mdy."
        )
        self.file_name = file_name
        self.column = column


@dataclass
class FileReport:
    """What happened to one file; what ``barberbi import --json`` prints."""

    file: str
    platform: str | None = None
    confidence: float | None = None
    status: str = "rejected"  # landed, dry_run, rejected
    reason: str | None = None
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    batch_id: int | None = None
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    kind: str | None = None  # bookings, clients, services or staff
    lines: int | None = None  # sale lines the file's rows hold in the database after landing
    # Money that landed, read back from the database (cents; a key is None where the file
    # has no such column): sales_cents, adjustments_cents, net_cents, tax_cents, tips_cents.
    money: dict[str, int | None] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Source:
    path: Path
    table: RawTable
    detection: Detection
    report: FileReport
    already_known: int = 0  # rows skipped because the very same row was imported before

    @property
    def role(self) -> str:
        """How load.py treats the file's rows (see load.create_stage)."""
        return {"lines": "lines", "payments": "summary"}.get(self.detection.profile.kind,
                                                             "primary")


def local_zone() -> str:
    """The computer's IANA time zone (for a brand-new shop), else UTC."""
    if os.environ.get("TZ", "").strip(":"):
        return os.environ["TZ"].strip(":")
    try:
        return Path("/etc/timezone").read_text().strip() or "UTC"
    except OSError:
        pass
    link = Path("/etc/localtime")
    if link.is_symlink() and "zoneinfo/" in str(link.resolve()):
        return str(link.resolve()).split("zoneinfo/", 1)[1]
    return "UTC"


def _sha256(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()


def _open(path: Path, platform: str | None, mapping: dict[str, str] | None,
          saved: dict[str, Profile] | None = None, repair_encoding: bool = False) -> _Source:
    table = open_table(path, known_headers(saved), repair_encoding=repair_encoding)
    detection = resolve(path.name, table.header, platform, mapping, saved=saved)
    _check_required(path.name, detection)
    report = FileReport(str(path), detection.profile.name, detection.confidence,
                        kind=batch_kind(detection.profile.kind))  # fmt: skip
    return _Source(path, table, detection, report)


def _check_required(name: str, d: Detection) -> None:
    m, kind = d.mapping, d.profile.kind
    missing = []
    if kind in ("appointments", "payments") and not ({"start", "start_date"} & set(m)):
        missing.append("the start date and time")
    if kind in ("lines", "payments") and "transaction_id" not in m:
        missing.append("the transaction id")
    client = {"client_id", "client_name", "client_email", "client_phone", "client_first_name",
              "client_last_name"}
    if kind == "clients" and not client & set(m):
        missing.append("a client (id, name, email or phone)")
    if kind == "services" and "service" not in m:
        missing.append("the service name")
    if kind == "staff" and not {"barber", "staff_first_name", "staff_last_name"} & set(m):
        missing.append("the staff member's name")
    if kind == "appointments" and not client & set(m):
        missing.append("a client (id, name, email or phone)")
    if kind == "appointments" and not {"service", "price"} & set(m):
        missing.append("a service or a price")
    if missing:
        raise InputError(
            f"{name} has no column for {' or '.join(missing)} ({d.profile.title} layout); "
            "map one with --map FIELD=COLUMN."
        )


def _units(sources: list[_Source]) -> list[list[_Source]]:
    """Files of one platform family that join (payments + line items) go in together."""
    units: list[list[_Source]] = []
    by_family: dict[str, _Source] = {}
    for src in sources:
        prof = src.detection.profile
        partner = by_family.get(prof.family or "")
        if (
            prof.family
            and partner is not None
            and {partner.detection.profile.kind, prof.kind} == {"payments", "lines"}
        ):
            unit = next(u for u in units if partner in u)
            unit.append(src)
            by_family.pop(prof.family)
            continue
        units.append([src])
        if prof.family and prof.kind in ("payments", "lines"):
            by_family[prof.family] = src
    return units


class Importer:
    """Imports files into one database; keeps the settings a run needs."""

    def __init__(
        self,
        db: Database,
        *,
        hub: EventHub | None = None,
        user_id: int | None = None,
        now: datetime | None = None,
        progress: Callable[[int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> None:
        if db.path is None and not db.is_postgres:
            raise InputError("Imports need a database file.")
        self.db = db
        self.hub = hub
        self.user_id = user_id
        self.now = now
        self.progress = progress
        self.cancelled = cancelled
        # Files at least this big are parsed in a helper process while this one writes.
        self.parallel_bytes = PARALLEL_BYTES
        self.allow_long_visits = False

    def import_files(
        self,
        paths: Sequence[Path | str],
        *,
        platform: str | None = None,
        mapping: dict[str, str] | None = None,
        date_order: str | None = None,
        location: str | None = None,
        dry_run: bool = False,
        skip_bad_rows: bool = False,
        allow_long_visits: bool = False,
        repair_encoding: bool = False,
    ) -> list[FileReport]:
        """Import ``paths``; ``allow_long_visits`` is the owner confirming visits over 12 h;
        ``repair_encoding``: in a UTF-8 file, read the stray bytes that are not UTF-8 as
        Windows-1252 and list those rows in the report, instead of refusing it."""
        self.allow_long_visits = allow_long_visits
        reports: list[FileReport] = []
        sources: list[_Source] = []
        saved = saved_profiles(self.db)
        for raw_path in paths:
            path = Path(raw_path)
            try:
                sources.append(_open(path, platform, mapping, saved, repair_encoding))
            except InputError as exc:
                reports.append(FileReport(str(path), reason=str(exc)))
        for unit in _units(sources):
            started = time.perf_counter()
            try:
                with environment_errors(self.db.place, "nothing was imported"):
                    if unit[0].detection.profile.kind in LIST_KINDS:  # lists are never joined
                        lists.import_list(self, unit[0], date_order, location, dry_run,
                                          skip_bad_rows)  # fmt: skip
                    else:
                        self._import_unit(unit, date_order, location, dry_run, skip_bad_rows)
            except InputError as exc:
                for src in unit:
                    src.report.status, src.report.reason = "rejected", str(exc)
                    src.report.inserted = src.report.updated = src.report.unchanged = 0
                    src.report.batch_id = None
            for src in unit:
                src.report.seconds = round(time.perf_counter() - started, 3)
                src.report.problems[:0] = src.table.notes  # rows whose encoding was repaired
            reports.extend(src.report for src in unit)
        order = {str(Path(p)): i for i, p in enumerate(paths)}
        return sorted(reports, key=lambda r: order.get(r.file, 0))

    # --- one unit ------------------------------------------------------------------------

    def _context(self, cur: Cursor, src: _Source, location: str | None,
                 date_order: str | None) -> Context:
        locs = cur.execute("SELECT name, timezone FROM locations ORDER BY id").fetchall()
        zones = {name.lower(): tz for name, tz in locs}
        if location is not None:
            default = location
        elif len(locs) == 1:
            default = locs[0][0]
        elif not locs:
            default = "Main"
        else:
            default = ""
            if "location" not in src.detection.mapping:
                raise InputError(
                    f"{src.path.name} does not say which location its appointments are at, and "
                    f"the shop has {len(locs)}; choose one with --location NAME."
                )
        default_zone = zones.get(default.lower()) or (locs[0][1] if locs else local_zone())
        now = pd.Timestamp(self.now or datetime.now(UTC))
        return Context(
            platform=src.detection.profile.name,
            file_name=src.path.name,
            now_utc=now.tz_convert("UTC") if now.tzinfo else now.tz_localize("UTC"),
            default_location=default,
            location_zones=zones,
            default_zone=default_zone,
            date_order=date_order,
            allow_long_visits=self.allow_long_visits,
        )

    def _settle_date_order(self, src: _Source) -> str:
        first = second = False
        example = ""
        cols = [src.detection.mapping[f] for f in DATE_FIELDS if f in src.detection.mapping]
        for chunk in src.table.chunks():
            for col in cols:
                f, s = parse.date_order_evidence(chunk[col])
                first, second = first or f, second or s
                if not example and parse.has_numeric_dates(chunk[col]):
                    example = chunk[col][chunk[col].astype(str).str.match(r"^\s*\d")].iloc[0]
        if first and second:
            raise InputError(
                f"{src.path.name}: the dates mix day-first and month-first forms, so they "
                "cannot be read reliably; export the file again."
            )
        if first or second:
            return "dmy" if first else "mdy"
        raise AmbiguousDates(src.path.name, cols[0], str(example))

    def _stage_file(self, cur: Cursor, idx: int, src: _Source, ctx: Context,
                    problems: list[pd.DataFrame], alone: bool) -> tuple[int, int]:
        """Stage one file; returns (rows read, rows with errors).

        A row identical to the one an appointment was imported from (same key,
        same row hash, read the same way) is known already and is not parsed
        again; it counts as unchanged.
        """
        rows = bad = 0
        profile, mapping = src.detection.profile, src.detection.mapping
        salt = "|".join([profile.name, repr(sorted(mapping.items())), str(ctx.date_order)])
        src.already_known = 0
        cur.begin()
        if alone and not cur.execute("SELECT EXISTS (SELECT 1 FROM appointments)").fetchone()[0]:
            alone = False  # nothing imported yet, so nothing to recognise
        parallel = profile.kind != "lines" and src.path.stat().st_size >= self.parallel_bytes
        try:
            for chunk in _transformed(self._unknown_rows(cur, src, ctx, salt, alone), profile,
                                      mapping, ctx, salt, parallel):
                load.stage(cur, chunk.lines, idx, src.role)
                cur.executemany("INSERT OR IGNORE INTO stage_rejected VALUES (?)",
                                [(k,) for k in chunk.rejected_visits])  # fmt: skip
                rows += chunk.rows_read + chunk.skipped
                bad += chunk.rows_read - len(chunk.lines)
                if len(chunk.problems):
                    problems.append(chunk.problems.assign(file_idx=idx))
                if self.progress:
                    self.progress(rows)
            if alone and cur.execute(
                "SELECT EXISTS (SELECT 1 FROM stage_known_hits WHERE k IN "
                "(SELECT visit_key FROM stage_lines WHERE file_idx = ?))", (idx,)
            ).fetchone()[0]:
                raise _SplitVisit()
            cur.commit()
        except BaseException:
            cur.rollback_if_open()
            raise
        return rows, bad

    def _unknown_rows(self, cur: Cursor, src: _Source, ctx: Context, salt: str,
                      alone: bool) -> Iterator[tuple[pd.DataFrame, int]]:
        """The file's chunks without the rows imported verbatim before (and their count)."""
        profile, mapping = src.detection.profile, src.detection.mapping
        for raw in src.table.chunks():
            if self.cancelled and self.cancelled():
                raise InputError(f"The import of {src.path.name} was cancelled.")
            keys = fast_keys(raw, profile, mapping) if alone else None
            if keys is None:
                yield raw, 0
                continue
            known = load.known_rows(cur, keys, row_hashes(raw, mapping, ctx, salt))
            src.already_known += int(known.sum())
            yield raw[~known], int(known.sum())

    def _import_unit(self, unit: list[_Source], date_order: str | None, location: str | None,
                     dry_run: bool, skip_bad_rows: bool) -> None:
        unit.sort(key=lambda s: s.role == "lines")
        lone = unit[0].detection
        if len(unit) == 1 and lone.profile.kind == "lines" and not (
            {"start", "start_date"} & set(lone.mapping)
        ):
            partner = "the payments file" if lone.profile.family else "a file with the dates"
            raise InputError(
                f"{unit[0].path.name} has line items but no dates; import it together with "
                f"{partner} of the same export ({lone.profile.title})."
            )
        names = {i: s.path.name for i, s in enumerate(unit)}
        with raw_cursor(self.db) as cur:
            try:
                self._stage_and_land(cur, unit, names, date_order, location, dry_run,
                                     skip_bad_rows)  # fmt: skip
            finally:
                load.drop_stage(cur)

    def _stage_and_land(self, cur: Cursor, unit: list[_Source], names: dict[int, str],
                        date_order: str | None, location: str | None, dry_run: bool,
                        skip_bad_rows: bool) -> None:
        problems: list[pd.DataFrame] = []
        load.create_stage(cur)
        for i, src in enumerate(unit):
            order = date_order
            alone = len(unit) == 1
            while True:
                ctx = self._context(cur, src, location, order)
                try:
                    src.report.rows_read, src.report.rejected = self._stage_file(
                        cur, i, src, ctx, problems, alone=alone
                    )
                    break
                except NeedDateOrder:
                    cur.execute("DELETE FROM stage_lines WHERE file_idx = ?", (i,))
                    order = self._settle_date_order(src)
                except _SplitVisit:  # staging was rolled back: read every row this time
                    problems[:] = [p for p in problems if not (p["file_idx"] == i).all()]
                    alone = False
        self._check(unit, problems, skip_bad_rows)
        key_cols = {i: s.detection.mapping.get("transaction_id", "?") for i, s in
                    enumerate(unit)}
        if len(unit) > 1:
            load.check_join(cur, names, key_cols)
        self._land(cur, unit, problems, dry_run)

    def _check(self, unit: list[_Source], problems: list[pd.DataFrame], skip: bool) -> None:
        all_problems = pd.concat(problems) if problems else None
        for i, src in enumerate(unit):
            if src.report.rows_read == 0:
                raise InputError(f"{src.path.name} has a header but no rows.")
            mine = all_problems[all_problems["file_idx"] == i] if all_problems is not None \
                else None
            if mine is not None and len(mine):
                src.report.problems = mine["message"].head(20).tolist()
            errors = mine[mine["severity"] == "error"] if mine is not None else None
            if errors is not None and len(errors) and not skip:
                n_rows = errors["row"].nunique()
                more = f" ({n_rows - 1} more rows have problems)" if n_rows > 1 else ""
                raise InputError(f"{errors['message'].iloc[0]}{more}")
            if src.report.rejected >= src.report.rows_read:
                raise InputError(f"{src.path.name}: no row could be imported.")

    def _land(self, cur: Cursor, unit: list[_Source], problems: list[pd.DataFrame],
              dry_run: bool) -> None:
        profile = unit[0].detection.profile
        platform = profile.family if len(unit) > 1 and profile.family else profile.name
        started = time.perf_counter()
        changed = False
        with self.db.write_lock():
            cur.begin_write()
            try:
                now = int(time.time())
                batch_id = cur.insert_id(
                    "INSERT INTO import_batches (platform, file_name, sha256, started_utc, "
                    "rows_read, inserted, updated, unchanged, rejected, user_id, status) "
                    "VALUES (?, ?, ?, ?, 0, 0, 0, 0, 0, ?, 'running')",
                    (platform, " + ".join(s.path.name for s in unit),
                     _sha256([s.path for s in unit]), now, self.user_id),
                )
                maps = [s.detection.mapping for s in unit]
                result = load.merge(
                    cur, batch_id=batch_id, platform=platform,
                    family=profile.family or profile.name,
                    default_zone=self._zone(cur), kind=profile.kind,
                    has_tax=any("tax" in m for m in maps), has_tips=any("tip" in m for m in maps),
                    has_price=any("price" in m for m in maps),
                )
                if result.kept_detail:
                    unit[0].report.problems.append(
                        f"{unit[0].path.name}: {result.kept_detail} visits already had their "
                        "line items from an item export; they were kept, and this file's totals "
                        "for them were not added again."
                    )
                for i, src in enumerate(unit):
                    if result.money is not None:
                        src.report.money = dict(result.money)
                        src.report.lines = result.money["lines"]
                    counts = result.counts.get(i, {})
                    src.report.inserted = counts.get("inserted", 0)
                    src.report.updated = counts.get("updated", 0)
                    src.report.unchanged = counts.get("unchanged", 0) + src.already_known
                    src.report.batch_id = None if dry_run else batch_id
                    src.report.status = "dry_run" if dry_run else "landed"
                self._record(cur, batch_id, unit, problems, started)
                changed = result.changed
                if changed:
                    cur.execute("UPDATE shop_state SET data_version = data_version + 1")
                    cur.execute(
                        "UPDATE import_batches SET data_version = (SELECT data_version FROM "
                        "shop_state WHERE id = 1) WHERE id = ?",
                        (batch_id,),
                    )
                cur.execute("ROLLBACK" if dry_run else "COMMIT")
            except BaseException:
                cur.rollback_if_open()
                raise
        if changed and not dry_run and self.hub is not None:
            self.hub.publish(DataChanged(reason="import", batch_id=batch_id))

    def _zone(self, cur: Cursor) -> str:
        row = cur.execute("SELECT timezone FROM locations ORDER BY id LIMIT 1").fetchone()
        return row[0] if row else local_zone()

    def _record(self, cur: Cursor, batch_id: int, unit: list[_Source],
                problems: list[pd.DataFrame], started: float) -> None:
        reports = [s.report for s in unit]
        cur.execute(
            "UPDATE import_batches SET rows_read = ?, inserted = ?, updated = ?, unchanged = ?, "
            "rejected = ?, status = 'landed', finished_utc = ?, duration_ms = ?, kind = ?, "
            "lines = ?, money = ? WHERE id = ?",
            (
                sum(r.rows_read for r in reports), sum(r.inserted for r in reports),
                sum(r.updated for r in reports), sum(r.unchanged for r in reports),
                sum(r.rejected for r in reports), int(time.time()),
                int((time.perf_counter() - started) * 1000), reports[0].kind, reports[0].lines,
                None if reports[0].money is None else json.dumps(reports[0].money), batch_id,
            ),
        )
        for r in reports:  # in the landing transaction: landed and audited, or neither
            if r.status == "landed":
                audit_row(cur, self.user_id, "import", {k: r.as_dict()[k] for k in (
                    "file", "platform", "kind", "batch_id", "inserted", "updated", "rejected")})
        if problems:
            frame = pd.concat(problems).head(MAX_STORED_PROBLEMS)
            cur.executemany(
                "INSERT INTO import_issues (batch_id, row_number, \"column\", severity, message) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (batch_id, int(r.row), r.column, r.severity, r.message)
                    for r in frame.itertuples(index=False)
                ],
            )


def import_files(db: Database, paths: Sequence[Path | str], **options: Any) -> list[FileReport]:
    """Import files with default settings (see `Importer.import_files` for the options)."""
    hub = options.pop("hub", None)
    now = options.pop("now", None)
    return Importer(db, hub=hub, now=now).import_files(paths, **options)


def undo_last_import(
    db: Database,
    hub: EventHub | None = None,
    user_id: int | None = None,
    refuse: Callable[[Any, int, str, int | None], str | None] | None = None,
) -> dict[str, Any]:
    """Undo the most recent batch that landed, exactly; refuses if there is none.

    ``refuse(cursor, batch_id, file_name, made_by)`` may give a sentence to refuse
    with, read inside the undo's own transaction (a location manager's limit), so a
    batch landed in between by another computer is judged, never undone unseen."""
    with raw_cursor(db) as cur, db.write_lock():
        cur.begin_write()
        try:
            row = cur.execute(
                "SELECT id, file_name, user_id FROM import_batches WHERE status = 'landed' "
                "ORDER BY id DESC LIMIT 1"
            ).fetchone()
            if row is None:
                raise InputError("There is no import to undo.")
            batch_id, file_name, made_by = row
            said = refuse(cur, batch_id, file_name, made_by) if refuse is not None else None
            if said is not None:
                raise InputError(said)
            restored = lists_load.undo_batch(cur, batch_id)  # before load's: see lists_load
            counts = load.undo_batch(cur, batch_id)
            counts["restored"] += restored
            cur.execute("UPDATE import_batches SET status = 'undone' WHERE id = ?", (batch_id,))
            cur.execute("UPDATE shop_state SET data_version = data_version + 1")
            audit_row(cur, user_id, "import_undone",
                      {"batch_id": batch_id, "file": file_name, **counts})  # fmt: skip
            cur.commit()
        except BaseException:
            cur.rollback_if_open()
            raise
    if hub is not None:
        hub.publish(DataChanged(reason="undo", batch_id=batch_id))
    return {"batch_id": batch_id, "file": file_name, **counts}


@dataclass
class Preview:
    """What an import would do with a file, before it does anything."""

    file: str
    platform: str
    title: str
    confidence: float
    mapping: dict[str, str]  # canonical field -> the file's column
    header: list[str]
    rows: pd.DataFrame  # the first rows as text
    candidates: list[tuple[str, float]]  # every platform with its confidence, best first


def preview(path: Path | str, platform: str | None = None,
            mapping: dict[str, str] | None = None, rows: int = 20,
            saved: dict[str, Profile] | None = None) -> Preview:
    """Detect, map and show the first rows of ``path``; writes nothing anywhere.

    ``saved``: the shop's saved mappings (`saved_profiles`), detected like platforms.
    """
    from barberbi_desktop.ingest.profiles import detect

    path = Path(path)
    table = open_table(path, known_headers(saved))
    found = resolve(path.name, table.header, platform, mapping, min_confidence=0.0, saved=saved)
    first = next(iter(table.chunks(rows)), pd.DataFrame(columns=table.header)).head(rows)
    return Preview(
        str(path), found.profile.name, found.profile.title, found.confidence, found.mapping,
        table.header, first,
        [(d.profile.name, d.confidence) for d in detect(table.header, saved)],
    )
