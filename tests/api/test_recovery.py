"""Account recovery ends API tokens: a password reset revokes every token of the account; a
password change offers to (the box is checked by default, the page says how many there are)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from incubator.accounts import links
from incubator.accounts.models import Role, TokenPurpose, User
from incubator.api.models import ApiToken
from incubator.audit import AuditEntry
from tests.accounts.fixtures import PASSWORD
from tests.conftest import app_session

NEW_PASSWORD = "a-fresh-secret-7"


def _live_tokens(app: Flask, user: User) -> int:
    with app_session(app) as session:
        return session.scalar(
            select(func.count())
            .select_from(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        )


def _reset_link(app: Flask, user: User) -> str:
    with app_session(app) as session:
        raw = links.issue_token(session.get(User, user.id), TokenPurpose.RESET, timedelta(hours=1))
        session.commit()
        return raw


def test_a_password_reset_revokes_every_api_token(
    app: Flask, make_user: Any, make_token: Any, api: Any
) -> None:
    user = make_user(Role.FOUNDER)
    other = make_user(Role.FOUNDER)
    clients = [api(user), api(user), api(user)]
    bystander = api(other)
    assert all(c.get("/api/v1/me").status_code == 200 for c in clients)
    raw = _reset_link(app, user)
    response = app.test_client().post(
        f"/password/reset/{raw}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert [c.get("/api/v1/me").status_code for c in clients] == [401, 401, 401]
    assert bystander.get("/api/v1/me").status_code == 200  # only the account's own tokens
    assert _live_tokens(app, user) == 0
    with app_session(app) as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "api.tokens_revoked"))
        assert entry is not None
        assert entry.details["count"] == 3


def test_a_password_change_revokes_the_tokens_when_the_box_is_checked(
    app: Flask, make_user: Any, login: Any, api: Any
) -> None:
    user = make_user(Role.FOUNDER, locale="en")
    token = api(user)
    browser = login(user)
    page = browser.get("/account").get_data(as_text=True)
    box = re.search(r'<input[^>]*name="revoke_tokens"[^>]*>', page)
    assert box is not None
    assert "checked" in box.group(0)  # revoking is the default
    assert "You have 1 API token." in page
    response = browser.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "revoke_tokens": "y",
        },
    )
    assert response.status_code == 302
    assert token.get("/api/v1/me").status_code == 401
    with app_session(app) as session:
        entry = session.scalar(
            select(AuditEntry).where(AuditEntry.action == "user.password_changed")
        )
        assert entry.details["tokens_revoked"] == 1


def test_a_password_change_keeps_the_tokens_when_the_box_is_unchecked(
    app: Flask, make_user: Any, login: Any, api: Any
) -> None:
    user = make_user(Role.FOUNDER, locale="en")
    tokens = [api(user), api(user), api(user)]
    browser = login(user)
    assert "You have 3 API tokens." in browser.get("/account").get_data(as_text=True)
    response = browser.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert [t.get("/api/v1/me").status_code for t in tokens] == [200, 200, 200]
    assert _live_tokens(app, user) == 3


def test_an_account_without_tokens_is_not_asked(make_user: Any, login: Any) -> None:
    browser = login(make_user(Role.FOUNDER, locale="en"))
    assert 'name="revoke_tokens"' not in browser.get("/account").get_data(as_text=True)
