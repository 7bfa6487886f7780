"""Mentoring: mentor profiles, assignments, sessions with action items and the founders'
feedback, monthly KPI check-ins, milestones, and the figures stored for the dashboards."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incubator.accounts.models import User
from incubator.applications.models import Application
from incubator.applications.stages import Stage
from incubator.db import Base, UTCDateTime, enum_column, utcnow
from incubator.enums import LabelledEnum, labelled
from incubator.i18n import localized, to_local
from incubator.startups.models import Startup


def local_today() -> date:
    return to_local(utcnow()).date()


class SessionFormat(LabelledEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    PHONE = "phone"


class ActionOwner(LabelledEnum):
    STARTUP = "startup"
    MENTOR = "mentor"


class MilestoneStatus(LabelledEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    MISSED = "missed"


labelled(
    SessionFormat,
    {
        SessionFormat.IN_PERSON: _l("In person"),
        SessionFormat.ONLINE: _l("Online"),
        SessionFormat.PHONE: _l("Phone call"),
    },
)


class Language(LabelledEnum):
    """Languages a mentor speaks and a startup works in (for the suggestions)."""

    VI = "vi"
    EN = "en"
    ZH = "zh"
    KO = "ko"
    JA = "ja"


labelled(
    Language,
    {
        Language.VI: _l("Vietnamese"),
        Language.EN: _l("English"),
        Language.ZH: _l("Chinese"),
        Language.KO: _l("Korean"),
        Language.JA: _l("Japanese"),
    },
)


def default_languages() -> list[str]:
    return [Language.VI.value]


labelled(ActionOwner, {ActionOwner.STARTUP: _l("The startup"), ActionOwner.MENTOR: _l("Mentor")})
labelled(
    MilestoneStatus,
    {
        MilestoneStatus.PLANNED: _l("Planned"),
        MilestoneStatus.IN_PROGRESS: _l("In progress"),
        MilestoneStatus.DONE: _l("Done"),
        MilestoneStatus.MISSED: _l("Missed"),
    },
)


DEFAULT_CAPACITY = 3


class ExpertiseTag(Base):
    """A tag of the managed, bilingual list: mentors' expertise, startups' needs and the
    topics of sessions. Archived (inactive) tags stay on what used them but are no longer
    offered."""

    __tablename__ = "expertise_tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(80), unique=True)
    name_en: Mapped[str] = mapped_column(String(80), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def name(self) -> str:
        return localized(self, "name")


def _tag_link(name: str, owner: str, owner_column: str) -> Table:
    return Table(
        name,
        Base.metadata,
        Column(owner, ForeignKey(owner_column, ondelete="CASCADE"), primary_key=True),
        Column(
            "tag_id",
            ForeignKey("expertise_tags.id", ondelete="CASCADE"),
            primary_key=True,
            index=True,
        ),
    )


mentor_expertise = _tag_link("mentor_expertise", "user_id", "mentor_profiles.user_id")
startup_needs = _tag_link("startup_needs", "startup_id", "mentored_startups.startup_id")
session_topics = _tag_link("session_topics", "session_id", "mentoring_sessions.id")
_TAG_ORDER = "ExpertiseTag.name_vi"


class MentorProfile(Base):
    """What a mentor offers; its row is locked while a startup is assigned to them."""

    __tablename__ = "mentor_profiles"
    __table_args__ = (CheckConstraint("capacity BETWEEN 0 AND 50", name="capacity_range"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    expertise: Mapped[str] = mapped_column(String(300), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    # Sector values (startups.models.Sector) the mentor knows best, for suggestions.
    sectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Language values the mentor mentors in
    languages: Mapped[list[str]] = mapped_column(JSON, default=default_languages)
    capacity: Mapped[int] = mapped_column(default=DEFAULT_CAPACITY)
    # Stored with each assignment and its end: the load shown and sorted without counting.
    active_assignments: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    tags: Mapped[list[ExpertiseTag]] = relationship(
        secondary=mentor_expertise, lazy="selectin", order_by=_TAG_ORDER
    )

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.active_assignments)


class MentoredStartup(Base):
    """A startup in incubation (or preparing demo day) at a center, with its stored figures.

    Written when the startup's application enters incubation (signals.stage_changed);
    the dashboards filter and sort these rows instead of aggregating sessions.
    """

    __tablename__ = "mentored_startups"
    __table_args__ = (
        Index("ix_mentored_startups_center_last_session", "center_id", "active", "last_session_at"),
        Index("ix_mentored_startups_center_last_checkin", "center_id", "active", "last_checkin_on"),
        Index("ix_mentored_startups_center_stage", "center_id", "stage"),
    )

    startup_id: Mapped[int] = mapped_column(
        ForeignKey("startups.id", ondelete="CASCADE"), primary_key=True
    )
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"))
    active: Mapped[bool] = mapped_column(default=True)
    # the application's stage (a Stage value), kept by signals.stage_changed: per-stage counts
    stage: Mapped[str] = mapped_column(String(24), default=Stage.INCUBATING.value)
    # Language values the team works in, and the tags it declared it needs (the founders')
    languages: Mapped[list[str]] = mapped_column(JSON, default=default_languages)
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_session_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # first day of the month of the latest KPI check-in
    last_checkin_on: Mapped[date | None]
    sessions: Mapped[int] = mapped_column(default=0)
    minutes: Mapped[int] = mapped_column(default=0)
    rating_total: Mapped[int] = mapped_column(default=0)
    ratings: Mapped[int] = mapped_column(default=0)

    startup: Mapped[Startup] = relationship(lazy="joined", innerjoin=True)
    application: Mapped[Application] = relationship()
    needs: Mapped[list[ExpertiseTag]] = relationship(
        secondary=startup_needs, lazy="selectin", order_by=_TAG_ORDER
    )

    @property
    def current_stage(self) -> Stage:
        return Stage(self.stage)

    @property
    def average_rating(self) -> float | None:
        return self.rating_total / self.ratings if self.ratings else None


class Assignment(Base):
    """A mentor assigned to a mentored startup; ended, never deleted."""

    __tablename__ = "mentor_assignments"
    __table_args__ = (
        UniqueConstraint("startup_id", "mentor_id", name="one_per_mentor"),
        Index("ix_mentor_assignments_mentor_active", "mentor_id", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    startup_id: Mapped[int] = mapped_column(
        ForeignKey("mentored_startups.startup_id", ondelete="CASCADE"), index=True
    )
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the planned period and goals (always set by services.assign; NULL only in the database,
    # which cannot add a NOT NULL date column in place on SQLite)
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    goals: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the next meeting the mentor planned (founders' upcoming sessions, the calendar feed)
    next_session_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_session_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sessions: Mapped[int] = mapped_column(default=0)
    minutes: Mapped[int] = mapped_column(default=0)

    mentored: Mapped[MentoredStartup] = relationship(lazy="joined", innerjoin=True)
    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id], lazy="joined", innerjoin=True)

    @property
    def startup(self) -> Startup:
        return self.mentored.startup


class MentoringSession(Base):
    """One session as the mentor logged it, and the founders' confirmation and rating."""

    __tablename__ = "mentoring_sessions"
    __table_args__ = (
        # a form sent twice (a dropped connection, a double tap) logs one session
        UniqueConstraint("mentor_id", "client_key", name="one_per_form"),
        CheckConstraint("minutes BETWEEN 5 AND 600", name="minutes_range"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
        Index("ix_mentoring_sessions_startup_held", "startup_id", "held_at"),
        Index("ix_mentoring_sessions_mentor_held", "mentor_id", "held_at"),
        Index(
            "ix_mentoring_sessions_center_unconfirmed", "center_id", "confirmed_at", "created_at"
        ),
        Index("ix_mentoring_sessions_mentor_unconfirmed", "mentor_id", "confirmed_at", "held_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("mentor_assignments.id", ondelete="CASCADE"), index=True
    )
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    startup_id: Mapped[int] = mapped_column(ForeignKey("startups.id", ondelete="CASCADE"))
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"))
    client_key: Mapped[str] = mapped_column(String(40))
    held_at: Mapped[datetime] = mapped_column(UTCDateTime)
    minutes: Mapped[int]
    format: Mapped[SessionFormat] = mapped_column(enum_column(SessionFormat, "session_format"))
    topics: Mapped[str] = mapped_column(String(300), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    private_notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rating: Mapped[int | None]
    feedback: Mapped[str] = mapped_column(Text, default="")

    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id], lazy="joined", innerjoin=True)
    startup: Mapped[Startup] = relationship(lazy="joined", innerjoin=True)
    topic_tags: Mapped[list[ExpertiseTag]] = relationship(
        secondary=session_topics, lazy="selectin", order_by=_TAG_ORDER
    )
    action_items: Mapped[list[ActionItem]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="ActionItem.id",
    )

    @property
    def topic_line(self) -> str:
        """The topics' tags in the page's language, then the other topics typed."""
        return ", ".join([t.name for t in self.topic_tags] + ([self.topics] if self.topics else []))


class ActionItem(Base):
    __tablename__ = "action_items"
    __table_args__ = (Index("ix_action_items_startup_open", "startup_id", "done_at", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_sessions.id", ondelete="CASCADE"), index=True
    )
    startup_id: Mapped[int] = mapped_column(ForeignKey("startups.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    owner: Mapped[ActionOwner] = mapped_column(enum_column(ActionOwner, "action_owner"))
    due_on: Mapped[date | None]
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    session: Mapped[MentoringSession] = relationship(back_populates="action_items")
    startup: Mapped[Startup] = relationship(lazy="joined", innerjoin=True)

    @property
    def overdue(self) -> bool:
        return self.done_at is None and self.due_on is not None and self.due_on < local_today()


class CheckIn(Base):
    """A startup's monthly KPI check-in (báo cáo chỉ số hằng tháng)."""

    __tablename__ = "kpi_checkins"
    __table_args__ = (
        UniqueConstraint("startup_id", "month", name="one_per_month"),
        CheckConstraint(
            "revenue_vnd >= 0 AND customers >= 0 AND funding_raised_vnd >= 0 AND headcount >= 0",
            name="not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    startup_id: Mapped[int] = mapped_column(ForeignKey("startups.id", ondelete="CASCADE"))
    month: Mapped[date]  # the first day of the month reported on
    revenue_vnd: Mapped[int] = mapped_column(BigInteger)
    customers: Mapped[int]
    funding_raised_vnd: Mapped[int] = mapped_column(BigInteger)
    headcount: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Milestone(Base):
    __tablename__ = "milestones"
    __table_args__ = (Index("ix_milestones_startup_due", "startup_id", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    startup_id: Mapped[int] = mapped_column(ForeignKey("startups.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date]
    status: Mapped[MilestoneStatus] = mapped_column(
        enum_column(MilestoneStatus, "milestone_status"), default=MilestoneStatus.PLANNED
    )
    evidence: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MentoringMonth(Base):
    """Minutes and sessions of mentoring per startup and month (held_at, local time)."""

    __tablename__ = "mentoring_months"

    startup_id: Mapped[int] = mapped_column(
        ForeignKey("startups.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(primary_key=True)
    minutes: Mapped[int] = mapped_column(default=0)
    sessions: Mapped[int] = mapped_column(default=0)


class CenterMonth(Base):
    """Minutes and sessions of mentoring per center and month: the dashboard's hours."""

    __tablename__ = "mentoring_center_months"

    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
    minutes: Mapped[int] = mapped_column(default=0)
    sessions: Mapped[int] = mapped_column(default=0)


class ClosedMonth(Base):
    """A month whose check-ins a manager closed for their center: no more edits."""

    __tablename__ = "checkin_closed_months"

    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarToken(Base):
    """The secret of a user's calendar feed address: random, replaced when revoked. Only its
    SHA-256 is stored (as for API tokens): the address is shown once, when made."""

    __tablename__ = "calendar_tokens"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
