"""/api/v1/mentoring/sessions and /api/v1/startups/{id}/checkins.

`private_notes` is in the answers to the session's mentor and the center's managers only
(the same rule as the web: `notes_readable`)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from flask_login import current_user
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from incubator.api import webhooks
from incubator.api.core import (
    BEARER,
    Day,
    Line,
    Moment,
    PageOut,
    PageQuery,
    RequiredLine,
    Schema,
    Text,
    answers,
    api_blueprint,
    body_json,
    day,
    iso,
    listed,
    paged,
    query_args,
    spec,
)
from incubator.api.models import WebhookEvent
from incubator.db import db, run
from incubator.mentoring import access, checkins, sessions
from incubator.mentoring.lists import SESSIONS
from incubator.mentoring.models import (
    ActionOwner,
    CenterMonth,
    CheckIn,
    MentoredStartup,
    MentoringSession,
    SessionFormat,
)
from incubator.security import logged_in

bp = api_blueprint("mentoring_api", __name__)
TAGS = ["mentoring"]
MAX_ID = 2**31 - 1
MAX_VND = 10**15


class ActionItemIn(Schema):
    text: RequiredLine = Field(max_length=300)
    owner: ActionOwner = ActionOwner.STARTUP
    due: Day | None = None


class SessionIn(Schema):
    startup_id: int = Field(ge=1, le=MAX_ID)
    started_at: Moment
    duration_minutes: int = Field(ge=1, le=10_000)
    format: SessionFormat
    topics: list[RequiredLine] = Field(default_factory=list, max_length=20)
    summary: Text = Field(max_length=10_000)
    private_notes: Text = Field("", max_length=10_000)
    action_items: list[ActionItemIn] = Field(default_factory=list, max_length=20)
    client_key: Line | None = Field(
        None, max_length=40, description="sent again with a retry, the session is saved once"
    )


class ActionItemOut(BaseModel):
    id: int
    text: str
    owner: ActionOwner
    due: str | None
    done: bool


class SessionOut(BaseModel):
    id: int
    startup_id: int
    startup_name: str
    mentor: str
    started_at: str
    duration_minutes: int
    format: SessionFormat
    topics: str
    summary: str
    private_notes: str | None = Field(description="only for the mentor and the managers")
    confirmed: bool
    rating: int | None
    action_items: list[ActionItemOut]


class SessionPage(PageOut):
    items: list[SessionOut]


class SessionQuery(PageQuery):
    startup: int | None = Field(None, ge=1, le=MAX_ID)


class CheckInIn(Schema):
    month: Day = Field(description="any day of the month reported on")
    revenue_vnd: int = Field(ge=0, le=MAX_VND)
    customers: int = Field(ge=0, le=MAX_ID)
    funding_raised_vnd: int = Field(ge=0, le=MAX_VND)
    headcount: int = Field(ge=0, le=MAX_ID)
    note: Text = Field("", max_length=5000)


class CheckInOut(BaseModel):
    month: str
    revenue_vnd: int
    customers: int
    funding_raised_vnd: int
    headcount: int
    note: str
    submitted_at: str


class CheckInPage(PageOut):
    items: list[CheckInOut]


def session_json(session: MentoringSession, notes: bool) -> dict[str, Any]:
    return {
        "id": session.id,
        "startup_id": session.startup_id,
        "startup_name": session.startup.name,
        "mentor": session.mentor.name,
        "started_at": iso(session.held_at),
        "duration_minutes": session.minutes,
        "format": session.format.value,
        "topics": session.topics,
        "summary": session.summary,
        "private_notes": session.private_notes if notes else None,
        "confirmed": session.confirmed_at is not None,
        "rating": session.rating,
        "action_items": [
            {
                "id": item.id,
                "text": item.title,
                "owner": item.owner.value,
                "due": day(item.due_on),
                "done": item.done_at is not None,
            }
            for item in session.action_items
        ],
    }


def checkin_json(checkin: CheckIn) -> dict[str, Any]:
    return {
        "month": checkin.month.isoformat(),
        "revenue_vnd": checkin.revenue_vnd,
        "customers": checkin.customers,
        "funding_raised_vnd": checkin.funding_raised_vnd,
        "headcount": checkin.headcount,
        "note": checkin.note,
        "submitted_at": iso(checkin.submitted_at),
    }


@bp.get("/mentoring/sessions")
@logged_in
@spec.validate(query=SessionQuery, resp=answers(200, SessionPage), tags=TAGS, security=BEARER)
def session_list() -> Any:
    """Sessions the caller may list: their own as mentor, their startups' as founder, their
    center's as manager (the web's list)."""
    query = query_args()
    statement = sessions.sessions_query(current_user, current_user.managed_center_id)
    if query.startup is not None:
        statement = statement.where(MentoringSession.startup_id == query.startup)
    return paged(SESSIONS, statement, current_user, lambda row: session_json(row[0], row[1]))


@bp.post("/mentoring/sessions")
@logged_in
@spec.validate(json=SessionIn, resp=answers(201, SessionOut), tags=TAGS, security=BEARER)
def session_create() -> Any:
    """A mentor logs a session held with a startup they mentor."""
    data = body_json()
    session = run(_log, data)
    return session_json(session, notes=True), 201


def _log(data: SessionIn) -> MentoringSession:
    assignment = access.mentor_assignment(current_user, data.startup_id)
    session_data = sessions.SessionData(
        client_key=data.client_key or uuid.uuid4().hex,
        held_at=data.started_at,
        minutes=data.duration_minutes,
        format=data.format,
        topics=", ".join(data.topics)[:300],
        summary=data.summary,
        private_notes=data.private_notes,
        action_items=[
            sessions.ActionInput(title=item.text, owner=item.owner, due_on=item.due)
            for item in data.action_items
        ],
    )
    return sessions.log_session(current_user, assignment, session_data)


@bp.get("/startups/<int:startup_id>/checkins")
@logged_in
@spec.validate(resp=answers(200, CheckInPage), tags=TAGS, security=BEARER)
def checkin_list(startup_id: int) -> Any:
    """The startup's monthly check-ins, the last twelve months."""
    mentored = run(access.viewable_mentored, current_user, startup_id)
    return listed(run(checkins.checkins, mentored.startup_id), checkin_json)


