"""Domain errors raised by services; views turn them into form errors or error pages."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the user can understand; `field` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The object does not exist, or the acting user may not know that it does."""


class Forbidden(DomainError):
    """The acting user may see the object but not do this to it."""


class TooManyAttempts(DomainError):
    """Refused because of repeated failures (answered with 429)."""
