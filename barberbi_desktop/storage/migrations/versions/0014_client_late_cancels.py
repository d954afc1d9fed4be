"""Each client's late cancellations in a no-show run's reliability rows.

``client_reliability.late_cancels`` of ``late_booked``: the client's bookings
cancelled in their last day, of those still held a day ahead, in the exports that
say when cancellations came (Fresha's). Null where the run learnt no late
cancellations (the exports do not say): unknown, not "never cancelled late".

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("client_reliability", sa.Column("late_cancels", sa.Integer(), nullable=True))
    op.add_column("client_reliability", sa.Column("late_booked", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("client_reliability") as batch:
        batch.drop_column("late_booked")
        batch.drop_column("late_cancels")
