"""What every request must pass before any view, form or JSON parser sees it.

A NUL character is never meaningful text and PostgreSQL refuses it in every text column
(`psycopg.DataError`): it is refused at the edge, wherever it is (the path, the query string,
a header, a form field or file name, any string at any depth of a JSON body). A JSON body is
parsed by recursion, so its nesting depth is checked first, without parsing (its brackets
counted outside strings). A multipart part without a name (which Flask-WTF cannot read) is
refused too. Each is a 400: the error page in the user's language, or the API's JSON error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

MAX_JSON_DEPTH = 32
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})

# a JSON token that matters for the depth: a whole string (skipped), a bracket, or a lone
# quote (a string that never ends: the JSON is invalid, and nothing after it nests)
_JSON_TOKEN = re.compile(rb'"(?:[^"\\]++|\\.)*+"|[\[\]{}]|"', re.S)


class BadInput(BadRequest):
    """A request refused at the edge; `user_message` is shown (translated), `fields` names
    the form or JSON fields at fault (the API's `error.fields`)."""

    def __init__(self, message: str, fields: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.user_message = message
        self.fields = dict.fromkeys(fields, message)


def init_app(app: Flask) -> None:
    # before Flask-WTF's CSRF check, which reads the form (and fails on a nameless part)
    app.before_request(check_request)


def check_request() -> None:
    if "\x00" in request.path:
        raise _nul()
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            raise _nul([name.replace("\x00", "")])
    for name, value in request.headers.items():
        if "\x00" in name or "\x00" in value:
            raise _nul()
    if request.method not in BODY_METHODS:
        return
    if request.mimetype in FORM_TYPES:
        _check_form()
    elif request.is_json:
        _check_json(request.get_data(cache=True))


def _nul(fields: Iterable[str] = ()) -> BadInput:
    return BadInput(_("The request contains a NUL character (\\0), which is not allowed."), fields)


def _nameless() -> BadInput:
    # (translated only when refusing: the locale is chosen once per request, and a view may
    # change it, e.g. the profile's language)
    return BadInput(_("A part of the form has no name; the form could not be read."))


def _check_form() -> None:
    for name, value in request.form.items(multi=True):
        if name is None:
            raise _nameless()
        if "\x00" in name or "\x00" in value:
            raise _nul([name.replace("\x00", "")])
    for name, upload in request.files.items(multi=True):
        if name is None:
            raise _nameless()
        if "\x00" in name or "\x00" in (upload.filename or ""):
            raise _nul([name.replace("\x00", "")])


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text nests arrays and objects deeper than `limit` (strings are
    skipped; no recursion, and it stops at the first bracket beyond the limit)."""
    depth = 0
    for match in _JSON_TOKEN.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
        elif token == b'"':
            return False  # an unterminated string: invalid JSON, the parser refuses it
    return False


def _check_json(body: bytes) -> None:
    if json_depth_exceeds(body):
        raise BadInput(
            _("The JSON body is nested too deeply (at most %(n)d levels).", n=MAX_JSON_DEPTH)
        )
    try:
        data = json.loads(body)
    except ValueError:
        return  # not JSON: the API answers it as such, the pages ignore it
    bad = _nul_paths(data)
    if bad:
        raise _nul(bad)


def _nul_paths(data: Any) -> list[str]:
    """The paths (a.b.0) of the JSON values or keys holding a NUL, walked without recursion."""
    found: list[str] = []
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                found.append(path or "body")
        elif isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    found.append(path or "body")
                    continue
                stack.append((f"{path}.{key}" if path else key, item))
        elif isinstance(value, list):
            stack.extend(
                (f"{path}.{index}" if path else str(index), item)
                for index, item in enumerate(value)
            )
    return found
