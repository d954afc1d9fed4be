"""Client scores keep the value tier and the days since the last visit.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 03:26:41.537151
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("client_scores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("value_tier", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("days_since_last", sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("client_scores", schema=None) as batch_op:
        batch_op.drop_column("days_since_last")
        batch_op.drop_column("value_tier")
