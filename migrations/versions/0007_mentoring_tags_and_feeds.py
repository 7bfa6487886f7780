"""mentoring, second part: the managed bilingual list of expertise tags (mentors' expertise,
startups' needs, sessions' topics), languages of mentors and startups, the stage kept on
mentored startups, assignments' period and goals and the next planned session, months whose
check-ins are closed, revocable calendar feed tokens

Existing assignments start on the day they were made; existing mentored startups take their
application's stage; every existing mentor and startup speaks Vietnamese.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Columns are added in place (no batch rebuild: on SQLite, with foreign keys on, rebuilding
# mentor_assignments would delete its sessions). SQLite keeps the server defaults that fill
# the existing rows; PostgreSQL drops them afterwards.
def new_columns() -> dict[str, list[sa.Column]]:
    return {
        'mentor_profiles': [
            sa.Column('languages', sa.JSON(), nullable=False, server_default='["vi"]')
        ],
        'mentored_startups': [
            sa.Column('stage', sa.String(length=24), nullable=False, server_default='incubating'),
            sa.Column('languages', sa.JSON(), nullable=False, server_default='["vi"]'),
        ],
        'mentor_assignments': [
            sa.Column('starts_on', sa.Date(), nullable=True),
            sa.Column('ends_on', sa.Date(), nullable=True),
            sa.Column('goals', sa.Text(), nullable=False, server_default=''),
            sa.Column('next_session_at', sa.DateTime(timezone=True), nullable=True),
        ],
    }


def _tag_link(name: str, owner: str, table: str, column: str) -> None:
    op.create_table(name,
    sa.Column(owner, sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint([owner], [f'{table}.{column}'], name=op.f(f'fk_{name}_{owner}_{table}'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['expertise_tags.id'], name=op.f(f'fk_{name}_tag_id_expertise_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint(owner, 'tag_id', name=op.f(f'pk_{name}'))
    )
    op.create_index(op.f(f'ix_{name}_tag_id'), name, ['tag_id'], unique=False)


def upgrade() -> None:
    op.create_table('expertise_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name_vi', sa.String(length=80), nullable=False),
    sa.Column('name_en', sa.String(length=80), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expertise_tags')),
    sa.UniqueConstraint('name_en', name=op.f('uq_expertise_tags_name_en')),
    sa.UniqueConstraint('name_vi', name=op.f('uq_expertise_tags_name_vi'))
    )
    _tag_link('mentor_expertise', 'user_id', 'mentor_profiles', 'user_id')
    _tag_link('startup_needs', 'startup_id', 'mentored_startups', 'startup_id')
    _tag_link('session_topics', 'session_id', 'mentoring_sessions', 'id')
    op.create_table('checkin_closed_months',
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_checkin_closed_months_center_id_centers')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_checkin_closed_months_closed_by_id_users')),
    sa.PrimaryKeyConstraint('center_id', 'month', name=op.f('pk_checkin_closed_months'))
    )
    op.create_table('calendar_tokens',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_calendar_tokens')),
    sa.UniqueConstraint('token', name=op.f('uq_calendar_tokens_token'))
    )

    in_place_only = op.get_bind().dialect.name == 'sqlite'
    for table, columns in new_columns().items():
        for column in columns:
            op.add_column(table, column)
            if column.server_default is not None and not in_place_only:
                op.alter_column(table, column.name, server_default=None)
    op.execute(
        'UPDATE mentored_startups SET stage = (SELECT applications.stage FROM applications'
        ' WHERE applications.id = mentored_startups.application_id)'
    )
    day = 'date(assigned_at)' if in_place_only else 'CAST(assigned_at AS DATE)'
    op.execute(f'UPDATE mentor_assignments SET starts_on = {day}')

    op.create_index('ix_mentored_startups_center_stage', 'mentored_startups', ['center_id', 'stage'], unique=False)
    op.drop_index('ix_mentoring_sessions_center_unconfirmed', table_name='mentoring_sessions')
    op.create_index('ix_mentoring_sessions_center_unconfirmed', 'mentoring_sessions', ['center_id', 'confirmed_at', 'created_at'], unique=False)
    op.create_index('ix_mentoring_sessions_mentor_unconfirmed', 'mentoring_sessions', ['mentor_id', 'confirmed_at', 'held_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_mentoring_sessions_mentor_unconfirmed', table_name='mentoring_sessions')
    op.drop_index('ix_mentoring_sessions_center_unconfirmed', table_name='mentoring_sessions')
    op.create_index('ix_mentoring_sessions_center_unconfirmed', 'mentoring_sessions', ['center_id', 'confirmed_at', 'held_at'], unique=False)
    op.drop_index('ix_mentored_startups_center_stage', table_name='mentored_startups')
    for table, columns in new_columns().items():
        for column in reversed(columns):
            op.drop_column(table, column.name)
    op.drop_table('calendar_tokens')
    op.drop_table('checkin_closed_months')
    for name in ('session_topics', 'startup_needs', 'mentor_expertise'):
        op.drop_index(op.f(f'ix_{name}_tag_id'), table_name=name)
        op.drop_table(name)
    op.drop_table('expertise_tags')
