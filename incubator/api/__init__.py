"""JSON API v1: token authentication, the error format, the OpenAPI document and its
viewer, rate limits, webhooks. Later domains add their resources (`<domain>/api.py`,
registered with `incubator.api.core.register` from their `init_app`)."""

from __future__ import annotations

import hashlib
import sys
from datetime import timedelta
from typing import Any

import click
from flask import Flask, current_app, g, request
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import AnonymousUserMixin

from incubator.api.core import PREFIX, SAFE_METHODS, ApiError, error_json

# (config.py sets them; these keep an app made from another config object working)
DEFAULTS = {
    "API_RATE_LIMIT": "120 per minute",
    "API_RATE_LIMIT_ENABLED": True,
    "API_CORS_ORIGINS": (),
    "WEBHOOK_ALLOW_PRIVATE": False,
    "WEBHOOK_ALLOWED_NETWORKS": "",
    "WEBHOOK_DISABLE_AFTER_HOURS": 24,
}


def init_app(app: Flask) -> None:
    from incubator import signals
    from incubator.accounts.models import Role
    from incubator.api import idempotency, resources, tokens, views
    from incubator.api.core import register
    from incubator.domains import MenuEntry, Schedule, Section, contribute

    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    register(app, resources.bp)
    signals.backup_restored.connect(tokens.end_tokens_after)
    app.register_blueprint(resources.docs)
    app.register_blueprint(views.bp)
    contribute(
        app,
        Section("accounts.account", "api/section_account.html", views.account_section, 30),
        MenuEntry(
            _l("Webhooks"), "api_web.webhook_list", order=90, roles=frozenset({Role.MANAGER})
        ),
        Schedule("webhooks", "incubator.api:deliver_job", timedelta(minutes=1)),
        Schedule("open-data", "incubator.api:open_data_job", timedelta(hours=1)),
        Schedule("idempotency-keys", "incubator.api:idempotency_sweep_job", timedelta(hours=1)),
    )
    from incubator import outbox
    from incubator.api.webhooks import OUTBOX

    outbox.register(app, OUTBOX)  # swept with the mail outbox (outbox.sweep)
    app.before_request(_authenticate)
    app.after_request(_api_headers)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(RateLimitExceeded, _rate_limited)
    app.extensions["api_limiter"] = Limiter(
        _limit_key,
        app=app,
        default_limits=[lambda: current_app.config["API_RATE_LIMIT"]],
        default_limits_exempt_when=lambda: not request.path.startswith(PREFIX + "/"),
        headers_enabled=True,
        storage_uri=(
            app.config.get("RATELIMIT_STORAGE_URI") or app.config.get("REDIS_URL") or "memory://"
        ),
        key_prefix="api",
        enabled=app.config["API_RATE_LIMIT_ENABLED"],
        # Redis down: count in this process (one warning), never a 500 for the limiter's store;
        # a Redis that does not answer holds a request at most a second
        in_memory_fallback_enabled=True,
        swallow_errors=True,
        storage_options={"socket_connect_timeout": 1, "socket_timeout": 1},
    )
    # the web pages are not limited: skip the limiter's work for them at once
    app.extensions["api_limiter"].request_filter(lambda: not _is_api())
    idempotency.init_app(app)  # (after the token and the rate limit)
    app.cli.add_command(create_token)
    signals.credentials_revoked.connect(tokens.revoke_all)
    signals.credentials_count.connect(tokens.live_token_count)
    app.cli.add_command(refresh_open_data)


def _is_api() -> bool:
    return request.path.startswith(PREFIX + "/")


