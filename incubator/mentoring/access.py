"""Who may see and change what in mentoring: the predicates, the signal answer that lets an
assigned mentor view a startup, and the loaders (not found when not allowed)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from incubator.accounts.models import Role, User
from incubator.db import db
from incubator.errors import NotFound
from incubator.mentoring.models import (
    ActionItem,
    Assignment,
    ExpertiseTag,
    MentoredStartup,
    MentoringSession,
    Milestone,
)
from incubator.startups.models import Startup


def _is_assigned(actor: Any, startup_id: int, active_only: bool = True) -> bool:
    statement = select(Assignment.id).where(
        Assignment.startup_id == startup_id, Assignment.mentor_id == actor.id
    )
    if active_only:
        statement = statement.where(Assignment.active.is_(True))
    return bool(db.session.scalar(statement.limit(1)))


def may_view_mentoring(actor: Any, mentored: MentoredStartup) -> bool:
    """The startup's members, its mentors (also former ones) and the center's managers."""
    if not actor.is_authenticated:
        return False
    return (
        actor.manages(mentored.center_id)
        or mentored.startup.has_member(actor)
        or _is_assigned(actor, mentored.startup_id, active_only=False)
    )


def may_read_notes(actor: Any, session: MentoringSession) -> bool:
    """Private notes: the mentor who wrote them and the center's managers, never founders."""
    return actor.id == session.mentor_id or actor.manages(session.center_id)


def may_confirm(actor: Any, session: MentoringSession) -> bool:
    return session.confirmed_at is None and session.startup.has_member(actor)


def may_plan(actor: Any, mentored: MentoredStartup) -> bool:
    """Milestones: the startup's members and its current mentors."""
    return mentored.startup.has_member(actor) or _is_assigned(actor, mentored.startup_id)


def may_tick(actor: Any, item: ActionItem) -> bool:
    """An action item is ticked off by the startup's members or the session's mentor."""
    return item.session.startup.has_member(actor) or item.session.mentor_id == actor.id


def may_manage_tags(actor: Any) -> bool:
    """The list of expertise tags is kept by the managers and the administrators."""
    return actor.is_authenticated and actor.has_role(Role.MANAGER, Role.ADMIN)


def may_declare_needs(actor: Any, mentored: MentoredStartup) -> bool:
    """What a startup needs: its members, and the center's managers on their behalf."""
    return mentored.startup.has_member(actor) or actor.manages(mentored.center_id)


def mentor_sees_startup(startup: Startup, *, actor: Any) -> bool:
    """Answers `signals.may_view_startup`: an assigned mentor views the startup's profile."""
    return _is_assigned(actor, startup.id)


def _mentored(startup_id: int) -> MentoredStartup:
    mentored = db.session.get(MentoredStartup, startup_id)
    if mentored is None:
        raise NotFound("startup")
    return mentored


def viewable_mentored(actor: Any, startup_id: int) -> MentoredStartup:
    mentored = _mentored(startup_id)
    if not may_view_mentoring(actor, mentored):
        raise NotFound("startup")
    return mentored


def managed_mentored(actor: User, startup_id: int) -> MentoredStartup:
    mentored = _mentored(startup_id)
    if not actor.manages(mentored.center_id):
        raise NotFound("startup")
    return mentored


def member_mentored(actor: User, startup_id: int) -> MentoredStartup:
    mentored = _mentored(startup_id)
    if not mentored.startup.has_member(actor):
        raise NotFound("startup")
    return mentored


def planning_mentored(actor: User, startup_id: int) -> MentoredStartup:
    mentored = _mentored(startup_id)
    if not may_plan(actor, mentored):
        raise NotFound("startup")
    return mentored


def own_assignment(actor: User, assignment_id: int) -> Assignment:
    """The mentor's own current assignment."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.mentor_id != actor.id or not assignment.active:
        raise NotFound("assignment")
    return assignment


def mentor_assignment(actor: User, startup_id: int) -> Assignment:
    """The actor's active assignment to a startup (a mentor logs sessions through it)."""
    assignment = db.session.scalar(
        select(Assignment).where(
            Assignment.mentor_id == actor.id,
            Assignment.startup_id == startup_id,
            Assignment.active.is_(True),
        )
    )
    if assignment is None:
        raise NotFound("assignment")
    return assignment


def managed_assignment(actor: User, assignment_id: int) -> Assignment:
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not actor.manages(assignment.mentored.center_id):
        raise NotFound("assignment")
    return assignment


def viewable_session(actor: User, session_id: int) -> MentoringSession:
    session = db.session.get(MentoringSession, session_id)
    if session is None or not (
        session.mentor_id == actor.id
        or actor.manages(session.center_id)
        or session.startup.has_member(actor)
    ):
        raise NotFound("session")
    return session


def tickable_item(actor: User, item_id: int) -> ActionItem:
    item = db.session.get(ActionItem, item_id)
    if item is None or not may_tick(actor, item):
        raise NotFound("action item")
    return item


def editable_milestone(actor: User, milestone_id: int) -> Milestone:
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None:
        raise NotFound("milestone")
    mentored = db.session.get(MentoredStartup, milestone.startup_id)
    if mentored is None or not may_plan(actor, mentored):
        raise NotFound("milestone")
    return milestone


def editable_tag(actor: User, tag_id: int) -> ExpertiseTag:
    tag = db.session.get(ExpertiseTag, tag_id)
    if tag is None or not may_manage_tags(actor):
        raise NotFound("tag")
    return tag


def needing_mentored(actor: User, startup_id: int) -> MentoredStartup:
    mentored = _mentored(startup_id)
    if not may_declare_needs(actor, mentored):
        raise NotFound("startup")
    return mentored


def editable_mentor(actor: User, user_id: int) -> User:
    """A mentor edits their own profile; an administrator anyone's."""
    user = db.session.get(User, user_id)
    if (
        user is None
        or not user.has_role(Role.MENTOR)
        or not (actor.is_admin or actor.id == user.id)
    ):
        raise NotFound("mentor")
    return user
