"""When a cancelled booking was cancelled (``appointments.cancelled_at_utc``).

A cancellation a week ahead frees the chair for someone else; one in the last day
usually leaves it empty. Fresha's appointment list says when (``Cancelled date``), so
the no-show engine can learn late cancellations from it; every other export leaves it
null, which the engine reports as unknown, never as "no late cancellations".

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ALTER TABLE ... ADD COLUMN on both back ends: no copy of the table.
    op.add_column("appointments", sa.Column("cancelled_at_utc", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("cancelled_at_utc")
