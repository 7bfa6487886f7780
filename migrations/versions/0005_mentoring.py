"""mentoring: mentor centers (accounts), profiles, assignments, sessions with action items,
KPI check-ins, milestones, the stored figures (per startup, per startup and month, per center
and month), and the marks of scheduled jobs (sent_marks)

Existing mentors serve every center until they say otherwise; startups already in incubation
or preparing demo day become mentored startups of their program's center.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sent_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sent_marks')),
    sa.UniqueConstraint('kind', 'object_id', 'period', name='once')
    )
    op.create_table('kpi_checkins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('startup_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('revenue_vnd', sa.BigInteger(), nullable=False),
    sa.Column('customers', sa.Integer(), nullable=False),
    sa.Column('funding_raised_vnd', sa.BigInteger(), nullable=False),
    sa.Column('headcount', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('revenue_vnd >= 0 AND customers >= 0 AND funding_raised_vnd >= 0 AND headcount >= 0', name=op.f('ck_kpi_checkins_not_negative')),
    sa.ForeignKeyConstraint(['startup_id'], ['startups.id'], name=op.f('fk_kpi_checkins_startup_id_startups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_kpi_checkins_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_checkins')),
    sa.UniqueConstraint('startup_id', 'month', name='one_per_month')
    )
    op.create_table('mentor_centers',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_mentor_centers_center_id_centers')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mentor_centers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'center_id', name=op.f('pk_mentor_centers'))
    )
    with op.batch_alter_table('mentor_centers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentor_centers_center_id'), ['center_id'], unique=False)

    op.create_table('mentor_profiles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('expertise', sa.String(length=300), nullable=False),
    sa.Column('bio', sa.Text(), nullable=False),
    sa.Column('sectors', sa.JSON(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('active_assignments', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity BETWEEN 0 AND 50', name=op.f('ck_mentor_profiles_capacity_range')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mentor_profiles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_mentor_profiles'))
    )
    op.create_table('mentoring_center_months',
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('sessions', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_mentoring_center_months_center_id_centers')),
    sa.PrimaryKeyConstraint('center_id', 'month', name=op.f('pk_mentoring_center_months'))
    )
    op.create_table('mentoring_months',
    sa.Column('startup_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('sessions', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['startup_id'], ['startups.id'], name=op.f('fk_mentoring_months_startup_id_startups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('startup_id', 'month', name=op.f('pk_mentoring_months'))
    )
    op.create_table('milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('startup_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('planned', 'in_progress', 'done', 'missed', name='milestone_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['startup_id'], ['startups.id'], name=op.f('fk_milestones_startup_id_startups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestones'))
    )
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.create_index('ix_milestones_startup_due', ['startup_id', 'due_on'], unique=False)

    op.create_table('mentored_startups',
    sa.Column('startup_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_session_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_checkin_on', sa.Date(), nullable=True),
    sa.Column('sessions', sa.Integer(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('rating_total', sa.Integer(), nullable=False),
    sa.Column('ratings', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_mentored_startups_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_mentored_startups_center_id_centers')),
    sa.ForeignKeyConstraint(['startup_id'], ['startups.id'], name=op.f('fk_mentored_startups_startup_id_startups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('startup_id', name=op.f('pk_mentored_startups'))
    )
    with op.batch_alter_table('mentored_startups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentored_startups_application_id'), ['application_id'], unique=False)
        batch_op.create_index('ix_mentored_startups_center_last_checkin', ['center_id', 'active', 'last_checkin_on'], unique=False)
        batch_op.create_index('ix_mentored_startups_center_last_session', ['center_id', 'active', 'last_session_at'], unique=False)

    op.create_table('mentor_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('startup_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_session_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sessions', sa.Integer(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_mentor_assignments_assigned_by_id_users')),
    sa.ForeignKeyConstraint(['mentor_id'], ['users.id'], name=op.f('fk_mentor_assignments_mentor_id_users')),
    sa.ForeignKeyConstraint(['startup_id'], ['mentored_startups.startup_id'], name=op.f('fk_mentor_assignments_startup_id_mentored_startups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentor_assignments')),
    sa.UniqueConstraint('startup_id', 'mentor_id', name='one_per_mentor')
    )
    with op.batch_alter_table('mentor_assignments', schema=None) as batch_op:
        batch_op.create_index('ix_mentor_assignments_mentor_active', ['mentor_id', 'active'], unique=False)
        batch_op.create_index(batch_op.f('ix_mentor_assignments_startup_id'), ['startup_id'], unique=False)

    op.create_table('mentoring_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('startup_id', sa.Integer(), nullable=False),
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.Column('client_key', sa.String(length=40), nullable=False),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('format', sa.Enum('in_person', 'online', 'phone', name='session_format', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('topics', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('private_notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('feedback', sa.Text(), nullable=False),
    sa.CheckConstraint('minutes BETWEEN 5 AND 600', name=op.f('ck_mentoring_sessions_minutes_range')),
    sa.CheckConstraint('rating IS NULL OR rating BETWEEN 1 AND 5', name=op.f('ck_mentoring_sessions_rating_range')),
    sa.ForeignKeyConstraint(['assignment_id'], ['mentor_assignments.id'], name=op.f('fk_mentoring_sessions_assignment_id_mentor_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_mentoring_sessions_center_id_centers')),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_mentoring_sessions_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['mentor_id'], ['users.id'], name=op.f('fk_mentoring_sessions_mentor_id_users')),
    sa.ForeignKeyConstraint(['startup_id'], ['startups.id'], name=op.f('fk_mentoring_sessions_startup_id_startups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentoring_sessions')),
    sa.UniqueConstraint('mentor_id', 'client_key', name='one_per_form')
    )
    with op.batch_alter_table('mentoring_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentoring_sessions_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index('ix_mentoring_sessions_center_unconfirmed', ['center_id', 'confirmed_at', 'held_at'], unique=False)
        batch_op.create_index('ix_mentoring_sessions_mentor_held', ['mentor_id', 'held_at'], unique=False)
        batch_op.create_index('ix_mentoring_sessions_startup_held', ['startup_id', 'held_at'], unique=False)

    op.create_table('action_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('startup_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('owner', sa.Enum('startup', 'mentor', name='action_owner', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_action_items_done_by_id_users')),
    sa.ForeignKeyConstraint(['session_id'], ['mentoring_sessions.id'], name=op.f('fk_action_items_session_id_mentoring_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['startup_id'], ['startups.id'], name=op.f('fk_action_items_startup_id_startups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_items'))
    )
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_items_session_id'), ['session_id'], unique=False)
        batch_op.create_index('ix_action_items_startup_open', ['startup_id', 'done_at', 'due_on'], unique=False)


    _fill()


def _fill() -> None:
    connection = op.get_bind()
    connection.execute(
        sa.text(
            """
            INSERT INTO mentor_centers (user_id, center_id)
            SELECT g.user_id, c.id FROM role_grants g CROSS JOIN centers c WHERE g.role = 'mentor'
            """
        )
    )
    connection.execute(
        sa.text(
            """
            INSERT INTO mentored_startups (startup_id, application_id, center_id, active, since,
                                           sessions, minutes, rating_total, ratings)
            SELECT a.startup_id, MAX(a.id), MIN(p.center_id), :active, CURRENT_TIMESTAMP,
                   0, 0, 0, 0
            FROM applications a JOIN programs p ON p.id = a.program_id
            WHERE a.stage IN ('incubating', 'demo_day')
            GROUP BY a.startup_id
            """
        ),
        {"active": True},
    )


def downgrade() -> None:
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.drop_index('ix_action_items_startup_open')
        batch_op.drop_index(batch_op.f('ix_action_items_session_id'))

    op.drop_table('action_items')
    with op.batch_alter_table('mentoring_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_mentoring_sessions_startup_held')
        batch_op.drop_index('ix_mentoring_sessions_mentor_held')
        batch_op.drop_index('ix_mentoring_sessions_center_unconfirmed')
        batch_op.drop_index(batch_op.f('ix_mentoring_sessions_assignment_id'))

    op.drop_table('mentoring_sessions')
    with op.batch_alter_table('mentor_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentor_assignments_startup_id'))
        batch_op.drop_index('ix_mentor_assignments_mentor_active')

    op.drop_table('mentor_assignments')
    with op.batch_alter_table('mentored_startups', schema=None) as batch_op:
        batch_op.drop_index('ix_mentored_startups_center_last_session')
        batch_op.drop_index('ix_mentored_startups_center_last_checkin')
        batch_op.drop_index(batch_op.f('ix_mentored_startups_application_id'))

    op.drop_table('mentored_startups')
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_index('ix_milestones_startup_due')

    op.drop_table('milestones')
    op.drop_table('mentoring_months')
    op.drop_table('mentoring_center_months')
    op.drop_table('mentor_profiles')
    with op.batch_alter_table('mentor_centers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentor_centers_center_id'))

    op.drop_table('mentor_centers')
    op.drop_table('kpi_checkins')
    op.drop_table('sent_marks')
