"""startups can be archived (hidden, kept); create forms store their one-time token with what
they created, so that a resubmitted form creates nothing twice

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # in place on SQLite (no batch rebuild of `startups`, which other tables reference)
    op.add_column('startups', sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'form_submissions',
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('object_type', sa.String(length=64), nullable=False),
        sa.Column('object_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'],
            ['users.id'],
            name=op.f('fk_form_submissions_user_id_users'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('token', name=op.f('pk_form_submissions')),
    )
    op.create_index(
        op.f('ix_form_submissions_user_id'), 'form_submissions', ['user_id'], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_form_submissions_user_id'), table_name='form_submissions')
    op.drop_table('form_submissions')
    op.drop_column('startups', 'archived_at')
