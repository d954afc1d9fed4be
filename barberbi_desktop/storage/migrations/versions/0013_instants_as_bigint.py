"""Instants as BIGINT on PostgreSQL: epoch seconds past 2038-01-19 fit.

PostgreSQL's ``INTEGER`` is 32-bit, so a booking in 2039 (or an export's typo'd
year 2040) would be refused with "integer out of range". Every column holding an
instant (`storage.types.UTCInstant`, and ``appointments.cancelled_at_utc`` that
0012 added as a plain integer) becomes ``BIGINT``: one ``ALTER TABLE`` per table,
so each table is rewritten once. SQLite's ``INTEGER`` is 64-bit already, so there
this revision changes nothing.

Downgrading narrows the columns back to ``INTEGER``, which PostgreSQL refuses
(and rolls back) while any instant past 2038 is stored.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 12:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out rather than read from the models: a migration must mean the same thing
# whatever the models say later (test_storage checks it covers every instant column).
INSTANT_COLUMNS: dict[str, tuple[str, ...]] = {
    "alerts": ("created_utc", "acknowledged_utc"),
    "appointments": ("start_utc", "end_utc", "booked_at_utc", "cancelled_at_utc"),
    "audit_log": ("at_utc",),
    "clients": ("first_seen_utc",),
    "engine_runs": ("started_utc", "finished_utc"),
    "forecasts": ("at_utc",),
    "import_batches": ("started_utc", "finished_utc"),
    "import_profiles": ("created_utc",),
    "reviews": ("posted_utc",),
    "sale_items": ("sold_at_utc",),
    "server_jobs": ("started_utc", "finished_utc"),
    "users": ("created_utc",),
}


def _retype(sql_type: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in INSTANT_COLUMNS.items():
        changes = ", ".join(f'ALTER COLUMN "{c}" TYPE {sql_type}' for c in columns)
        op.execute(f'ALTER TABLE "{table}" {changes}')


def upgrade() -> None:
    _retype("BIGINT")


def downgrade() -> None:
    _retype("INTEGER")
