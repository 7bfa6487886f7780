"""stored review summary per application (mean, reviews, spread), indexed; centers.timezone
dropped (i18n.LOCAL_TZ is the one time zone)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('applications', sa.Column('score_mean', sa.Float(), nullable=True))
    op.add_column(
        'applications',
        sa.Column('review_count', sa.Integer(), nullable=False, server_default='0'),
    )
    op.add_column('applications', sa.Column('score_spread', sa.Float(), nullable=True))
    op.create_index(
        'ix_applications_program_stage_score', 'applications', ['program_id', 'stage', 'score_mean']
    )
    op.create_index('ix_applications_program_score', 'applications', ['program_id', 'score_mean'])
    _drop_column('centers', 'timezone')
    _fill_scores()


def _drop_column(table: str, column: str) -> None:
    """In place on SQLite too (3.35+): a batch rebuild of a table that others reference fails
    on a database with data, foreign keys being on."""
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
    else:
        op.drop_column(table, column)


def _fill_scores() -> None:
    """The same summary as reviews/scoring.py, from the reviews already submitted."""
    connection = op.get_bind()
    totals = connection.execute(
        sa.text(
            """
            SELECT r.application_id,
                   SUM(CAST(s.score AS FLOAT) * c.weight / c.max_score) * 100.0 / SUM(c.weight)
            FROM reviews r
            JOIN review_scores s ON s.review_id = r.id
            JOIN rubric_criteria c ON c.id = s.criterion_id
            JOIN applications a ON a.id = r.application_id
            WHERE r.submitted_at IS NOT NULL AND a.stage <> 'withdrawn'
            GROUP BY r.id, r.application_id
            """
        )
    ).all()
    by_application: dict[int, list[float]] = {}
    for application_id, total in totals:
        by_application.setdefault(application_id, []).append(total)
    for application_id, values in by_application.items():
        connection.execute(
            sa.text(
                'UPDATE applications SET score_mean = :mean, review_count = :count,'
                ' score_spread = :spread WHERE id = :id'
            ),
            {
                'mean': round(sum(values) / len(values), 1),
                'count': len(values),
                'spread': round(max(values) - min(values), 1),
                'id': application_id,
            },
        )


def downgrade() -> None:
    op.add_column(
        'centers',
        sa.Column(
            'timezone', sa.String(length=64), nullable=False, server_default='Asia/Ho_Chi_Minh'
        ),
    )
    op.drop_index('ix_applications_program_score', table_name='applications')
    op.drop_index('ix_applications_program_stage_score', table_name='applications')
    for column in ('score_spread', 'review_count', 'score_mean'):
        _drop_column('applications', column)
