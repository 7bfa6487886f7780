"""Every route declares who may call it; every state-changing route needs a CSRF token."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter

from incubator import create_app
from incubator.security import access_of, public

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def _example_url(rule: Any) -> str:
    """The rule's path with 1 for every integer part and "x" for every other part."""
    values = dict(rule.defaults or {})
    for argument in rule.arguments - values.keys():
        converter = rule._converters[argument]
        values[argument] = 1 if isinstance(converter, IntegerConverter) else "x"
    return rule.build(values)[1]


def test_every_route_declares_its_access(app: Flask) -> None:
    undeclared = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if access_of(app.view_functions[rule.endpoint]) is None
    ]
    assert undeclared == []


def test_a_route_that_declares_nothing_is_closed(database_url: str) -> None:
    app = create_app("testing", DATABASE_URL=database_url)

    @app.get("/forgotten")
    def forgotten() -> str:
        return "should never be served"

    @app.get("/declared")
    @public
    def declared() -> str:
        return "fine"

    client = app.test_client()
    assert client.get("/forgotten").status_code == 403
    assert client.get("/declared").data == b"fine"


def _state_changing_rules(app: Flask) -> list[Any]:
    return [r for r in app.url_map.iter_rules() if r.methods & STATE_CHANGING]


def _login_with_csrf(client: Any, email: str, password: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302


@pytest.fixture
def csrf_app(database_url: str, tmp_path: Any) -> Any:
    from tests.conftest import _empty_tables

    app = create_app(
        "testing", DATABASE_URL=database_url, WTF_CSRF_ENABLED=True, UPLOAD_DIR=tmp_path
    )
    yield app
    _empty_tables(app)
    from incubator.db import db

    db.engine(app).dispose()


def test_there_are_state_changing_routes_to_check(csrf_app: Flask) -> None:
    assert len(_state_changing_rules(csrf_app)) >= 20


@pytest.mark.parametrize("logged_in_as_admin", [False, True])
def test_every_state_changing_route_refuses_a_post_without_csrf_token(
    csrf_app: Flask, logged_in_as_admin: bool
) -> None:
    from incubator.accounts.models import Role, RoleGrant, User
    from incubator.accounts.passwords import hash_password
    from incubator.db import db

    client = csrf_app.test_client()
    if logged_in_as_admin:
        with csrf_app.app_context():
            user = User(
                email="root@example.test", name="Root", password_hash=hash_password("pw-123456")
            )
            user.grants.append(RoleGrant(role=Role.ADMIN))
            db.session.add(user)
            db.session.commit()
        _login_with_csrf(client, "root@example.test", "pw-123456")
    refused = {}
    for rule in _state_changing_rules(csrf_app):
        url = _example_url(rule)
        if rule.rule.startswith("/api/v1/"):
            # the API takes no CSRF token: a bearer token, and never the session cookie
            method = sorted(rule.methods & STATE_CHANGING)[0]
            response = client.open(url, method=method, data={"anything": "1"})
            refused[rule.rule] = 400 if response.status_code == 401 else response.status_code
            continue
        response = client.post(url, data={"anything": "1"})
        refused[rule.rule] = response.status_code
        if response.status_code == 400:
            assert 'class="error-page"' in response.get_data(as_text=True)
    assert {rule: code for rule, code in refused.items() if code != 400} == {}


def test_every_form_on_the_pages_carries_a_csrf_token(
    csrf_app: Flask, make_program: Any, make_application: Any
) -> None:
    """Every <form method=post> rendered on a page has the hidden token."""
    from incubator.accounts.models import Role, RoleGrant, User
    from incubator.accounts.passwords import hash_password
    from incubator.db import db

    with csrf_app.app_context():
        admin = User(
            email="root@example.test", name="Root", password_hash=hash_password("pw-123456")
        )
        admin.grants.extend(RoleGrant(role=r) for r in (Role.ADMIN, Role.FOUNDER, Role.MENTOR))
        db.session.add(admin)
        db.session.commit()
    client = csrf_app.test_client()
    _login_with_csrf(client, "root@example.test", "pw-123456")
    pages = [
        "/",
        "/account",
        "/admin/users",
        "/admin/users/invite",
        f"/admin/users/{admin.id}",
        "/startups/new",
        "/manage/programs/new",
    ]
    forms_seen = 0
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", html, flags=re.S):
            forms_seen += 1
            assert 'name="csrf_token"' in form, (path, form[:300])
    for path in ("/login", "/register", "/password/forgot"):
        html = csrf_app.test_client().get(path).get_data(as_text=True)
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", html, flags=re.S):
            forms_seen += 1
            assert 'name="csrf_token"' in form, (path, form[:300])
    assert forms_seen >= 15
