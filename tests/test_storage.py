"""The shop database: schema, pragmas, concurrency, migrations and refusals."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from barberbi_desktop.errors import InputError
from barberbi_desktop.storage import models as m
from barberbi_desktop.storage.db import (
    SCHEMA_HEAD,
    Database,
    _alembic_config,
    head_revision,
    open_database,
)
from barberbi_desktop.storage.types import UTCInstant

NY = ZoneInfo("America/New_York")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_of_everything() -> list[m.Base]:
    """One row for every table, linked the way real data is."""
    t0 = datetime(2026, 3, 14, 10, 30, tzinfo=NY)  # DST started that weekend: a good edge
    loc = m.Location(
        id=1,
        name="Main",
        timezone="America/New_York",
        currency="USD",
        opening_hours={"1": [540, 1140]},
        retail_tax_bp=887,
    )
    user = m.User(
        id=1, name="owner", role="owner", pin_hash="scrypt$x", created_utc=t0, active=True
    )
    batch = m.ImportBatch(
        id=1,
        platform="square",
        file_name="tx.csv",
        sha256="ab" * 32,
        started_utc=t0,
        finished_utc=t0 + timedelta(seconds=3),
        rows_read=3,
        inserted=2,
        updated=1,
        unchanged=0,
        rejected=0,
        user_id=1,
        status="ok",
        duration_ms=3000,
        kind="bookings",
        lines=3,
        money={"sales_cents": 9000, "adjustments_cents": -500, "net_cents": 8500,
               "tax_cents": None, "tips_cents": 1200},
    )
    barber = m.Barber(
        id=1,
        location_id=1,
        name="Marcus",
        pay_model="booth_rent",
        commission_bp=None,
        weekly_booth_rent_cents=30_000,
        hourly_rate_cents=None,
        working_hours={"1": [540, 1140]},
        active=True,
        hired_on=date(2024, 1, 2),
        external_ids={"square": "TM1"},
        natural_key="square:barber:TM1",
        import_batch_id=1,
    )
    client = m.Client(
        id=1,
        display_name="Ana Lee",
        email="ana@example.com",
        phone="+12125550100",
        first_seen_utc=t0,
        referral_source="referral",
        marketing_consent=True,
        birthday_month=2,
        birthday_day=29,
        home_location_id=1,
        external_ids={"square": "C1"},
        natural_key="square:client:C1",
        import_batch_id=1,
    )
    service = m.Service(
        id=1,
        name="Skin Fade",
        category="cut",
        list_price_cents=4500,
        duration_min=45,
        premium=False,
        active=True,
        introduced_on=date(2024, 1, 2),
        natural_key="service:skin fade",
    )
    appt = m.Appointment(
        id=1,
        client_id=1,
        barber_id=1,
        location_id=1,
        service_id=1,
        start_utc=t0,
        end_utc=t0 + timedelta(minutes=45),
        status="completed",
        status_raw="Completed",
        booked_at_utc=t0 - timedelta(days=3),
        channel="online",
        source_platform="square",
        source_id="T1",
        natural_key="square:appt:T1",
        import_batch_id=1,
        time_known=True,
    )
    run = m.EngineRun(
        id=1,
        engine="ltv",
        as_of=date(2026, 3, 15),
        data_version=4,
        started_utc=t0,
        finished_utc=t0,
        status="ok",
        error=None,
        metrics={"mae": 12.5},
    )
    return [
        loc,
        user,
        batch,
        m.ImportIssue(
            id=1,
            batch_id=1,
            row_number=7,
            column="Gross Sales",
            severity="error",
            message="Row 7, Gross Sales: 'abc' is not an amount of money.",
        ),
        m.ImportChange(
            id=1,
            batch_id=1,
            table_name="appointments",
            row_id=1,
            action="update",
            before={"status": "booked"},
        ),
        barber,
        client,
        m.Client(
            id=2, display_name="Jon Smith", natural_key="acuity:name:jon smith", external_ids={}
        ),
        m.ClientMergeProposal(
            id=1, batch_id=1, client_id=2, candidate_id=1, reason="same name", status="open"
        ),
        service,
        appt,
        m.SaleItem(
            id=1,
            appointment_id=1,
            client_id=1,
            location_id=1,
            barber_id=1,
            sold_at_utc=t0,
            kind="service",
            service_id=1,
            name="Skin Fade",
            quantity=1,
            unit_price_cents=4500,
            discount_cents=450,
            tax_cents=0,
            tip_cents=800,
            payment_method="card",
            natural_key="square:item:T1:1",
            import_batch_id=1,
        ),
        m.SaleItem(
            id=2,
            appointment_id=1,
            client_id=1,
            location_id=1,
            sold_at_utc=t0,
            kind="product",
            service_id=None,
            name="Matte Clay",
            quantity=2,
            unit_price_cents=None,
            discount_cents=0,
            tax_cents=0,
            tip_cents=0,
            payment_method=None,
            natural_key="square:item:T1:2",
            import_batch_id=1,
        ),
        m.Review(
            id=1,
            location_id=1,
            barber_id=1,
            client_id=1,
            posted_utc=t0,
            rating=5,
            source="google",
            text="Best fade in town",
            natural_key="google:r1",
            import_batch_id=None,
        ),
        m.BrandEvent(
            id=1,
            location_id=1,
            occurred_on=date(2026, 3, 1),
            kind="social_campaign",
            description="Before/after series",
            cost_cents=15_000,
        ),
        m.TrainingLog(
            id=1,
            barber_id=1,
            occurred_on=date(2026, 2, 1),
            hours=6.5,
            topic="Beard design",
            cost_cents=20_000,
        ),
        run,
        m.ClientScore(
            run_id=1,
            client_id=1,
            segment="High Value",
            segment_rule="LTV >= p80",
            frequency=4,
            recency_days=120.0,
            age_days=300.0,
            monetary_cents=5100,
            p_alive=0.91,
            expected_visits=3.2,
            predicted_spend_cents=16_320,
            ltv_cents=61_000,
            churn_risk=0.12,
            overdue=False,
            overdue_text=None,
            action="Invite to the loyalty programme",
        ),
        m.ClientOffer(
            run_id=1, client_id=1, offer="Beard Trim", because="Skin Fade", probability=0.18
        ),
        m.NoShowRisk(
            run_id=1, appointment_id=1, risk=0.31, late_cancel_risk=None, price_cents=4_500,
            minutes=45.0, reasons="booked online 3 weeks ahead; missed 2 of their last 6",
        ),
        m.ClientReliability(
            run_id=1, client_id=1, missed=2, booked=6, own_rate=2 / 6, rate_low=0.12,
            rate_high=0.41, next_risk=0.31,
        ),
        m.KpiValue(
            id=1,
            run_id=1,
            kpi="revenue",
            window="30d",
            location_id=1,
            value=123_456.0,
            prior=120_000.0,
            target=130_000.0,
        ),
        m.Recommendation(
            id=1,
            run_id=1,
            kind="price",
            title="Raise Skin Fade to $49",
            detail="Elasticity -0.5 (CI -0.8 to -0.2)",
            expected_gain_cents=90_000,
            gain_low_cents=40_000,
            gain_high_cents=120_000,
            confidence=0.7,
            risk="low",
            horizon="month",
            rank=1,
            evidence={"n": 812},
        ),
        m.MethodologyScore(
            id=1,
            run_id=1,
            barber_id=None,
            month=None,
            principle="premium",
            metric="avg_ticket",
            value=52.0,
            target=100.0,
            score=52.0,
            reason_if_null=None,
        ),
        m.Forecast(
            id=1,
            run_id=1,
            series="weekly_revenue",
            at_utc=t0,
            value=9000.0,
            low=8000.0,
            high=10_000.0,
        ),
        m.Alert(
            id=1,
            rule="no_show_rate",
            priority="high",
            title="No-shows up",
            message="No-show rate 11% this week (threshold 8%)",
            dedup_key="no_show:2026-W11",
            created_utc=t0,
            location_id=1,
            acknowledged_by=1,
            acknowledged_utc=t0,
        ),
        m.AuditEntry(id=1, at_utc=t0, user_id=1, action="login", detail={"ok": True}),
        m.Setting(key="targets.utilisation", value=0.75, type="float"),
        m.ImportProfile(id=1, name="salon-pos", base="barberbi",
                        mapping={"appointment_id": "Receipt", "start": "Date"}, created_utc=t0),
        m.GroundTruth(key="bgnbd", value={"r": 1.6}),
        m.ShopState(id=1, singleton=1, data_version=3),
        m.ServerJob(job="nightly", slot=1_773_450_000, ran_by="front-desk (pid 41)",
                    started_utc=t0, finished_utc=t0),
    ]


def _columns(obj: m.Base) -> dict[str, object]:
    return {c.key: getattr(obj, c.key) for c in inspect(obj).mapper.column_attrs}


def test_migrations_from_empty_create_every_table(empty_db: Database) -> None:
    with empty_db.read() as conn:
        tables = set(inspect(conn).get_table_names())
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert tables == set(m.Base.metadata.tables) | {"alembic_version"}
    assert version == head_revision() == SCHEMA_HEAD


def test_the_models_and_the_migrated_schema_agree(empty_db: Database) -> None:
    """Alembic's compare of the models with what the migrations built finds nothing: a
    model type the database does not have (an instant as int4 on a server) shows here."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import Float

    def same_float(_ctx: object, _col: object, _meta: object, found: object, model: object
                   ) -> bool | None:  # fmt: skip
        """On SQLite every float type is REAL; Alembic 1.13.0 (the oldest allowed) still
        told DOUBLE from FLOAT there (newer ones do not). Elsewhere, Alembic's own
        comparison."""
        if not empty_db.is_postgres and isinstance(found, Float) and isinstance(model, Float):
            return False
        return None

    with empty_db.read() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": same_float})
        assert compare_metadata(context, m.Base.metadata) == []
        instants = {
            (t.name, c.name)
            for t in m.Base.metadata.sorted_tables
            for c in t.columns
            if isinstance(c.type, UTCInstant)
        }
        kinds = {
            (t, c["name"]): str(c["type"]).upper()
            for t in {t for t, _ in instants}
            for c in inspect(conn).get_columns(t)
        }
    assert {kinds[k] for k in instants} == {"BIGINT" if empty_db.is_postgres else "INTEGER"}


