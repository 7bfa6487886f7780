"""Sign-in and sessions: login and its throttling, sessions started, listed and ended."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, or_, select, update

from incubator import audit
from incubator.accounts import devices, throttle
from incubator.accounts.common import (
    find_user_by_email,
    minutes,
    normalise_email,
    token_hash,
    too_many,
)
from incubator.accounts.models import User, UserSession
from incubator.accounts.passwords import password_matches
from incubator.db import db, utcnow


@dataclass
class SignIn:
    """A successful login: the user, the token of the new session and a new device cookie
    (both kept by the browser)."""

    user: User
    token: str
    device: str = ""


def trusted_device(email: str, device_cookie: str | None) -> devices.Device | None:
    """The browser's device cookie, when it is valid and was issued to this account."""
    device = devices.read(device_cookie)
    if device is None:
        return None
    user = find_user_by_email(email)
    return device if user is not None and user.id == device.user_id else None


def login_delay(email: str, device_cookie: str | None = None) -> float:
    """Seconds to wait before checking a password for this account.

    Failures for one account from every address together never lock it; past a
    threshold each further attempt waits longer (doubling, up to a maximum), so the
    owner still gets in with the right password, only more slowly. A browser that signed in
    to the account before (its device cookie) does not wait.
    """
    config = current_app.config
    if trusted_device(email, device_cookie) is not None:
        return 0.0
    failures = throttle.count(
        "login-account", normalise_email(email), minutes("LOGIN_FAILURE_WINDOW_MINUTES")
    )
    over = failures - config["LOGIN_ACCOUNT_SLOW_AFTER"]
    if over < 0:
        return 0.0
    return min(
        config["LOGIN_ACCOUNT_MAX_DELAY_SECONDS"],
        config["LOGIN_ACCOUNT_DELAY_SECONDS"] * 2 ** min(over, 30),
    )


def login(
    email: str, password: str, ip: str, user_agent: str = "", device_cookie: str | None = None
) -> SignIn | None:
    """A new session if the password is right; otherwise None, and the failure is counted.

    Raises TooManyAttempts once this address has failed too often for this account,
    or for all accounts together. Each attempt takes its slot before the password is
    checked (given back when it is right), so simultaneous guesses cannot overrun.

    A browser with a device cookie of this account (devices.py) is counted by its cookie
    instead of its address: others failing from the same address never lock it out, and its
    own failures lock only that cookie.
    """
    email = normalise_email(email)
    config = current_app.config
    window = minutes("LOGIN_FAILURE_WINDOW_MINUTES")
    device = trusted_device(email, device_cookie)
    if device is not None:
        slots = [("login-device", device.nonce, config["LOGIN_MAX_FAILURES"])]
    else:
        slots = [
            ("login-pair", f"{ip} {email}", config["LOGIN_MAX_FAILURES"]),
            ("login-ip", ip, config["LOGIN_MAX_FAILURES_PER_IP"]),
        ]
    for scope, key, limit in slots:
        if not throttle.take(scope, key, limit, window):
            raise too_many()
    user = find_user_by_email(email)
    if not password_matches(user, password):
        throttle.add("login-account", email, window)
        return None
    assert user is not None
    for scope, key, _limit in slots:
        throttle.give_back(scope, key, window)
    user.last_login_at = utcnow()
    return SignIn(user, start_session(user, ip, user_agent), devices.issue(user.id))


def _session_idle_limit() -> timedelta:
    return timedelta(days=current_app.config["SESSION_IDLE_DAYS"])


def start_session(user: User, ip: str, user_agent: str) -> str:
    """Record a new session; returns its token for the browser (only its hash is stored)."""
    now = utcnow()
    db.session.execute(  # this user's ended sessions are forgotten
        delete(UserSession)
        .where(
            UserSession.user_id == user.id,
            or_(
                UserSession.revoked_at.is_not(None),
                UserSession.last_seen_at < now - _session_idle_limit(),
            ),
        )
        .execution_options(synchronize_session=False)
    )
    raw = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            id=token_hash(raw),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            ip=ip[:64],
            user_agent=user_agent[:255],
        )
    )
    return raw


def active_sessions(user: User) -> list[UserSession]:
    return list(
        db.session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.revoked_at.is_(None),
                UserSession.last_seen_at > utcnow() - _session_idle_limit(),
            )
            .order_by(UserSession.last_seen_at.desc(), UserSession.created_at.desc())
        )
    )


def end_session(user: User, user_session: UserSession | None) -> None:
    """Log out: the session's cookie no longer works, even if it was copied."""
    if user_session is not None and user_session.user_id == user.id:
        user_session.revoked_at = user_session.revoked_at or utcnow()


def end_sessions_after(_sender: Any = None, *, taken_at: datetime) -> tuple[str, int]:
    """Answers `signals.backup_restored`: end every session started after the backup's time
    (a clock ahead of the backup's machine), so that none outlives the restore."""
    ended = db.session.execute(
        update(UserSession)
        .where(UserSession.created_at > taken_at, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return "sessions", ended.rowcount


def end_other_sessions(user: User, keep: UserSession | None = None) -> int:
    """End every session of the user but `keep`; returns how many were ended."""
    statement = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
    )
    if keep is not None:
        statement = statement.where(UserSession.id != keep.id)
    ended = db.session.execute(
        statement.values(revoked_at=utcnow()).execution_options(synchronize_session="fetch")
    ).rowcount
    if ended:
        audit.record(user, "user.sessions_ended", user, count=ended)
    return ended
