"""fablab: a machine's optional photo; one lab of a name per center, one machine of a name per
lab, one maintenance block per machine and period (twenty identical requests make one); an index
for the reviewer's queue (reviews by reviewer, newest first: issue 8); on PostgreSQL an index for
the board's columns in "score_mean DESC NULLS LAST" order

Existing duplicates are made unique first: a repeated lab or machine name gets its id appended,
a repeated block (same machine and period) is removed. Unique indexes, not table constraints:
SQLite adds them without rebuilding tables that others reference.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENAME_DUPLICATES = (
    "UPDATE {table} SET name = name || ' (' || CAST(id AS VARCHAR(20)) || ')'"
    " WHERE EXISTS (SELECT 1 FROM {table} AS other WHERE other.{parent} = {table}.{parent}"
    " AND other.name = {table}.name AND other.id < {table}.id)"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_applications_program_stage_best",
            "applications",
            ["program_id", "stage", sa.text("score_mean DESC NULLS LAST"), "id"],
        )
    op.create_index(
        "ix_reviews_reviewer_assigned", "reviews", ["reviewer_id", "assigned_at", "id"]
    )
    op.add_column("fablab_machines", sa.Column("photo", sa.String(length=64), nullable=True))
    op.execute(RENAME_DUPLICATES.format(table="fablab_labs", parent="center_id"))
    op.execute(RENAME_DUPLICATES.format(table="fablab_machines", parent="lab_id"))
    op.execute(
        "DELETE FROM fablab_maintenance WHERE EXISTS (SELECT 1 FROM fablab_maintenance AS other"
        " WHERE other.machine_id = fablab_maintenance.machine_id"
        " AND other.starts_at = fablab_maintenance.starts_at"
        " AND other.ends_at = fablab_maintenance.ends_at AND other.id < fablab_maintenance.id)"
    )
    op.create_index(
        "uq_fablab_labs_center_name", "fablab_labs", ["center_id", "name"], unique=True
    )
    op.create_index(
        "uq_fablab_machines_lab_name", "fablab_machines", ["lab_id", "name"], unique=True
    )
    op.create_index(
        "uq_fablab_maintenance_machine_period",
        "fablab_maintenance",
        ["machine_id", "starts_at", "ends_at"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ix_reviews_reviewer_assigned", table_name="reviews")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_applications_program_stage_best", table_name="applications")
    op.drop_index("uq_fablab_maintenance_machine_period", table_name="fablab_maintenance")
    op.drop_index("uq_fablab_machines_lab_name", table_name="fablab_machines")
    op.drop_index("uq_fablab_labs_center_name", table_name="fablab_labs")
    if op.get_bind().dialect.name == "sqlite":
        # ALTER TABLE DROP COLUMN (SQLite 3.35+): no rebuild of a table others reference
        op.execute("ALTER TABLE fablab_machines DROP COLUMN photo")
    else:
        op.drop_column("fablab_machines", "photo")
