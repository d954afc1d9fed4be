"""Store a revenue result: the ranked roadmap as recommendations, the rest on the run."""

from __future__ import annotations

import json
import math
from typing import Any

from barberbi_desktop.engines.revenue import RevenueResult
from barberbi_desktop.storage.db import Database
from barberbi_desktop.storage.pg import insert_rows
from barberbi_desktop.storage.results import finish_run


def _clean(value: Any) -> Any:
    """JSON-safe evidence: NaN becomes null, numpy numbers become Python numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def store(db: Database, run_id: int, result: RevenueResult) -> None:
    rows = [
        (
            run_id, r.kind, r.title[:300], r.detail, round(r.gain_cents),
            round(r.gain_low_cents), round(r.gain_high_cents), r.confidence, r.risk,
            r.horizon, rank, json.dumps(_clean(r.evidence)),
        )
        for rank, r in enumerate(result.roadmap, start=1)
    ]  # fmt: skip
    with db.write() as conn:
        cur = conn.connection.driver_connection.cursor()
        insert_rows(cur, "recommendations", [
            "run_id", "kind", "title", "detail", "expected_gain_cents", "gain_low_cents",
            "gain_high_cents", "confidence", "risk", "horizon", "rank", "evidence",
        ], rows)  # fmt: skip
        offers = result.offers
        insert_rows(
            cur,
            "client_offers",
            ["run_id", "client_id", "offer", "because", "probability"],
            zip([run_id] * len(offers), offers["client_id"].astype(int).tolist(),
                offers["offer"].astype(str).tolist(), offers["because"].astype(str).tolist(),
                [None if p != p else float(p) for p in offers["probability"]], strict=True),
        )  # fmt: skip
        cur.close()
        finish_run(conn, run_id, _clean(result.summary()))
