"""Next-best offers per client from the revenue engine's validated rules.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "client_offers",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("offer", sa.String(length=200), nullable=False),
        sa.Column("because", sa.String(length=200), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["engine_runs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "client_id"),
    )


def downgrade() -> None:
    op.drop_table("client_offers")
