"""Store an LTV result: client scores, segment actions and the run's metrics, atomically."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import text

from barberbi_desktop.alerts import rules
from barberbi_desktop.alerts.store import raise_alerts
from barberbi_desktop.engines.ltv import LtvResult
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.pg import insert_rows
from barberbi_desktop.storage.results import client_scores, finish_run
from barberbi_desktop.storage.shop_config import alert_settings

COLUMNS = (
    "client_id",
    "segment",
    "value_tier",
    "segment_rule",
    "frequency",
    "recency_days",
    "age_days",
    "days_since_last",
    "monetary_cents",
    "p_alive",
    "expected_visits",
    "predicted_spend_cents",
    "ltv_cents",
    "churn_risk",
    "overdue",
    "overdue_text",
    "action",
)
CENTS = ("monetary_cents", "predicted_spend_cents", "ltv_cents")


def _records(run_id: int, scores: pd.DataFrame) -> list[tuple[Any, ...]]:
    frame = scores.reset_index().rename(columns={"index": "client_id"})
    frame["value_tier"] = frame["value_tier"].replace("", None)
    for col in CENTS:  # money is whole cents; an unknown amount stays unknown
        frame[col] = frame[col].round().astype("Int64")
    frame["overdue"] = frame["overdue"].astype(bool)  # sqlite3 stores a bool as 1 or 0
    values = frame[list(COLUMNS)].astype(object)
    values = values.where(values.notna(), None)
    return [(run_id, *row) for row in values.itertuples(index=False, name=None)]


def store(db: Database, run_id: int, result: LtvResult) -> None:
    rows = _records(run_id, result.scores)
    with db.write() as conn:
        cur = conn.connection.driver_connection.cursor()
        insert_rows(cur, "client_scores", ["run_id", *COLUMNS], rows)
        cur.close()
        for rank, seg in enumerate(result.segments.itertuples(), start=1):
            conn.execute(
                text(
                    "INSERT INTO recommendations (run_id, kind, title, detail, "
                    "expected_gain_cents, horizon, rank, evidence) VALUES (:run, "
                    "'segment_action', :title, :detail, :gain, 'now', :rank, :evidence)"
                ),
                {
                    "run": run_id,
                    "title": f"{seg.segment}: {seg.clients} clients",
                    "detail": seg.action,
                    "gain": seg.revenue_at_stake_cents,
                    "rank": rank,
                    "evidence": f'{{"clients": {seg.clients}, "basis": "{seg.stake_basis}"}}',
                },
            )
        finish_run(conn, run_id, result.summary())
    _raise_vip_alerts(db, run_id)


def _raise_vip_alerts(db: Database, run_id: int) -> list[int]:
    """Valuable clients At-Risk now who were not at the previous scoring."""
    with db.read() as conn:
        previous = conn.execute(
            text(
                "SELECT MAX(id) FROM engine_runs WHERE engine = 'ltv' AND status = 'ok' AND id < :r"
            ),
            {"r": run_id},
        ).scalar()
    before = client_scores(db, previous)[["client_id", "segment"]] if previous else None
    current = client_scores(db, run_id)
    with db.read() as conn:  # each client's home location: whose manager is told
        homes = dict(
            conn.execute(
                text("SELECT id, home_location_id FROM clients WHERE home_location_id IS NOT NULL")
            ).all()
        )
    current = current.assign(
        location_id=pd.to_numeric(current["client_id"].map(homes), errors="coerce")
    )
    return raise_alerts(db, rules.vip_at_risk_alerts(current, before, alert_settings(db)))
