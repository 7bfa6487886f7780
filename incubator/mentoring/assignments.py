"""Assignments: startups enrolled in mentoring as they enter incubation, their needs, suggested
mentors, assigning within capacity, ending, planning the next session, and the lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from incubator import audit
from incubator.accounts import services as accounts
from incubator.accounts.models import Role, User
from incubator.applications.models import Application
from incubator.applications.stages import Stage
from incubator.db import db, utcnow
from incubator.errors import DomainError, NotFound
from incubator.mail import queue_email
from incubator.mentoring.access import may_declare_needs
from incubator.mentoring.models import (
    DEFAULT_CAPACITY,
    Assignment,
    Language,
    MentoredStartup,
    MentorProfile,
    local_today,
)
from incubator.mentoring.profiles import center_mentors, locked_profile
from incubator.mentoring.tags import picked_languages, picked_tags
from incubator.programs.services import require_manager
from incubator.startups.models import StartupMember

MENTORED_STAGES = (Stage.INCUBATING, Stage.DEMO_DAY)


def follow_stage(application: Application, **_event: Any) -> None:
    """On `signals.stage_changed`: a startup entering incubation is mentored at the program's
    center; leaving the program ends its mentoring."""
    enrol(application, application.stage in MENTORED_STAGES)


def enrol(application: Application, active: bool = True) -> MentoredStartup | None:
    mentored = db.session.get(MentoredStartup, application.startup_id)
    if mentored is None:
        if not active:
            return None
        mentored = MentoredStartup(startup_id=application.startup_id)
        db.session.add(mentored)
    if mentored.active and not active and mentored.application_id != application.id:
        return mentored  # another program of the startup is not this one's business
    mentored.application_id = application.id
    mentored.center_id = application.program.center_id
    mentored.active = active
    mentored.stage = application.stage.value
    if not active:
        for assignment in db.session.scalars(
            select(Assignment).where(
                Assignment.startup_id == mentored.startup_id, Assignment.active.is_(True)
            )
        ):
            _end(assignment)
    db.session.flush()
    return mentored


@dataclass
class NeedsData:
    tag_ids: list[int]
    languages: list[str]


def save_needs(actor: User, mentored: MentoredStartup, data: NeedsData) -> MentoredStartup:
    """The tags a startup needs help with and the languages its team works in."""
    if not may_declare_needs(actor, mentored):
        raise NotFound("startup")
    mentored.languages = picked_languages(data.languages, "languages")
    mentored.needs = picked_tags(data.tag_ids, "tag_ids")
    db.session.flush()
    audit.record(actor, "mentoring.needs_saved", mentored.startup, tags=len(mentored.needs))
    return mentored


@dataclass
class Suggestion:
    mentor: User
    profile: MentorProfile | None
    score: float
    free: int
    capacity: int
    matches: list[str] = field(default_factory=list)  # the sector and the tags it needs
    languages: list[Language] = field(default_factory=list)  # shared with the team

    @property
    def reasons(self) -> list[str]:
        """ "Agriculture technology, IoT; Vietnamese, English; 2 of 4 places free"."""
        reasons = [", ".join(self.matches)] if self.matches else []
        if self.languages:
            reasons.append(", ".join(str(language.label) for language in self.languages))
        reasons.append(
            _("%(free)d of %(capacity)d places free", free=self.free, capacity=self.capacity)
        )
        return reasons


# how much each kind of fit weighs in the ranking; free places break the ties
SECTOR_WEIGHT, TAG_WEIGHT, LANGUAGE_WEIGHT = 3.0, 2.0, 1.0


def suggestions(mentored: MentoredStartup, limit: int = 5) -> list[Suggestion]:
    """The center's mentors with a free place, best fit first: the startup's sector and the
    tags it needs against the mentor's sectors and expertise, a shared language, then the
    share of free places."""
    assigned = set(
        db.session.scalars(
            select(Assignment.mentor_id).where(
                Assignment.startup_id == mentored.startup_id, Assignment.active.is_(True)
            )
        )
    )
    startup = mentored.startup
    needs = {tag.id for tag in mentored.needs}
    found = []
    for mentor, profile in center_mentors(mentored.center_id):
        if mentor.id in assigned or startup.has_member(mentor):
            continue
        capacity = profile.capacity if profile else DEFAULT_CAPACITY
        free = profile.free if profile else DEFAULT_CAPACITY
        if free <= 0:
            continue
        matches = []
        if profile is not None and startup.sector.value in profile.sectors:
            matches.append(str(startup.sector.label))
        tags = [tag.name for tag in profile.tags if tag.id in needs] if profile else []
        matches.extend(tags)
        spoken = profile.languages if profile else [Language.VI.value]
        languages = [Language(v) for v in mentored.languages if v in spoken]
        score = (
            SECTOR_WEIGHT * (len(matches) > len(tags))
            + TAG_WEIGHT * len(tags)
            + LANGUAGE_WEIGHT * bool(languages)
            + free / capacity
        )
        found.append(Suggestion(mentor, profile, score, free, capacity, matches, languages))
    found.sort(key=lambda s: (-s.score, s.mentor.name, s.mentor.id))
    return found[:limit]


def assignable_mentor(mentored: MentoredStartup, user_id: int) -> User:
    """An active mentor serving the startup's center."""
    user = db.session.get(User, user_id)
    if (
        user is None
        or not user.active
        or not user.has_role(Role.MENTOR)
        or mentored.center_id not in accounts.mentor_center_ids(user)
    ):
        raise NotFound("mentor")
    return user