def test_migration_0013_widens_every_instant_column() -> None:
    """0013 names its columns itself (a migration must not change with the models); every
    instant column of the models must be among them."""
    from importlib import import_module

    widened = import_module(
        "barberbi_desktop.storage.migrations.versions.0013_instants_as_bigint"
    ).INSTANT_COLUMNS
    instants = {
        (t.name, c.name)
        for t in m.Base.metadata.sorted_tables
        for c in t.columns
        if isinstance(c.type, UTCInstant)
    }
    assert {(t, c) for t, cols in widened.items() for c in cols} == instants
    assert ("appointments", "cancelled_at_utc") in instants


def test_instants_past_2038_round_trip(empty_db: Database) -> None:
    """2038-01-19 03:14:08 UTC is one second past a 32-bit integer; a booking in 2039
    and an export's typo'd year 2040 must come back exactly."""
    last_int4 = datetime(2038, 1, 19, 3, 14, 7, tzinfo=UTC)
    times = [last_int4, last_int4 + timedelta(seconds=1), datetime(2040, 2, 29, 9, tzinfo=NY)]
    with empty_db.session() as session:
        session.add(m.Location(id=1, name="Main", timezone="America/New_York"))
        session.flush()
        for i, t in enumerate(times, start=1):
            session.add(m.Appointment(
                id=i, location_id=1, start_utc=t, end_utc=t + timedelta(minutes=30),
                booked_at_utc=t, cancelled_at_utc=t, status="cancelled",
                source_platform="square", natural_key=f"a{i}",
            ))  # fmt: skip
    with empty_db.read() as conn:
        stored = conn.execute(text("SELECT start_utc FROM appointments ORDER BY id")).scalars()
        assert list(stored) == [int(t.timestamp()) for t in times]
    with Session(empty_db.engine) as session:
        back = [session.get(m.Appointment, i) for i in (1, 2, 3)]
        assert [a.cancelled_at_utc for a in back] == times
        assert [a.end_utc - a.start_utc for a in back] == [timedelta(minutes=30)] * 3


