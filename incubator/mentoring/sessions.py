"""Mentoring sessions: logging with action items, the stored figures they add to, the founders'
confirmation and rating, ticking action items, and the lists of sessions and items."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, case, false, literal, or_, select, true, update

from incubator import audit, signals
from incubator.accounts.models import User
from incubator.db import add_unique, db, utcnow
from incubator.errors import DomainError, NotFound
from incubator.i18n import to_local
from incubator.mail import queue_email
from incubator.mentoring.access import may_tick
from incubator.mentoring.assignments import check_next_session
from incubator.mentoring.common import LIST_LIMIT, count_rows, latest_months, month_of
from incubator.mentoring.models import (
    ActionItem,
    ActionOwner,
    Assignment,
    CenterMonth,
    MentoredStartup,
    MentoringMonth,
    MentoringSession,
    SessionFormat,
)
from incubator.mentoring.tags import picked_tags
from incubator.startups.models import Startup, StartupMember


@dataclass
class ActionInput:
    title: str
    owner: ActionOwner = ActionOwner.STARTUP
    due_on: date | None = None


@dataclass
class SessionData:
    client_key: str
    held_at: datetime
    minutes: int
    format: SessionFormat
    topics: str = ""
    summary: str = ""
    private_notes: str = ""
    action_items: Sequence[ActionInput] = ()
    topic_ids: Sequence[int] = ()
    next_session_at: datetime | None = None


def _add_to(model: Any, key: dict[str, Any], minutes: int, sessions: int) -> None:
    """Add to a stored tally row, creating it if needed (safe against a concurrent insert)."""
    statement = (
        update(model)
        .where(*(getattr(model, name) == value for name, value in key.items()))
        .values(minutes=model.minutes + minutes, sessions=model.sessions + sessions)
        .execution_options(synchronize_session=False)
    )
    if db.session.execute(statement).rowcount:
        return
    if not add_unique(model(**key, minutes=minutes, sessions=sessions)):
        db.session.execute(statement)  # the row was created meanwhile: add to it


def count_session(assignment: Assignment, held_at: datetime, minutes: int) -> None:
    """Add a session to the stored figures: the assignment, the startup, their months."""
    mentored = assignment.mentored
    # one UPDATE each, adding in the database (`sessions = sessions + 1`): simultaneous logs
    # each add theirs (a read-modify-write here lost all but one of them on PostgreSQL)
    for model, key in (
        (Assignment, Assignment.id == assignment.id),
        (MentoredStartup, MentoredStartup.startup_id == mentored.startup_id),
    ):
        latest = model.last_session_at
        held = literal(held_at, latest.type)
        db.session.execute(
            update(model)
            .where(key)
            .values(
                sessions=model.sessions + 1,
                minutes=model.minutes + minutes,
                last_session_at=case((or_(latest.is_(None), latest < held), held), else_=latest),
            )
            .execution_options(synchronize_session=False)
        )
    for row in (assignment, mentored):  # read again when next used
        db.session.expire(row, ["sessions", "minutes", "last_session_at"])
    month = month_of(held_at)
    _add_to(MentoringMonth, {"startup_id": mentored.startup_id, "month": month}, minutes, 1)
    _add_to(CenterMonth, {"center_id": mentored.center_id, "month": month}, minutes, 1)


def log_session(actor: User, assignment: Assignment, data: SessionData) -> MentoringSession:
    if assignment.mentor_id != actor.id or not assignment.active:
        raise NotFound("assignment")
    now = utcnow()
    if data.held_at > now + timedelta(minutes=15):
        raise DomainError(_("A session is logged after it took place."), field="held_at")
    if data.held_at < now - timedelta(days=90):
        raise DomainError(_("Sessions older than 90 days cannot be logged."), field="held_at")
    if not 5 <= data.minutes <= 600:
        raise DomainError(_("A session lasts between 5 minutes and 10 hours."), field="minutes")
    if not data.summary.strip():
        raise DomainError(_("Write a short summary for the founders."), field="summary")
    if data.next_session_at is not None:
        check_next_session(data.next_session_at, "next_session_at")
    topic_tags = picked_tags(data.topic_ids, "topic_ids")
    mentored = assignment.mentored
    session = MentoringSession(
        assignment_id=assignment.id,
        mentor_id=actor.id,
        startup_id=mentored.startup_id,
        center_id=mentored.center_id,
        client_key=data.client_key,
        held_at=data.held_at,
        minutes=data.minutes,
        format=data.format,
        topics=data.topics.strip(),
        summary=data.summary.strip(),
        private_notes=data.private_notes.strip(),
        topic_tags=topic_tags,
    )
    for item in data.action_items:
        if item.title.strip():
            session.action_items.append(
                ActionItem(
                    startup_id=mentored.startup_id,
                    title=item.title.strip(),
                    owner=item.owner,
                    due_on=item.due_on,
                )
            )
    add_unique(
        session,
        DomainError(_("This session was already saved."), code="already_saved", conflict=True),
    )
    count_session(assignment, data.held_at, data.minutes)
    if data.next_session_at is not None:
        assignment.next_session_at = data.next_session_at
    audit.record(actor, "mentoring.session_logged", session, minutes=data.minutes)
    for member in mentored.startup.members:
        if member.user.active:
            queue_email(member.user, "session_logged", session=session)
    return session


def confirm_session(
    actor: User, session: MentoringSession, rating: int | None, feedback: str = ""
) -> MentoringSession:
    if not session.startup.has_member(actor):
        raise NotFound("session")
    if rating is None or not 1 <= rating <= 5:
        raise DomainError(_("Give a rating from 1 to 5."), field="rating")
    confirmed = db.session.execute(
        update(MentoringSession)
        .where(MentoringSession.id == session.id, MentoringSession.confirmed_at.is_(None))
        .values(
            confirmed_at=utcnow(),
            confirmed_by_id=actor.id,
            rating=rating,
            feedback=feedback.strip(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not confirmed:
        raise DomainError(_("This session is already confirmed."))
    db.session.refresh(session)
    db.session.execute(
        update(MentoredStartup)
        .where(MentoredStartup.startup_id == session.startup_id)
        .values(
            rating_total=MentoredStartup.rating_total + rating,
            ratings=MentoredStartup.ratings + 1,
        )
        .execution_options(synchronize_session=False)
    )
    audit.record(actor, "mentoring.session_confirmed", session, rating=rating)
    signals.session_confirmed.send(session, actor=actor)
    return session


def tick_action_item(actor: User, item: ActionItem, done: bool) -> ActionItem:
    if not may_tick(actor, item):
        raise NotFound("action item")
    if done and item.done_at is None:
        item.done_at, item.done_by_id = utcnow(), actor.id
    elif not done:
        item.done_at, item.done_by_id = None, None
    db.session.flush()
    return item


def recent_sessions(startup_id: int, limit: int = 5) -> list[MentoringSession]:
    return list(
        db.session.scalars(
            select(MentoringSession)
            .where(MentoringSession.startup_id == startup_id)
            .order_by(MentoringSession.held_at.desc(), MentoringSession.id.desc())
            .limit(limit)
        )
    )


def open_action_items(startup_id: int, limit: int = LIST_LIMIT) -> list[ActionItem]:
    return list(
        db.session.scalars(
            select(ActionItem)
            .where(ActionItem.startup_id == startup_id, ActionItem.done_at.is_(None))
            .order_by(ActionItem.due_on.asc().nulls_last(), ActionItem.id)
            .limit(limit)
        )
    )


def mentoring_months(startup_id: int, months: int = 12) -> list[MentoringMonth]:
    return latest_months(MentoringMonth, startup_id, months)


def _local_month_range(now: datetime) -> tuple[datetime, datetime]:
    """The current month in Asia/Ho_Chi_Minh, as UTC moments [start, end)."""
    local = to_local(now)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def mentor_sessions_this_month(mentor: User, now: datetime) -> int:
    start, end = _local_month_range(now)
    return count_rows(
        select(MentoringSession.id).where(
            MentoringSession.mentor_id == mentor.id,
            MentoringSession.held_at >= start,
            MentoringSession.held_at < end,
        )
    )


def _awaiting(mentor: User) -> Select[Any]:
    return select(MentoringSession).where(
        MentoringSession.mentor_id == mentor.id, MentoringSession.confirmed_at.is_(None)
    )


def mentor_awaiting(mentor: User, limit: int = LIST_LIMIT) -> list[MentoringSession]:
    """The mentor's sessions that the founders have not confirmed yet, the oldest first."""
    return list(
        db.session.scalars(_awaiting(mentor).order_by(MentoringSession.held_at).limit(limit))
    )


