"""Sign-in without HTTP: login, its failures and their throttling."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from incubator.accounts import sessions
from incubator.accounts.models import ThrottleCounter, User
from incubator.db import db, utcnow
from incubator.errors import TooManyAttempts
from tests.accounts.fixtures import PASSWORD
from tests.accounts.helpers import IP, failures, reload


def test_login_returns_the_user_and_records_the_time(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user(email="login@example.test")
    before = utcnow()
    with db.transaction():
        logged = sessions.login(" LOGIN@Example.test ", PASSWORD, IP)
    assert logged is not None and logged.user.id == user.id
    assert reload(user).last_login_at >= before - timedelta(seconds=1)
    assert failures() == {}


@pytest.mark.parametrize("case", ["wrong password", "unknown email", "inactive", "no password"])
def test_login_failures_return_nothing_and_are_counted(
    ctx: Flask, make_user: Callable[..., User], case: str
) -> None:
    user = make_user(email="who@example.test", active=case != "inactive")
    if case == "no password":  # an invited user who never chose one
        user.password_hash = None
        db.session.commit()
    email = "nobody@example.test" if case == "unknown email" else "who@example.test"
    password = "not-the-password" if case == "wrong password" else PASSWORD
    with db.transaction():
        assert sessions.login(email, password, IP) is None
    assert failures() == {
        ("login-pair", f"{IP} {email}"): 1,
        ("login-ip", IP): 1,
        ("login-account", email): 1,
    }
    assert reload(user).last_login_at is None


def test_login_is_throttled_per_address_and_email_after_the_configured_failures(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user(email="target@example.test")
    limit = ctx.config["LOGIN_MAX_FAILURES"]
    assert limit == 5
    for _ in range(limit):
        with db.transaction():
            assert sessions.login("target@example.test", "guess", IP) is None
    # even the right password is refused now from this address
    with pytest.raises(TooManyAttempts) as refused, db.transaction():
        sessions.login("Target@example.test", PASSWORD, IP)
    assert refused.value.message  # the view shows it on the 429 page
    assert failures()[("login-pair", f"{IP} target@example.test")] == limit
    # the owner, from another address, is not locked out
    with db.transaction():
        assert sessions.login("target@example.test", PASSWORD, "192.0.2.1").user.id == user.id
    # another account is not affected
    other = make_user(email="other@example.test")
    with db.transaction():
        assert sessions.login("other@example.test", PASSWORD, IP).user.id == other.id


def test_old_failures_outside_the_window_do_not_count(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    from incubator.accounts.throttle import window_start

    user = make_user(email="old@example.test")
    window = timedelta(minutes=ctx.config["LOGIN_FAILURE_WINDOW_MINUTES"])
    long_ago = window_start(utcnow() - window - timedelta(minutes=1), window)
    db.session.add_all(
        ThrottleCounter(scope=scope, key=key, window_start=long_ago, count=100)
        for scope, key in (("login-pair", f"{IP} old@example.test"), ("login-ip", IP))
    )
    db.session.commit()
    with db.transaction():
        assert sessions.login("old@example.test", PASSWORD, IP).user.id == user.id


def test_login_is_throttled_per_address_across_emails(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    ctx.config["LOGIN_MAX_FAILURES_PER_IP"] = 3
    user = make_user(email="victim@example.test")
    for number in range(3):
        with db.transaction():
            assert sessions.login(f"probe{number}@example.test", "guess", IP) is None
    with pytest.raises(TooManyAttempts), db.transaction():
        sessions.login("victim@example.test", PASSWORD, IP)
    with db.transaction():
        assert sessions.login("victim@example.test", PASSWORD, "192.0.2.99").user.id == user.id


def test_counters_of_long_ended_windows_are_deleted_after_a_new_window_starts(
    ctx: Flask,
) -> None:
    from incubator.accounts.throttle import window_start

    window = timedelta(minutes=15)
    db.session.add(
        ThrottleCounter(
            scope="login-ip",
            key="198.51.100.250",
            window_start=window_start(utcnow() - timedelta(days=3), window),
            count=3,
        )
    )
    db.session.commit()
    with db.transaction():
        assert sessions.login("nobody@example.test", "guess-guess", IP) is None
    keys = set(db.session.scalars(select(ThrottleCounter.key)))
    assert "198.51.100.250" not in keys
    assert IP in keys
