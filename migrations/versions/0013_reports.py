"""reports: report jobs (status, progress, heartbeat, file, expiry)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "startup",
                "cohort",
                "center",
                "export",
                name="report_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=300), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "done",
                "failed",
                "expired",
                name="report_job_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=200), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("file_name", sa.String(length=120), nullable=True),
        sa.Column("download_name", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "progress BETWEEN 0 AND 100", name=op.f("ck_report_jobs_progress_range")
        ),
        sa.ForeignKeyConstraint(
            ["center_id"], ["centers.id"], name=op.f("fk_report_jobs_center_id_centers")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_report_jobs_requested_by_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_jobs")),
    )
    op.create_index(
        "ix_report_jobs_status_heartbeat", "report_jobs", ["status", "heartbeat_at"], unique=False
    )
    op.create_index(
        "ix_report_jobs_requested_by_created",
        "report_jobs",
        ["requested_by_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_report_jobs_one_active",
        "report_jobs",
        ["requested_by_id", "dedupe_key"],
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
        sqlite_where=sa.text("status IN ('queued', 'running')"),
    )
    op.create_index(
        "ix_report_jobs_status_expires", "report_jobs", ["status", "expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_report_jobs_one_active", table_name="report_jobs")
    op.drop_index("ix_report_jobs_status_expires", table_name="report_jobs")
    op.drop_index("ix_report_jobs_requested_by_created", table_name="report_jobs")
    op.drop_index("ix_report_jobs_status_heartbeat", table_name="report_jobs")
    op.drop_table("report_jobs")
