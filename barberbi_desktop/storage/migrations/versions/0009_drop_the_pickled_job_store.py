"""Drop the old scheduler job store: it held pickled jobs (and the database URL).

The schedule is now rebuilt from settings at every start, so the table is never
read again; dropping it at upgrade means no copy of the shop (a backup restored
later, a file opened by the command line) keeps pickles that a future reader could
be tricked into loading.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 07:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DROP TABLE IF EXISTS apscheduler_jobs")


def downgrade() -> None:
    """Nothing to put back: the app no longer uses the table."""
