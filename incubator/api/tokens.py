"""API tokens: made and revoked by their owner, stored as a sha256, checked on every call."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from incubator import audit
from incubator.accounts.models import User
from incubator.api.models import ApiToken
from incubator.db import db, utcnow
from incubator.errors import DomainError, NotFound
from incubator.i18n import LOCAL_TZ

log = logging.getLogger(__name__)
TOKEN_PREFIX = "inc_"  # noqa: S105 (the visible start of every token, not a secret)
MAX_LIVE_TOKENS = 20


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored

    @property
    def id(self) -> int:  # (what a once-token records: the token's row)
        return self.token.id


@dataclass
class TokenData:
    name: str
    expires_on: date | None = None
    read_only: bool = False


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens that still work, newest first."""
    now = utcnow()
    return [
        token
        for token in db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
        if token.live(now)
    ]


def create_token(actor: User, data: TokenData) -> NewToken:
    name = " ".join(data.name.split())
    if not name:
        raise DomainError(_("This field is required."), field="name")
    if len(name) > 100:
        raise DomainError(_("At most 100 characters."), field="name")
    expires_at = None
    if data.expires_on is not None:
        if data.expires_on <= utcnow().astimezone(LOCAL_TZ).date():
            raise DomainError(_("The expiry date is in the past."), field="expires_on")
        expires_at = datetime.combine(data.expires_on, datetime.min.time(), LOCAL_TZ)
    # the user's row locked first: simultaneous requests count one after the other, so the
    # limit holds (SQLite: BEGIN IMMEDIATE already serializes writers)
    db.session.execute(select(User.id).where(User.id == actor.id).with_for_update())
    if len(tokens_of(actor)) >= MAX_LIVE_TOKENS:
        raise DomainError(
            _("You have %(n)d tokens: revoke one first.", n=MAX_LIVE_TOKENS), code="too_many_tokens"
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=actor.id,
        name=name,
        token_hash=hash_token(secret),
        prefix=secret[:10],
        read_only=data.read_only,
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(actor, "api.token_created", actor, token=token.id, name=name)
    return NewToken(token, secret)


def own_token(actor: User, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != actor.id:
        raise NotFound("token")
    return token


def revoke_token(actor: User, token: ApiToken) -> None:
    if token.user_id != actor.id:
        raise NotFound("token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(actor, "api.token_revoked", actor, token=token.id)


def live_token_count(user: User) -> int:
    """Answers `signals.credentials_count`: the account's tokens that still work."""
    return len(tokens_of(user))


def revoke_all(user: User, actor: User, reason: str = "") -> int:
    """Answers `signals.credentials_revoked` (a password reset or change): every token of the
    account stops working at once, audited; the number revoked."""
    revoked = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if revoked:
        audit.record(actor, "api.tokens_revoked", user, count=revoked, reason=reason)
    return revoked


def end_tokens_after(_sender: Any = None, *, taken_at: datetime) -> tuple[str, int]:
    """Answers `signals.backup_restored`: revoke every token made after the backup's time."""
    ended = db.session.execute(
        update(ApiToken)
        .where(ApiToken.created_at > taken_at, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return "API tokens", ended.rowcount


def authenticate(raw: str) -> tuple[ApiToken, User] | None:
    """The live token and its active user for a secret, one query; None for anything else.

    A deactivated user's tokens stop at once: the user's `active` is read on every call.
    """
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    now = utcnow()
    row = (
        db.session.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .options(joinedload(User.grants))
            .where(
                ApiToken.token_hash == hash_token(raw),
                ApiToken.revoked_at.is_(None),
                User.active.is_(True),
            )
        )
        .unique()
        .first()
    )
    if row is None or not row[0].live(now):
        return None
    token, user = row
    _touch(token, now)
    return token, user


def _touch(token: ApiToken, now: datetime) -> None:
    """Note the last use at most once a minute, on a connection of its own (a GET never
    writes in its own transaction); on SQLite in a writing request, with its change."""
    last = token.last_used_at
    if last is not None and now - last < timedelta(seconds=60):
        return
    engine = db.engine()
    writing = has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")
    if engine.dialect.name == "sqlite" and writing:
        token.last_used_at = now
        return
    # end the read of the token first: a request never holds two connections of the pool
    # (twenty simultaneous requests would otherwise wait on each other for the second one)
    db.session.commit()
    try:
        with engine.begin() as connection:
            connection.execute(
                update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
            )
    except SQLAlchemyError:  # only a time on a list
        log.warning("could not note the last use of a token", exc_info=True)


def token_for_cli(email: str, name: str) -> NewToken:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        raise DomainError(_("No active account has this email address."), field="email")
    return create_token(user, TokenData(name=name))
