"""Appointments remember a hash of the export row they came from.

A re-imported row whose hash is unchanged needs no parsing at all, which is
what makes weekly overlapping exports cheap.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_hash", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_column("source_hash")
