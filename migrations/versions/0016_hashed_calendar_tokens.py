"""calendar feed tokens stored hashed, like API tokens (issue 29): the SHA-256 of each token
there is replaces it, so that the addresses already given out keep working

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08
"""

import hashlib
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calendar_tokens") as batch:
        batch.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT user_id, token FROM calendar_tokens")).all()
    for user_id, token in rows:
        connection.execute(
            sa.text("UPDATE calendar_tokens SET token_hash = :hash WHERE user_id = :user"),
            {"hash": hashlib.sha256(token.encode()).hexdigest(), "user": user_id},
        )
    with op.batch_alter_table("calendar_tokens") as batch:
        batch.alter_column("token_hash", existing_type=sa.String(length=64), nullable=False)
        batch.drop_constraint("uq_calendar_tokens_token", type_="unique")
        batch.drop_column("token")
        batch.create_unique_constraint("uq_calendar_tokens_token_hash", ["token_hash"])


def downgrade() -> None:
    """The tokens cannot be recovered from their hashes: each user gets a new random one (the
    addresses given out stop working)."""
    with op.batch_alter_table("calendar_tokens") as batch:
        batch.add_column(sa.Column("token", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    users = connection.execute(sa.text("SELECT user_id FROM calendar_tokens")).scalars().all()
    for user_id in users:
        connection.execute(
            sa.text("UPDATE calendar_tokens SET token = :token WHERE user_id = :user"),
            {"token": secrets.token_urlsafe(32), "user": user_id},
        )
    with op.batch_alter_table("calendar_tokens") as batch:
        batch.alter_column("token", existing_type=sa.String(length=64), nullable=False)
        batch.drop_constraint("uq_calendar_tokens_token_hash", type_="unique")
        batch.drop_column("token_hash")
        batch.create_unique_constraint("uq_calendar_tokens_token", ["token"])
