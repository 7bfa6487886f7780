"""Passwords changed and recovered: the reset link, credentials revoked with them."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from incubator import audit, jobs, signals
from incubator.accounts import devices, throttle
from incubator.accounts.common import find_user_by_email, minutes, normalise_email, too_many
from incubator.accounts.links import issue_token, use_token, valid_token
from incubator.accounts.models import AccountToken, TokenPurpose, User, UserSession
from incubator.accounts.passwords import check_password_strength, hash_password, password_matches
from incubator.accounts.sessions import SignIn, end_other_sessions, start_session
from incubator.db import db, on_commit, utcnow
from incubator.mail import queue_email


def change_password(
    user: User,
    current: str,
    new: str,
    keep: UserSession | None = None,
    revoke_tokens: bool = True,
) -> bool:
    """True once changed; False if `current` is wrong (counted like a failed login).

    Every other session ends, and every outstanding reset link stops working; with
    `revoke_tokens` the account's other credentials (API tokens) are revoked too.
    """
    config = current_app.config
    window = minutes("LOGIN_FAILURE_WINDOW_MINUTES")
    if not throttle.take("password-change", str(user.id), config["LOGIN_MAX_FAILURES"], window):
        raise too_many()
    if not password_matches(user, current):
        throttle.add("login-account", user.email, window)
        return False
    throttle.give_back("password-change", str(user.id), window)
    check_password_strength(new, field="new_password")
    _lock(user)
    user.password_hash = hash_password(new)
    _void_links(user)
    end_other_sessions(user, keep)
    revoked = revoke_credentials(user, user, "change") if revoke_tokens else 0
    audit.record(user, "user.password_changed", user, tokens_revoked=revoked)
    return True


def revoke_credentials(actor: User, user: User, reason: str) -> int:
    """Revoke what later domains keep to let the account in without a password (API
    tokens): account recovery ends them. The number revoked."""
    return sum(
        answer or 0
        for _receiver, answer in signals.credentials_revoked.send(user, actor=actor, reason=reason)
    )


def credentials_count(user: User) -> int:
    """How many such credentials the account holds now."""
    return sum(answer or 0 for _receiver, answer in signals.credentials_count.send(user))


def _lock(user: User) -> None:
    """Lock the user's row before changing their password, links and sessions.

    Every such change takes the user first, then the links, then the sessions, so two
    of them at the same moment queue instead of deadlocking (on SQLite the write lock
    of the whole database already serialises them).
    """
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())


def _void_links(user: User) -> None:
    """Every outstanding link to set this user's password stops working."""
    db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.used_at.is_(None),
            AccountToken.purpose.in_((TokenPurpose.RESET, TokenPurpose.INVITE)),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def request_password_reset(email: str, ip: str = "") -> None:
    """Email a reset link if the account exists; say nothing either way (no account probing).

    Requests are counted per email (known or not) and per address; past the limits
    nothing is sent, and the answer stays the same. Within them the request does the same
    work whether the account exists or not: it queues a background job with the email
    (`send_password_reset`), which looks the account up, so the answer takes as long
    either way. While the queue cannot take the job (Redis down) it runs here after the
    commit instead, so that the email waits in the outbox rather than being lost.
    """
    config = current_app.config
    email = normalise_email(email)
    window = minutes("RESET_WINDOW_MINUTES")
    if not throttle.take("reset-ip", ip, config["RESET_MAX_PER_IP"], window):
        return
    if not throttle.take("reset-email", email, config["RESET_MAX_PER_EMAIL"], window):
        return
    on_commit(db.session, lambda: jobs.enqueue(RESET_JOB, email) or send_password_reset(email))


RESET_JOB = "incubator.accounts.recovery:send_password_reset"


def send_password_reset(email: str) -> None:
    """The background job of `request_password_reset`: a link for a known active account,
    nothing otherwise."""
    with db.transaction():
        user = find_user_by_email(email)
        if user is None or not user.active:
            return
        hours = current_app.config["PASSWORD_RESET_HOURS"]
        raw = issue_token(user, TokenPurpose.RESET, timedelta(hours=hours))
        queue_email(user, "password_reset", token=raw, hours=hours)


def redeem_token(
    raw: str, purpose: TokenPurpose, password: str, ip: str = "", user_agent: str = ""
) -> SignIn:
    """Set the password through an emailed link and log in.

    The link works once; every other link to set the password stops working and
    every session of the account ends (a new one starts for this browser).
    """
    token = valid_token(raw, purpose)
    check_password_strength(password)
    user = token.user
    _lock(user)
    use_token(token)
    user.password_hash = hash_password(password)
    if user.email_confirmed_at is None:  # the link came to this address
        user.email_confirmed_at = utcnow()
    _void_links(user)
    end_other_sessions(user)
    revoke_credentials(user, user, purpose.value)
    user.last_login_at = utcnow()
    audit.record(user, f"user.{purpose.value}_redeemed", user)
    return SignIn(user, start_session(user, ip, user_agent), devices.issue(user.id))