@dataclass
class AssignmentData:
    starts_on: date
    ends_on: date | None = None
    goals: str = ""


PLAN_RANGE = timedelta(days=366)  # how far from today a mentoring may start


def _check_period(data: AssignmentData) -> None:
    today = local_today()
    if not today - PLAN_RANGE <= data.starts_on <= today + PLAN_RANGE:
        raise DomainError(_("The start is within a year from today."), field="starts_on")
    if data.ends_on is not None and data.ends_on < data.starts_on:
        raise DomainError(_("The end comes after the start."), field="ends_on")
    if data.ends_on is not None and data.ends_on > data.starts_on + 3 * PLAN_RANGE:
        raise DomainError(_("A mentoring lasts three years at most."), field="ends_on")


def assign(
    actor: User, mentored: MentoredStartup, mentor: User, data: AssignmentData | None = None
) -> Assignment:
    """Assign a mentor for a period with goals, within the mentor's capacity."""
    data = data or AssignmentData(starts_on=local_today())
    require_manager(actor, mentored.center_id)
    _check_period(data)
    if not mentored.active:
        raise DomainError(_("Mentors are assigned only to startups in incubation."))
    if not mentor.active or not mentor.has_role(Role.MENTOR):
        raise DomainError(_("Only active mentors can be assigned."), field="mentor_id")
    if mentored.center_id not in accounts.mentor_center_ids(mentor):
        raise DomainError(
            _("%(name)s does not serve this center.", name=mentor.name), field="mentor_id"
        )
    if mentored.startup.has_member(mentor):
        raise DomainError(_("A member of the startup cannot mentor it."), field="mentor_id")
    profile = locked_profile(mentor)
    assignment = db.session.scalar(
        select(Assignment).where(
            Assignment.startup_id == mentored.startup_id, Assignment.mentor_id == mentor.id
        )
    )
    if assignment is not None and assignment.active:
        raise DomainError(
            _("%(name)s already mentors this startup.", name=mentor.name), field="mentor_id"
        )
    if profile.active_assignments >= profile.capacity:
        raise DomainError(
            _(
                "%(name)s is full: %(n)d of %(capacity)d places taken.",
                name=mentor.name,
                n=profile.active_assignments,
                capacity=profile.capacity,
            ),
            field="mentor_id",
        )
    if assignment is None:
        assignment = Assignment(startup_id=mentored.startup_id, mentor_id=mentor.id)
        db.session.add(assignment)
    assignment.active = True
    assignment.ended_at = None
    assignment.assigned_by_id = actor.id
    assignment.assigned_at = utcnow()
    assignment.starts_on = data.starts_on
    assignment.ends_on = data.ends_on
    assignment.goals = data.goals.strip()
    assignment.next_session_at = None
    profile.active_assignments += 1
    db.session.flush()
    audit.record(actor, "mentoring.assigned", assignment, mentor=mentor.id)
    queue_email(mentor, "mentor_assigned", assignment=assignment)
    return assignment


def _end(assignment: Assignment) -> None:
    profile = locked_profile(assignment.mentor)
    assignment.active = False
    assignment.ended_at = utcnow()
    # the end is today (not before the start, for a mentoring ended before it began)
    assignment.ends_on = max(local_today(), assignment.starts_on or local_today())
    assignment.next_session_at = None
    profile.active_assignments = max(0, profile.active_assignments - 1)


def end_assignment(actor: User, assignment: Assignment) -> None:
    require_manager(actor, assignment.mentored.center_id)
    if not assignment.active:
        raise DomainError(_("This assignment has already ended."))
    _end(assignment)
    audit.record(actor, "mentoring.ended", assignment)


NEXT_SESSION_RANGE = timedelta(days=366)


def plan_next_session(actor: User, assignment: Assignment, at: datetime | None) -> Assignment:
    """The mentor plans the next meeting (None: no meeting planned); the founders see it
    among their upcoming sessions and both find it in their calendar feed."""
    if assignment.mentor_id != actor.id or not assignment.active:
        raise NotFound("assignment")
    if at is not None:
        check_next_session(at, "next_session_at")
    assignment.next_session_at = at
    db.session.flush()
    return assignment


def check_next_session(at: datetime, field_name: str) -> None:
    now = utcnow()
    if at < now:
        raise DomainError(_("The next session is in the future."), field=field_name)
    if at > now + NEXT_SESSION_RANGE:
        raise DomainError(_("Plan the next session within a year."), field=field_name)


def assignments_of(mentored: MentoredStartup) -> list[Assignment]:
    return list(
        db.session.scalars(
            select(Assignment)
            .where(Assignment.startup_id == mentored.startup_id, Assignment.active.is_(True))
            .order_by(Assignment.assigned_at)
        )
    )


def mentor_assignments(mentor: User) -> list[Assignment]:
    """The mentor's current startups, the longest without a session first (bounded by capacity)."""
    return list(
        db.session.scalars(
            select(Assignment)
            .where(Assignment.mentor_id == mentor.id, Assignment.active.is_(True))
            .order_by(Assignment.last_session_at.asc().nulls_first(), Assignment.id)
        )
    )


def founder_mentored(user: User) -> list[MentoredStartup]:
    return list(
        db.session.scalars(
            select(MentoredStartup)
            .join(StartupMember, StartupMember.startup_id == MentoredStartup.startup_id)
            .where(StartupMember.user_id == user.id, MentoredStartup.active.is_(True))
        )
    )