def _limit_key() -> str:
    """Per token (its hash), or per address without one."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer " and header[7:].strip():
        return "t:" + hashlib.sha256(header[7:].strip().encode()).hexdigest()
    return "ip:" + (get_remote_address() or "")


def _authenticate() -> Any:
    """For /api/v1/: the caller is the token's user, never the browser's session (a
    cookie would let other sites call the API without CSRF tokens)."""
    if not _is_api():
        return None
    if request.method == "OPTIONS":  # a browser's CORS preflight: no token is sent with it
        return current_app.response_class(status=204)
    from incubator.api import tokens
    from incubator.security import access_of

    g._login_user = AnonymousUserMixin()
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _sep, raw = header.partition(" ")
        found = tokens.authenticate(raw.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            raise ApiError(401, "invalid_token", _("This token is not valid, expired or revoked."))
        token, user = found
        g._login_user = user
        g.api_token = token
        if token.read_only and request.method not in SAFE_METHODS:
            raise ApiError(403, "read_only_token", _("This token may only read."))
    if request.endpoint is None:
        return None
    access = access_of(current_app.view_functions[request.endpoint])
    if access is not None and access.login and not header:
        raise ApiError(401, "unauthorized", _("Send a valid token: Authorization: Bearer <token>."))
    sent = request.mimetype == "application/json" and request.get_data(cache=True)
    if sent and request.get_json(silent=True) is None:
        raise ApiError(400, "bad_request", _("The body is not valid JSON."))
    return None


def _api_headers(response: Any) -> Any:
    if not _is_api():
        return response
    origins = current_app.config["API_CORS_ORIGINS"]
    origin = request.headers.get("Origin")
    if origin and origin in origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Headers"] = (
            "Authorization, Content-Type, Accept-Language, Idempotency-Key"
        )
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE"
        response.headers["Access-Control-Expose-Headers"] = "ETag, Retry-After"
        response.headers["Vary"] = "Origin"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _api_error(error: ApiError) -> Any:
    return error_json(error)


def _rate_limited(error: RateLimitExceeded) -> Any:
    if not _is_api():
        return error.get_response()
    body, status = error_json(
        ApiError(429, "too_many_requests", _("Too many requests. Please wait and try again."))
    )
    return body, status


def deliver_job() -> None:
    """The scheduled delivery of webhooks (runs in an app context)."""
    from incubator.api.webhooks import deliver_webhooks

    deliver_webhooks()


def idempotency_sweep_job() -> None:
    """The scheduled removal of idempotency keys older than a day."""
    from incubator.api.idempotency import sweep
    from incubator.db import run

    run(sweep)


def open_data_job() -> None:
    """The scheduled refresh of the open data's figures (this month and the last)."""
    from incubator.api.stats import refresh_open_data as refresh

    refresh()


@click.command("refresh-open-data")
@click.option("--since", default="", help="First month to compute (YYYY-MM); default: last.")
@with_appcontext
def refresh_open_data(since: str) -> None:
    """Compute the open data's monthly figures (every center), e.g. after an import."""
    from datetime import date

    from incubator.api import stats
    from incubator.db import db, utcnow
    from incubator.i18n import LOCAL_TZ

    if not since:
        click.echo(f"{stats.refresh_open_data()} months computed.")
        return
    try:
        month = date.fromisoformat(since + "-01")
    except ValueError:
        click.echo("--since is YYYY-MM", err=True)
        sys.exit(1)
    today = utcnow().astimezone(LOCAL_TZ).date()
    count = 0
    while month <= today:
        for center in stats.all_center_ids():
            with db.transaction():
                stats.store_month(center, month)
            count += 1
        month = stats.next_month(month)
    click.echo(f"{count} months computed.")


@click.command("create-token")
@click.argument("email")
@click.option("--name", default="cli", help="A name to recognize the token by.")
@with_appcontext
def create_token(email: str, name: str) -> None:
    """Make an API token for EMAIL and print it alone (shown once)."""
    from incubator.api.tokens import token_for_cli
    from incubator.db import run
    from incubator.errors import DomainError

    try:
        new = run(token_for_cli, email, name)
    except DomainError as error:
        click.echo(error.message, err=True)
        sys.exit(1)
    click.echo(new.secret)