def mentor_awaiting_count(mentor: User) -> int:
    return count_rows(_awaiting(mentor))


def _open_items(startup_ids: Any, limit: int) -> list[ActionItem]:
    return list(
        db.session.scalars(
            select(ActionItem)
            .where(ActionItem.startup_id.in_(startup_ids), ActionItem.done_at.is_(None))
            .order_by(ActionItem.due_on.asc().nulls_last(), ActionItem.id)
            .limit(limit)
        )
    )


def mentor_open_items(mentor: User, limit: int = LIST_LIMIT) -> list[ActionItem]:
    """Open action items of the mentor's current startups, the most urgent first."""
    mine = select(Assignment.startup_id).where(
        Assignment.mentor_id == mentor.id, Assignment.active.is_(True)
    )
    return _open_items(mine, limit)


def founder_open_items(user: User, limit: int = LIST_LIMIT) -> list[ActionItem]:
    theirs = select(StartupMember.startup_id).where(StartupMember.user_id == user.id)
    return _open_items(theirs, limit)


def upcoming_sessions(user: User, now: datetime, limit: int = LIST_LIMIT) -> list[Assignment]:
    """The next meetings the mentors of the user's startups planned."""
    theirs = select(StartupMember.startup_id).where(StartupMember.user_id == user.id)
    return list(
        db.session.scalars(
            select(Assignment)
            .where(
                Assignment.startup_id.in_(theirs),
                Assignment.active.is_(True),
                Assignment.next_session_at >= now,
            )
            .order_by(Assignment.next_session_at)
            .limit(limit)
        )
    )


