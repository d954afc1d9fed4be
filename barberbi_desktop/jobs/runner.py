"""Run an engine end to end: record the run, load frames, compute, store.

Used by the CLI (``barberbi run``) and, later, the scheduler. Qt-free. A
failure is stored on the run with its message before it is raised, so it is
never silent; a shop without enough data gets `NotEnoughData`'s sentence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from typing import Any
from zoneinfo import ZoneInfo

from barberbi_desktop.alerts import rules
from barberbi_desktop.alerts.store import location_name, raise_alerts
from barberbi_desktop.engines.data import Cancelled, NotEnoughData, RunState
from barberbi_desktop.errors import InputError
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.frames import LEAN, load_shop_data
from barberbi_desktop.storage.results import (
    fail_run,
    mark_interrupted_runs,
    record_progress,
    start_run,
)
from barberbi_desktop.storage.settings import shop_zone
from barberbi_desktop.storage.shop_config import alert_settings, kpi_settings, methodology_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    engine: str
    summary: dict[str, Any]


def shop_now(db: Database) -> datetime:
    """The shop's wall-clock time now (its first location's zone), naive."""
    return datetime.now(ZoneInfo(shop_zone(db))).replace(tzinfo=None)


def _ltv(
    db: Database, run_id: int, as_of: date, state: RunState, now: datetime | None = None
) -> dict[str, Any]:
    from barberbi_desktop.engines import ltv
    from barberbi_desktop.jobs import ltv_job

    result = ltv.run(load_shop_data(db), ltv.LtvSettings(), as_of, state)
    ltv_job.store(db, run_id, result)
    return result.summary()


def _methodology(
    db: Database, run_id: int, as_of: date, state: RunState, now: datetime | None = None
) -> dict[str, Any]:
    from barberbi_desktop.engines import methodology
    from barberbi_desktop.jobs import methodology_job

    data = load_shop_data(db, omit=LEAN)  # it reads no names, contacts or payment methods
    result = methodology.run(data, methodology_settings(db), as_of, state)
    methodology_job.store(db, run_id, result)
    return result.summary()


def _kpi(
    db: Database, run_id: int, as_of: date, state: RunState, now: datetime | None = None,
    location_id: int | None = None,
) -> dict[str, Any]:
    from barberbi_desktop.engines import kpi
    from barberbi_desktop.jobs import kpi_job
    from barberbi_desktop.storage.recent import load_recent

    # KPIs look back 90 days plus the prior 90 and the same weekday eight weeks ago. The
    # refresh runs every minute: the recent frames are kept and caught up by batch.
    start = datetime.combine(as_of - timedelta(days=200), time(), tzinfo=UTC)
    data = load_recent(db, start)
    if location_id is not None:  # a location manager's figures: their location's data only
        data = data.at_location(location_id)
    result = kpi.run(data, kpi_settings(db), as_of, now=now, state=state)
    kpi_job.store(db, run_id, result, location_id=location_id)
    return result.summary()


def _revenue(
    db: Database, run_id: int, as_of: date, state: RunState, now: datetime | None = None
) -> dict[str, Any]:
    from barberbi_desktop.engines import revenue
    from barberbi_desktop.jobs import revenue_job
    from barberbi_desktop.storage.at_risk import client_risks

    risks = client_risks(db, as_of)  # deposits target the clients most likely to miss
    result = revenue.run(load_shop_data(db), revenue.RevenueSettings(), as_of, state, risks)
    revenue_job.store(db, run_id, result)
    return result.summary()


# The no-show model fitted by this process's last full run, per shop: a scheduled run
# later the same shop day (after an import) only scores the new bookings with it.
_NOSHOW_SCORERS: dict[str, Any] = {}


def _noshow(
    db: Database, run_id: int, as_of: date, state: RunState, now: datetime | None = None
) -> dict[str, Any]:
    from barberbi_desktop.engines import late_cancel, noshow
    from barberbi_desktop.jobs import noshow_job

    key = str(db.path or db.url)
    kept = _NOSHOW_SCORERS.get(key)
    since = None if kept is None else datetime.fromtimestamp(kept.state.cutoff_ns / 1e9, UTC)
    # A kept run's client histories serve later cutoffs the same shop day, never earlier
    # ones (they may count visits that had not happened yet then).
    result = None
    if (
        now is not None
        and kept is not None
        and since is not None
        and kept.as_of == as_of
        and now.replace(tzinfo=ZoneInfo(shop_zone(db))) >= since
    ):
        # Only bookings from the kept run's cutoff on: the clients' histories are kept.
        since = since - timedelta(days=1)
        data = load_shop_data(db, start=since, omit=LEAN)
        # An import since brought cancellation times the kept run never saw: learn the
        # late side now, not at tomorrow's full run.
        if not late_cancel.new_sources(kept.late, data):
            result = noshow.rescore(data, kept, as_of, now=now)
    if result is None:
        data = load_shop_data(db, omit=LEAN)  # no names, contacts or payment methods needed
        result = noshow.run(data, noshow.NoShowSettings(), as_of, state, now=now)
        if result.scorer is not None:
            _NOSHOW_SCORERS[key] = result.scorer
    return noshow_job.store(db, run_id, result)


# What each engine is called on screen and in the terminal while it runs.
ENGINE_TITLES = {
    "kpi": "Today's figures",
    "ltv": "Client value and risk",
    "methodology": "Six Figure analysis",
    "noshow": "No-show risk",
    "revenue": "Revenue roadmap",
}

ENGINES: dict[str, Callable[..., dict[str, Any]]] = {
    "kpi": _kpi,
    "ltv": _ltv,
    "methodology": _methodology,
    "noshow": _noshow,
    "revenue": _revenue,
}


# Progress is written to the run's row at most this often (the heavy engines step a few
# dozen times; a write costs a few milliseconds).
PROGRESS_EVERY_S = 0.5


def _recorded(db: Database, run_id: int, state: RunState | None) -> RunState:
    """The caller's RunState, with each step also kept on the run's row, where a tab
    waiting in another process can read it."""
    state = state or RunState()
    last = [0.0]

    def progress(fraction: float, message: str) -> None:
        state.progress(fraction, message)
        now = monotonic()
        if now - last[0] >= PROGRESS_EVERY_S:
            last[0] = now
            try:
                record_progress(db, run_id, fraction, message)
            except Exception:  # a busy database must not fail the run for a progress line
                log.debug("progress of run %s not recorded", run_id, exc_info=True)

    return RunState(progress=progress, cancelled=state.cancelled)


# The engines that can run over one location's data (what a location manager sees).
BY_LOCATION = ("kpi",)


def run_engine(
    db: Database, engine: str, as_of: date | None = None, state: RunState | None = None,
    location_id: int | None = None,
) -> RunOutcome:
    """Run ``engine`` over the whole shop, or over ``location_id``'s data alone."""
    if engine not in ENGINES:
        raise InputError(
            f"There is no engine called {engine!r}; choose one of {', '.join(sorted(ENGINES))}."
        )
    if location_id is not None and engine not in BY_LOCATION:
        raise InputError(f"The {ENGINE_TITLES[engine]} engine runs over the whole shop only.")
    # No day given: today in the shop's own time zone, cut at the current time.
    now = None if as_of is not None else shop_now(db)
    as_of = as_of or now.date()
    mark_interrupted_runs(db)  # a run whose process was killed is not still "running"
    run_id = start_run(db, engine, as_of, location_id)
    scope = {} if location_id is None else {"location_id": location_id}
    try:
        summary = ENGINES[engine](db, run_id, as_of, _recorded(db, run_id, state), now, **scope)
    except NotEnoughData as exc:
        fail_run(db, run_id, str(exc))
        raise InputError(str(exc)) from exc
    except Cancelled:
        fail_run(db, run_id, "cancelled", status="cancelled")
        raise
    except Exception as exc:
        fail_run(db, run_id, f"{type(exc).__name__}: {exc}")
        failed = rules.engine_failed(engine, f"{type(exc).__name__}: {exc}.", alert_settings(db))
        if location_id is not None:  # a location's own run: its manager is told too
            failed = rules.at_location(failed, location_id, location_name(db, location_id)[0])
        raise_alerts(db, [failed])
        raise
    if engine == "noshow":  # tomorrow's expected loss against the owner's threshold
        from barberbi_desktop.jobs.noshow_alerts import raise_noshow_alerts

        try:
            raise_noshow_alerts(db, run_id)
        except Exception:  # the run is stored; a missed alert must not fail it
            log.exception("the no-show alert for run %s could not be raised", run_id)
    return RunOutcome(run_id, engine, {"run_id": run_id, **summary})
