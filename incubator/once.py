"""Forms that create things run once per form: a resubmitted form (Back, then Save again; a
double click; the same POST twice at once) gives back what the first submission created.

A create form carries a one-time token (`OnceForm`, a hidden field filled when the form is
shown). The token is stored with what it created, in the transaction that creates it, under
a unique key: a second submission with the same token finds that row instead of creating a
twin, and two simultaneous ones collide on the key, the loser's transaction rolls back and it
is answered with the winner's object.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column
from wtforms import HiddenField

from incubator.db import Base, UTCDateTime, add_unique, db, utcnow
from incubator.errors import DomainError
from incubator.forms import Form

T = TypeVar("T")

_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


class FormSubmission(Base):
    """A create form's one-time token and what it created."""

    __tablename__ = "form_submissions"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def valid_token(token: Any) -> bool:
    return isinstance(token, str) and bool(_TOKEN.fullmatch(token))


def _token_of_the_page() -> str:
    """The token in the page's address (see `web.once_address`), or a new one."""
    token = request.args.get("once") if has_request_context() else None
    return token if valid_token(token) else new_token()


class OnceForm(Form):
    """A form that creates something: its token makes a resubmission harmless.

    The token is also in the page's address: the browser's Back button reloads the page
    (personal pages are not cached) and restores what was typed but not hidden fields, so
    the address is what brings the same token back.
    """

    once = HiddenField(default=_token_of_the_page)

    def once_token(self) -> str | None:
        """The token sent back, when it looks like one of ours (otherwise no protection,
        as for a client that never showed the form)."""
        token = self.once.data
        return token if valid_token(token) else None


class AlreadySubmitted(DomainError):
    """A concurrent submission of the same form won; `object_id` is what it created."""

    def __init__(self) -> None:
        super().__init__(str(_l("This form was just sent; it was saved once.")))


class Created:
    """What a create form's service returned, and whether this was a repeat."""

    def __init__(self, value: Any, repeated: bool) -> None:
        self.value = value
        self.repeated = repeated


def submitted(actor: Any, token: str | None, model: type[T]) -> T | None:
    """What this user's form with `token` created, if it was sent before."""
    if token is None:
        return None
    row = db.session.get(FormSubmission, token)
    if row is None or row.user_id != actor.id or row.object_type != model.__tablename__:
        return None
    return db.session.get(model, row.object_id)


def create_once(
    actor: Any, token: str | None, model: type[T], service: Callable[..., T], *args: Any
) -> Created:
    """Run `service(actor, *args)` unless the form with `token` already created something."""
    earlier = submitted(actor, token, model)
    if earlier is not None:
        return Created(earlier, repeated=True)
    created = service(actor, *args)
    if token is not None:
        add_unique(
            FormSubmission(
                token=token,
                user_id=actor.id,
                object_type=model.__tablename__,
                object_id=created.id,
            ),
            AlreadySubmitted(),
        )
    return Created(created, repeated=False)