def sessions_to_confirm(user: User, limit: int = LIST_LIMIT) -> list[MentoringSession]:
    return list(
        db.session.scalars(
            select(MentoringSession)
            .join(StartupMember, StartupMember.startup_id == MentoringSession.startup_id)
            .where(StartupMember.user_id == user.id, MentoringSession.confirmed_at.is_(None))
            .order_by(MentoringSession.held_at)
            .limit(limit)
        )
    )


def notes_readable(actor: User) -> Any:
    """`may_read_notes` in SQL, for a list of sessions."""
    if actor.is_admin:
        return true()
    manager = MentoringSession.center_id == actor.managed_center_id
    return or_(
        MentoringSession.mentor_id == actor.id, manager if actor.managed_center_id else false()
    )


def sessions_query(actor: User, center_id: int | None = None) -> Select[Any]:
    """Rows of (session, whether the actor reads its private notes) that the actor may list:
    their own as mentor, their startups' as founder, or a center's as its manager."""
    statement = select(MentoringSession, notes_readable(actor).label("notes_readable")).join(
        Startup, Startup.id == MentoringSession.startup_id
    )
    if center_id is not None and actor.manages(center_id):
        return statement.where(MentoringSession.center_id == center_id)
    member_of = select(StartupMember.startup_id).where(StartupMember.user_id == actor.id)
    return statement.where(
        or_(MentoringSession.mentor_id == actor.id, MentoringSession.startup_id.in_(member_of))
    )
