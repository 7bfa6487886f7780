"""Login manager, server-side sessions, the access every route declares, and security headers.

Each view function carries an `access` rule set by one of the decorators below;
a request to a view without one is refused, and a test walks `app.url_map` so
that no route can be added without declaring who may call it.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from incubator.accounts.models import Role, User, UserSession
from incubator.db import db, utcnow
from incubator.pagecache import UNTRACKED

log = logging.getLogger(__name__)

login_manager = LoginManager()
login_manager.session_protection = "strong"
login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.login_message_category = "info"

View = TypeVar("View", bound=Callable[..., Any])


class Access:
    """Who may call a view: everyone, any logged-in user, or holders of some roles."""

    def __init__(self, roles: frozenset[Role] | None, login: bool) -> None:
        self.roles = roles
        self.login = login

    def allows(self, user: Any) -> bool:
        if not self.login:
            return True
        if not user.is_authenticated:
            return False
        return self.roles is None or user.has_role(*self.roles)


def _declare(access: Access) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        view.access = access  # type: ignore[attr-defined]
        return view

    return decorate


public = _declare(Access(None, login=False))
logged_in = _declare(Access(None, login=True))


def roles(*allowed: Role) -> Callable[[View], View]:
    """Holders of any of `allowed`; admins are let through everywhere."""
    granted = frozenset(allowed) | {Role.ADMIN}
    return _declare(Access(granted, login=True))


def access_of(view: Callable[..., Any]) -> Access | None:
    return getattr(view, "access", None)


def _check_access() -> Any:
    if request.endpoint is None:
        return None  # 404 or 405 follow
    view = current_app.view_functions[request.endpoint]
    access = access_of(view)
    if access is None:
        abort(403)  # an undeclared route is closed
    if access.allows(current_user):
        return None
    if not current_user.is_authenticated:
        flash(login_manager.login_message, "info")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    abort(403)


# ---------------------------------------------------------------- sessions

SESSION_KEY = "sid"


# What a browser's cookie session keeps across a login: its choice of language. Everything
# else starts over, the forms' CSRF token above all: nothing planted in or read from the
# session before the login (session fixation) is worth anything after it.
KEPT_AT_LOGIN = ("lang",)


def sign_in(user: User, token: str) -> None:
    """Log the browser in with the session token a service recorded for it, in a new cookie
    session (a new CSRF token too)."""
    kept = {key: session[key] for key in KEPT_AT_LOGIN if key in session}
    session.clear()
    session.update(kept)
    g.pop("csrf_token", None)  # Flask-WTF's copy for this request
    login_user(user)
    session[SESSION_KEY] = token


def sign_out() -> None:
    logout_user()
    session.pop(SESSION_KEY, None)


def current_session() -> UserSession | None:
    """The server-side record of this browser's session (None when logged out)."""
    return g.get("user_session") if current_user.is_authenticated else None


@functools.cache
def _live_session_query() -> Select:
    """A session row that is neither revoked nor idle, with its active user and their roles
    (built once: building the statement cost as much as running it)."""
    return (
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .options(joinedload(User.grants))
        .where(
            UserSession.id == bindparam("session_id"),
            UserSession.user_id == bindparam("user_id"),
            UserSession.revoked_at.is_(None),
            UserSession.last_seen_at > bindparam("since"),
            User.active.is_(True),
        )
    )


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """The cookie's user, only while its session row is live: one indexed query on every
    request, grants included. Nothing about a login is kept between requests, so a session
    revoked, a user deactivated or a role removed counts from the next request, whatever made
    the change (the app, another instance, or SQL typed by hand)."""
    raw = session.get(SESSION_KEY)
    if not isinstance(raw, str) or not raw or not user_id.isdigit():
        return None
    now = utcnow()
    idle = timedelta(days=current_app.config["SESSION_IDLE_DAYS"])
    row = (
        db.session.execute(
            _live_session_query(),
            {
                "session_id": hashlib.sha256(raw.encode()).hexdigest(),
                "user_id": int(user_id),
                "since": now - idle,
            },
        )
        .unique()
        .first()
    )
    if row is None:
        return None
    user_session, user = row
    g.user_session = user_session
    _touch(user_session, now)
    return user


def _touch(user_session: UserSession, now: Any) -> bool:
    """Note the time of the last request, at most once a minute (not a write per request);
    True when noted now.

    Written on a connection of its own and committed at once, except on SQLite in a
    writing request: that request already holds the database's write lock, so the
    time is saved with its own change (and not at all if it changes nothing). The note is
    bookkeeping: it moves no cached page's version.
    """
    every = timedelta(seconds=current_app.config["SESSION_TOUCH_SECONDS"])
    if now - user_session.last_seen_at < every:
        return False
    engine = db.engine()
    if engine.dialect.name == "sqlite" and request.method not in ("GET", "HEAD", "OPTIONS"):
        user_session.last_seen_at = now
        return True
    try:
        with engine.begin() as connection:
            connection.execute(
                update(UserSession)
                .where(UserSession.id == user_session.id)
                .values(last_seen_at=now)
                .execution_options(**{UNTRACKED: True})
            )
    except SQLAlchemyError:  # only a time on a list: never an error page for it
        log.warning("could not note the last request of a session", exc_info=True)
        return False
    return True


CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

# A PDF opened in the browser: Chrome's viewer embeds the file in a page of its own with
# inline styles; nothing else may load, and no other site may frame it.
PDF_CSP = (
    "default-src 'none'; object-src 'self'; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


# Pages that show an account's email without a login: kept out of caches too.
PRIVATE_PUBLIC_PAGES = frozenset({"accounts.set_password", "accounts.confirm_email"})


def _security_headers(response: Any) -> Any:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    hsts = current_app.config.get("HSTS_SECONDS")
    if hsts:
        response.headers.setdefault(
            "Strict-Transport-Security", f"max-age={int(hsts)}; includeSubDomains"
        )
    if request.endpoint != "static" and (
        request.endpoint in PRIVATE_PUBLIC_PAGES or current_user.is_authenticated
    ):
        # personal data: no browser or proxy keeps a copy (the back button after logout)
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.before_request(_check_access)
    app.after_request(_security_headers)
    public(app.view_functions["static"])
