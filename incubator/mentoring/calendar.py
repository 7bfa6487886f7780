"""The iCalendar feed of a user: mentoring sessions, action items and milestones due, and
what later domains add through `signals.calendar_events` (fablab bookings...).

Calendar apps cannot log in, so the feed's address carries a signed token naming the
user; it is shown only to that user.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from icalendar import Calendar, Event
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import or_, select

from incubator import signals
from incubator.accounts.models import User
from incubator.db import db, utcnow
from incubator.errors import NotFound
from incubator.mentoring.models import ActionItem, MentoringSession, Milestone
from incubator.startups.models import StartupMember

SALT = "mentoring-calendar"
HORIZON = timedelta(days=180)
MAX_EVENTS = 500


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(user: User) -> str:
    return _serializer().dumps(user.id)


def calendar_user(token: str) -> User:
    try:
        user_id = _serializer().loads(token)
    except BadSignature as error:
        raise NotFound("calendar") from error
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active:
        raise NotFound("calendar")
    return user


def feed(user: User, now: datetime | None = None) -> bytes:
    now = now or utcnow()
    startups = select(StartupMember.startup_id).where(StartupMember.user_id == user.id)
    calendar = Calendar()
    calendar.add("prodid", "-//incubator BIIC SMIC//mentoring//VI")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Incubator – mentoring")
    sessions = db.session.scalars(
        select(MentoringSession)
        .where(
            or_(MentoringSession.mentor_id == user.id, MentoringSession.startup_id.in_(startups)),
            MentoringSession.held_at >= now - HORIZON,
        )
        .order_by(MentoringSession.held_at.desc())
        .limit(MAX_EVENTS)
    )
    for session in sessions:
        event = _event(f"session-{session.id}", session.created_at)
        event.add("summary", f"{session.startup.name} · {session.mentor.name}")
        event.add("dtstart", session.held_at)
        event.add("dtend", session.held_at + timedelta(minutes=session.minutes))
        event.add("description", session.summary)
        calendar.add_component(event)
    items = db.session.scalars(
        select(ActionItem)
        .join(MentoringSession, MentoringSession.id == ActionItem.session_id)
        .where(
            or_(MentoringSession.mentor_id == user.id, ActionItem.startup_id.in_(startups)),
            ActionItem.done_at.is_(None),
            ActionItem.due_on.is_not(None),
        )
        .limit(MAX_EVENTS)
    )
    for item in items:
        calendar.add_component(_all_day(f"action-{item.id}", item.title, item.due_on))
    milestones = db.session.scalars(
        select(Milestone).where(Milestone.startup_id.in_(startups)).limit(MAX_EVENTS)
    )
    for milestone in milestones:
        calendar.add_component(
            _all_day(f"milestone-{milestone.id}", milestone.title, milestone.due_on)
        )
    for _receiver, events in signals.calendar_events.send(
        user, since=now - HORIZON, limit=MAX_EVENTS
    ):
        for event in events or ():
            calendar.add_component(event)
    return calendar.to_ical()


def _event(uid: str, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", f"{uid}@incubator")
    event.add("dtstamp", stamp)
    return event


def _all_day(uid: str, title: str, day: date) -> Event:
    event = _event(uid, utcnow())
    event.add("summary", title)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    return event
