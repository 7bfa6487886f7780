"""Tokens: made on the account page (shown once) or by the CLI, stored hashed, revoked,
expired, stopped with their user; the error format of auth failures; rate limits."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select, update

from incubator.accounts.models import Role, User
from incubator.api.models import ApiToken
from incubator.db import db, utcnow
from tests.api.fixtures import error_code
from tests.conftest import app_session


def test_no_token_bad_token_and_a_bad_scheme_are_401(app: Flask, make_user: Any, api: Any) -> None:
    client = app.test_client()
    for headers in ({}, {"Authorization": "Bearer inc_nope"}, {"Authorization": "Basic abc"}):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert error_code(response) in {"unauthorized", "invalid_token"}


def test_a_browser_session_is_not_enough(login: Any, make_user: Any) -> None:
    client = login(make_user(Role.FOUNDER))
    assert client.get("/api/v1/me").status_code == 401


def test_the_token_page_shows_it_once_and_stores_a_hash(
    app: Flask, login: Any, make_user: Any
) -> None:
    user = make_user(Role.FOUNDER)
    client = login(user)
    page = client.post("/account/tokens", data={"token_name": "Cổng khởi nghiệp", "expires_on": ""})
    assert page.status_code == 200
    secret = re.search(r'<code id="new-token">([^<]+)</code>', page.get_data(as_text=True))[1]
    with app.app_context():
        token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
        assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in (token.prefix + "x")
    me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.get_json()["id"] == user.id
    account = client.get("/account").get_data(as_text=True)
    assert "Cổng khởi nghiệp" in account and secret not in account
    revoked = client.post(f"/account/tokens/{token.id}/revoke")
    assert revoked.status_code == 302
    again = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert again.status_code == 401


def test_someone_elses_token_cannot_be_revoked(
    app: Flask, login: Any, make_user: Any, make_token: Any
) -> None:
    owner = make_user(Role.FOUNDER)
    make_token(owner)
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    client = login(make_user(Role.FOUNDER))
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 404


def test_a_deactivated_users_token_stops_at_once(app: Flask, make_user: Any, api: Any) -> None:
    user = make_user(Role.FOUNDER)
    client = api(user)
    assert client.get("/api/v1/me").status_code == 200
    with app_session(app) as session:
        session.execute(update(User).where(User.id == user.id).values(active=False))
        session.commit()
    assert client.get("/api/v1/me").status_code == 401


def test_an_expired_token_is_refused(app: Flask, make_user: Any, api: Any) -> None:
    client = api(make_user(Role.FOUNDER))
    with app_session(app) as session:
        session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(minutes=1)))
        session.commit()
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert error_code(response) == "invalid_token"


def test_last_use_is_noted(app: Flask, make_user: Any, api: Any) -> None:
    client = api(make_user(Role.FOUNDER))
    client.get("/api/v1/me")
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) is not None


def test_create_token_prints_the_token_alone(app: Flask, make_user: Any) -> None:
    user = make_user(Role.MANAGER, center="BIIC")
    result = app.test_cli_runner().invoke(args=["create-token", user.email, "--name", "IOC"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    assert "\n" not in secret and secret.startswith("inc_")
    me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.get_json()["roles"] == [{"role": "manager", "center": "BIIC"}]
    unknown = app.test_cli_runner().invoke(args=["create-token", "nobody@example.test"])
    assert unknown.exit_code == 1


def test_messages_follow_accept_language(app: Flask) -> None:
    client = app.test_client()
    english = client.get("/api/v1/me", headers={"Accept-Language": "en"}).get_json()
    vietnamese = client.get("/api/v1/me", headers={"Accept-Language": "vi"}).get_json()
    assert english["error"]["message"] != vietnamese["error"]["message"]


def test_requests_are_limited_per_token(app: Flask, make_user: Any, api: Any) -> None:
    app.config["API_RATE_LIMIT"] = "3 per minute"
    client = api(make_user(Role.FOUNDER))
    other = api(make_user(Role.FOUNDER))
    statuses = [client.get("/api/v1/me").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/me")
    assert error_code(limited) == "too_many_requests"
    assert int(limited.headers["Retry-After"]) > 0
    assert other.get("/api/v1/me").status_code == 200


def test_unknown_routes_and_methods_answer_in_the_format(
    app: Flask, make_user: Any, api: Any
) -> None:
    client = api(make_user(Role.FOUNDER))
    assert error_code(client.get("/api/v1/nothing")) == "not_found"
    assert error_code(client.delete("/api/v1/me")) == "method_not_allowed"


def test_the_document_is_openapi_3_1(app: Flask) -> None:
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert "/api/v1/bookings" in document["paths"]
    schemas = document["components"]["schemas"]
    sector = next(schema for name, schema in schemas.items() if name.endswith("Sector"))
    assert "agritech" in sector["enum"]  # the fixed sector codes, as an enum
    docs = app.test_client().get("/api/docs")
    assert docs.status_code == 200 and b"swagger-ui-bundle.js" in docs.data


def test_every_app_gets_the_whole_document(app: Flask, database_url: str) -> None:
    from incubator import create_app

    first = app.test_client().get("/api/v1/openapi.json").get_json()
    other = create_app("testing", DATABASE_URL=database_url)
    try:
        second = other.test_client().get("/api/v1/openapi.json").get_json()
    finally:
        db.engine(other).dispose()
    assert second["components"]["schemas"].keys() == first["components"]["schemas"].keys()
    assert second == first


def test_cors_is_off_unless_the_origin_is_allowed(app: Flask, make_user: Any, api: Any) -> None:
    client = api(make_user(Role.FOUNDER))
    origin = {"Origin": "https://ioc.binhduong.gov.vn"}
    assert "Access-Control-Allow-Origin" not in client.get("/api/v1/me", headers=origin).headers
    app.config["API_CORS_ORIGINS"] = ("https://ioc.binhduong.gov.vn",)
    preflight = app.test_client().options("/api/v1/me", headers=origin)
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == origin["Origin"]
    answer = client.get("/api/v1/me", headers=origin)
    assert answer.headers["Access-Control-Allow-Origin"] == origin["Origin"]
