"""The iCalendar feed of a user: mentoring sessions held and planned, action items and
milestones due, and what later domains add through `signals.calendar_events` (fablab
bookings...), in Asia/Ho_Chi_Minh (with its VTIMEZONE, for Outlook and Google Calendar).

Calendar apps cannot log in, so the feed's address carries a random secret (one per user),
shown to its owner once, when made; `calendar_tokens` keeps only its SHA-256, like API tokens.
Making a new link revokes the old one, whose address then answers 404.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import or_, select

from incubator import audit, signals
from incubator.accounts.models import User
from incubator.db import add_unique, db, utcnow
from incubator.errors import DomainError, NotFound
from incubator.i18n import LOCAL_TZ, to_local
from incubator.mentoring.models import (
    ActionItem,
    Assignment,
    CalendarToken,
    MentoringSession,
    Milestone,
)
from incubator.startups.models import StartupMember

HORIZON = timedelta(days=180)
MAX_EVENTS = 500
TOKEN_BYTES = 32


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_of(user: User) -> CalendarToken | None:
    return db.session.get(CalendarToken, user.id)


@dataclass
class NewLink:
    token: CalendarToken
    secret: str  # for the address shown once, never stored


def new_link(actor: User) -> NewLink:
    """Make the user's feed address, or replace it: the old address stops working."""
    secret = secrets.token_urlsafe(TOKEN_BYTES)
    token = token_of(actor)
    if token is None:
        token = CalendarToken(user_id=actor.id, token_hash=token_hash(secret))
        add_unique(token, DomainError(_("Your calendar link was just made: reload the page.")))
        audit.record(actor, "mentoring.calendar_link_made", actor)
    else:
        token.token_hash, token.created_at = token_hash(secret), utcnow()
        db.session.flush()
        audit.record(actor, "mentoring.calendar_link_renewed", actor)
    return NewLink(token, secret)


def calendar_user(token: str) -> User:
    """The owner of a feed address; a revoked or made-up one is not found."""
    if len(token) > 64:
        raise NotFound("calendar")
    stored = db.session.scalar(
        select(CalendarToken).where(CalendarToken.token_hash == token_hash(token))
    )
    user = db.session.get(User, stored.user_id) if stored else None
    if user is None or not user.active:
        raise NotFound("calendar")
    return user


def feed(user: User, now: datetime | None = None) -> bytes:
    now = now or utcnow()
    startups = select(StartupMember.startup_id).where(StartupMember.user_id == user.id)
    calendar = Calendar()
    calendar.add("prodid", "-//incubator BIIC SMIC//mentoring//VI")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _("Incubator – mentoring"))
    calendar.add("x-wr-timezone", str(LOCAL_TZ))
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
        event = _timed(
            f"session-{session.id}",
            session.created_at,
            f"{session.startup.name} · {session.mentor.name}",
            session.held_at,
            session.minutes,
        )
        event.add("description", session.summary)
        calendar.add_component(event)
    planned = db.session.scalars(
        select(Assignment)
        .where(
            or_(Assignment.mentor_id == user.id, Assignment.startup_id.in_(startups)),
            Assignment.active.is_(True),
            Assignment.next_session_at >= now - HORIZON,
        )
        .limit(MAX_EVENTS)
    )
    for assignment in planned:
        event = _timed(
            f"planned-{assignment.id}-{int(assignment.next_session_at.timestamp())}",
            now,
            _(
                "Planned: %(startup)s · %(mentor)s",
                startup=assignment.startup.name,
                mentor=assignment.mentor.name,
            ),
            assignment.next_session_at,
            60,
        )
        event.add("status", "TENTATIVE")
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
        calendar.add_component(_all_day(f"action-{item.id}", item.title, item.due_on, now))
    milestones = db.session.scalars(
        select(Milestone).where(Milestone.startup_id.in_(startups)).limit(MAX_EVENTS)
    )
    for milestone in milestones:
        calendar.add_component(
            _all_day(f"milestone-{milestone.id}", milestone.title, milestone.due_on, now)
        )
    for _receiver, events in signals.calendar_events.send(
        user, since=now - HORIZON, limit=MAX_EVENTS
    ):
        for event in events or ():
            calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _event(uid: str, stamp: datetime, summary: Any) -> Event:
    event = Event()
    event.add("uid", f"{uid}@incubator")
    event.add("dtstamp", stamp)
    event.add("summary", summary)
    return event


def _timed(uid: str, stamp: datetime, summary: Any, start: datetime, minutes: int) -> Event:
    """An event at local time in Asia/Ho_Chi_Minh (DTSTART;TZID=Asia/Ho_Chi_Minh)."""
    event = _event(uid, stamp, summary)
    event.add("dtstart", to_local(start))
    event.add("dtend", to_local(start + timedelta(minutes=minutes)))
    return event


def _all_day(uid: str, title: str, day: date, stamp: datetime) -> Event:
    event = _event(uid, stamp, title)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    return event
