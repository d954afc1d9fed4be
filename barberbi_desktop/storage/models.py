"""The shop database schema (DESIGN.md section 2) as SQLAlchemy 2 typed models.

Imported rows (clients, barbers, services, appointments, sale items, reviews)
carry a ``natural_key`` that is unique per table and the ``import_batch_id``
they arrived with, so a re-import can upsert instead of duplicating and an
import can be undone exactly.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from barberbi_desktop.storage.types import UTCInstant

APPOINTMENT_STATUSES = ("booked", "confirmed", "completed", "cancelled", "no_show")
SERVICE_CATEGORIES = ("cut", "beard", "colour", "treatment", "package", "retail", "other")
PAY_MODELS = ("commission", "booth_rent", "hourly")
# An adjustment is a negative line (refund, comp, correction): it lowers the visit's revenue.
ITEM_KINDS = ("service", "product", "package", "gift_card", "adjustment")
BATCH_KINDS = ("bookings", "clients", "services", "staff")
PRIORITIES = ("critical", "high", "medium", "low")
# A manager is a location manager: tied to one location (users.location_id), sees only it.
ROLES = ("owner", "staff", "manager")


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: UTCInstant,
    }


class ImportedMixin:
    """Columns every imported row carries: where it came from and its identity."""

    natural_key: Mapped[str] = mapped_column(String(200), unique=True)
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="SET NULL"), index=True
    )


class Location(Base):
    __tablename__ = "locations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3), default="USD", server_default="USD")
    # {"0": [540, 1080], ...}: minutes after local midnight, Monday = "0"; a
    # missing weekday means closed.
    opening_hours: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    retail_tax_bp: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ImportBatch(Base):
    __tablename__ = "import_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(400))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    started_utc: Mapped[datetime]
    finished_utc: Mapped[datetime | None]
    rows_read: Mapped[int] = mapped_column(default=0, server_default="0")
    inserted: Mapped[int] = mapped_column(default=0, server_default="0")
    updated: Mapped[int] = mapped_column(default=0, server_default="0")
    unchanged: Mapped[int] = mapped_column(default=0, server_default="0")
    rejected: Mapped[int] = mapped_column(default=0, server_default="0")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20))
    duration_ms: Mapped[int | None]
    # The shop's data version this batch's commit produced (None: it changed nothing).
    data_version: Mapped[int | None]
    kind: Mapped[str | None] = mapped_column(String(12))  # one of BATCH_KINDS
    lines: Mapped[int | None]  # sale lines the file's rows hold in the database
    # What landed, read back from the database: sales, adjustments, net, tax, tips (cents;
    # null where the file has no such column).
    money: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ImportIssue(Base):
    __tablename__ = "import_issues"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"))
    row_number: Mapped[int | None]
    column: Mapped[str | None] = mapped_column(String(120))
    severity: Mapped[str] = mapped_column(String(10), default="error", server_default="error")
    message: Mapped[str] = mapped_column(Text)


class Barber(ImportedMixin, Base):
    __tablename__ = "barbers"
    __table_args__ = (CheckConstraint(_in("pay_model", PAY_MODELS), name="ck_barbers_pay_model"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    pay_model: Mapped[str] = mapped_column(
        String(20), default="commission", server_default="commission"
    )
    commission_bp: Mapped[int | None]  # basis points of service revenue paid to the barber
    weekly_booth_rent_cents: Mapped[int | None]
    hourly_rate_cents: Mapped[int | None]
    # Same shape as Location.opening_hours.
    working_hours: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    hired_on: Mapped[date | None] = mapped_column(Date)
    external_ids: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")


class Client(ImportedMixin, Base):
    __tablename__ = "clients"
    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)  # E.164
    first_seen_utc: Mapped[datetime | None]
    referral_source: Mapped[str | None] = mapped_column(String(40))
    marketing_consent: Mapped[bool | None] = mapped_column(Boolean)  # None: never said
    birthday_month: Mapped[int | None]
    birthday_day: Mapped[int | None]
    home_location_id: Mapped[int | None] = mapped_column(
        ForeignKey("locations.id"), index=True
    )
    external_ids: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    merge_target_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)


class Service(ImportedMixin, Base):
    __tablename__ = "services"
    __table_args__ = (
        CheckConstraint(_in("category", SERVICE_CATEGORIES), name="ck_services_category"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    category: Mapped[str] = mapped_column(String(20))
    list_price_cents: Mapped[int | None]
    duration_min: Mapped[int | None]
    premium: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    introduced_on: Mapped[date | None] = mapped_column(Date)


class Appointment(ImportedMixin, Base):
    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint(_in("status", APPOINTMENT_STATUSES), name="ck_appointments_status"),
        Index("ix_appointments_barber_start", "barber_id", "start_utc"),
        Index("ix_appointments_client_start", "client_id", "start_utc"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    barber_id: Mapped[int | None] = mapped_column(ForeignKey("barbers.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"), index=True)
    start_utc: Mapped[datetime] = mapped_column(index=True)
    end_utc: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(12))
    status_raw: Mapped[str | None] = mapped_column(String(60))
    booked_at_utc: Mapped[datetime | None]
    # Only for a cancelled booking whose export says when (Fresha's "Cancelled date").
    cancelled_at_utc: Mapped[datetime | None]
    channel: Mapped[str | None] = mapped_column(String(20))
    source_platform: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[str | None] = mapped_column(String(120))
    # Hash of the export row (and how it was read): an identical row re-imported is skipped.
    source_hash: Mapped[str | None] = mapped_column(String(40))
    # False when the export gave a date but no time of day: the visit counts for revenue
    # and visits, not for utilisation or hourly charts.
    time_known: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")


class SaleItem(ImportedMixin, Base):
    __tablename__ = "sale_items"
    __table_args__ = (CheckConstraint(_in("kind", ITEM_KINDS), name="ck_sale_items_kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    # Who sold this line, where the export says (a receipt's cut by one stylist, colour by
    # another); None: the visit's barber.
    barber_id: Mapped[int | None] = mapped_column(ForeignKey("barbers.id"), index=True)
    sold_at_utc: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(12))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(default=1, server_default="1")
    unit_price_cents: Mapped[int | None]  # None: the export did not say (unknown, not zero)
    discount_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    tax_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    tip_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    payment_method: Mapped[str | None] = mapped_column(String(20))


class Review(ImportedMixin, Base):
    __tablename__ = "reviews"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="ck_reviews_rating"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    barber_id: Mapped[int | None] = mapped_column(ForeignKey("barbers.id"), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)
    posted_utc: Mapped[datetime]
    rating: Mapped[int]
    source: Mapped[str] = mapped_column(String(40))
    text: Mapped[str | None] = mapped_column(Text)


class BrandEvent(Base):
    __tablename__ = "brand_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    occurred_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    cost_cents: Mapped[int] = mapped_column(default=0, server_default="0")


class TrainingLog(Base):
    __tablename__ = "training_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    barber_id: Mapped[int] = mapped_column(ForeignKey("barbers.id"), index=True)
    occurred_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[float] = mapped_column(Float)
    topic: Mapped[str] = mapped_column(String(200))
    cost_cents: Mapped[int] = mapped_column(default=0, server_default="0")


class EngineRun(Base):
    __tablename__ = "engine_runs"
    __table_args__ = (Index("ix_engine_runs_engine_finished", "engine", "finished_utc"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    engine: Mapped[str] = mapped_column(String(20))
    as_of: Mapped[date] = mapped_column(Date)
    data_version: Mapped[int]
    started_utc: Mapped[datetime]
    finished_utc: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(12))  # running, ok, failed, cancelled
    error: Mapped[str | None] = mapped_column(Text)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    # A run over one location's data, for its location manager (null: the whole shop).
    location_id: Mapped[int | None]


class ClientScore(Base):
    __tablename__ = "client_scores"
    run_id: Mapped[int] = mapped_column(
        ForeignKey("engine_runs.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id"), primary_key=True, index=True
    )
    segment: Mapped[str] = mapped_column(String(20))
    value_tier: Mapped[str | None] = mapped_column(String(20))  # VIP/High Value even if At-Risk
    segment_rule: Mapped[str] = mapped_column(Text)
    frequency: Mapped[int]
    recency_days: Mapped[float]
    age_days: Mapped[float]
    days_since_last: Mapped[float | None]
    monetary_cents: Mapped[int | None]
    p_alive: Mapped[float]
    expected_visits: Mapped[float]
    predicted_spend_cents: Mapped[int]
    ltv_cents: Mapped[int]
    churn_risk: Mapped[float]
    overdue: Mapped[bool] = mapped_column(Boolean)
    overdue_text: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(Text)


class ClientOffer(Base):
    """The next thing to offer a client, from a rule that held up on its back-test."""

    __tablename__ = "client_offers"
    run_id: Mapped[int] = mapped_column(
        ForeignKey("engine_runs.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    offer: Mapped[str] = mapped_column(String(200))
    because: Mapped[str] = mapped_column(String(200))
    # FLOAT, as migration 0006 created it (0011's no-show tables likewise), so that
    # Alembic's compare of models and database finds nothing on SQLite either.
    probability: Mapped[float | None] = mapped_column(Float)


class NoShowRisk(Base):
    """A no-show run's scored booking (within the run's horizon). The booking's start,
    client and barber are read from ``appointments``; no foreign key to it, so undoing
    an import never waits on old runs (the readers join, and a gone booking drops out)."""

    __tablename__ = "noshow_risks"
    run_id: Mapped[int] = mapped_column(
        ForeignKey("engine_runs.id", ondelete="CASCADE"), primary_key=True
    )
    appointment_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    risk: Mapped[float | None] = mapped_column(Float)
    # Unknown until exports say when a cancel came.
    late_cancel_risk: Mapped[float | None] = mapped_column(Float)
    price_cents: Mapped[int | None]
    minutes: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[str | None] = mapped_column(Text)


class ClientReliability(Base):
    """A no-show run's per-client reliability: bookings with a known outcome, misses, the
    own rate with its interval, and the model's risk for the client's next booking."""

    __tablename__ = "client_reliability"
    run_id: Mapped[int] = mapped_column(
        ForeignKey("engine_runs.id", ondelete="CASCADE"), primary_key=True
    )
    client_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    missed: Mapped[int]
    booked: Mapped[int]
    own_rate: Mapped[float | None] = mapped_column(Float)
    rate_low: Mapped[float | None] = mapped_column(Float)
    rate_high: Mapped[float | None] = mapped_column(Float)
    next_risk: Mapped[float | None] = mapped_column(Float)
    # Late cancellations of those still held a day ahead; null where none is learnt.
    late_cancels: Mapped[int | None]
    late_booked: Mapped[int | None]


class KpiValue(Base):
    __tablename__ = "kpi_values"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("engine_runs.id", ondelete="CASCADE"), index=True
    )
    kpi: Mapped[str] = mapped_column(String(40))
    window: Mapped[str] = mapped_column(String(10))  # today, 7d, 30d, 90d
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    value: Mapped[float | None]
    prior: Mapped[float | None]
    target: Mapped[float | None]


class Recommendation(Base):
    __tablename__ = "recommendations"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("engine_runs.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(Text)
    expected_gain_cents: Mapped[int | None]
    gain_low_cents: Mapped[int | None]
    gain_high_cents: Mapped[int | None]
    confidence: Mapped[float | None]
    risk: Mapped[str | None] = mapped_column(String(10))
    horizon: Mapped[str | None] = mapped_column(String(10))  # now, month, quarter
    rank: Mapped[int | None]
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")


class MethodologyScore(Base):
    __tablename__ = "methodology_scores"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("engine_runs.id", ondelete="CASCADE"), index=True
    )
    barber_id: Mapped[int | None] = mapped_column(  # None: whole shop
        ForeignKey("barbers.id"), index=True
    )
    month: Mapped[date | None] = mapped_column(Date)  # None: as of the run; else trajectory
    principle: Mapped[str] = mapped_column(String(40))
    metric: Mapped[str | None] = mapped_column(String(60))  # None: the principle's own score
    value: Mapped[float | None]
    target: Mapped[float | None]
    score: Mapped[float | None]
    reason_if_null: Mapped[str | None] = mapped_column(Text)


class Forecast(Base):
    __tablename__ = "forecasts"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("engine_runs.id", ondelete="CASCADE"), index=True
    )
    series: Mapped[str] = mapped_column(String(60))
    at_utc: Mapped[datetime]
    value: Mapped[float]
    low: Mapped[float | None]
    high: Mapped[float | None]


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint(_in("priority", PRIORITIES), name="ck_alerts_priority"),
        Index("ix_alerts_dedup", "dedup_key", "created_utc"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(60))
    priority: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    dedup_key: Mapped[str] = mapped_column(String(200))
    created_utc: Mapped[datetime]
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_utc: Mapped[datetime | None]


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="ck_users_role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    pin_hash: Mapped[str] = mapped_column(String(200))
    created_utc: Mapped[datetime]
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    # A location manager's one location (null for the owner and staff).
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at_utc: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")


class Setting(Base):
    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    type: Mapped[str] = mapped_column(String(10))  # int, float, str, bool, json


class GroundTruth(Base):
    """What the demo generator really used, so tests can check engines recover it."""

    __tablename__ = "ground_truth"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class ShopState(Base):
    """A single row whose ``data_version`` goes up on every data change.

    Jobs compare it with the version their last run saw, which is how a nightly
    run knows it can be skipped.
    """

    __tablename__ = "shop_state"
    __table_args__ = (UniqueConstraint("singleton"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    singleton: Mapped[int] = mapped_column(default=1, server_default="1")
    data_version: Mapped[int] = mapped_column(default=0, server_default="0")


class ImportChange(Base):
    """One row an import inserted or updated, with the values it replaced.

    Undoing a batch deletes what it inserted and writes ``before`` back over
    what it updated, which is what makes undo exact rather than approximate.
    """

    __tablename__ = "import_changes"
    __table_args__ = (
        CheckConstraint(
            "action IN ('insert', 'update', 'delete')", name="ck_import_changes_action"
        ),
        Index("ix_import_changes_batch", "batch_id", "table_name"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"))
    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(10))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ClientMergeProposal(Base):
    """A new client whose name matches an existing one: the same person, perhaps.

    A name alone is too weak to merge on (two John Smiths are common), so an
    import only proposes; the owner accepts or dismisses.
    """

    __tablename__ = "client_merge_proposals"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="open", server_default="open")


class ImportProfile(Base):
    """A column mapping the owner saved for an export no built-in profile knows.

    Stored as plain data (the built-in profile it extends and the field -> column
    mapping), so it is detected next month like any other platform and can be
    exported as TOML.
    """

    __tablename__ = "import_profiles"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    base: Mapped[str] = mapped_column(String(40))
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_utc: Mapped[datetime]


class ServerJob(Base):
    """The last slot each background job ran for, shared by every computer on a server
    (jobs.leader): a job whose slot is already here is not run again elsewhere."""

    __tablename__ = "server_jobs"
    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    slot: Mapped[int] = mapped_column(BigInteger)
    ran_by: Mapped[str | None] = mapped_column(String(200))
    started_utc: Mapped[datetime | None]
    finished_utc: Mapped[datetime | None]