def test_every_table_round_trips(empty_db: Database) -> None:
    rows = _one_of_everything()
    expected = [(type(r), _columns(r)) for r in rows]
    with empty_db.session() as session:
        session.execute(text("DELETE FROM shop_state"))
        for row in rows:  # models declare no relationships, so flush in dependency order
            session.add(row)
            session.flush()
    with Session(empty_db.engine) as session:
        for model, values in expected:
            pk = inspect(model).primary_key
            ident = tuple(values[c.key] for c in pk)
            loaded = session.get(model, ident if len(ident) > 1 else ident[0])
            assert loaded is not None, model.__tablename__
            assert _columns(loaded) == values, model.__tablename__
    assert {type(r).__tablename__ for r in rows} == set(m.Base.metadata.tables)


def test_instants_are_utc_and_naive_datetimes_are_refused(empty_db: Database) -> None:
    local = datetime(2026, 7, 4, 9, 0, tzinfo=NY)
    with empty_db.session() as session:
        session.add(m.User(id=5, name="a", role="staff", pin_hash="x", created_utc=local))
    with empty_db.read() as conn:
        stored = conn.execute(text("SELECT created_utc FROM users WHERE id = 5")).scalar_one()
    assert stored == int(datetime(2026, 7, 4, 13, 0, tzinfo=UTC).timestamp())
    with Session(empty_db.engine) as session:
        assert session.get(m.User, 5).created_utc == local
        assert session.get(m.User, 5).created_utc.tzinfo == UTC
    with (
        pytest.raises(Exception, match="naive datetimes are refused"),
        empty_db.session() as session,
    ):
        session.add(
            m.User(id=6, name="b", role="staff", pin_hash="x", created_utc=datetime(2026, 1, 1))
        )


