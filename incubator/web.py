"""The HTML adapter: runs a view's one service call in the transaction runner and turns
domain errors into form errors or flash messages; safe redirects and absolute links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Response, flash, redirect, request, url_for
from flask_wtf import FlaskForm

from incubator.db import run
from incubator.errors import DomainError, TooManyAttempts
from incubator.once import (
    OnceForm,
    create_once,
    new_token,
    submitted,
    valid_token,
)


@dataclass
class Outcome:
    ok: bool
    value: Any = None
    message: str | None = None  # a refusal that names no field of the form
    error: DomainError | None = None  # the refusal itself, for views that answer some specially
    repeated: bool = False  # a create form sent again: `value` is what the first time created


def perform(
    service: Callable[..., Any],
    *args: Any,
    form: FlaskForm | None = None,
    quiet: bool = False,
    **kwargs: Any,
) -> Outcome:
    """Run one service call as one transaction.

    A domain error rolls everything back and becomes a message next to the
    form field it names, or a flash message (`quiet`: only the outcome's message,
    for answers in JSON); NotFound, Forbidden and TooManyAttempts go on to the error pages.
    """
    try:
        value = run(service, *args, **kwargs)
    except TooManyAttempts:
        raise
    except DomainError as error:
        if form is not None and error.field and error.field in form:
            form[error.field].errors = [*form[error.field].errors, error.message]
            return Outcome(False, error=error)
        if not quiet:
            flash(error.message, "error")
        return Outcome(False, message=error.message, error=error)
    return Outcome(True, value)


def once_address() -> Response | None:
    """For the GET of a create form's page: a redirect to the same page with a new one-time
    token in its address (?once=…), unless it has one. Back, then Save, then sends that
    token again, and `perform_once` gives back what the first Save created."""
    if request.method != "GET" or valid_token(request.args.get("once")):
        return None
    args = {**(request.view_args or {}), **request.args.to_dict(), "once": new_token()}
    return redirect(url_for(request.endpoint or "site.home", **args))


def perform_once(
    form: OnceForm, model: type[Any], service: Callable[..., Any], actor: Any, *args: Any
) -> Outcome:
    """`perform` for a create form: `service(actor, *args)` creates a `model` at most once per
    form token. Sent again (Back, then Save; a double click), the outcome is what the first
    submission created, with `repeated`; also for the loser of two simultaneous ones."""
    token = form.once_token()
    outcome = perform(create_once, actor, token, model, service, *args, form=form, quiet=True)
    if not outcome.ok and token is not None:
        # lost the race to the same form: on the token's key, or earlier on a unique key of
        # what it creates (a name taken meanwhile by this very submission's twin)
        earlier = run(submitted, actor, token, model)
        if earlier is not None:
            return Outcome(True, earlier, repeated=True)
    if outcome.ok:
        return Outcome(True, outcome.value.value, repeated=outcome.value.repeated)
    if outcome.message:
        flash(outcome.message, "error")
    return outcome


def safe_next(target: str | None) -> str:
    """Only a path on this site, never an outside address (no open redirect).

    Control characters are refused outright: browsers and Werkzeug drop some of
    them, which would turn "/\t/evil.com" into "//evil.com".
    """
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ord(char) < 32 or ord(char) == 127 for char in target)
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("site.home")


def absolute_url(endpoint: str, **values: Any) -> str:
    """A full link for emails, which are rendered with or without a request: always from
    BASE_URL (config.py), never from the request's Host header, which the client chooses."""
    from flask import current_app

    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["BASE_URL"].rstrip("/") + path


def flash_form_errors(form: FlaskForm) -> None:
    """For small forms that redirect back: their errors become flash messages."""
    for field_form in form:
        for message in field_form.errors:
            flash(f"{field_form.label.text}: {message}", "error")


def perform_switch(
    form: FlaskForm, service: Callable[..., Any], *args: Any, said: tuple[str, str]
) -> None:
    """A switch form's POST (see forms.switch_form): `service(*args, on)` in one transaction,
    then `said[0]` when it was turned on, `said[1]` when off."""
    if not form.validate_on_submit():
        flash_form_errors(form)
        return
    (value,) = (field.data for field in form if field.name != "csrf_token")
    on = value == "1"
    if perform(service, *args, on).ok:
        flash(said[0] if on else said[1], "success")
