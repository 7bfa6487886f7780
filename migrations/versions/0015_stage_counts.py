"""applications per program and stage, stored (the board, a program's page and the manager's
home read them instead of counting every application of a program or a center: issue 8),
filled from the applications there are

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAGES = (
    "draft",
    "submitted",
    "screening",
    "accepted",
    "waitlisted",
    "rejected",
    "incubating",
    "demo_day",
    "graduated",
    "dropped",
    "withdrawn",
)


def upgrade() -> None:
    op.create_table(
        "stage_counts",
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(*STAGES, name="stage", native_enum=False, create_constraint=True, length=24),
            nullable=False,
        ),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint("count >= 0", name=op.f("ck_stage_counts_not_negative")),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_stage_counts_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("program_id", "stage", name=op.f("pk_stage_counts")),
    )
    op.execute(
        "INSERT INTO stage_counts (program_id, stage, count) "
        "SELECT program_id, stage, count(*) FROM applications GROUP BY program_id, stage"
    )


def downgrade() -> None:
    op.drop_table("stage_counts")
