"""server-side sessions, throttle counters, email confirmation

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

- user_sessions: one row per login, checked on every request (logout, password
  change and reset end sessions for real).
- throttle_counters: attempts per (scope, key, window), taken with a conditional
  UPDATE; replaces login_failures.
- users.email_confirmed_at: every existing account counts as confirmed.
- account_tokens.purpose: a third value, "confirm".
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _account_tokens(purposes: tuple[str, ...]) -> sa.Table:
    """The account_tokens table as it is, with the given purposes allowed (SQLite rebuild)."""
    return sa.Table(
        'account_tokens',
        sa.MetaData(),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.Enum(*purposes, name='purpose', native_enum=False, create_constraint=True, length=24), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name='fk_account_tokens_user_id_users', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_account_tokens'),
        sa.UniqueConstraint('token_hash', name='uq_account_tokens_token_hash'),
        sa.Index('ix_account_tokens_user_id', 'user_id'),
    )


def _allow_purposes(purposes: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite cannot change a CHECK constraint: the table is rebuilt with the new one
        with op.batch_alter_table(
            'account_tokens', copy_from=_account_tokens(purposes), recreate='always'
        ):
            pass
    else:
        op.drop_constraint(op.f('ck_account_tokens_purpose'), 'account_tokens', type_='check')
        allowed = ', '.join(f"'{p}'" for p in purposes)
        op.create_check_constraint(op.f('ck_account_tokens_purpose'), 'account_tokens', f'purpose IN ({allowed})')


def upgrade() -> None:
    op.create_table('user_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_agent', sa.String(length=255), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_user_sessions_user_id_revoked_at', ['user_id', 'revoked_at'], unique=False)

    op.create_table('throttle_counters',
    sa.Column('scope', sa.String(length=24), nullable=False),
    sa.Column('key', sa.String(length=320), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'key', 'window_start', name=op.f('pk_throttle_counters'))
    )
    with op.batch_alter_table('throttle_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_throttle_counters_window_start'), ['window_start'], unique=False)

    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failures_ip'))
        batch_op.drop_index('ix_login_failures_email_at')
    op.drop_table('login_failures')

    op.add_column('users', sa.Column('email_confirmed_at', sa.DateTime(timezone=True), nullable=True))
    # accounts made before confirmation existed (demo, invited, registered) count as confirmed
    op.execute('UPDATE users SET email_confirmed_at = created_at')

    _allow_purposes(('reset', 'invite', 'confirm'))


def downgrade() -> None:
    op.execute("DELETE FROM account_tokens WHERE purpose = 'confirm'")
    _allow_purposes(('reset', 'invite'))

    op.drop_column('users', 'email_confirmed_at')

    op.create_table('login_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures'))
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index('ix_login_failures_email_at', ['email', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failures_ip'), ['ip'], unique=False)

    with op.batch_alter_table('throttle_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_throttle_counters_window_start'))
    op.drop_table('throttle_counters')

    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_user_sessions_user_id_revoked_at')
    op.drop_table('user_sessions')