@pytest.mark.sqlite_only
def test_wal_foreign_keys_and_busy_timeout_are_on(empty_db: Database) -> None:
    with empty_db.read() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() >= 5000
    with pytest.raises(IntegrityError), empty_db.session() as session:
        session.add(m.Barber(location_id=999, name="Ghost", natural_key="ghost"))


def test_a_writer_thread_and_a_reader_never_see_database_is_locked(empty_db: Database) -> None:
    with empty_db.session() as session:
        session.add(m.Location(id=1, name="Main", timezone="UTC"))
    errors: list[BaseException] = []
    written = 0
    stop = threading.Event()

    def writer() -> None:
        nonlocal written
        try:
            for i in range(300):
                with empty_db.write() as conn:
                    conn.execute(
                        text(
                            "INSERT INTO brand_events (location_id, occurred_on, kind, "
                            "description) VALUES (1, '2026-01-01', 'x', :d)"
                        ),
                        {"d": str(i)},
                    )
                written += 1
        except BaseException as exc:
            errors.append(exc)
        finally:
            stop.set()

    def second_writer() -> None:
        try:
            while not stop.is_set():
                with empty_db.write() as conn:
                    conn.execute(text("UPDATE shop_state SET data_version = data_version + 1"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer), threading.Thread(target=second_writer)]
    for t in threads:
        t.start()
    reads = 0
    while not stop.is_set():
        with empty_db.read() as conn, conn.begin():  # a long-lived read transaction
            conn.execute(text("SELECT COUNT(*) FROM brand_events")).scalar_one()
            conn.execute(text("SELECT * FROM shop_state")).all()
        reads += 1
    for t in threads:
        t.join()
    assert errors == []
    assert written == 300 and reads > 0
    with empty_db.read() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM brand_events")).scalar_one() == 300


def test_an_older_file_is_upgraded_after_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = open_database(path)
    with db.session() as session:
        session.add(m.Location(id=1, name="Main", timezone="Europe/London"))
    cfg = _alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    db.dispose()
    reopened = open_database(path)
    with reopened.read() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        assert version == SCHEMA_HEAD
        assert "import_changes" in inspect(conn).get_table_names()
        assert conn.execute(text("SELECT name FROM locations")).scalar_one() == "Main"
    reopened.dispose()
    backups = list(tmp_path.glob("old.before-upgrade-*.db"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    conn.close()


def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("shopping list: clippers, towels\n")
    before = _sha(path)
    with pytest.raises(InputError, match=r"notes\.db is not a BarberBI database"):
        open_database(path)
    assert _sha(path) == before
    assert not Path(str(path) + "-wal").exists()


def test_an_sqlite_file_of_another_program_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.close()
    before = _sha(path)
    with pytest.raises(InputError, match="tables of another program"):
        open_database(path)
    assert _sha(path) == before


def test_a_database_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    open_database(path).dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    conn.close()
    before = _sha(path)
    with pytest.raises(InputError, match=r"newer version of BarberBI \(schema 0099\)"):
        open_database(path)
    assert _sha(path) == before


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_a_locked_database_is_refused(tmp_path: Path, journal: str) -> None:
    path = tmp_path / "busy.db"
    open_database(path).dispose()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute(f"PRAGMA journal_mode = {journal}")
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE shop_state SET data_version = 9")
    try:
        with pytest.raises(InputError, match="locked by another program"):
            open_database(path)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_folder_that_cannot_be_written_is_refused() -> None:
    with pytest.raises(InputError, match="is not writable"):
        open_database("/proc/shop.db")


def test_a_folder_passed_as_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder"):
        open_database(tmp_path)


def test_orm_select_sees_rows_written_through_raw_write(empty_db: Database) -> None:
    with empty_db.write() as conn:
        conn.execute(text("INSERT INTO locations (id, name, timezone) VALUES (1, 'A', 'UTC')"))
    with Session(empty_db.engine) as session:
        assert session.scalars(select(m.Location.name)).all() == ["A"]


def test_the_client_score_columns_read_as_arrow_match_the_model() -> None:
    from barberbi_desktop.storage.results import SCORE_COLUMNS

    sql = {int: "INTEGER", bool: "INTEGER", float: "REAL", str: "TEXT"}
    model = {c.name: sql[c.type.python_type] for c in m.ClientScore.__table__.columns}
    assert model == SCORE_COLUMNS
