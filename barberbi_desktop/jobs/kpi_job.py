"""Store a KPI result and raise the alerts its numbers call for."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from sqlalchemy import text

from barberbi_desktop.alerts import rules
from barberbi_desktop.alerts.store import location_name, raise_alerts
from barberbi_desktop.engines.kpi import KpiResult
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.pg import qmark
from barberbi_desktop.storage.results import finish_run
from barberbi_desktop.storage.shop_config import alert_settings

KEEP_ALL_S = 24 * 3600


def _num(value: Any) -> float | None:
    """A plain float or None (psycopg adapts no numpy scalar types)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return float(value)


def store(
    db: Database, run_id: int, result: KpiResult, settings: rules.AlertSettings | None = None,
    alerts: bool = True, location_id: int | None = None,
) -> list[int]:
    """Store the run's values and raise the alerts its numbers call for.

    ``location_id``: a location's own run (for its location manager), whose alerts are
    that location's, named after it. In a shop of one location the whole shop's run
    already raised them (as that location's), so its location run raises none."""
    rows = [
        (run_id, r.kpi, r.window, _num(r.value), _num(r.prior), _num(r.target))
        for r in result.values.itertuples()
    ]
    with db.write() as conn:
        cur = conn.connection.driver_connection.cursor()
        cur.executemany(
            qmark(cur, 'INSERT INTO kpi_values (run_id, kpi, "window", value, prior, target) '
                  "VALUES (?, ?, ?, ?, ?, ?)"),
            rows,
        )
        cur.close()
        finish_run(conn, run_id, result.summary())
        # A run a minute would grow the file by tens of thousands of rows a day: keep
        # the last day's runs, and the last run of every earlier day (the history), per scope.
        conn.execute(
            text(
                "DELETE FROM engine_runs WHERE engine = 'kpi' AND status = 'ok' "
                "AND started_utc < :cutoff AND id NOT IN (SELECT max(id) FROM engine_runs "
                "WHERE engine = 'kpi' AND status = 'ok' GROUP BY as_of, location_id)"
            ),
            {"cutoff": int(time.time()) - KEEP_ALL_S},
        )
    if not alerts:
        return []
    candidates = rules.kpi_alerts(
        result.values,
        result.today_band,
        settings or alert_settings(db),
        result.as_of.isoformat(),
    )
    if location_id is not None:
        name, locations = location_name(db, location_id)
        if locations == 1:
            return []
        candidates = [rules.at_location(c, location_id, name) for c in candidates]
    return raise_alerts(db, candidates)
