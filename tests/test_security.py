"""Security bars: headers, session cookie, production settings, login throttling,
friendly error pages and password hashing."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

import config
from incubator import create_app
from incubator.accounts.models import Role, ThrottleCounter, User
from incubator.db import db
from incubator.security import public
from tests.accounts.fixtures import PASSWORD

TRACEBACK_MARKERS = ("Traceback", 'File "', "werkzeug.debug", "RuntimeError", "KeyError")


def html_of(response: Any) -> str:
    return response.get_data(as_text=True)


def english(client: FlaskClient) -> FlaskClient:
    client.post("/language", data={"lang": "en", "next": "/"})
    return client


def session_cookie(response: Any, name: str = "session") -> str:
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert cookies, response.headers
    return cookies[-1]


def cookie_flags(cookie: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}


def samesite(cookie: str) -> str | None:
    for part in cookie.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "samesite":
            return value
    return None


def assert_friendly(response: Any, code: int, title: str, text: str) -> None:
    html = html_of(response)
    assert response.status_code == code
    assert response.mimetype == "text/html"
    assert '<article class="error-page">' in html
    assert f"<h1>{title}</h1>" in html
    assert text in html
    assert 'href="/"' in html  # a way back
    for marker in TRACEBACK_MARKERS:
        assert marker not in html


@pytest.fixture
def fresh_app(database_url: str, tmp_path: Any) -> Iterator[Callable[..., Flask]]:
    """Build extra apps on the test database; their engines are closed afterwards."""
    made: list[Flask] = []

    def make(config_name: str | None = "testing", **overrides: Any) -> Flask:
        overrides.setdefault("DATABASE_URL", database_url)
        overrides.setdefault("UPLOAD_DIR", tmp_path / "uploads")
        app = create_app(config_name, **overrides)
        made.append(app)
        return app

    yield make
    for app in made:
        db.engine(app).dispose()


# ------------------------------------------------------------------ headers


@pytest.fixture
def some_responses(
    client: FlaskClient, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> dict[str, Any]:
    admin = login(make_user(Role.ADMIN))
    static = client.get("/static/css/app.css")
    static.close()  # a file response: close it, the headers stay
    return {
        "home": client.get("/"),
        "login page": client.get("/login"),
        "redirect": client.get("/account"),
        "404": client.get("/no-such-page"),
        "405": client.get("/logout"),
        "static": static,
        "health": client.get("/healthz"),
        "post": client.post("/login", data={"email": "x@example.test", "password": "nope"}),
        "csv": admin.get("/admin/users?format=csv"),
        "403": login(make_user(Role.FOUNDER)).get("/admin/users"),
    }


def test_every_response_carries_the_security_headers(some_responses: dict[str, Any]) -> None:
    for name, response in some_responses.items():
        headers = response.headers
        csp = headers.get("Content-Security-Policy", "")
        directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
        assert directives.get("default-src") == "default-src 'self'", (name, csp)
        assert directives.get("frame-ancestors") == "frame-ancestors 'none'", (name, csp)
        assert directives.get("object-src") == "object-src 'none'", (name, csp)
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, (name, csp)
        assert "*" not in csp, (name, csp)
        assert headers.get("X-Content-Type-Options") == "nosniff", name
        assert headers.get("X-Frame-Options") == "DENY", name
        assert headers.get("Referrer-Policy") in (
            "same-origin",
            "strict-origin-when-cross-origin",
            "no-referrer",
            "strict-origin",
        ), name


def test_the_statuses_of_the_sampled_responses(some_responses: dict[str, Any]) -> None:
    """The header check above covers successes, redirects and errors alike."""
    statuses = {name: r.status_code for name, r in some_responses.items()}
    assert statuses == {
        "home": 200,
        "login page": 200,
        "redirect": 302,
        "404": 404,
        "405": 405,
        "static": 200,
        "health": 200,
        "post": 200,
        "csv": 200,
        "403": 403,
    }


def test_pages_need_no_inline_script_or_style(client: FlaskClient) -> None:
    """With a CSP of 'self', inline <script> bodies and style attributes would be blocked."""
    import re

    for path in ("/", "/login", "/register", "/password/forgot"):
        html = html_of(client.get(path))
        for script in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S):
            assert "src=" in script[0] and not script[1].strip(), (path, script)
        assert " style=" not in html, path
        assert " onclick=" not in html.lower(), path


# ---------------------------------------------------------- session cookie


def test_session_cookie_is_httponly_and_samesite_lax(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user(email="c@example.test")
    response = client.post("/login", data={"email": "c@example.test", "password": PASSWORD})
    assert response.status_code == 302
    cookie = session_cookie(response)
    assert "httponly" in cookie_flags(cookie)
    assert samesite(cookie) == "Lax"


def test_cookie_settings_by_configuration() -> None:
    for name in ("development", "testing", "production"):
        cls = config.CONFIGS[name]
        assert cls.SESSION_COOKIE_HTTPONLY is True, name
        assert cls.SESSION_COOKIE_SAMESITE == "Lax", name
    assert config.ProductionConfig.SESSION_COOKIE_SECURE is True
    assert config.ProductionConfig.REMEMBER_COOKIE_SECURE is True
    assert config.Config.SESSION_COOKIE_SECURE is True  # secure unless a config says otherwise
    assert config.DevelopmentConfig.SESSION_COOKIE_SECURE is False


@pytest.fixture
def production_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    secret = f"prod-secret-{uuid.uuid4().hex}"
    monkeypatch.setenv("SECRET_KEY", secret)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BASE_URL", "https://incubator.example.vn")
    monkeypatch.setenv("MAIL_BACKEND", "log")
    # no scheduler thread: it would outlive the test, holding a connection of the app's engine
    monkeypatch.setenv("SCHEDULER_ENABLED", "0")
    return secret


def test_production_session_cookie_is_secure(
    production_env: str, fresh_app: Callable[..., Flask]
) -> None:
    app = fresh_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert not app.testing and not app.debug
    assert app.config.get("WTF_CSRF_ENABLED", True) is True
    # the login page puts the CSRF token in the session, so it sets the cookie
    response = app.test_client().get("/login", base_url="https://localhost")
    assert response.status_code == 200
    cookie = session_cookie(response)
    assert {"secure", "httponly"} <= cookie_flags(cookie)
    assert samesite(cookie) == "Lax"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "missing", [("SECRET_KEY",), ("DATABASE_URL",), ("SECRET_KEY", "DATABASE_URL")]
)
def test_production_refuses_to_start_without_its_settings(
    monkeypatch: pytest.MonkeyPatch, database_url: str, missing: tuple[str, ...]
) -> None:
    monkeypatch.setenv("SECRET_KEY", "s" * 32)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BASE_URL", "https://incubator.example.vn")
    monkeypatch.setenv("MAIL_BACKEND", "log")
    for name in missing:
        monkeypatch.delenv(name)
    with pytest.raises(RuntimeError) as refused:
        create_app("production")
    for name in missing:
        assert name in str(refused.value)


def test_production_refuses_an_empty_secret_key(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv("SECRET_KEY", "")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BASE_URL", "https://incubator.example.vn")
    monkeypatch.setenv("MAIL_BACKEND", "log")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


def test_production_uses_the_secret_key_from_the_environment(
    production_env: str, fresh_app: Callable[..., Flask], database_url: str
) -> None:
    app = fresh_app("production")
    assert app.config["SECRET_KEY"] == production_env
    assert app.config["SECRET_KEY"] != "dev-only-not-secret"


# ------------------------------------------------- production by default


def test_without_incubator_config_the_app_runs_in_production(
    monkeypatch: pytest.MonkeyPatch, production_env: str, fresh_app: Callable[..., Flask]
) -> None:
    """`gunicorn 'incubator:create_app()'` with nothing else set is production."""
    monkeypatch.delenv("INCUBATOR_CONFIG", raising=False)
    app = fresh_app(None)
    assert not app.debug and not app.testing
    assert app.config["SECRET_KEY"] == production_env
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["HSTS_SECONDS"] >= 365 * 24 * 3600
    monkeypatch.delenv("SECRET_KEY")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_make_run_asks_for_the_development_config() -> None:
    from pathlib import Path

    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    flask = next(line for line in makefile.splitlines() if line.startswith("FLASK :="))
    assert "INCUBATOR_CONFIG=development" in flask
    run = makefile.split("\nrun:")[1].split("\n\n")[0]
    assert "$(FLASK) run" in run


def test_production_sends_hsts(production_env: str, fresh_app: Callable[..., Flask]) -> None:
    app = fresh_app("production")
    response = app.test_client().get("/login", base_url="https://localhost")
    hsts = response.headers.get("Strict-Transport-Security", "")
    assert hsts.startswith("max-age=")
    assert int(hsts.split("=")[1].split(";")[0]) >= 365 * 24 * 3600
    for name in ("development", "testing"):
        other = fresh_app(name).test_client().get("/login")
        assert "Strict-Transport-Security" not in other.headers, name


def test_static_files_are_linked_by_version_and_kept_in_production(
    production_env: str, fresh_app: Callable[..., Flask]
) -> None:
    import re

    client = fresh_app("production").test_client()
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    link = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{10})"', page)
    assert link is not None
    css = client.get(link.group(1), base_url="https://localhost")
    assert css.status_code == 200
    assert "max-age=31536000" in css.headers["Cache-Control"]
    css.close()


def test_pages_for_a_logged_in_user_are_not_stored(
    client: FlaskClient, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    anonymous = client.get("/")
    assert "no-store" not in anonymous.headers.get("Cache-Control", "")
    admin = login(make_user(Role.ADMIN))
    for path in ("/", "/account", "/admin/users", "/admin/users?format=csv", "/no-such-page"):
        response = admin.get(path)
        assert response.headers.get("Cache-Control") == "no-store", path
    static = admin.get("/static/css/app.css")
    static.close()
    assert "no-store" not in static.headers.get("Cache-Control", "")


# ------------------------------------------------------------- throttling


def test_login_is_throttled_after_repeated_failures(
    app: Flask, make_user: Callable[..., User]
) -> None:
    make_user(email="target@example.test")
    client = english(app.test_client())
    limit = app.config["LOGIN_MAX_FAILURES"]
    assert limit == 5
    for _ in range(limit):
        response = client.post("/login", data={"email": "target@example.test", "password": "guess"})
        assert response.status_code == 200
    response = client.post("/login", data={"email": "target@example.test", "password": PASSWORD})
    assert_friendly(
        response,
        429,
        "Too many attempts",
        "Too many failed attempts. Please wait a few minutes and try again.",
    )
    assert client.get("/account").status_code == 302  # not logged in
    with app.app_context():
        counted = db.session.scalar(
            select(func.sum(ThrottleCounter.count)).where(ThrottleCounter.scope == "login-pair")
        )
    assert counted == limit


def test_throttling_also_applies_to_unknown_emails(app: Flask) -> None:
    """The same answer whether the account exists or not."""
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/login", data={"email": "ghost@example.test", "password": "guess"})
    assert (
        client.post("/login", data={"email": "ghost@example.test", "password": "guess"}).status_code
        == 429
    )


def test_throttling_one_email_does_not_lock_out_another(
    app: Flask, make_user: Callable[..., User]
) -> None:
    make_user(email="target@example.test")
    make_user(email="bystander@example.test")
    client = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1):
        client.post("/login", data={"email": "target@example.test", "password": "guess"})
    response = client.post("/login", data={"email": "bystander@example.test", "password": PASSWORD})
    assert response.status_code == 302


def test_login_is_throttled_per_address(app: Flask, make_user: Callable[..., User]) -> None:
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 4
    make_user(email="target@example.test")
    client = app.test_client()
    for number in range(4):
        client.post("/login", data={"email": f"probe{number}@example.test", "password": "x"})
    blocked = client.post("/login", data={"email": "target@example.test", "password": PASSWORD})
    assert blocked.status_code == 429
    elsewhere = app.test_client().post(
        "/login",
        data={"email": "target@example.test", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.200"},
    )
    assert elsewhere.status_code == 302


# ------------------------------------------------------------- error pages


def test_404_is_friendly(client: FlaskClient) -> None:
    english(client)
    assert_friendly(
        client.get("/no/such/page"),
        404,
        "Page not found",
        "The page you asked for does not exist or was moved.",
    )


def test_404_is_in_vietnamese_by_default(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert '<html lang="vi">' in html_of(response)
    assert '<article class="error-page">' in html_of(response)


def test_405_is_friendly(client: FlaskClient) -> None:
    english(client)
    assert_friendly(
        client.get("/logout"), 405, "Method not allowed", "This page cannot be used this way."
    )
    assert_friendly(
        client.delete("/login"), 405, "Method not allowed", "This page cannot be used this way."
    )


def test_413_is_friendly_at_the_configured_limit(client: FlaskClient, app: Flask) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit >= app.config["PITCH_DECK_MAX_BYTES"]
    english(client)
    response = client.post(
        "/login",
        data=b"email=" + b"x" * limit,
        content_type="application/x-www-form-urlencoded",
    )
    assert_friendly(
        response,
        413,
        "File too large",
        "The file you sent is larger than allowed (at most 20 MB).",
    )


def test_413_with_a_small_limit(fresh_app: Callable[..., Flask]) -> None:
    app = fresh_app(MAX_CONTENT_LENGTH=1024)
    client = english(app.test_client())
    small = client.post("/register", data={"name": "x" * 100})
    assert small.status_code == 200
    big = client.post("/register", data={"name": "x" * 5000})
    assert big.status_code == 413
    assert '<article class="error-page">' in html_of(big)
    for marker in TRACEBACK_MARKERS:
        assert marker not in html_of(big)


def test_500_is_friendly_and_leaks_nothing(
    fresh_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    app = fresh_app()

    @app.get("/explode")
    @public
    def explode() -> str:
        raise RuntimeError("secret-internal-detail at /srv/incubator/db.py")

    client = app.test_client()
    response = client.get("/explode", headers={"Accept-Language": "en"})
    assert_friendly(
        response,
        500,
        "Something went wrong",
        "An unexpected error happened. It was logged; please try again later.",
    )
    html = html_of(response)
    assert "secret-internal-detail" not in html
    assert "/srv/incubator" not in html
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # it was logged for the developers
    assert any("/explode" in record.getMessage() for record in caplog.records)
    assert any(record.exc_info for record in caplog.records)


def test_500_in_production_is_friendly(
    production_env: str, fresh_app: Callable[..., Flask]
) -> None:
    app = fresh_app("production", WTF_CSRF_ENABLED=False)

    @app.get("/explode")
    @public
    def explode() -> str:
        raise KeyError("secret-internal-detail")

    response = app.test_client().get(
        "/explode", headers={"Accept-Language": "en"}, base_url="https://localhost"
    )
    assert_friendly(
        response,
        500,
        "Something went wrong",
        "An unexpected error happened. It was logged; please try again later.",
    )
    assert "secret-internal-detail" not in html_of(response)


# ---------------------------------------------------------------- hashing


def test_default_password_hash_is_scrypt_outside_tests() -> None:
    assert config.Config.PASSWORD_HASH_METHOD.startswith("scrypt")
    for name, cls in config.CONFIGS.items():
        if name != "testing":
            assert cls.PASSWORD_HASH_METHOD.startswith("scrypt"), name


def test_hash_password_uses_scrypt_under_a_non_testing_config(
    fresh_app: Callable[..., Flask],
) -> None:
    from incubator.accounts.passwords import hash_password

    app = fresh_app("development")
    with app.app_context():
        hashed = hash_password(PASSWORD)
    assert hashed.startswith("scrypt:")
    assert PASSWORD not in hashed
    assert check_password_hash(hashed, PASSWORD)
    assert not check_password_hash(hashed, PASSWORD + "x")
    with app.app_context():
        assert hash_password(PASSWORD) != hashed  # salted


def test_a_scrypt_hash_logs_in_under_the_test_config(
    app: Flask, fresh_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    """Hashes made in production keep working whatever the configured method."""
    from incubator.accounts.passwords import hash_password

    user = make_user(email="scrypt@example.test")
    with fresh_app("development").app_context():
        hashed = hash_password(PASSWORD)
    with app.app_context():
        db.session.get(User, user.id).password_hash = hashed
        db.session.commit()
    response = app.test_client().post(
        "/login", data={"email": "scrypt@example.test", "password": PASSWORD}
    )
    assert response.status_code == 302
