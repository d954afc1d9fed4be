"""The same shop on SQLite and on PostgreSQL gives the same answers (issue #22's "done when").

The demo shop is copied into a server database, the KPI, methodology and LTV
engines run on both for the same as-of day, and what each stored is read back
through the app's own readers and compared: values, unknowns and their reasons.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text

from barberbi_desktop.jobs.runner import run_engine
from barberbi_desktop.storage.copy import copy_shop
from barberbi_desktop.storage.db import Database, open_database
from barberbi_desktop.storage.results import client_scores, kpi_values
from tests.conftest import DEMO_END

pytestmark = pytest.mark.pg
AS_OF = date(2026, 10, 31)


@pytest.fixture(scope="module")
def both(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory, request) -> Iterator[
    tuple[Database, Database]
]:
    """The demo on SQLite (a private copy) and the same rows on the server."""
    import shutil

    server = request.getfixturevalue("pg_server")
    template = request.getfixturevalue("pg_template")
    path = tmp_path_factory.mktemp("same") / "shop.db"
    shutil.copyfile(demo_db_file, path)
    lite = open_database(path, create=False)
    name = server.new_name("barberbi_same")
    pg = open_database(server.create_database(name, template=template))
    copy_shop(lite, pg)
    yield lite, pg
    lite.dispose()
    pg.dispose()
    server.drop_database(name)


def _methodology(db: Database, run_id: int) -> pd.DataFrame:
    with db.read() as conn:
        result = conn.execute(
            text(
                "SELECT barber_id, CAST(month AS TEXT) AS month, principle, metric, value, "
                "target, score, reason_if_null FROM methodology_scores WHERE run_id = :r"
            ),
            {"r": run_id},
        )
        frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    # Sorted here: the back ends put NULLs at opposite ends of an ORDER BY.
    keys = ["principle", "metric", "barber_id", "month"]
    return frame.sort_values(keys, na_position="first", ignore_index=True)


def test_the_copy_holds_every_row(both: tuple[Database, Database]) -> None:
    lite, pg = both
    tables = ("locations", "barbers", "clients", "services", "appointments", "sale_items")
    for table in tables:
        sql = text(f"SELECT COUNT(*), COALESCE(SUM(id), 0) FROM {table}")
        with lite.read() as a, pg.read() as b:
            assert tuple(a.execute(sql).one()) == tuple(b.execute(sql).one()), table
    money = text("SELECT SUM(unit_price_cents * quantity), SUM(tip_cents) FROM sale_items")
    with lite.read() as a, pg.read() as b:
        assert tuple(a.execute(money).one()) == tuple(b.execute(money).one())


@pytest.mark.parametrize("as_of", [AS_OF, DEMO_END])
def test_kpis_are_identical(both: tuple[Database, Database], as_of: date) -> None:
    lite, pg = both
    frames = [
        kpi_values(db, run_engine(db, "kpi", as_of).run_id)
        .sort_values(["kpi", "window"], ignore_index=True)
        for db in both
    ]
    pd.testing.assert_frame_equal(frames[0], frames[1], check_dtype=False)
    assert frames[0]["value"].notna().any()  # something was measured, not only unknowns
    del lite, pg


def test_methodology_scores_are_identical(both: tuple[Database, Database]) -> None:
    frames = [_methodology(db, run_engine(db, "methodology", AS_OF).run_id) for db in both]
    assert len(frames[0]) > 0
    pd.testing.assert_frame_equal(frames[0], frames[1], check_dtype=False)


def test_ltv_scores_and_segments_are_identical(both: tuple[Database, Database]) -> None:
    runs = [run_engine(db, "ltv", AS_OF) for db in both]
    frames = [
        client_scores(db, run.run_id).drop(columns=["run_id"]).sort_values(
            "client_id", ignore_index=True
        )
        for db, run in zip(both, runs, strict=True)
    ]
    assert len(frames[0]) > 100
    pd.testing.assert_frame_equal(frames[0], frames[1], check_dtype=False)
    segments = [
        frame.groupby("segment", observed=True)["client_id"].count().to_dict() for frame in frames
    ]
    assert segments[0] == segments[1] and len(segments[0]) > 1
    summaries = [dict(run.summary) for run in runs]
    for summary in summaries:
        summary.pop("run_id")
    assert summaries[0] == summaries[1]
