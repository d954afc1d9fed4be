"""Sale lines with their own seller and negative adjustments; list imports; undo indexes.

- ``sale_items.barber_id``: a receipt's lines can be sold by different staff.
- ``sale_items.kind`` may be ``adjustment`` (a refund, comp or correction line,
  negative money), and ``import_changes.action`` may be ``delete`` (a visit's
  lines replaced by a newer export are remembered whole, so undo is exact).
- ``appointments.time_known``: an export with a date but no time of day.
- ``import_batches.kind``, ``lines``, ``money``: what a file was and what landed.
- ``clients``: marketing consent and birthday (month and day) from client lists.
- ``import_profiles``: the owner's saved column mappings.
- An index on every foreign key that an undo's deletes have SQLite check: without
  them each deleted client or service scans the tables that refer to it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from barberbi_desktop.storage.types import UTCInstant

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = {
    "appointments": ["location_id", "service_id"],
    "client_merge_proposals": ["candidate_id", "client_id"],
    "client_offers": ["client_id"],
    "client_scores": ["client_id"],
    "clients": ["home_location_id", "merge_target_id"],
    "methodology_scores": ["barber_id"],
    "reviews": ["barber_id", "client_id"],
    "sale_items": ["barber_id", "client_id", "location_id", "service_id"],
}
_OLD_KINDS = "kind IN ('service', 'product', 'package', 'gift_card')"
_NEW_KINDS = "kind IN ('service', 'product', 'package', 'gift_card', 'adjustment')"


def _recreate() -> str:
    """SQLite cannot alter a CHECK constraint, so its tables are rebuilt; PostgreSQL
    alters them in place (a rebuild there would rename the id sequences after
    Alembic's temporary table)."""
    return "always" if op.get_bind().dialect.name == "sqlite" else "auto"


def upgrade() -> None:
    op.create_table(
        "import_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("base", sa.String(length=40), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("created_utc", UTCInstant(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("appointments") as batch:
        batch.add_column(sa.Column("time_known", sa.Boolean(), server_default="1",
                                   nullable=False))
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("marketing_consent", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("birthday_month", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("birthday_day", sa.Integer(), nullable=True))
    with op.batch_alter_table("import_batches") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=12), nullable=True))
        batch.add_column(sa.Column("lines", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("money", sa.JSON(), nullable=True))
    with op.batch_alter_table("sale_items", recreate=_recreate()) as batch:
        batch.add_column(sa.Column("barber_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_sale_items_barber_id", "barbers", ["barber_id"], ["id"])
        batch.drop_constraint("ck_sale_items_kind", type_="check")
        batch.create_check_constraint("ck_sale_items_kind", _NEW_KINDS)
    with op.batch_alter_table("import_changes", recreate=_recreate()) as batch:
        batch.drop_constraint("ck_import_changes_action", type_="check")
        batch.create_check_constraint(
            "ck_import_changes_action", "action IN ('insert', 'update', 'delete')"
        )
    for table, columns in _INDEXES.items():
        for column in columns:
            op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade() -> None:
    for table, columns in _INDEXES.items():
        for column in columns:
            op.drop_index(f"ix_{table}_{column}", table_name=table)
    op.execute("DELETE FROM import_changes WHERE action = 'delete'")
    with op.batch_alter_table("import_changes", recreate=_recreate()) as batch:
        batch.drop_constraint("ck_import_changes_action", type_="check")
        batch.create_check_constraint(
            "ck_import_changes_action", "action IN ('insert', 'update')"
        )
    op.execute("DELETE FROM sale_items WHERE kind = 'adjustment'")
    with op.batch_alter_table("sale_items", recreate=_recreate()) as batch:
        batch.drop_constraint("ck_sale_items_kind", type_="check")
        batch.create_check_constraint("ck_sale_items_kind", _OLD_KINDS)
        batch.drop_constraint("fk_sale_items_barber_id", type_="foreignkey")
        batch.drop_column("barber_id")
    with op.batch_alter_table("import_batches") as batch:
        batch.drop_column("money")
        batch.drop_column("lines")
        batch.drop_column("kind")
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("birthday_day")
        batch.drop_column("birthday_month")
        batch.drop_column("marketing_consent")
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("time_known")
    op.drop_table("import_profiles")
