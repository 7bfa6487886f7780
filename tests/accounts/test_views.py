"""Account pages through the test client: register, login, passwords, profile, language, admin."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from incubator.accounts.models import AccountToken, Role, TokenPurpose, User
from incubator.db import db, utcnow
from incubator.mail import MemoryTransport, OutboxMessage
from tests.accounts.fixtures import PASSWORD
from tests.centers.fixtures import center_id

ON_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))
NEW_PASSWORD = "a-fresh-secret-7"

# ---------------------------------------------------------------- helpers


def english(client: FlaskClient) -> FlaskClient:
    """Switch the client to English (saved to the profile when logged in)."""
    response = client.post("/language", data={"lang": "en", "next": "/"})
    assert response.status_code == 302
    return client


def html_of(response: Any) -> str:
    return response.get_data(as_text=True)


def location(response: Any) -> str:
    """The redirect target as a local path with query (absolute URLs keep their host)."""
    parts = urlsplit(response.headers["Location"])
    if parts.netloc and parts.netloc != "localhost":
        return response.headers["Location"]
    return parts.path + (f"?{parts.query}" if parts.query else "")


def field_error(html: str, field: str) -> str | None:
    """The message shown next to a field, if any, and the field marked invalid."""
    found = re.search(rf'<small class="field-error" id="{field}-error">(.*?)</small>', html, re.S)
    if found is None:
        return None
    tag = re.search(rf'<(?:input|select|textarea)\b[^>]*\bid="{field}"[^>]*>', html)
    assert tag is not None, f"no control for {field}"
    assert 'aria-invalid="true"' in tag.group(0), tag.group(0)
    return found.group(1).strip()


def errored_fields(html: str) -> set[str]:
    return set(re.findall(r'<small class="field-error" id="([\w-]+)-error">', html))


def flashes(html: str) -> list[str]:
    return [m.strip() for m in re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', html, re.S)]


def is_logged_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def user_by_email(app: Flask, email: str) -> User | None:
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def fresh(app: Flask, user: User) -> User:
    with app.app_context():
        return db.session.get(User, user.id)


def link_in(body: str) -> tuple[str, str]:
    """(path, raw token) of the one link to a token page in an email body."""
    links = re.findall(r"http://localhost(/[\w/-]*/)([\w-]{20,})\s", body)
    assert len(links) == 1, body
    return links[0]


@pytest.fixture
def admin_client(
    make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> tuple[FlaskClient, User]:
    admin = make_user(Role.ADMIN, name="Admin Root", email="root@example.test", locale="en")
    return login(admin), admin


def register_data(**changes: str) -> dict[str, str]:
    data = {
        "name": "Nguyễn Thị Mai",
        "email": "mai@example.test",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "locale": "en",
    }
    data.update(changes)
    return data


# ---------------------------------------------------------------- register


def test_register_page_shows_the_form(client: FlaskClient) -> None:
    html = html_of(client.get("/register"))
    for name in ("name", "email", "password", "confirm", "locale"):
        assert f'name="{name}"' in html


def test_register_creates_an_unconfirmed_founder_and_emails_a_confirmation_link(
    app: Flask, client: FlaskClient, outbox: MemoryTransport
) -> None:
    english(client)
    response = client.post("/register", data=register_data(email="Mai@Example.TEST"))
    assert response.status_code == 302
    assert location(response) == "/login"
    assert flashes(html_of(client.get("/login"))) == [
        "Thank you! We have sent a message to mai@example.test. Open the link in it to "
        "confirm your address, then log in."
    ]
    user = user_by_email(app, "mai@example.test")
    assert user is not None
    assert user.roles == {Role.FOUNDER}
    assert user.locale == "en"
    assert not user.email_confirmed
    assert not is_logged_in(client)  # the same answer as for a known email: no login
    assert [m["to"] for m in outbox.sent] == ["mai@example.test"]
    assert outbox.sent[0]["subject"] == "Welcome to the BIIC · SMIC incubator"
    path, raw = link_in(outbox.sent[0]["body"])
    assert path == "/email/confirm/"
    assert client.post(path + raw).status_code == 302
    assert user_by_email(app, "mai@example.test").email_confirmed
    assert client.post("/login", data={"email": "mai@example.test", "password": PASSWORD})
    home = html_of(client.get("/"))
    assert '<html lang="en">' in home
    assert "Nguyễn Thị Mai" in home


def test_register_with_a_known_email_creates_nothing_and_says_nothing_on_the_page(
    app: Flask, client: FlaskClient, make_user: Callable[..., User], outbox: MemoryTransport
) -> None:
    make_user(email="taken@example.test")
    english(client)
    response = client.post("/register", data=register_data(email="TAKEN@example.test"))
    assert response.status_code == 302
    assert location(response) == "/login"
    html = html_of(client.get("/login"))
    assert "already exists" not in html
    assert not is_logged_in(client)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
    assert [m["to"] for m in outbox.sent] == ["taken@example.test"]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("abc123", "The password must have at least 10 characters."),
        ("abcd1234x", "The password must have at least 10 characters."),
        ("basketball", "This password is too easy to guess."),  # on the common list
        ("12345678901", "This password is too easy to guess."),
        ("aaaaaaaaaaaa", "This password is too easy to guess."),
    ],
)
def test_register_refuses_a_weak_password_next_to_the_field(
    app: Flask, client: FlaskClient, password: str, message: str
) -> None:
    english(client)
    response = client.post("/register", data=register_data(password=password, confirm=password))
    assert response.status_code == 200
    assert field_error(html_of(response), "password") == message
    assert user_by_email(app, "mai@example.test") is None


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"name": ""}, {"name"}),
        ({"email": ""}, {"email"}),
        ({"email": "not-an-email"}, {"email"}),
        ({"email": "a@b@example.test"}, {"email"}),
        ({"confirm": "something-else-1"}, {"confirm"}),
        ({"password": "", "confirm": ""}, {"password", "confirm"}),
        ({"locale": "fr"}, {"locale"}),
        ({"name": "", "email": "", "password": "", "confirm": ""}, None),
    ],
)
def test_register_bad_input_gives_messages_next_to_the_fields(
    app: Flask, client: FlaskClient, changes: dict[str, str], fields: set[str] | None
) -> None:
    response = client.post("/register", data=register_data(**changes))
    assert response.status_code == 200
    found = errored_fields(html_of(response))
    if fields is None:
        assert {"name", "email", "password", "confirm"} <= found
    else:
        assert found == fields
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_register_refuses_a_blank_name(app: Flask, client: FlaskClient) -> None:
    response = client.post("/register", data=register_data(name="   "))
    assert response.status_code == 200
    assert "name" in errored_fields(html_of(response))
    assert user_by_email(app, "mai@example.test") is None


def test_register_with_a_nul_character_is_refused_without_a_500(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post("/register", data=register_data(name="Mai\x00"))
    assert response.status_code == 400  # refused at the edge (incubator/edge.py)
    with app.app_context():
        names = list(db.session.scalars(select(User.name)))
    assert not any("\x00" in name for name in names)


TOO_LONG = [
    ("/register", register_data(name="N" * 121), "name"),
    ("/register", register_data(email="x" * 250 + "@example.test"), "email"),
    ("/register", register_data(password="p" * 201, confirm="p" * 201), "password"),
    ("/login", {"email": "ok@example.test", "password": "x" * 201}, "password"),
    ("/password/forgot", {"email": "x" * 250 + "@example.test"}, "email"),
    ("/account", {"name": "X" * 121, "locale": "en"}, "name"),
    (
        "/account/password",
        {"current_password": PASSWORD, "new_password": "p" * 201, "confirm": "p" * 201},
        "new_password",
    ),
    (
        "/admin/users/invite",
        {"email": "new@example.test", "name": "N" * 121, "role": "mentor", "center_id": ""},
        "name",
    ),
]


@pytest.mark.parametrize(
    ("path", "data", "field"), TOO_LONG, ids=[f"{p}-{f}" for p, _, f in TOO_LONG]
)
def test_too_long_input_is_refused_next_to_the_field(
    app: Flask,
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
    path: str,
    data: dict[str, str],
    field: str,
) -> None:
    user = make_user(Role.ADMIN, email="ok@example.test", locale="en")
    client = login(user) if path.startswith(("/account", "/admin")) else app.test_client()
    if path in ("/register", "/login"):
        client.post("/logout")
    response = client.post(path, data=data, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    html = html_of(response)
    assert field in errored_fields(html)
    assert "cannot be longer than" in (field_error(html, field) or "")


def test_a_logged_in_user_is_sent_home_from_register_and_login(
    as_role: Callable[..., tuple[FlaskClient, User]],
) -> None:
    client, _user = as_role("founder")
    for path in ("/register", "/login"):
        response = client.get(path)
        assert response.status_code == 302
        assert location(response) == "/"


# ------------------------------------------------------------------- login


def test_login_page_has_email_and_password_fields(client: FlaskClient) -> None:
    html = html_of(client.get("/login"))
    assert 'name="email"' in html
    assert 'name="password"' in html
    assert 'type="password"' in html


def test_login_succeeds_and_redirects_home(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user(email="ok@example.test")
    response = client.post("/login", data={"email": "OK@Example.TEST", "password": PASSWORD})
    assert response.status_code == 302
    assert location(response) == "/"
    assert is_logged_in(client)
    assert fresh(app, user).last_login_at is not None


def test_wrong_password_shows_a_message_next_to_the_password(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(email="ok@example.test")
    english(client)
    response = client.post("/login", data={"email": "ok@example.test", "password": "nope-nope"})
    assert response.status_code == 200
    html = html_of(response)
    assert field_error(html, "password") == "The email or the password is not right."
    assert errored_fields(html) == {"password"}
    assert "nope-nope" not in html  # the password is never echoed back
    assert not is_logged_in(client)


def _neutral(html: str, email: str) -> str:
    """The page without what differs by design: the typed email and the CSRF token."""
    html = html.replace(email, "EMAIL")
    return re.sub(r'(name="csrf_token"[^>]*?value=)"[^"]*"', r"\1", html)


def _login_page(client: FlaskClient, email: str, password: str) -> str:
    return html_of(client.post("/login", data={"email": email, "password": password}))


@pytest.mark.parametrize("case", ["unknown email", "deactivated", "invited, no password"])
def test_login_failures_all_look_the_same(
    app: Flask, make_user: Callable[..., User], case: str
) -> None:
    """Nothing tells whether an account exists, is deactivated or has no password yet."""
    make_user(email="known@example.test")
    other = make_user(email="other@example.test", active=case != "deactivated")
    if case == "invited, no password":
        with app.app_context():
            db.session.get(User, other.id).password_hash = None
            db.session.commit()
    email = "ghost@example.test" if case == "unknown email" else "other@example.test"
    wrong = _login_page(english(app.test_client()), "known@example.test", "bad-password")
    probe = _login_page(english(app.test_client()), email, PASSWORD)
    assert "The email or the password is not right." in probe
    assert _neutral(probe, email) == _neutral(wrong, "known@example.test")


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"email": "", "password": ""}, {"email", "password"}),
        ({"email": "not-an-email", "password": PASSWORD}, {"email"}),
        ({"email": "ok@example.test", "password": ""}, {"password"}),
        # control characters are dropped from typed text: this is an unknown account
        # (a NUL is refused before: tests/test_bad_input.py)
        ({"email": "a\x01b@example.test", "password": PASSWORD}, {"password"}),
        ({}, {"email", "password"}),
    ],
)
def test_login_bad_input_gives_messages_next_to_the_fields(
    client: FlaskClient, make_user: Callable[..., User], data: dict[str, str], fields: set[str]
) -> None:
    make_user(email="ok@example.test")
    response = client.post("/login", data=data)
    assert response.status_code == 200
    assert errored_fields(html_of(response)) == fields
    assert not is_logged_in(client)


def test_login_honours_a_local_next(client: FlaskClient, make_user: Callable[..., User]) -> None:
    make_user(email="ok@example.test")
    page = html_of(client.get("/login?next=/account"))
    assert re.search(r'<input[^>]*name="next"[^>]*value="/account"', page)
    response = client.post(
        "/login", data={"email": "ok@example.test", "password": PASSWORD, "next": "/account"}
    )
    assert location(response) == "/account"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.com",
        "//evil.com/account",
        "https://evil.com",
        "http://evil.com/",
        "/\\evil.com",
        "\\\\evil.com",
        "javascript:alert(1)",
        "evil.com",
        "",
    ],
)
def test_login_never_redirects_to_another_site(
    client: FlaskClient, make_user: Callable[..., User], target: str
) -> None:
    make_user(email="ok@example.test")
    response = client.post(
        "/login", data={"email": "ok@example.test", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    raw = response.headers["Location"]
    parts = urlsplit(raw)
    assert parts.netloc in ("", "localhost"), raw
    assert not raw.startswith("//")
    assert location(response) == "/"


@pytest.mark.parametrize("target", ["/\t/evil.com", "/\n/evil.com", "/\r\n/evil.com"])
@pytest.mark.parametrize("via", ["login", "language"])
def test_next_with_control_characters_stays_on_this_site(
    client: FlaskClient, make_user: Callable[..., User], target: str, via: str
) -> None:
    make_user(email="ok@example.test")
    if via == "login":
        data = {"email": "ok@example.test", "password": PASSWORD, "next": target}
        response = client.post("/login", data=data)
    else:
        response = client.post("/language", data={"lang": "en", "next": target})
    assert response.status_code == 302
    raw = response.headers["Location"]
    assert not raw.startswith("//"), raw
    assert urlsplit(raw).netloc in ("", "localhost"), raw


def test_a_protected_page_sends_anonymous_users_to_login_and_back(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(email="ok@example.test")
    response = client.get("/account")
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/login"
    next_url = parse_qs(target.query)["next"][0]
    assert next_url == "/account"
    response = client.post(
        "/login", data={"email": "ok@example.test", "password": PASSWORD, "next": next_url}
    )
    assert location(response) == "/account"
    assert client.get("/account").status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/account"),
        ("post", "/account"),
        ("post", "/account/password"),
        ("post", "/logout"),
        ("get", "/admin/users"),
        ("get", "/admin/users/invite"),
        ("get", "/admin/users/1"),
        ("post", "/admin/users/1/roles"),
        ("post", "/admin/users/1/roles/admin/revoke"),
        ("post", "/admin/users/1/active"),
    ],
)
def test_anonymous_users_are_redirected_to_login(
    client: FlaskClient, method: str, path: str
) -> None:
    response = getattr(client, method)(path, data={"active": "0"} if method == "post" else None)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


def test_anonymous_admin_post_changes_nothing(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.FOUNDER)
    client.post(f"/admin/users/{user.id}/active", data={"active": "0"})
    client.post(f"/admin/users/{user.id}/roles", data={"role": "admin"})
    stored = fresh(app, user)
    assert stored.active is True
    assert stored.roles == {Role.FOUNDER}


# ------------------------------------------------------------------ logout


def test_logout_is_a_post(as_role: Callable[..., tuple[FlaskClient, User]]) -> None:
    client, _user = as_role("founder")
    assert client.get("/logout").status_code == 405
    assert is_logged_in(client)
    response = client.post("/logout")
    assert response.status_code == 302
    assert location(response) == "/"
    assert not is_logged_in(client)


def test_pages_show_a_logout_form_not_a_link(
    as_role: Callable[..., tuple[FlaskClient, User]],
) -> None:
    client, _user = as_role("founder")
    html = html_of(client.get("/"))
    assert re.search(r'<form method="post" action="/logout"', html)
    assert 'href="/logout"' not in html


# --------------------------------------------------------- change password


def test_change_password_with_the_wrong_current_password_is_refused(
    app: Flask, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    user = make_user(locale="en")
    client = login(user)
    response = client.post(
        "/account/password",
        data={
            "current_password": "wrong-one",
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200
    html = html_of(response)
    assert field_error(html, "current_password") == "The current password is not right."
    assert errored_fields(html) == {"current_password"}
    assert fresh(app, user).password_hash == user.password_hash


def test_change_password_then_log_in_with_the_new_one(
    app: Flask, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    user = make_user(email="pw@example.test", locale="en")
    client = login(user)
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert location(response) == "/account"
    assert "Your password is changed." in flashes(html_of(client.get("/account")))

    other = app.test_client()
    old = other.post("/login", data={"email": "pw@example.test", "password": PASSWORD})
    assert old.status_code == 200
    new = other.post("/login", data={"email": "pw@example.test", "password": NEW_PASSWORD})
    assert new.status_code == 302


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        (
            {"current_password": PASSWORD, "new_password": "short", "confirm": "short"},
            {"new_password"},
        ),
        (
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": "different-1"},
            {"confirm"},
        ),
        ({"current_password": "", "new_password": "", "confirm": ""}, None),
        ({}, None),
    ],
)
def test_change_password_bad_input_gives_messages_next_to_the_fields(
    app: Flask,
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
    data: dict[str, str],
    fields: set[str] | None,
) -> None:
    user = make_user()
    client = login(user)
    response = client.post("/account/password", data=data)
    assert response.status_code == 200
    found = errored_fields(html_of(response))
    if fields is None:
        assert found == {"current_password", "new_password", "confirm"}
    else:
        assert found == fields
    assert fresh(app, user).password_hash == user.password_hash


# ----------------------------------------------------------- password reset


def _request_reset(client: FlaskClient, email: str) -> Any:
    return client.post("/password/forgot", data={"email": email})


def _reset_token(app: Flask, outbox: MemoryTransport, email: str) -> str:
    _request_reset(app.test_client(), email)
    assert [m["to"] for m in outbox.sent][-1:] == [email]
    path, raw = link_in(outbox.sent[-1]["body"])
    assert path == "/password/reset/"
    return raw


def test_forgot_password_gives_the_same_neutral_answer_for_any_email(
    app: Flask, make_user: Callable[..., User], outbox: MemoryTransport
) -> None:
    make_user(email="known@example.test", locale="en")
    make_user(email="gone@example.test", active=False)
    answers = []
    for email in ("known@example.test", "nobody@example.test", "gone@example.test"):
        client = english(app.test_client())
        response = _request_reset(client, email)
        assert response.status_code == 302
        assert location(response) == "/login"
        answers.append(flashes(html_of(client.get("/login"))))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0] == [
        "If an account exists for this email, we have sent a link to set a new password."
    ]
    assert [m["to"] for m in outbox.sent] == ["known@example.test"]


def test_forgot_password_bad_email_is_shown_next_to_the_field(client: FlaskClient) -> None:
    for email in ("", "not-an-email"):
        response = _request_reset(client, email)
        assert response.status_code == 200
        assert errored_fields(html_of(response)) == {"email"}


def test_the_emailed_reset_link_opens_the_reset_form(
    app: Flask, make_user: Callable[..., User], outbox: MemoryTransport
) -> None:
    make_user(email="forgot@example.test", locale="en")
    _request_reset(app.test_client(), "forgot@example.test")
    path, raw = link_in(outbox.sent[-1]["body"])
    response = app.test_client().get(path + raw)
    assert response.status_code == 200
    assert 'name="password"' in html_of(response)


def test_a_reset_link_works_once_and_sets_the_password(
    app: Flask, make_user: Callable[..., User], outbox: MemoryTransport
) -> None:
    user = make_user(email="forgot@example.test", locale="en")
    raw = _reset_token(app, outbox, "forgot@example.test")
    client = english(app.test_client())
    page = client.get(f"/password/reset/{raw}")
    assert page.status_code == 200
    assert "forgot@example.test" in html_of(page)

    response = client.post(
        f"/password/reset/{raw}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert location(response) == "/"
    assert is_logged_in(client)
    with app.app_context():
        assert db.session.scalar(select(AccountToken.used_at)) is not None

    again = english(app.test_client())
    second = again.post(
        f"/password/reset/{raw}",
        data={"password": "another-secret-8", "confirm": "another-secret-8"},
    )
    assert second.status_code == 302
    assert location(second) == "/password/forgot"
    assert "This link is invalid, expired or was already used." in flashes(
        html_of(again.get("/password/forgot"))
    )
    login = app.test_client().post(
        "/login", data={"email": "forgot@example.test", "password": NEW_PASSWORD}
    )
    assert login.status_code == 302
    assert fresh(app, user).password_hash != user.password_hash


def test_an_expired_reset_link_is_refused(
    app: Flask, make_user: Callable[..., User], outbox: MemoryTransport
) -> None:
    user = make_user(email="late@example.test", locale="en")
    raw = _reset_token(app, outbox, "late@example.test")
    with app.app_context():
        token = db.session.scalar(select(AccountToken))
        token.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    client = app.test_client()
    assert location(client.get(f"/password/reset/{raw}")) == "/password/forgot"
    response = client.post(
        f"/password/reset/{raw}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert location(response) == "/password/forgot"
    assert fresh(app, user).password_hash == user.password_hash
    assert not is_logged_in(client)


def test_a_reset_token_is_not_an_invitation_and_vice_versa(
    app: Flask,
    make_user: Callable[..., User],
    outbox: MemoryTransport,
    admin_client: tuple[FlaskClient, User],
) -> None:
    make_user(email="forgot@example.test", locale="en")
    reset_raw = _reset_token(app, outbox, "forgot@example.test")
    admin, _ = admin_client
    admin.post(
        "/admin/users/invite",
        data={"email": "guest@example.test", "name": "Guest", "role": "judge", "center_id": ""},
    )
    path, invite_raw = link_in(outbox.sent[-1]["body"])
    assert path == "/invitation/"
    data = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    for url in (f"/invitation/{reset_raw}", f"/password/reset/{invite_raw}"):
        client = app.test_client()
        assert location(client.get(url)) == "/password/forgot"
        assert location(client.post(url, data=data)) == "/password/forgot"
        assert not is_logged_in(client)
    with app.app_context():
        assert db.session.scalars(select(AccountToken.used_at)).all() == [None, None]


def test_an_unknown_token_is_refused(client: FlaskClient) -> None:
    for url in ("/password/reset/not-a-real-token", "/invitation/" + "x" * 300):
        response = client.get(url)
        assert response.status_code == 302
        assert location(response) == "/password/forgot"


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"password": "short", "confirm": "short"}, {"password"}),
        ({"password": NEW_PASSWORD, "confirm": "not-the-same"}, {"confirm"}),
        ({"password": "", "confirm": ""}, {"password", "confirm"}),
    ],
)
def test_set_password_bad_input_keeps_the_link_usable(
    app: Flask,
    make_user: Callable[..., User],
    outbox: MemoryTransport,
    data: dict[str, str],
    fields: set[str],
) -> None:
    make_user(email="forgot@example.test", locale="en")
    raw = _reset_token(app, outbox, "forgot@example.test")
    client = app.test_client()
    response = client.post(f"/password/reset/{raw}", data=data)
    assert response.status_code == 200
    assert errored_fields(html_of(response)) == fields
    ok = client.post(
        f"/password/reset/{raw}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert ok.status_code == 302


# ----------------------------------------------------------------- profile


def test_account_page_shows_the_profile(
    make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    user = make_user(Role.MENTOR, email="me@example.test", name="Võ Thị Sáu")
    html = html_of(login(user).get("/account"))
    assert "me@example.test" in html
    assert 'value="Võ Thị Sáu"' in html
    assert 'name="locale"' in html
    assert 'name="current_password"' in html


def test_saving_english_in_the_profile_makes_pages_english(
    app: Flask, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    user = make_user(locale="vi", name="Lý Thường Kiệt")
    client = login(user)
    assert '<html lang="vi">' in html_of(client.get("/", headers={"Accept-Language": "en"}))
    response = client.post("/account", data={"name": "  Lý Thường Kiệt  ", "locale": "en"})
    assert response.status_code == 302
    assert location(response) == "/account"
    stored = fresh(app, user)
    assert (stored.name, stored.locale) == ("Lý Thường Kiệt", "en")
    page = html_of(client.get("/account", headers={"Accept-Language": "vi"}))
    assert '<html lang="en">' in page
    assert "Your profile is saved." in flashes(page)
    # and on a new login too
    assert '<html lang="en">' in html_of(login(user).get("/"))


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"name": "", "locale": "en"}, {"name"}),
        ({"name": "Ok", "locale": "fr"}, {"locale"}),
        ({}, {"name"}),
    ],
)
def test_profile_bad_input_gives_messages_next_to_the_fields(
    app: Flask,
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
    data: dict[str, str],
    fields: set[str],
) -> None:
    user = make_user(name="Unchanged", locale="vi")
    response = login(user).post("/account", data=data)
    assert response.status_code == 200
    assert errored_fields(html_of(response)) == fields
    stored = fresh(app, user)
    assert (stored.name, stored.locale) == ("Unchanged", "vi")


# ---------------------------------------------------------------- language


def test_default_language_is_vietnamese(client: FlaskClient) -> None:
    assert '<html lang="vi">' in html_of(client.get("/"))
    assert '<html lang="vi">' in html_of(client.get("/login"))


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("vi-VN,vi;q=0.9,en;q=0.5", "vi"),
        ("fr-FR,en;q=0.5", "en"),
        ("fr, de", "vi"),
        ("", "vi"),
    ],
)
def test_accept_language_is_used_when_nothing_is_chosen(
    client: FlaskClient, header: str, lang: str
) -> None:
    html = html_of(client.get("/login", headers={"Accept-Language": header}))
    assert f'<html lang="{lang}">' in html


def test_the_header_has_the_language_switch(client: FlaskClient) -> None:
    html = html_of(client.get("/login?next=/x"))
    switch = re.search(r'<form method="post" action="/language".*?</form>', html, re.S)
    assert switch is not None
    assert 'name="lang" value="vi"' in switch.group(0)
    assert 'name="lang" value="en"' in switch.group(0)
    assert 'name="next" value="/login?next=/x"' in switch.group(0)


def test_an_anonymous_choice_is_kept_in_the_session(client: FlaskClient) -> None:
    response = client.post("/language", data={"lang": "en", "next": "/login"})
    assert response.status_code == 302
    assert location(response) == "/login"
    assert '<html lang="en">' in html_of(client.get("/", headers={"Accept-Language": "vi"}))
    with client.session_transaction() as session:
        assert session["lang"] == "en"
    client.post("/language", data={"lang": "vi", "next": "/"})
    assert '<html lang="vi">' in html_of(client.get("/", headers={"Accept-Language": "en"}))
    # another visitor is not affected
    assert '<html lang="vi">' in html_of(client.application.test_client().get("/"))


def test_a_logged_in_choice_is_saved_to_the_profile(
    app: Flask, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    user = make_user(locale="vi")
    client = login(user)
    response = client.post("/language", data={"lang": "en", "next": "/account"})
    assert location(response) == "/account"
    assert fresh(app, user).locale == "en"
    assert '<html lang="en">' in html_of(login(user).get("/"))


@pytest.mark.parametrize("lang", ["fr", "", "EN", "vi-VN"])
def test_an_unknown_language_changes_nothing(
    app: Flask, make_user: Callable[..., User], login: Callable[[User], FlaskClient], lang: str
) -> None:
    user = make_user(locale="vi")
    client = login(user)
    response = client.post("/language", data={"lang": lang, "next": "/"})
    assert response.status_code == 302
    assert fresh(app, user).locale == "vi"
    assert '<html lang="vi">' in html_of(client.get("/"))


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com/x", "/\\evil.com", ""])
def test_the_language_switch_never_redirects_to_another_site(
    client: FlaskClient, target: str
) -> None:
    response = client.post("/language", data={"lang": "en", "next": target})
    assert response.status_code == 302
    assert location(response) == "/"


def test_the_profile_language_wins_over_the_session(
    make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    user = make_user(locale="en")
    client = login(user)
    with client.session_transaction() as session:
        session["lang"] = "vi"
    assert '<html lang="en">' in html_of(client.get("/", headers={"Accept-Language": "vi"}))


# ------------------------------------------------------------ admin: access


ADMIN_GETS = ["/admin/users", "/admin/users?format=csv", "/admin/users/invite", "/admin/users/{id}"]
ADMIN_POSTS = [
    ("/admin/users/invite", {"email": "x@example.test", "name": "X", "role": "admin"}),
    ("/admin/users/{id}/roles", {"role": "admin"}),
    ("/admin/users/{id}/roles/founder/revoke", {}),
    ("/admin/users/{id}/active", {"active": "0"}),
]


@pytest.mark.parametrize("role", ["founder", "mentor", "judge", "manager"])
def test_non_admins_get_403_on_admin_pages(
    app: Flask,
    as_role: Callable[..., tuple[FlaskClient, User]],
    make_user: Callable[..., User],
    role: str,
) -> None:
    client, _me = as_role(role)
    target = make_user(Role.FOUNDER)
    for path in ADMIN_GETS:
        assert client.get(path.format(id=target.id)).status_code == 403, path
    for path, data in ADMIN_POSTS:
        assert client.post(path.format(id=target.id), data=data).status_code == 403, path
    stored = fresh(app, target)
    assert stored.active is True
    assert stored.roles == {Role.FOUNDER}
    assert user_by_email(app, "x@example.test") is None


def test_the_403_page_is_friendly(as_role: Callable[..., tuple[FlaskClient, User]]) -> None:
    client, _me = as_role("founder")
    english(client)
    response = client.get("/admin/users")
    html = html_of(response)
    assert response.status_code == 403
    assert "You do not have permission to see this page." in html
    assert "Traceback" not in html


def test_admin_sees_the_users_menu_and_others_do_not(
    admin_client: tuple[FlaskClient, User], as_role: Callable[..., tuple[FlaskClient, User]]
) -> None:
    admin, _ = admin_client
    assert 'href="/admin/users"' in html_of(admin.get("/"))
    founder, _ = as_role("founder")
    assert 'href="/admin/users"' not in html_of(founder.get("/"))


def test_an_unknown_user_id_is_404(admin_client: tuple[FlaskClient, User]) -> None:
    admin, _ = admin_client
    assert admin.get("/admin/users/987654").status_code == 404
    assert admin.post("/admin/users/987654/active", data={"active": "0"}).status_code == 404
    assert admin.post("/admin/users/987654/roles", data={"role": "judge"}).status_code == 404


# ------------------------------------------------------------ admin: lists


def _row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<td[^>]*><a href="/admin/users/(\d+)">', html)]


def test_users_list_paginates_by_per_page(
    app: Flask, admin_client: tuple[FlaskClient, User], make_user: Callable[..., User]
) -> None:
    admin, me = admin_client
    assert app.config["PER_PAGE"] == 5
    users = [make_user(name=f"User {letter}") for letter in "ABCDEF"]
    by_name = [me.id] + [u.id for u in users]  # "Admin Root" sorts first

    first = html_of(admin.get("/admin/users"))
    assert _row_ids(first) == by_name[:5]
    assert "7 items" in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = html_of(admin.get("/admin/users?page=2"))
    assert _row_ids(second) == by_name[5:]
    assert 'rel="prev"' in second and 'rel="next"' not in second

    assert _row_ids(html_of(admin.get("/admin/users?page=99"))) == by_name[5:]
    for junk in ("abc", "-1", "0", "1.5", "%01"):
        response = admin.get(f"/admin/users?page={junk}")
        assert response.status_code == 200
        assert _row_ids(html_of(response)) == by_name[:5]

    descending = html_of(admin.get("/admin/users?sort=-name"))
    assert _row_ids(descending) == list(reversed(by_name))[:5]
    assert _row_ids(html_of(admin.get("/admin/users?sort=password_hash"))) == by_name[:5]


def test_users_list_search_and_role_filter(
    admin_client: tuple[FlaskClient, User], make_user: Callable[..., User]
) -> None:
    admin, me = admin_client
    an = make_user(Role.FOUNDER, name="Nguyễn Văn An", email="an@biic.test")
    binh = make_user(Role.MENTOR, name="Trần Bình", email="binh@smic.test")
    chi = make_user(Role.MANAGER, center="SMIC", name="Lê Chi", email="chi@smic.test")

    def ids(query: str) -> set[int]:
        response = admin.get(f"/admin/users?{query}")
        assert response.status_code == 200
        return set(_row_ids(html_of(response)))

    assert ids("q=nguy") == {an.id}
    assert ids("q=BÌNH") == {binh.id}
    assert ids("q=smic.test") == {binh.id, chi.id}
    assert ids("q=%20chi%20") == {chi.id}
    assert ids("role=manager") == {chi.id}
    assert ids("role=admin") == {me.id}
    assert ids("q=smic&role=mentor") == {binh.id}
    assert ids("role=nonsense") == {me.id, an.id, binh.id, chi.id}
    empty = html_of(admin.get("/admin/users?q=zzz-nobody"))
    assert _row_ids(empty) == []
    assert "No user matches these filters." in empty
    page = html_of(admin.get("/admin/users?q=smic&role=mentor"))
    assert 'value="smic"' in page
    assert '<option value="mentor" selected>' in page


def test_users_search_with_a_nul_character_is_not_a_500(
    admin_client: tuple[FlaskClient, User],
) -> None:
    admin, _ = admin_client
    assert admin.get("/admin/users?q=a%01b").status_code == 200
    assert admin.get("/admin/users?q=a%00b").status_code == 400  # (refused at the edge)


def _csv_rows(response: Any) -> list[list[str]]:
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_users_csv_export(
    admin_client: tuple[FlaskClient, User], make_user: Callable[..., User]
) -> None:
    admin, _ = admin_client
    make_user(Role.MENTOR, name="Đỗ Thị Hương", email="huong@example.test")
    for index, name in enumerate(("=cmd|' /C calc'!A0", "+SUM(A1)", "-2+3", "@HYPERLINK(x)")):
        make_user(Role.FOUNDER, name=name, email=f"evil{index}@example.test")
    response = admin.get("/admin/users?format=csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith("\ufeff".encode())
    rows = _csv_rows(response)
    assert rows[0] == ["Name", "Email", "Roles", "Active"]
    by_email = {row[1]: row for row in rows[1:]}
    assert len(by_email) == 6  # every user, not just one page
    assert by_email["huong@example.test"][0] == "Đỗ Thị Hương"
    assert by_email["huong@example.test"][2] == "Mentor"
    assert by_email["evil0@example.test"][0] == "'=cmd|' /C calc'!A0"
    assert by_email["evil1@example.test"][0] == "'+SUM(A1)"
    assert by_email["evil2@example.test"][0] == "'-2+3"
    assert by_email["evil3@example.test"][0] == "'@HYPERLINK(x)"
    for row in rows[1:]:
        assert not row[0].startswith(("=", "+", "-", "@"))


def test_users_csv_export_follows_the_filters(
    admin_client: tuple[FlaskClient, User], make_user: Callable[..., User]
) -> None:
    admin, _ = admin_client
    make_user(Role.MENTOR, name="Mentor One", email="m1@example.test")
    make_user(Role.FOUNDER, name="Founder One", email="f1@example.test")
    rows = _csv_rows(admin.get("/admin/users?format=csv&role=mentor"))
    assert [row[1] for row in rows[1:]] == ["m1@example.test"]
    rows = _csv_rows(admin.get("/admin/users?format=csv&q=zzz-nobody"))
    assert rows == [["Name", "Email", "Roles", "Active"]]
    page = html_of(admin.get("/admin/users?role=mentor"))
    assert "format=csv" in page and "role=mentor" in page


# ---------------------------------------------------------- admin: invite


def invite(admin: FlaskClient, **changes: Any) -> Any:
    data = {"email": "new@example.test", "name": "Hồ Xuân Hương", "role": "mentor", "center_id": ""}
    data.update(changes)
    return admin.post("/admin/users/invite", data=data)


def test_invite_page_offers_the_invitable_roles_and_centers(
    admin_client: tuple[FlaskClient, User],
) -> None:
    admin, _ = admin_client
    html = html_of(admin.get("/admin/users/invite"))
    roles = set(
        re.findall(r'<option[^>]*value="(\w+)"', html.split('id="role"')[1].split("</select>")[0])
    )
    assert roles == {"mentor", "judge", "manager", "admin"}
    assert "BIIC" in html and "SMIC" in html


@pytest.mark.parametrize("role", ["mentor", "judge"])
def test_inviting_a_new_person_sends_a_link_to_set_a_password(
    app: Flask, admin_client: tuple[FlaskClient, User], outbox: MemoryTransport, role: str
) -> None:
    admin, _ = admin_client
    response = invite(admin, email="New@Example.test", role=role)
    assert response.status_code == 302
    invited = user_by_email(app, "new@example.test")
    assert invited is not None
    assert location(response) == f"/admin/users/{invited.id}"
    assert invited.roles == {Role(role)}
    assert invited.password_hash is None
    assert "Invitation sent to new@example.test." in flashes(html_of(admin.get(location(response))))

    assert [m["to"] for m in outbox.sent] == ["new@example.test"]
    path, raw = link_in(outbox.sent[0]["body"])
    assert path == "/invitation/"
    guest = app.test_client()
    page = html_of(guest.get(f"/invitation/{raw}"))
    assert "new@example.test" in page
    assert 'name="password"' in page
    done = guest.post(
        f"/invitation/{raw}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert is_logged_in(guest)
    relogin = app.test_client().post(
        "/login", data={"email": "new@example.test", "password": NEW_PASSWORD}
    )
    assert relogin.status_code == 302
    assert location(app.test_client().get(f"/invitation/{raw}")) == "/password/forgot"


def test_an_invitation_link_expires(
    app: Flask, admin_client: tuple[FlaskClient, User], outbox: MemoryTransport
) -> None:
    admin, _ = admin_client
    invite(admin)
    _path, raw = link_in(outbox.sent[0]["body"])
    with app.app_context():
        token = db.session.scalar(select(AccountToken))
        assert token.purpose is TokenPurpose.INVITE
        token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    client = app.test_client()
    assert location(client.get(f"/invitation/{raw}")) == "/password/forgot"
    client.post(f"/invitation/{raw}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert user_by_email(app, "new@example.test").password_hash is None


def test_inviting_an_existing_user_asks_to_confirm_then_gives_the_role(
    app: Flask,
    admin_client: tuple[FlaskClient, User],
    make_user: Callable[..., User],
    outbox: MemoryTransport,
) -> None:
    admin, _ = admin_client
    user = make_user(Role.FOUNDER, email="known@example.test", name="Known")
    # step one: the admin is told the account exists; no role, no email, no "invitation sent"
    response = invite(admin, email="KNOWN@example.test", name="Other Name", role="judge")
    assert response.status_code == 200
    html = html_of(response)
    assert 'id="confirm-grant"' in html
    assert "known@example.test belongs to Known" in html
    assert "Invitation sent" not in html
    assert fresh(app, user).roles == {Role.FOUNDER}
    assert outbox.sent == []
    confirm = html.split('id="confirm-grant"')[1]
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', confirm))
    assert hidden["grant_existing"] == "1"
    assert hidden["role"] == "judge"
    # step two: the confirm button grants
    response = invite(
        admin, email="KNOWN@example.test", name="Other Name", role="judge", grant_existing="1"
    )
    assert location(response) == f"/admin/users/{user.id}"
    page = html_of(admin.get(location(response)))
    assert "known@example.test already had an account: the role Judge is added to it." in flashes(
        page
    )
    stored = fresh(app, user)
    assert stored.roles == {Role.FOUNDER, Role.JUDGE}
    assert stored.name == "Known"
    assert stored.password_hash == user.password_hash
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AccountToken)) == 0
    assert [m["to"] for m in outbox.sent] == ["known@example.test"]
    assert "/invitation/" not in outbox.sent[0]["body"]


def test_inviting_a_manager_needs_a_center_next_to_the_field(
    app: Flask, admin_client: tuple[FlaskClient, User], outbox: MemoryTransport
) -> None:
    admin, _ = admin_client
    response = invite(admin, role="manager", center_id="")
    assert response.status_code == 200
    html = html_of(response)
    assert field_error(html, "center_id") == "Choose the center this manager runs."
    assert user_by_email(app, "new@example.test") is None
    assert outbox.sent == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

    smic = center_id(app, "SMIC")
    response = invite(admin, role="manager", center_id=str(smic))
    assert response.status_code == 302
    assert user_by_email(app, "new@example.test").managed_center_id == smic


def test_inviting_an_existing_manager_for_another_center_is_refused(
    app: Flask, admin_client: tuple[FlaskClient, User], make_user: Callable[..., User]
) -> None:
    admin, _ = admin_client
    manager = make_user(Role.MANAGER, center="BIIC", email="boss@example.test")
    response = invite(
        admin, email="boss@example.test", role="manager", center_id=str(center_id(app, "SMIC"))
    )
    assert response.status_code == 200
    assert field_error(html_of(response), "role") is not None
    assert fresh(app, manager).managed_center_id == center_id(app, "BIIC")


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"email": ""}, {"email"}),
        ({"email": "not an email"}, {"email"}),
        ({"name": ""}, {"name"}),
        ({"role": "founder"}, {"role"}),
        ({"role": "superuser"}, {"role"}),
        ({"role": ""}, {"role"}),
        ({"role": "manager", "center_id": "abc"}, {"center_id"}),
        ({"role": "manager", "center_id": "987654"}, {"center_id"}),
        ({"email": "", "name": "", "role": ""}, {"email", "name", "role"}),
    ],
)
def test_invite_bad_input_gives_messages_next_to_the_fields(
    app: Flask,
    admin_client: tuple[FlaskClient, User],
    outbox: MemoryTransport,
    changes: dict[str, str],
    fields: set[str],
) -> None:
    admin, _ = admin_client
    response = invite(admin, **changes)
    assert response.status_code == 200
    assert errored_fields(html_of(response)) == fields
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
    assert outbox.sent == []


# --------------------------------------------------- admin: roles, active


def test_user_detail_shows_roles_and_actions(
    admin_client: tuple[FlaskClient, User], make_user: Callable[..., User]
) -> None:
    admin, _ = admin_client
    user = make_user(Role.MANAGER, Role.JUDGE, center="SMIC", email="d@example.test")
    html = html_of(admin.get(f"/admin/users/{user.id}"))
    assert "d@example.test" in html
    assert f'action="/admin/users/{user.id}/roles/manager/revoke"' in html
    assert f'action="/admin/users/{user.id}/roles/judge/revoke"' in html
    assert f'action="/admin/users/{user.id}/roles"' in html
    assert f'action="/admin/users/{user.id}/active"' in html


def test_grant_and_revoke_roles(
    app: Flask, admin_client: tuple[FlaskClient, User], make_user: Callable[..., User]
) -> None:
    admin, _ = admin_client
    user = make_user(Role.FOUNDER)
    response = admin.post(f"/admin/users/{user.id}/roles", data={"role": "mentor"})
    assert location(response) == f"/admin/users/{user.id}"
    assert "Role granted." in flashes(html_of(admin.get(location(response))))
    assert fresh(app, user).roles == {Role.FOUNDER, Role.MENTOR}

    response = admin.post(f"/admin/users/{user.id}/roles/founder/revoke")
    assert location(response) == f"/admin/users/{user.id}"
    assert "Role revoked." in flashes(html_of(admin.get(location(response))))
    assert fresh(app, user).roles == {Role.MENTOR}


def test_granting_manager_needs_a_center_and_only_one(
    app: Flask, admin_client: tuple[FlaskClient, User], make_user: Callable[..., User]
) -> None:
    admin, _ = admin_client
    user = make_user(Role.MENTOR)
    url = f"/admin/users/{user.id}/roles"
    admin.post(url, data={"role": "manager", "center_id": ""})
    page = html_of(admin.get(f"/admin/users/{user.id}"))
    assert "Choose the center this manager runs." in flashes(page)
    assert fresh(app, user).roles == {Role.MENTOR}

    biic, smic = center_id(app, "BIIC"), center_id(app, "SMIC")
    admin.post(url, data={"role": "manager", "center_id": str(biic)})
    assert fresh(app, user).managed_center_id == biic
    admin.post(url, data={"role": "manager", "center_id": str(smic)})
    assert any(
        "revoke that role first" in m
        for m in flashes(html_of(admin.get(f"/admin/users/{user.id}")))
    )
    assert fresh(app, user).managed_center_id == biic


@pytest.mark.parametrize(
    "data",
    [{"role": "superuser"}, {"role": ""}, {}, {"role": "manager", "center_id": "abc"}],
)
def test_grant_bad_input_is_flashed_not_a_500(
    app: Flask,
    admin_client: tuple[FlaskClient, User],
    make_user: Callable[..., User],
    data: dict[str, str],
) -> None:
    admin, _ = admin_client
    user = make_user(Role.FOUNDER)
    response = admin.post(f"/admin/users/{user.id}/roles", data=data)
    assert response.status_code == 302
    assert flashes(html_of(admin.get(location(response))))
    assert fresh(app, user).roles == {Role.FOUNDER}


def test_revoke_refusals_are_flashed(
    app: Flask, admin_client: tuple[FlaskClient, User], make_user: Callable[..., User]
) -> None:
    admin, _ = admin_client
    user = make_user(Role.FOUNDER)
    for role, message in (
        ("judge", "This user does not have that role."),
        ("wizard", "Unknown role."),
    ):
        response = admin.post(f"/admin/users/{user.id}/roles/{role}/revoke")
        assert response.status_code == 302
        assert message in flashes(html_of(admin.get(location(response))))
    assert fresh(app, user).roles == {Role.FOUNDER}


def test_an_admin_cannot_remove_their_own_admin_role_or_deactivate_themselves(
    app: Flask, admin_client: tuple[FlaskClient, User]
) -> None:
    admin, me = admin_client
    response = admin.post(f"/admin/users/{me.id}/roles/admin/revoke")
    assert "You cannot remove your own administrator role." in flashes(
        html_of(admin.get(location(response)))
    )
    response = admin.post(f"/admin/users/{me.id}/active", data={"active": "0"})
    assert "You cannot deactivate your own account." in flashes(
        html_of(admin.get(location(response)))
    )
    stored = fresh(app, me)
    assert stored.is_admin and stored.active
    assert admin.get("/admin/users").status_code == 200


def test_deactivate_and_reactivate_a_user(
    app: Flask,
    admin_client: tuple[FlaskClient, User],
    make_user: Callable[..., User],
    make_startup: Callable[..., Any],
    login: Callable[[User], FlaskClient],
) -> None:
    from incubator.startups.models import Startup

    admin, _ = admin_client
    user = make_user(Role.FOUNDER, email="leaver@example.test")
    startup = make_startup(founder=user, name="Nông Nghiệp Xanh")
    their_session = login(user)

    response = admin.post(f"/admin/users/{user.id}/active", data={"active": "0"})
    assert "Account deactivated." in flashes(html_of(admin.get(location(response))))
    assert fresh(app, user).active is False
    # the open session ends and a new login is refused like a wrong password
    assert their_session.get("/account").status_code == 302
    attempt = english(app.test_client()).post(
        "/login", data={"email": "leaver@example.test", "password": PASSWORD}
    )
    assert attempt.status_code == 200
    assert field_error(html_of(attempt), "password") == "The email or the password is not right."
    # their data stays
    with app.app_context():
        kept = db.session.get(Startup, startup.id)
        assert kept is not None and [m.user_id for m in kept.members] == [user.id]
    assert fresh(app, user).roles == {Role.FOUNDER}
    assert "Deactivated" in html_of(admin.get(f"/admin/users/{user.id}"))

    response = admin.post(f"/admin/users/{user.id}/active", data={"active": "1"})
    assert "Account reactivated." in flashes(html_of(admin.get(location(response))))
    assert fresh(app, user).active is True
    assert login(user).get("/account").status_code == 200
