"""The mentoring lists: sessions and the center's startups in incubation."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select

from incubator.i18n import format_datetime, format_number
from incubator.lists import Column, Filter, ListSpec
from incubator.mentoring.models import (
    ExpertiseTag,
    MentoredStartup,
    MentoringSession,
    SessionFormat,
)
from incubator.startups.models import Startup


def _with_status(statement: Select[Any], status: str) -> Select[Any]:
    confirmed = MentoringSession.confirmed_at
    if status == "unconfirmed":
        return statement.where(confirmed.is_(None))
    return statement.where(confirmed.is_not(None))


# Rows are (session, whether the viewer may read its private notes): services.sessions_query.
SESSIONS = ListSpec(
    name="mentoring-sessions",
    columns=(
        Column(
            "held",
            _l("Date"),
            value=lambda r: format_datetime(r[0].held_at),
            sort=MentoringSession.held_at,
            link=lambda r: url_for("mentoring.session", session_id=r[0].id),
            csv_label=_l("Date and time"),
        ),
        Column(
            "startup",
            _l("Startup"),
            value=lambda r: r[0].startup.name,
            sort=Startup.name,
            priority="title",
        ),
        Column("mentor", _l("Mentor"), value=lambda r: r[0].mentor.name),
        Column("minutes", _l("Minutes"), value=lambda r: r[0].minutes, css="num"),
        Column("format", _l("Format"), value=lambda r: r[0].format.label, only="csv"),
        Column("topics", _l("Topics"), value=lambda r: r[0].topic_line, only="csv"),
        Column("summary", _l("Summary"), value=lambda r: r[0].summary, only="csv"),
        Column(
            "notes",
            _l("Private notes"),
            value=lambda r: r[0].private_notes if r[1] else "",
            only="csv",
        ),
        Column("status", _l("Status"), cell="session_row_status", only="html"),
        Column(
            "confirmed",
            _l("Confirmed"),
            value=lambda r: format_datetime(r[0].confirmed_at),
            only="csv",
        ),
        Column("rating", _l("Rating"), value=lambda r: r[0].rating or "", only="csv"),
    ),
    filters=(
        Filter(
            "status",
            _l("Status"),
            choices=(("unconfirmed", _l("Not confirmed yet")), ("confirmed", _l("Confirmed"))),
            all_label=_l("All sessions"),
            apply=_with_status,
        ),
        Filter(
            "format",
            _l("Format"),
            choices=SessionFormat,
            all_label=_l("All sessions"),
            apply=lambda statement, chosen: statement.where(MentoringSession.format == chosen),
        ),
    ),
    default_sort="-held",
    tiebreak=MentoringSession.id,
    empty=_l("No mentoring session yet."),
    cells="mentoring/_macros.html",
)

STARTUPS = ListSpec(
    name="mentored-startups",
    columns=(
        Column(
            "name",
            _l("Startup"),
            value=lambda m: m.startup.name,
            sort=Startup.name,
            link=lambda m: url_for("startups.detail", startup_id=m.startup_id),
            priority="title",
        ),
        Column(
            "last_session",
            _l("Last session"),
            cell="last_session_cell",
            csv=lambda m: format_datetime(m.last_session_at),
            sort=MentoredStartup.last_session_at,
        ),
        Column(
            "minutes",
            _l("Hours"),
            value=lambda m: format_number(m.minutes / 60),
            sort=MentoredStartup.minutes,
            css="num",
        ),
        Column("sessions", _l("Sessions"), value=lambda m: m.sessions, css="num"),
        Column(
            "rating",
            _l("Rating"),
            value=lambda m: format_number(m.average_rating),
            css="num",
            priority="hide-sm",
        ),
        Column("assign", "", cell="assign_link", only="html"),
    ),
    default_sort="last_session",
    tiebreak=MentoredStartup.startup_id,
    empty=_l("No startup is in incubation at this center."),
    cells="mentoring/_macros.html",
)


TAGS = ListSpec(
    name="expertise-tags",
    columns=(
        Column(
            "name_vi",
            _l("Name in Vietnamese"),
            value=lambda t: t.name_vi,
            sort=ExpertiseTag.name_vi,
            link=lambda t: url_for("mentoring.tag", tag_id=t.id),
            priority="title",
        ),
        Column(
            "name_en", _l("Name in English"), value=lambda t: t.name_en, sort=ExpertiseTag.name_en
        ),
        Column(
            "status",
            _l("Status"),
            cell="tag_status",
            csv=lambda t: _l("Offered") if t.active else _l("Archived"),
        ),
    ),
    filters=(
        Filter(
            "status",
            _l("Status"),
            choices=(("active", _l("Offered")), ("archived", _l("Archived"))),
            all_label=_l("All tags"),
            apply=lambda statement, chosen: statement.where(
                ExpertiseTag.active.is_(chosen == "active")
            ),
        ),
    ),
    default_sort="name_vi",
    tiebreak=ExpertiseTag.id,
    empty=_l("No tag yet: add the first one below."),
    cells="mentoring/_macros.html",
)
