"""Emailed links (confirmation, password reset, invitation): issued, checked, used once."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from incubator.accounts.common import token_hash
from incubator.accounts.models import AccountToken, TokenPurpose, User
from incubator.db import db, utcnow
from incubator.errors import DomainError


def issue_token(user: User, purpose: TokenPurpose, valid_for: timedelta) -> str:
    raw = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=token_hash(raw),
            expires_at=utcnow() + valid_for,
        )
    )
    return raw


def use_token(token: AccountToken) -> None:
    """Mark the link used, once: of simultaneous uses only one changes the row."""
    now = utcnow()
    used = db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.id == token.id,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if used != 1:
        raise DomainError(_("This link is invalid, expired or was already used."))
    token.used_at = now


def valid_token(raw: str, purpose: TokenPurpose) -> AccountToken:
    token = db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == token_hash(raw), AccountToken.purpose == purpose
        )
    )
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        raise DomainError(_("This link is invalid, expired or was already used."))
    if not token.user.active:
        raise DomainError(_("This account is deactivated."))
    return token
