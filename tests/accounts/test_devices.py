"""Issue 29, finding 8: device cookies against lockouts from a shared address, "forgot password"
doing the same work for known and unknown emails, a new session and CSRF token at login."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from incubator.accounts import devices
from incubator.accounts.models import User
from incubator.db import db
from tests.accounts.fixtures import PASSWORD
from tests.accounts.test_attacks import (
    from_address,
    is_logged_in,
    log_in,
    pinned_clock,  # noqa: F401 (a fixture)
)

NAT = "203.0.113.7"  # the owner and the attacker behind one address


def device_cookie(app: Flask, client: FlaskClient) -> Any:
    return client.get_cookie(app.config["DEVICE_COOKIE_NAME"], path="/login")


def owner_signed_in_before(app: Flask, user: User) -> FlaskClient:
    owner = from_address(app, NAT)
    assert log_in(owner, user.email).status_code == 302
    assert owner.post("/logout").status_code == 302
    assert device_cookie(app, owner) is not None
    return owner


def fail(client: FlaskClient, email: str, times: int) -> list[int]:
    return [log_in(client, email, "wrong-password").status_code for _ in range(times)]


def test_a_successful_login_gives_a_signed_long_lived_httponly_device_cookie(
    app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user()
    client = from_address(app, NAT)
    response = log_in(client, user.email)
    header = next(
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("incubator_device=")
    )
    assert "HttpOnly" in header
    assert "Path=/login" in header
    assert re.search(r"Max-Age=(\d+)", header).group(1) == str(365 * 24 * 3600)
    with app.app_context():
        device = devices.read(device_cookie(app, client).value)
    assert device is not None and device.user_id == user.id


@pytest.mark.usefixtures("pinned_clock")
def test_an_attacker_behind_the_same_address_cannot_lock_the_owner_out(
    app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user()
    owner = owner_signed_in_before(app, user)
    attacker = from_address(app, NAT)
    limit = app.config["LOGIN_MAX_FAILURES"]
    assert fail(attacker, user.email, limit) == [200] * limit
    assert log_in(attacker, user.email).status_code == 429, "the address is locked"
    assert log_in(owner, user.email).status_code == 302, "not the owner's browser"
    assert is_logged_in(owner)


@pytest.mark.usefixtures("pinned_clock")
def test_failures_with_a_device_cookie_lock_only_that_cookie(
    app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user()
    owner = owner_signed_in_before(app, user)
    limit = app.config["LOGIN_MAX_FAILURES"]
    assert fail(owner, user.email, limit) == [200] * limit
    assert log_in(owner, user.email).status_code == 429, "the cookie is locked"
    other_browser = from_address(app, NAT)  # the address was not counted
    assert log_in(other_browser, user.email).status_code == 302


@pytest.mark.usefixtures("pinned_clock")
@pytest.mark.parametrize("cookie", ["other_account", "forged", "garbage"])
def test_a_cookie_of_another_account_or_forged_exempts_nothing(
    app: Flask, make_user: Callable[..., User], cookie: str
) -> None:
    user, other = make_user(), make_user()
    with app.app_context():
        values = {
            "other_account": devices.issue(other.id),
            "forged": devices.issue(user.id)[:-2] + "xx",
            "garbage": "1.abc",
        }
    attacker = from_address(app, NAT)
    limit = app.config["LOGIN_MAX_FAILURES"]
    fail(attacker, user.email, limit)
    holder = from_address(app, NAT)
    holder.set_cookie(app.config["DEVICE_COOKIE_NAME"], values[cookie], path="/login")
    assert log_in(holder, user.email).status_code == 429


# -------------------------------------------------------------- forgot password


def test_forgot_password_does_the_same_work_for_known_and_unknown_emails(
    app: Flask, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request itself runs the same statements and queues the same job, with only the
    email; the job looks the account up (and the time does not tell whether it exists)."""
    from incubator import jobs

    known = make_user(email="known@example.test")
    queued: list[tuple[str, tuple]] = []
    monkeypatch.setattr(
        jobs, "enqueue", lambda path, *args, **_kw: queued.append((path, args)) or True
    )
    engine = db.engine(app)

    def request_for(email: str) -> list[str]:
        seen: list[str] = []

        def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", note)
        try:
            client = from_address(app, "198.51.100.9")
            assert client.post("/password/forgot", data={"email": email}).status_code == 302
        finally:
            event.remove(engine, "before_cursor_execute", note)
        return seen

    for_known = request_for(known.email)
    for_unknown = request_for("nobody@example.test")
    assert for_known == for_unknown
    assert not any("FROM users" in statement for statement in for_known)
    path = "incubator.accounts.recovery:send_password_reset"
    assert queued == [(path, (known.email,)), (path, ("nobody@example.test",))]


def test_forgot_password_while_the_queue_is_down_still_writes_the_email(
    app: Flask, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis down (the queue refuses the job): the job runs after the commit instead, and the
    email waits in the outbox for the sweep, rather than being lost with the job."""
    from incubator import jobs
    from incubator.mail import OutboxMessage

    known = make_user(email="known@example.test")
    monkeypatch.setattr(jobs, "enqueue", lambda *_args, **_kw: False)
    client = from_address(app, "198.51.100.9")
    for email in (known.email, "nobody@example.test"):
        assert client.post("/password/forgot", data={"email": email}).status_code == 302
    with app.app_context():
        recipients = db.session.scalars(select(OutboxMessage.recipient)).all()
    assert recipients == [known.email]


# ---------------------------------------------------------------- session fixation


def test_the_csrf_token_and_the_session_change_at_login(
    app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user()
    token = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = from_address(app, NAT)
        before = token.search(client.get("/login").get_data(as_text=True)).group(1)
        cookie_before = client.get_cookie("session").value
        data = {"email": user.email, "password": PASSWORD, "csrf_token": before}
        assert client.post("/login", data=data).status_code == 302
        assert client.get_cookie("session").value != cookie_before
        with client.session_transaction() as session:
            assert "sid" in session
        # a form posted with the token read before the login is refused
        refused = client.post(
            "/account", data={"name": "Kẻ Gian", "locale": "vi", "csrf_token": before}
        )
        assert refused.status_code == 400
        after = token.search(client.get("/account").get_data(as_text=True)).group(1)
        assert after != before
        accepted = client.post(
            "/account", data={"name": "Chủ", "locale": "vi", "csrf_token": after}
        )
        assert accepted.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_the_chosen_language_survives_the_login(app: Flask, make_user: Callable[..., User]) -> None:
    user = make_user(locale="vi")
    client = app.test_client()
    client.post("/language", data={"lang": "en", "next": "/"})
    log_in(client, user.email)
    with client.session_transaction() as session:
        assert session.get("lang") == "en"
