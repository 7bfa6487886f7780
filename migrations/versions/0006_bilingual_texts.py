"""program descriptions and rubric criteria in both languages: the Vietnamese text moves to
the new `_vi` columns (renamed), the `_en` ones start empty (pages fall back to Vietnamese)

Revision ID: 0006
Revises: 0003 (to be rechained onto the latest head, 0004, when merged)
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# No batch "move and copy" here: on SQLite, with foreign keys on, dropping the old `programs`
# table would delete its rubric criteria (ON DELETE CASCADE), and dropping `rubric_criteria`
# their scores. SQLite renames, adds and drops columns in place; only the '' default that
# fills the existing rows stays there (it cannot be removed in place, and it is harmless).
TEXTS = {
    'programs': [('description', 'description_vi', 'description_en', sa.Text())],
    'rubric_criteria': [
        ('name', 'name_vi', 'name_en', sa.String(length=200)),
        ('description', 'description_vi', 'description_en', sa.Text()),
    ],
}


def upgrade() -> None:
    in_place_only = op.get_bind().dialect.name == 'sqlite'
    for table, columns in TEXTS.items():
        for old, vietnamese, english, type_ in columns:
            op.alter_column(table, old, new_column_name=vietnamese)
            op.add_column(table, sa.Column(english, type_, nullable=False, server_default=''))
            if not in_place_only:
                op.alter_column(table, english, server_default=None)


def downgrade() -> None:
    for table, columns in TEXTS.items():
        for old, vietnamese, english, _type in columns:
            op.drop_column(table, english)
            op.alter_column(table, vietnamese, new_column_name=old)
