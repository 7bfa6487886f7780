"""demo days: the running order (pitches and breaks) with stored results, the judging
rubric, invited judges, their scores (one per judge, pitch and criterion, within the range),
comments and abstentions, and the certificates of completion

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "demo_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("name_vi", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("venue", sa.String(length=300), nullable=False),
        sa.Column("pitch_minutes", sa.Integer(), nullable=False),
        sa.Column("qa_minutes", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "planning",
                "judging",
                "closed",
                "published",
                name="demo_day_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("current_slot_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "pitch_minutes BETWEEN 1 AND 60", name=op.f("ck_demo_days_pitch_minutes_range")
        ),
        sa.CheckConstraint(
            "qa_minutes BETWEEN 0 AND 60", name=op.f("ck_demo_days_qa_minutes_range")
        ),
        sa.ForeignKeyConstraint(
            ["center_id"], ["centers.id"], name=op.f("fk_demo_days_center_id_centers")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_demo_days_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_demo_days_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demo_days")),
    )
    op.create_index(
        "ix_demo_days_center_starts_at", "demo_days", ["center_id", "starts_at"], unique=False
    )
    op.create_index(op.f("ix_demo_days_program_id"), "demo_days", ["program_id"], unique=False)

    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("demo_day_id", sa.Integer(), nullable=False),
        sa.Column("startup_name", sa.String(length=200), nullable=False),
        sa.Column("founders", sa.JSON(), nullable=False),
        sa.Column("program_name_vi", sa.String(length=200), nullable=False),
        sa.Column("program_name_en", sa.String(length=200), nullable=False),
        sa.Column("center_name", sa.String(length=200), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_certificates_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["demo_day_id"],
            ["demo_days.id"],
            name=op.f("fk_certificates_demo_day_id_demo_days"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("application_id", name=op.f("uq_certificates_application_id")),
        sa.UniqueConstraint("code", name=op.f("uq_certificates_code")),
    )
    op.create_index(
        op.f("ix_certificates_demo_day_id"), "certificates", ["demo_day_id"], unique=False
    )

    op.create_table(
        "demo_criteria",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("demo_day_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name_vi", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("max_score", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "max_score BETWEEN 1 AND 10", name=op.f("ck_demo_criteria_max_score_range")
        ),
        sa.CheckConstraint("weight BETWEEN 1 AND 100", name=op.f("ck_demo_criteria_weight_range")),
        sa.ForeignKeyConstraint(
            ["demo_day_id"],
            ["demo_days.id"],
            name=op.f("fk_demo_criteria_demo_day_id_demo_days"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demo_criteria")),
    )
    op.create_index(
        op.f("ix_demo_criteria_demo_day_id"), "demo_criteria", ["demo_day_id"], unique=False
    )

    op.create_table(
        "demo_judges",
        sa.Column("demo_day_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["demo_day_id"],
            ["demo_days.id"],
            name=op.f("fk_demo_judges_demo_day_id_demo_days"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_demo_judges_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("demo_day_id", "user_id", name=op.f("pk_demo_judges")),
    )
    op.create_index(op.f("ix_demo_judges_user_id"), "demo_judges", ["user_id"], unique=False)

    op.create_table(
        "demo_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("demo_day_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("break_minutes", sa.Integer(), nullable=True),
        sa.Column("break_label", sa.String(length=120), nullable=False),
        sa.Column("raw_mean", sa.Float(), nullable=True),
        sa.Column("normalized", sa.Float(), nullable=True),
        sa.Column("judges_count", sa.Integer(), nullable=False),
        sa.Column("abstentions", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(application_id IS NULL) <> (break_minutes IS NULL)",
            name=op.f("ck_demo_slots_pitch_or_break"),
        ),
        sa.CheckConstraint(
            "break_minutes IS NULL OR break_minutes BETWEEN 1 AND 240",
            name=op.f("ck_demo_slots_break"),
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_demo_slots_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["demo_day_id"],
            ["demo_days.id"],
            name=op.f("fk_demo_slots_demo_day_id_demo_days"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demo_slots")),
        sa.UniqueConstraint("demo_day_id", "application_id", name="one_per_startup"),
    )
    op.create_index(
        op.f("ix_demo_slots_application_id"), "demo_slots", ["application_id"], unique=False
    )
    op.create_index(
        "ix_demo_slots_demo_day_position", "demo_slots", ["demo_day_id", "position"], unique=False
    )

    op.create_table(
        "demo_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("judge_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("value BETWEEN 0 AND 10", name=op.f("ck_demo_scores_value_range")),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["demo_criteria.id"],
            name=op.f("fk_demo_scores_criterion_id_demo_criteria"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["judge_id"],
            ["users.id"],
            name=op.f("fk_demo_scores_judge_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["demo_slots.id"],
            name=op.f("fk_demo_scores_slot_id_demo_slots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demo_scores")),
        sa.UniqueConstraint("slot_id", "judge_id", "criterion_id", name="one_per_criterion"),
    )
    op.create_index(
        op.f("ix_demo_scores_criterion_id"), "demo_scores", ["criterion_id"], unique=False
    )
    op.create_index(op.f("ix_demo_scores_judge_id"), "demo_scores", ["judge_id"], unique=False)

    op.create_table(
        "judge_sheets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("judge_id", sa.Integer(), nullable=False),
        sa.Column("abstained", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["judge_id"],
            ["users.id"],
            name=op.f("fk_judge_sheets_judge_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["demo_slots.id"],
            name=op.f("fk_judge_sheets_slot_id_demo_slots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_judge_sheets")),
        sa.UniqueConstraint("slot_id", "judge_id", name="one_per_judge"),
    )
    op.create_index(op.f("ix_judge_sheets_judge_id"), "judge_sheets", ["judge_id"], unique=False)


def downgrade() -> None:
    op.drop_table("judge_sheets")
    op.drop_table("demo_scores")
    op.drop_table("demo_slots")
    op.drop_table("demo_judges")
    op.drop_table("demo_criteria")
    op.drop_table("certificates")
    op.drop_table("demo_days")
