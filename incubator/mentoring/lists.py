"""The mentoring lists: their sorts and filters, and the CSV columns, declared once."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select

from incubator.accounts.models import User
from incubator.db import db
from incubator.enums import parse_enum
from incubator.i18n import format_datetime
from incubator.lists import ListParams
from incubator.mentoring.models import MentoredStartup, MentoringSession, SessionFormat
from incubator.mentoring.services import may_read_notes
from incubator.startups.models import Startup


def sessions_params() -> ListParams:
    return ListParams.from_request(
        sorts={"held": MentoringSession.held_at, "startup": Startup.name},
        default_sort="-held",
        tiebreak=MentoringSession.id,
        filters=("status", "format"),
    )


def filtered(statement: Select[Any], params: ListParams) -> Select[Any]:
    status = params.filters["status"]
    if status == "unconfirmed":
        statement = statement.where(MentoringSession.confirmed_at.is_(None))
    elif status == "confirmed":
        statement = statement.where(MentoringSession.confirmed_at.is_not(None))
    chosen = parse_enum(SessionFormat, params.filters["format"])
    if chosen is not None:
        statement = statement.where(MentoringSession.format == chosen)
    return statement


def session_header() -> tuple[str, ...]:
    return (
        _("Date and time"),
        _("Startup"),
        _("Mentor"),
        _("Minutes"),
        _("Format"),
        _("Topics"),
        _("Summary"),
        _("Private notes"),
        _("Confirmed"),
        _("Rating"),
    )


def session_rows(actor: User, statement: Select[Any]) -> Iterator[tuple[Any, ...]]:
    sessions: Iterable[MentoringSession] = db.session.scalars(statement)
    for s in sessions:
        yield (
            format_datetime(s.held_at),
            s.startup.name,
            s.mentor.name,
            s.minutes,
            s.format.label,
            s.topics,
            s.summary,
            s.private_notes if may_read_notes(actor, s) else "",
            format_datetime(s.confirmed_at),
            s.rating or "",
        )


def startups_params() -> ListParams:
    return ListParams.from_request(
        sorts={
            "name": Startup.name,
            "last_session": MentoredStartup.last_session_at,
            "minutes": MentoredStartup.minutes,
        },
        default_sort="last_session",
        tiebreak=MentoredStartup.startup_id,
    )
