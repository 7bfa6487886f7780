"""Passwords changed and recovered without HTTP: change, reset links, tokens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.security import check_password_hash

from incubator.accounts import links, recovery, sessions
from incubator.accounts.models import AccountToken, TokenPurpose, User
from incubator.audit import AuditEntry
from incubator.db import db, utcnow
from incubator.errors import DomainError, TooManyAttempts
from incubator.mail import MemoryTransport, OutboxMessage
from tests.accounts.fixtures import PASSWORD
from tests.accounts.helpers import IP, count, failures, link_in, reload


def test_change_password_refuses_a_wrong_current_password_and_counts_it(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user()
    old_hash = user.password_hash
    for _ in range(ctx.config["LOGIN_MAX_FAILURES"]):
        with db.transaction():
            assert recovery.change_password(user, "not-my-password", "a-brand-new-pass") is False
    assert reload(user).password_hash == old_hash
    assert failures()[("login-account", user.email)] == ctx.config["LOGIN_MAX_FAILURES"]
    # then even the right one is refused for a while
    with pytest.raises(TooManyAttempts), db.transaction():
        recovery.change_password(user, PASSWORD, "a-brand-new-pass")
    assert reload(user).password_hash == old_hash


def test_change_password_refuses_a_weak_new_password(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user()
    old_hash = user.password_hash
    for weak in ("1234", "password12"):  # too short; on the common list
        with pytest.raises(DomainError) as refused, db.transaction():
            recovery.change_password(user, PASSWORD, weak)
        assert refused.value.field == "new_password"
    assert reload(user).password_hash == old_hash


def test_change_password_sets_the_new_one(ctx: Flask, make_user: Callable[..., User]) -> None:
    user = make_user(email="change@example.test")
    with db.transaction():
        recovery.change_password(user, PASSWORD, "a-brand-new-pass")
    with db.transaction():
        assert sessions.login("change@example.test", PASSWORD, IP) is None
    with db.transaction():
        assert sessions.login("change@example.test", "a-brand-new-pass", IP).user.id == user.id
    assert count(AuditEntry, AuditEntry.action == "user.password_changed") == 1


def test_password_reset_emails_a_single_use_link(
    ctx: Flask, outbox: MemoryTransport, make_user: Callable[..., User]
) -> None:
    user = make_user(email="reset@example.test", locale="en")
    with db.transaction():
        recovery.request_password_reset("Reset@Example.test")
    assert len(outbox.sent) == 1
    path, raw = link_in(outbox.sent[0]["body"])
    assert path == "/password/reset/"
    token = db.session.scalar(select(AccountToken))
    assert token.purpose is TokenPurpose.RESET
    assert token.user_id == user.id
    assert token.token_hash != raw  # only the hash is stored
    assert raw not in token.token_hash
    hours = ctx.config["PASSWORD_RESET_HOURS"]
    assert (
        timedelta(hours=hours) - timedelta(minutes=1)
        < token.expires_at - utcnow()
        <= timedelta(hours=hours)
    )

    with db.transaction():
        assert recovery.redeem_token(raw, TokenPurpose.RESET, "a-new-secret-9").user.id == user.id
    assert reload(token).used_at is not None
    with db.transaction():
        assert sessions.login("reset@example.test", "a-new-secret-9", IP).user.id == user.id

    with pytest.raises(DomainError), db.transaction():
        recovery.redeem_token(raw, TokenPurpose.RESET, "yet-another-pass")
    with db.transaction():
        assert sessions.login("reset@example.test", "yet-another-pass", IP) is None


def test_password_reset_email_links_to_the_reset_page(
    ctx: Flask, outbox: MemoryTransport, make_user: Callable[..., User]
) -> None:
    make_user(email="reset@example.test", locale="en")
    with db.transaction():
        recovery.request_password_reset("reset@example.test")
    path, raw = link_in(outbox.sent[0]["body"])
    assert path == "/password/reset/"
    assert links.valid_token(raw, TokenPurpose.RESET).user.email == "reset@example.test"


@pytest.mark.parametrize("who", ["unknown", "inactive"])
def test_password_reset_for_unknown_or_inactive_accounts_sends_nothing(
    ctx: Flask, outbox: MemoryTransport, make_user: Callable[..., User], who: str
) -> None:
    make_user(email="inactive@example.test", active=False)
    email = "nobody@example.test" if who == "unknown" else "inactive@example.test"
    with db.transaction():
        assert recovery.request_password_reset(email) is None
    assert count(AccountToken) == 0
    assert count(OutboxMessage) == 0
    assert outbox.sent == []


def _issue(user: User, purpose: TokenPurpose, valid_for: timedelta = timedelta(hours=1)) -> str:
    with db.transaction():
        return links.issue_token(user, purpose, valid_for)


def test_an_expired_token_is_refused(ctx: Flask, make_user: Callable[..., User]) -> None:
    user = make_user()
    raw = _issue(user, TokenPurpose.RESET)
    token = db.session.scalar(select(AccountToken))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(DomainError), db.transaction():
        recovery.redeem_token(raw, TokenPurpose.RESET, "a-new-secret-9")
    assert reload(user).password_hash == user.password_hash
    assert reload(token).used_at is None


@pytest.mark.parametrize(
    ("issued", "used_as"),
    [(TokenPurpose.RESET, TokenPurpose.INVITE), (TokenPurpose.INVITE, TokenPurpose.RESET)],
)
def test_a_token_only_works_for_its_own_purpose(
    ctx: Flask, make_user: Callable[..., User], issued: TokenPurpose, used_as: TokenPurpose
) -> None:
    user = make_user()
    raw = _issue(user, issued)
    with pytest.raises(DomainError):
        links.valid_token(raw, used_as)
    with pytest.raises(DomainError), db.transaction():
        recovery.redeem_token(raw, used_as, "a-new-secret-9")
    assert links.valid_token(raw, issued).user_id == user.id


def test_an_unknown_token_is_refused(ctx: Flask) -> None:
    with pytest.raises(DomainError):
        links.valid_token("made-up-token", TokenPurpose.RESET)


def test_a_token_of_a_deactivated_user_is_refused(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user()
    raw = _issue(user, TokenPurpose.RESET)
    user.active = False
    db.session.commit()
    with pytest.raises(DomainError):
        links.valid_token(raw, TokenPurpose.RESET)


def test_redeem_with_a_weak_password_keeps_the_token_usable(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user()
    raw = _issue(user, TokenPurpose.RESET)
    for weak in ("short", "1q2w3e4r5t6y"):  # too short; on the common list
        with pytest.raises(DomainError) as refused, db.transaction():
            recovery.redeem_token(raw, TokenPurpose.RESET, weak)
        assert refused.value.field == "password"
    with db.transaction():
        recovery.redeem_token(raw, TokenPurpose.RESET, "long-enough-now")
    assert check_password_hash(reload(user).password_hash, "long-enough-now")
