"""No-show runs' rows in tables of their own: scored bookings and client reliability.

They were inside the run's metrics JSON (35 MB on the chain), which the window had
to parse whole; the run's JSON now keeps only the back-test, method and totals.
Self-contained (no model imports) so that it can be renumbered at a merge.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "noshow_risks",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("risk", sa.Float(), nullable=True),
        sa.Column("late_cancel_risk", sa.Float(), nullable=True),
        sa.Column("price_cents", sa.Integer(), nullable=True),
        sa.Column("minutes", sa.Float(), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["engine_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "appointment_id"),
    )
    op.create_table(
        "client_reliability",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("missed", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.Column("own_rate", sa.Float(), nullable=True),
        sa.Column("rate_low", sa.Float(), nullable=True),
        sa.Column("rate_high", sa.Float(), nullable=True),
        sa.Column("next_risk", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["engine_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "client_id"),
    )


def downgrade() -> None:
    op.drop_table("client_reliability")
    op.drop_table("noshow_risks")
