"""Store a methodology result: every score row, the ranked gaps, and the run summary."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from barberbi_desktop.alerts import rules
from barberbi_desktop.alerts.store import raise_alerts
from barberbi_desktop.engines.methodology import MethodologyResult, Scorecard
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.pg import qmark
from barberbi_desktop.storage.results import finish_run
from barberbi_desktop.storage.shop_config import alert_settings

INSERT = (
    "INSERT INTO methodology_scores (run_id, barber_id, month, principle, metric, value, target, "
    "score, reason_if_null) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _card_rows(run_id: int, barber_id: int | None, card: Scorecard) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for p in card.principles:
        rows.append((run_id, barber_id, None, p.key, None, None, None, p.score, p.reason))
        rows.extend(
            (run_id, barber_id, None, p.key, m.spec.key, m.value, m.target, m.score, m.reason)
            for m in p.metrics
        )
    rows.append((run_id, barber_id, None, "overall", None, None, None, card.overall, None))
    return rows


def store(db: Database, run_id: int, result: MethodologyResult) -> None:
    rows = _card_rows(run_id, None, result.shop)
    for barber_id, (_, card) in result.barbers.items():
        rows.extend(_card_rows(run_id, barber_id, card))
    rows.extend(
        (
            run_id,
            None,
            month.date().isoformat(),
            principle,
            None,
            None,
            None,
            None if score != score else score,
            None,
        )  # NaN -> NULL
        for month, principle, score in result.trajectory[
            ["month", "principle", "score"]
        ].itertuples(index=False, name=None)
    )
    with db.write() as conn:
        cur = conn.connection.driver_connection.cursor()
        cur.executemany(qmark(cur, INSERT), rows)
        cur.close()
        for gap in result.gaps:
            stake = gap["revenue_at_stake_yearly"]
            conn.execute(
                text(
                    "INSERT INTO recommendations (run_id, kind, title, detail, "
                    "expected_gain_cents, horizon, rank, evidence) VALUES (:run, "
                    "'methodology_gap', :title, :detail, :gain, 'quarter', :rank, :evidence)"
                ),
                {
                    "run": run_id,
                    "title": f"{gap['label']} ({gap['principle']})",
                    "detail": gap["recommendation"],
                    "gain": None if stake is None else round(stake * 100),
                    "rank": gap["rank"],
                    "evidence": json.dumps(
                        {k: gap[k] for k in ("metric", "value", "target", "score")}
                    ),
                },
            )
        finish_run(conn, run_id, result.summary())
    with db.read() as conn:  # each barber's location: whose manager is told
        where = dict(conn.execute(text("SELECT id, location_id FROM barbers")).all())
    pathway = [{**p, "location_id": where.get(p["barber_id"])} for p in result.pathway]
    raise_alerts(
        db, rules.pathway_alerts(pathway, alert_settings(db), result.as_of.strftime("%Y-%m"))
    )