@bp.post("/startups/<int:startup_id>/checkins")
@logged_in
@spec.validate(json=CheckInIn, resp=answers(201, CheckInOut), tags=TAGS, security=BEARER)
def checkin_create(startup_id: int) -> Any:
    """File (or correct) the check-in of a month; founders of the startup."""
    data = body_json()
    checkin = run(_file, startup_id, data)
    return checkin_json(checkin), 201


def _file(startup_id: int, data: CheckInIn) -> CheckIn:
    mentored = access.member_mentored(current_user, startup_id)
    return checkins.file_checkin(current_user, mentored, checkins.CheckInData(**data.model_dump()))


# ------------------------------------------------------------------- events


def session_confirmed(session: MentoringSession, **_: Any) -> None:
    """Webhooks of the center (in the transaction of the confirmation); no private notes."""
    data = {
        "session_id": session.id,
        "startup_id": session.startup_id,
        "started_at": iso(session.held_at),
        "duration_minutes": session.minutes,
        "rating": session.rating,
    }
    webhooks.emit(session.center_id, WebhookEvent.SESSION_CONFIRMED, data)


def open_data(center_id: int, *, first: date, last: date, **_: Any) -> dict[str, Any]:
    """Answers `signals.open_data_figures`: the month's sessions and minutes (stored per
    center and month), funding raised and headcount in the month's check-ins (sums only)."""
    tally = db.session.get(CenterMonth, (center_id, first))
    funding, headcount = db.session.execute(
        select(func.sum(CheckIn.funding_raised_vnd), func.sum(CheckIn.headcount))
        .join(MentoredStartup, MentoredStartup.startup_id == CheckIn.startup_id)
        .where(MentoredStartup.center_id == center_id, CheckIn.month == first)
    ).one()
    figures: dict[str, Any] = {
        "mentoring_sessions": tally.sessions if tally else 0,
        "mentoring_minutes": tally.minutes if tally else 0,
        "funding_raised_vnd": int(funding or 0),
    }
    if headcount is not None:
        figures["jobs"] = int(headcount)
    return figures
