"""Chains on one server: live change notices, one job run per server, location managers.

- A trigger on ``shop_state`` (PostgreSQL only) sends ``NOTIFY barberbi_data,
  '<version>'`` whenever the data version goes up. It runs inside the writing
  transaction, so the notice goes out on commit and never for a rolled-back write,
  whichever code path (import, undo, settings, demo) made the change.
- ``server_jobs``: the last slot each background job ran for, shared by every
  computer on the server, so a job runs once per server rather than once per computer.
- ``users.location_id`` and the role ``manager`` (a location manager, tied to one
  location); ``engine_runs.location_id``: a run over one location's data (null: the
  whole shop).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from barberbi_desktop.storage.types import UTCInstant

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_ROLES = "role IN ('owner', 'staff')"
_NEW_ROLES = "role IN ('owner', 'staff', 'manager')"

_NOTIFY_FUNCTION = """
CREATE OR REPLACE FUNCTION barberbi_notify_data() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('barberbi_data', NEW.data_version::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""
_NOTIFY_TRIGGER = """
CREATE TRIGGER barberbi_data_changed
AFTER UPDATE OF data_version ON shop_state
FOR EACH ROW WHEN (NEW.data_version IS DISTINCT FROM OLD.data_version)
EXECUTE FUNCTION barberbi_notify_data()
"""


def _recreate() -> str:
    """SQLite cannot alter a CHECK constraint, so the table is rebuilt there."""
    return "always" if op.get_bind().dialect.name == "sqlite" else "auto"


def upgrade() -> None:
    op.create_table(
        "server_jobs",
        sa.Column("job", sa.String(length=40), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("ran_by", sa.String(length=200), nullable=True),
        sa.Column("started_utc", UTCInstant(), nullable=True),
        sa.Column("finished_utc", UTCInstant(), nullable=True),
        sa.PrimaryKeyConstraint("job"),
    )
    with op.batch_alter_table("users", recreate=_recreate()) as batch:
        batch.add_column(sa.Column("location_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_users_location_id", "locations", ["location_id"], ["id"])
        batch.drop_constraint("ck_users_role", type_="check")
        batch.create_check_constraint("ck_users_role", _NEW_ROLES)
    with op.batch_alter_table("engine_runs") as batch:
        batch.add_column(sa.Column("location_id", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_NOTIFY_FUNCTION)
        op.execute(_NOTIFY_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS barberbi_data_changed ON shop_state")
        op.execute("DROP FUNCTION IF EXISTS barberbi_notify_data()")
    with op.batch_alter_table("engine_runs") as batch:
        batch.drop_column("location_id")
    op.execute("DELETE FROM users WHERE role = 'manager'")
    with op.batch_alter_table("users", recreate=_recreate()) as batch:
        batch.drop_constraint("ck_users_role", type_="check")
        batch.create_check_constraint("ck_users_role", _OLD_ROLES)
        batch.drop_constraint("fk_users_location_id", type_="foreignkey")
        batch.drop_column("location_id")
    op.drop_table("server_jobs")
