"""Login manager, the access every route declares, and security headers.

Each view function carries an `access` rule set by one of the decorators below;
a request to a view without one is refused, and a test walks `app.url_map` so
that no route can be added without declaring who may call it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user

from incubator.accounts.models import Role, User
from incubator.db import db

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
    from flask import current_app

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


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


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


def _security_headers(response: Any) -> Any:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.before_request(_check_access)
    app.after_request(_security_headers)
    public(app.view_functions["static"])
