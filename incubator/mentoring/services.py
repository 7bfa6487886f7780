"""Mentoring: profiles, assignments within capacity, sessions, the founders' confirmation,
action items, KPI check-ins, milestones, the stored figures and the reminders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, case, delete, false, func, literal, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from incubator import audit, signals
from incubator.accounts import services as accounts
from incubator.accounts.models import Role, RoleGrant, User
from incubator.applications.models import Application
from incubator.applications.stages import Stage
from incubator.centers.models import Center
from incubator.db import add_unique, db, utcnow
from incubator.errors import DomainError, NotFound
from incubator.i18n import to_local
from incubator.mail import queue_email
from incubator.mentoring.models import (
    DEFAULT_CAPACITY,
    ActionItem,
    ActionOwner,
    Assignment,
    CenterMonth,
    CheckIn,
    ClosedMonth,
    ExpertiseTag,
    Language,
    MentoredStartup,
    MentoringMonth,
    MentoringSession,
    MentorProfile,
    Milestone,
    MilestoneStatus,
    SessionFormat,
    local_today,
)
from incubator.programs.services import require_manager
from incubator.scheduler import first_time
from incubator.startups.models import Sector, Startup, StartupMember

MENTORED_STAGES = (Stage.INCUBATING, Stage.DEMO_DAY)
QUIET_DAYS = 30
CONFIRM_REMINDER_AFTER = timedelta(days=2)
FLAG_AFTER = timedelta(days=7)  # a session not confirmed by then is flagged to the managers
FLAG_WITHIN = timedelta(days=60)  # the reminder job looks this far back
CHECKIN_DUE_DAY = 5  # check-ins for a month are due by the 5th of the next one
LIST_LIMIT = 10


def month_of(moment: datetime | date) -> date:
    """The first day of the month, in Asia/Ho_Chi_Minh for a moment in time."""
    day = to_local(moment).date() if isinstance(moment, datetime) else moment
    return day.replace(day=1)


def previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


# ------------------------------------------------------------------ access


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


# ---------------------------------------------------------------- enrolment


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


# ---------------------------------------------------------------------- tags


@dataclass
class TagData:
    name_vi: str
    name_en: str


def all_tags() -> Select[Any]:
    """Every tag, the ones in use first (the managers' list)."""
    return select(ExpertiseTag)


def active_tags() -> list[ExpertiseTag]:
    """The tags offered to pick from, in Vietnamese alphabetical order (a short list)."""
    return list(
        db.session.scalars(
            select(ExpertiseTag).where(ExpertiseTag.active.is_(True)).order_by(ExpertiseTag.name_vi)
        )
    )


def picked_tags(tag_ids: Sequence[int], field_name: str) -> list[ExpertiseTag]:
    """The active tags picked on a form; a tag that is not offered is refused."""
    wanted = set(tag_ids)
    if not wanted:
        return []
    tags = list(
        db.session.scalars(
            select(ExpertiseTag).where(ExpertiseTag.id.in_(wanted), ExpertiseTag.active.is_(True))
        )
    )
    if len(tags) != len(wanted):
        raise DomainError(_("Not a valid choice."), field=field_name)
    return sorted(tags, key=lambda t: t.name_vi)


def _languages(values: Sequence[str], field_name: str) -> list[str]:
    if not values:
        raise DomainError(_("Choose at least one language."), field=field_name)
    if any(value not in Language._value2member_map_ for value in values):
        raise DomainError(_("Not a valid choice."), field=field_name)
    return [language.value for language in Language if language.value in values]


def save_tag(actor: User, tag: ExpertiseTag | None, data: TagData) -> ExpertiseTag:
    """Add a tag to the list, or rename one (both names are required)."""
    if not may_manage_tags(actor):
        raise NotFound("tag")
    names = {"name_vi": data.name_vi.strip(), "name_en": data.name_en.strip()}
    for name, value in names.items():
        if not value:
            raise DomainError(_("This field is required."), field=name)
    taken = DomainError(_("A tag with this name is already in the list."), field="name_vi")
    for name, value in names.items():
        other = db.session.scalar(
            select(ExpertiseTag.id).where(
                func.lower(getattr(ExpertiseTag, name)) == value.lower(),
                ExpertiseTag.id != (tag.id if tag else -1),
            )
        )
        if other is not None:
            raise DomainError(taken.message, field=name)
    if tag is None:
        tag = ExpertiseTag(**names)
        add_unique(tag, taken)  # the same name sent twice at once
    else:
        try:
            with db.session.begin_nested():
                tag.name_vi, tag.name_en = names["name_vi"], names["name_en"]
                db.session.flush()
        except IntegrityError as error:
            raise taken from error
    audit.record(actor, "mentoring.tag_saved", tag, name=tag.name_vi)
    return tag


def set_tag_active(actor: User, tag: ExpertiseTag, active: bool) -> ExpertiseTag:
    """Archive a tag (no longer offered; kept where it is used) or bring it back."""
    if not may_manage_tags(actor):
        raise NotFound("tag")
    tag.active = active
    db.session.flush()
    audit.record(actor, "mentoring.tag_archived" if not active else "mentoring.tag_restored", tag)
    return tag


# ------------------------------------------------------------------ profiles


@dataclass
class ProfileData:
    expertise: str
    bio: str
    sectors: list[str]
    capacity: int
    center_ids: set[int]
    tag_ids: list[int] = field(default_factory=list)
    languages: list[str] = field(default_factory=lambda: [Language.VI.value])


def profile_of(user: User) -> MentorProfile | None:
    return db.session.get(MentorProfile, user.id)


def save_profile(actor: User, mentor: User, data: ProfileData) -> MentorProfile:
    if not (actor.is_admin or actor.id == mentor.id):
        raise NotFound("mentor")
    if not 0 <= data.capacity <= 50:
        raise DomainError(_("Capacity is between 0 and 50 startups."), field="capacity")
    if any(value not in Sector._value2member_map_ for value in data.sectors):
        raise DomainError(_("Not a valid choice."), field="sectors")
    languages = _languages(data.languages, "languages")
    tags = picked_tags(data.tag_ids, "tag_ids")
    profile = _locked_profile(mentor)
    profile.expertise = data.expertise.strip()
    profile.bio = data.bio.strip()
    profile.sectors = sorted(set(data.sectors))
    profile.capacity = data.capacity
    profile.languages = languages
    profile.tags = tags
    accounts.set_mentor_centers(mentor, data.center_ids)
    audit.record(actor, "mentor.profile_saved", mentor, capacity=data.capacity)
    return profile


def _locked_profile(mentor: User) -> MentorProfile:
    """The mentor's profile row, created if missing, locked until the transaction ends.

    Every change of a mentor's load goes through this lock, so that concurrent
    assignments count one after the other (SQLite: BEGIN IMMEDIATE already serializes).
    """
    if db.session.get(MentorProfile, mentor.id) is None:
        add_unique(MentorProfile(user_id=mentor.id))  # or created meanwhile by another request
    return db.session.scalars(
        select(MentorProfile)
        .where(MentorProfile.user_id == mentor.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


# --------------------------------------------------------------- assignments


@dataclass
class NeedsData:
    tag_ids: list[int]
    languages: list[str]


def save_needs(actor: User, mentored: MentoredStartup, data: NeedsData) -> MentoredStartup:
    """The tags a startup needs help with and the languages its team works in."""
    if not may_declare_needs(actor, mentored):
        raise NotFound("startup")
    mentored.languages = _languages(data.languages, "languages")
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
    profile = _locked_profile(mentor)
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
    profile = _locked_profile(assignment.mentor)
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
        _check_next_session(at, "next_session_at")
    assignment.next_session_at = at
    db.session.flush()
    return assignment


def _check_next_session(at: datetime, field_name: str) -> None:
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


# ------------------------------------------------------------------ sessions


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
        _check_next_session(data.next_session_at, "next_session_at")
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


# ----------------------------------------------------- check-ins, milestones


@dataclass
class CheckInData:
    month: date
    revenue_vnd: int
    customers: int
    funding_raised_vnd: int
    headcount: int
    note: str = ""


def file_checkin(actor: User, mentored: MentoredStartup, data: CheckInData) -> CheckIn:
    """File, or correct, the check-in of a month (one per startup and month)."""
    if not mentored.startup.has_member(actor):
        raise NotFound("startup")
    month = data.month.replace(day=1)
    if month > month_of(utcnow()):
        raise DomainError(_("A check-in reports on a month that has begun."), field="month")
    if is_closed(mentored.center_id, month):
        raise DomainError(
            _(
                "The check-ins of %(month)s are closed by the center: ask a manager to "
                "correct them.",
                month=month.strftime("%m/%Y"),
            ),
            field="month",
        )
    for name in ("revenue_vnd", "customers", "funding_raised_vnd", "headcount"):
        if getattr(data, name) < 0:
            raise DomainError(_("Figures cannot be negative."), field=name)
    values = {
        "revenue_vnd": data.revenue_vnd,
        "customers": data.customers,
        "funding_raised_vnd": data.funding_raised_vnd,
        "headcount": data.headcount,
        "note": data.note.strip(),
        "submitted_by_id": actor.id,
        "submitted_at": utcnow(),
    }
    checkin = db.session.scalar(
        select(CheckIn).where(CheckIn.startup_id == mentored.startup_id, CheckIn.month == month)
    )
    if checkin is None:
        checkin = CheckIn(startup_id=mentored.startup_id, month=month, **values)
        if not add_unique(checkin):  # filed meanwhile by a co-founder: this one corrects it
            checkin = db.session.scalars(
                select(CheckIn).where(
                    CheckIn.startup_id == mentored.startup_id, CheckIn.month == month
                )
            ).one()
    for name, value in values.items():
        setattr(checkin, name, value)
    if mentored.last_checkin_on is None or mentored.last_checkin_on < month:
        mentored.last_checkin_on = month
    db.session.flush()
    audit.record(actor, "mentoring.checkin_filed", checkin, month=month.isoformat())
    return checkin


def is_closed(center_id: int, month: date) -> bool:
    return db.session.get(ClosedMonth, (center_id, month.replace(day=1))) is not None


def closed_months(center_id: int, limit: int = 12) -> list[ClosedMonth]:
    return list(
        db.session.scalars(
            select(ClosedMonth)
            .where(ClosedMonth.center_id == center_id)
            .order_by(ClosedMonth.month.desc())
            .limit(limit)
        )
    )


def ended_months(count: int = 6) -> list[date]:
    """The last months that have ended, the latest first."""
    months = [previous_month(month_of(utcnow()))]
    while len(months) < count:
        months.append(previous_month(months[-1]))
    return months


def closable_months(center_id: int, count: int = 6) -> list[date]:
    """The last months that have ended and are still open, the latest first."""
    months = ended_months(count)
    closed = set(
        db.session.scalars(
            select(ClosedMonth.month).where(
                ClosedMonth.center_id == center_id, ClosedMonth.month.in_(months)
            )
        )
    )
    return [month for month in months if month not in closed]


def close_month(actor: User, center_id: int, month: date) -> ClosedMonth:
    """Close a month's check-ins for the center: they can no longer be filed or corrected."""
    require_manager(actor, center_id)
    month = month.replace(day=1)
    if month >= month_of(utcnow()):
        raise DomainError(_("Only a month that has ended can be closed."), field="month")
    closed = ClosedMonth(center_id=center_id, month=month, closed_by_id=actor.id)
    add_unique(
        closed,
        DomainError(
            _("%(month)s is already closed.", month=month.strftime("%m/%Y")), field="month"
        ),
    )
    center = db.session.get(Center, center_id)
    audit.record(actor, "mentoring.month_closed", center, month=month.isoformat())
    return closed


def reopen_month(actor: User, center_id: int, month: date) -> None:
    """Open a closed month again, so that founders can file or correct its check-ins."""
    require_manager(actor, center_id)
    month = month.replace(day=1)
    removed = db.session.execute(
        delete(ClosedMonth).where(ClosedMonth.center_id == center_id, ClosedMonth.month == month)
    ).rowcount
    if not removed:  # never closed, or reopened by someone else a moment ago
        raise DomainError(
            _("%(month)s is not closed.", month=month.strftime("%m/%Y")), field="month"
        )
    center = db.session.get(Center, center_id)
    audit.record(actor, "mentoring.month_reopened", center, month=month.isoformat())


@dataclass
class MilestoneData:
    title: str
    due_on: date
    status: MilestoneStatus = MilestoneStatus.PLANNED
    evidence: str = ""


def save_milestone(
    actor: User, mentored: MentoredStartup, milestone: Milestone | None, data: MilestoneData
) -> Milestone:
    if not may_plan(actor, mentored):
        raise NotFound("startup")
    if not data.title.strip():
        raise DomainError(_("This field is required."), field="title")
    if data.status is MilestoneStatus.DONE and not data.evidence.strip():
        raise DomainError(_("Show the evidence that the milestone is reached."), field="evidence")
    if milestone is None:
        milestone = Milestone(startup_id=mentored.startup_id)
        db.session.add(milestone)
    elif milestone.startup_id != mentored.startup_id:
        raise NotFound("milestone")
    milestone.title = data.title.strip()
    milestone.due_on = data.due_on
    milestone.status = data.status
    milestone.evidence = data.evidence.strip()
    db.session.flush()
    audit.record(actor, "mentoring.milestone_saved", milestone, status=data.status.value)
    return milestone


# ------------------------------------------------------- what pages show


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


def _latest_months(model: Any, startup_id: int, months: int) -> list[Any]:
    """A startup's rows of the latest `months` months, oldest first (for the trend charts)."""
    latest = db.session.scalars(
        select(model)
        .where(model.startup_id == startup_id)
        .order_by(model.month.desc())
        .limit(months)
    )
    return sorted(latest, key=lambda row: row.month)


def checkins(startup_id: int, months: int = 12) -> list[CheckIn]:
    return _latest_months(CheckIn, startup_id, months)


def milestones(startup_id: int, limit: int = 20) -> list[Milestone]:
    return list(
        db.session.scalars(
            select(Milestone)
            .where(Milestone.startup_id == startup_id)
            .order_by(Milestone.due_on, Milestone.id)
            .limit(limit)
        )
    )


def mentoring_months(startup_id: int, months: int = 12) -> list[MentoringMonth]:
    return _latest_months(MentoringMonth, startup_id, months)


@dataclass
class CenterFigures:
    minutes_month: int
    sessions_month: int
    minutes_year: int
    sessions_year: int

    @property
    def hours_month(self) -> float:
        return self.minutes_month / 60

    @property
    def hours_year(self) -> float:
        return self.minutes_year / 60


def center_figures(center_id: int, today: date) -> CenterFigures:
    """This month and this year, from at most twelve stored rows."""
    rows = db.session.scalars(
        select(CenterMonth).where(
            CenterMonth.center_id == center_id,
            CenterMonth.month >= today.replace(month=1, day=1),
            CenterMonth.month <= today,
        )
    ).all()
    this = today.replace(day=1)
    return CenterFigures(
        minutes_month=sum(r.minutes for r in rows if r.month == this),
        sessions_month=sum(r.sessions for r in rows if r.month == this),
        minutes_year=sum(r.minutes for r in rows),
        sessions_year=sum(r.sessions for r in rows),
    )


def _count(statement: Select[Any]) -> int:
    """The rows of a filtered statement, counted in the database (an index range)."""
    return db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))


def _flagged(center_id: int, now: datetime) -> Select[Any]:
    return select(MentoringSession).where(
        MentoringSession.center_id == center_id,
        MentoringSession.confirmed_at.is_(None),
        MentoringSession.created_at <= now - FLAG_AFTER,
    )


def flagged_sessions(center_id: int, now: datetime, limit: int = LIST_LIMIT) -> list[Any]:
    """Sessions the founders have not confirmed within 7 days of their logging, the oldest
    first, with their age in days."""
    rows = db.session.scalars(
        _flagged(center_id, now).order_by(MentoringSession.created_at).limit(limit)
    )
    return [(session, (now - session.created_at).days) for session in rows]


def flagged_count(center_id: int, now: datetime) -> int:
    return _count(_flagged(center_id, now))


def _quiet(center_id: int, now: datetime) -> Select[Any]:
    return select(MentoredStartup).where(
        MentoredStartup.center_id == center_id,
        MentoredStartup.active.is_(True),
        or_(
            MentoredStartup.last_session_at.is_(None),
            MentoredStartup.last_session_at < now - timedelta(days=QUIET_DAYS),
        ),
    )


def quiet_startups(center_id: int, now: datetime, limit: int = LIST_LIMIT) -> list[MentoredStartup]:
    """Startups in incubation with no session in the last 30 days, the longest first."""
    return list(
        db.session.scalars(
            _quiet(center_id, now)
            .order_by(
                MentoredStartup.last_session_at.asc().nulls_first(), MentoredStartup.startup_id
            )
            .limit(limit)
        )
    )


def quiet_count(center_id: int, now: datetime) -> int:
    return _count(_quiet(center_id, now))


def _missing(center_id: int, today: date) -> Select[Any]:
    due = previous_month(today.replace(day=1))
    return select(MentoredStartup).where(
        MentoredStartup.center_id == center_id,
        MentoredStartup.active.is_(True),
        or_(MentoredStartup.last_checkin_on.is_(None), MentoredStartup.last_checkin_on < due),
    )


def missing_checkins(center_id: int, today: date, limit: int = LIST_LIMIT) -> list[MentoredStartup]:
    """Startups in incubation whose check-in for last month is missing."""
    return list(
        db.session.scalars(
            _missing(center_id, today)
            .order_by(
                MentoredStartup.last_checkin_on.asc().nulls_first(), MentoredStartup.startup_id
            )
            .limit(limit)
        )
    )


def missing_count(center_id: int, today: date) -> int:
    return _count(_missing(center_id, today))


def stage_counts(center_id: int) -> list[tuple[Stage, int]]:
    """The center's mentored startups per stage (the stage kept on each row, indexed)."""
    rows = dict(
        db.session.execute(
            select(MentoredStartup.stage, func.count())
            .where(MentoredStartup.center_id == center_id)
            .group_by(MentoredStartup.stage)
        ).all()
    )
    return [(stage, rows[stage.value]) for stage in Stage if rows.get(stage.value)]


# ------------------------------------------------- the mentor's and founders'


def _local_month_range(now: datetime) -> tuple[datetime, datetime]:
    """The current month in Asia/Ho_Chi_Minh, as UTC moments [start, end)."""
    local = to_local(now)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def mentor_sessions_this_month(mentor: User, now: datetime) -> int:
    start, end = _local_month_range(now)
    return _count(
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
    return _count(_awaiting(mentor))


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


def next_milestone(startup_id: int) -> Milestone | None:
    """The first milestone not reached yet."""
    return db.session.scalars(
        select(Milestone)
        .where(
            Milestone.startup_id == startup_id,
            Milestone.status.in_((MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS)),
        )
        .order_by(Milestone.due_on, Milestone.id)
        .limit(1)
    ).first()


def center_startups_query(center_id: int) -> Select[Any]:
    """The center's startups in incubation with their stored figures (the manager's list)."""
    return (
        select(MentoredStartup)
        .join(Startup, Startup.id == MentoredStartup.startup_id)
        .where(MentoredStartup.center_id == center_id, MentoredStartup.active.is_(True))
    )


def founder_mentored(user: User) -> list[MentoredStartup]:
    return list(
        db.session.scalars(
            select(MentoredStartup)
            .join(StartupMember, StartupMember.startup_id == MentoredStartup.startup_id)
            .where(StartupMember.user_id == user.id, MentoredStartup.active.is_(True))
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


def center_mentors(center_id: int) -> list[tuple[User, MentorProfile | None]]:
    rows = db.session.execute(
        accounts.serving_mentors(center_id)
        .add_columns(MentorProfile)
        .outerjoin(MentorProfile, MentorProfile.user_id == User.id)
    ).all()
    return [(mentor, profile) for mentor, profile in rows]


# ----------------------------------------------------------------- reminders


@dataclass
class ReminderCounts:
    confirm: int = 0
    checkin: int = 0
    action_items: int = 0
    flagged: int = 0


def send_reminders(now: datetime | None = None) -> ReminderCounts:
    """The scheduled job: remind founders of sessions to confirm and check-ins due, and
    owners of action items due tomorrow. Each reminder is sent once (`first_time`)."""
    now = now or utcnow()
    counts = ReminderCounts()
    with db.transaction():
        _remind_confirmations(now, counts)
        _remind_checkins(now, counts)
        _remind_action_items(now, counts)
        _flag_to_managers(now, counts)
    return counts


def center_managers(center_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(
                RoleGrant.role == Role.MANAGER,
                RoleGrant.center_id == center_id,
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )


def _flag_to_managers(now: datetime, counts: ReminderCounts) -> None:
    """Mail the center's managers, once per session, about a session not confirmed in 7 days."""
    waiting = db.session.scalars(
        select(MentoringSession).where(
            MentoringSession.confirmed_at.is_(None),
            MentoringSession.created_at <= now - FLAG_AFTER,
            MentoringSession.created_at > now - FLAG_WITHIN,
        )
    )
    for session in waiting:
        if first_time("mentoring.flag", session.id):
            days = (now - session.created_at).days
            for manager in center_managers(session.center_id):
                queue_email(manager, "session_flagged", session=session, days=days)
            counts.flagged += 1


def _members(startup: Startup) -> list[User]:
    return [m.user for m in startup.members if m.user.active]


def _remind_confirmations(now: datetime, counts: ReminderCounts) -> None:
    waiting = db.session.scalars(
        select(MentoringSession).where(
            MentoringSession.confirmed_at.is_(None),
            MentoringSession.created_at <= now - CONFIRM_REMINDER_AFTER,
            MentoringSession.created_at > now - timedelta(days=30),
        )
    )
    for session in waiting:
        if first_time("mentoring.confirm", session.id):
            for user in _members(session.startup):
                queue_email(user, "session_confirm_reminder", session=session)
            counts.confirm += 1


def _remind_checkins(now: datetime, counts: ReminderCounts) -> None:
    today = to_local(now).date()
    if today.day < CHECKIN_DUE_DAY:
        return
    due = previous_month(today.replace(day=1))
    for mentored in db.session.scalars(
        select(MentoredStartup).where(
            MentoredStartup.active.is_(True),
            or_(MentoredStartup.last_checkin_on.is_(None), MentoredStartup.last_checkin_on < due),
        )
    ):
        if first_time("mentoring.checkin", mentored.startup_id, due.isoformat()):
            for user in _members(mentored.startup):
                queue_email(user, "checkin_reminder", mentored=mentored, month=due)
            counts.checkin += 1


def _remind_action_items(now: datetime, counts: ReminderCounts) -> None:
    tomorrow = to_local(now).date() + timedelta(days=1)
    for item in db.session.scalars(
        select(ActionItem).where(ActionItem.done_at.is_(None), ActionItem.due_on == tomorrow)
    ):
        if first_time("mentoring.action_item", item.id):
            owners = (
                [item.session.mentor]
                if item.owner is ActionOwner.MENTOR
                else _members(item.session.startup)
            )
            for user in owners:
                queue_email(user, "action_item_reminder", item=item)
            counts.action_items += 1
