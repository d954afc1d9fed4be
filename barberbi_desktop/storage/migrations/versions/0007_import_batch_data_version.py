"""The data version each import batch produced, so caches can catch up by batch.

A reader holding frames from data version N can bring them up to version M by
re-reading only the rows of the batches that produced N+1..M; any version in
between that no batch produced (an undo, a demo write) forces a full reload.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_batches") as batch:
        batch.add_column(sa.Column("data_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_batches") as batch:
        batch.drop_column("data_version")
