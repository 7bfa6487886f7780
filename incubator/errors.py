"""Errors raised by services.

`DomainError` is a refusal the user can understand; the HTML adapter shows it
next to a form field or as a flash message, the API as a JSON error. Not found
and forbidden are not refusals of that kind: they end the request with 404 or
403 wherever they are raised.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the user can understand; `field` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class TooManyAttempts(DomainError):
    """Refused because of repeated failures (answered with 429)."""


class NotFound(Exception):
    """The object does not exist, or the acting user may not know that it does (404)."""


class Forbidden(Exception):
    """The acting user may see the object but not do this to it (403)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message
