"""incubator: startup incubation management for BIIC and SMIC."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from flask import Flask, g, make_response, render_template, request
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from incubator import edge, i18n, mail, observability, pagecache, scheduler, security
from incubator.db import db
from incubator.errors import Forbidden, NotFound, TooManyAttempts

ROOT = Path(__file__).resolve().parent.parent
# templates/ and migrations/: at the top of a checkout; in an installed wheel, inside the
# package (setup.py copies them to incubator/_data/ at build time)
DATA = ROOT if (ROOT / "pyproject.toml").is_file() else Path(__file__).resolve().parent / "_data"
csrf = CSRFProtect()


def _load_config(config: Any) -> Any:
    import config as config_module

    if config is None:
        config = os.environ.get("INCUBATOR_CONFIG") or config_module.DEFAULT_CONFIG
    if isinstance(config, str):
        config = config_module.CONFIGS[config]
    return config() if isinstance(config, type) else config


def create_app(config: Any = None, **overrides: Any) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(DATA / "templates"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(_load_config(config))
    app.config.update(overrides)
    # what the app writes (uploads, reports, the SQLite file, the instance folder) is its own:
    # files 0600, folders 0700
    os.umask(0o077)
    if app.config.get("PROXY_COUNT"):
        # behind N reverse proxies: the client address (login throttling) and https come from them
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    observability.init_app(app)  # logs and the request id first: every later hook has them

    db.init_app(app)
    edge.init_app(app)  # NUL bytes, JSON depth, nameless parts: 400 before anything reads them
    csrf.init_app(app)
    i18n.init_app(app)

    from incubator import cli
    from incubator.domains import init_domains
    from incubator.web import absolute_url

    app.url_map.converters["int"] = _DatabaseId
    _version_static_files(app)
    app.jinja_env.globals.update(absolute_url=absolute_url)
    app.jinja_env.filters.update(label=lambda member: member.label)
    init_domains(app)
    mail.init_app(app)  # the mail outbox and the outboxes' sweep
    pagecache.init_app(app)
    scheduler.init_app(app)
    security.init_app(app)
    cli.init_app(app)
    _register_error_pages(app)
    return app


def _version_static_files(app: Flask) -> None:
    """Links to static files carry a hash of their content, so that browsers may keep them for
    STATIC_MAX_AGE (production) and still fetch a file again the moment it changes."""
    versions: dict[str, str] = {}

    def version(filename: str) -> str:
        if filename not in versions:
            path = Path(app.static_folder or "") / filename
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10] if path.is_file() else ""
            versions[filename] = digest
        return versions[filename]

    @app.url_defaults
    def _add_version(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            values["v"] = version(values["filename"])

    max_age = app.config.get("STATIC_MAX_AGE")
    if max_age:
        app.config["SEND_FILE_MAX_AGE_DEFAULT"] = max_age


class _DatabaseId(IntegerConverter):
    """<int:…> in every route: ids beyond an integer column are simply not found (404)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _error_text(code: int) -> tuple[str, str]:
    """Title and explanation, translated (the strings are listed here for extraction)."""
    texts = {
        400: (_("Bad request"), _("The request could not be understood. Please try again.")),
        403: (_("Forbidden"), _("You do not have permission to see this page.")),
        404: (_("Page not found"), _("The page you asked for does not exist or was moved.")),
        405: (_("Method not allowed"), _("This page cannot be used this way.")),
        413: (
            _("File too large"),
            _("The file you sent is larger than allowed (at most 20 MB)."),
        ),
        429: (
            _("Too many attempts"),
            _("Too many failed attempts. Please wait a few minutes and try again."),
        ),
        500: (
            _("Something went wrong"),
            _("An unexpected error happened. It was logged; please try again later."),
        ),
        503: (
            _("Please try again in a moment"),
            _(
                "The service is briefly unavailable (the database is restarting). "
                "Please try again in a few seconds."
            ),
        ),
    }
    return texts.get(code, texts[500])


ERROR_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "too_many_requests",
    500: "server_error",
    503: "unavailable",
}


def _wants_json() -> bool:
    """API requests (under /api/, or asking for JSON first) get errors as JSON."""
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def _render_error(code: int, detail: str | None = None) -> tuple[Any, int]:
    title, text = _error_text(code)
    if _wants_json():
        body = {"code": ERROR_CODES.get(code, "error"), "message": detail or text, "fields": {}}
        return {"error": body}, code
    return render_template("errors/error.html", code=code, title=title, text=detail or text), code


def _register_error_pages(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        code = error.code or 500
        if code in (400, 403, 404, 405, 413, 429, 500):
            return _render_error(code, getattr(error, "user_message", None))
        return error

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError) -> Any:
        return _render_error(
            400, _("The form had expired or was sent from elsewhere. Please try again.")
        )

    @app.errorhandler(NotFound)
    def not_found(_error: NotFound) -> Any:
        return _render_error(404)

    @app.errorhandler(Forbidden)
    def forbidden(error: Forbidden) -> Any:
        return _render_error(403, error.message)

    @app.errorhandler(TooManyAttempts)
    def too_many(error: TooManyAttempts) -> Any:
        return _render_error(429, error.message)

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError) -> Any:
        """The database restarting: a short "try again" answer, never a 500 with a traceback
        (one log line per outage: observability.note_outage)."""
        if not observability.database_unavailable(error):
            return unexpected(error)
        observability.note_outage(error)
        g._login_user = AnonymousUserMixin()  # the page asks nothing more of the database
        response = make_response(_render_error(503))
        response.headers["Retry-After"] = str(observability.RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        if isinstance(error, HTTPException):
            return http_error(error)
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return _render_error(500)
