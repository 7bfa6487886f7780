"""Errors raised by services.

`DomainError` is a refusal the user can understand; the HTML adapter shows it
next to a form field or as a flash message, the API as a JSON error. Not found
and forbidden are not refusals of that kind: they end the request with 404 or
403 wherever they are raised.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the user can understand; `field` names the form field it belongs to.

    `code` names the rule for programs (the API's `error.code`, snake_case); `conflict`
    marks a refusal caused by the state of things rather than by the input (the slot is
    taken, the transition is not allowed, the deadline passed): the API answers it 409,
    the others 422.
    """

    def __init__(
        self,
        message: str,
        field: str | None = None,
        code: str | None = None,
        conflict: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code or ("invalid" if field else "refused")
        self.conflict = conflict


class TooManyAttempts(DomainError):
    """Refused because of repeated failures (answered with 429)."""


class NotFound(Exception):
    """The object does not exist, or the acting user may not know that it does (404)."""


class Forbidden(Exception):
    """The acting user may see the object but not do this to it (403)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message
