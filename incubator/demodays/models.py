"""Demo days: the day's running order (pitches and breaks), its judging rubric, the invited
judges, their scores, comments and abstentions, the stored results and the certificates."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incubator.accounts.models import User
from incubator.applications.models import Application
from incubator.db import Base, UTCDateTime, enum_column, utcnow
from incubator.enums import LabelledEnum, labelled
from incubator.i18n import localized
from incubator.programs.models import Program

MAX_SCORE = 10  # the highest a criterion may go up to (the scores' check constraint)


class Status(LabelledEnum):
    PLANNING = "planning"
    JUDGING = "judging"
    CLOSED = "closed"
    PUBLISHED = "published"


labelled(
    Status,
    {
        Status.PLANNING: _l("Planning"),
        Status.JUDGING: _l("Judging open"),
        Status.CLOSED: _l("Judging closed"),
        Status.PUBLISHED: _l("Results published"),
    },
)


class DemoDay(Base):
    """One demo day of a program. Its status is changed only by conditional UPDATEs, and every
    score written first takes the row (an UPDATE where the status is still `judging`): a
    publication and a score can never interleave."""

    __tablename__ = "demo_days"
    __table_args__ = (
        CheckConstraint("pitch_minutes BETWEEN 1 AND 60", name="pitch_minutes_range"),
        CheckConstraint("qa_minutes BETWEEN 0 AND 60", name="qa_minutes_range"),
        Index("ix_demo_days_center_starts_at", "center_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"))
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue: Mapped[str] = mapped_column(String(300), default="")
    pitch_minutes: Mapped[int] = mapped_column(default=7)
    qa_minutes: Mapped[int] = mapped_column(default=3)
    status: Mapped[Status] = mapped_column(
        enum_column(Status, "demo_day_status"), default=Status.PLANNING
    )
    # the slot on stage now (the manager advances it); judges' pages follow it. No foreign
    # key (slots belong to the demo day: a cycle); a removed slot is simply not found.
    current_slot_id: Mapped[int | None]
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    program: Mapped[Program] = relationship(lazy="joined", innerjoin=True)
    criteria: Mapped[list[DemoCriterion]] = relationship(
        back_populates="demo_day",
        order_by="DemoCriterion.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    slots: Mapped[list[DemoSlot]] = relationship(
        back_populates="demo_day",
        order_by="DemoSlot.position",
        cascade="all, delete-orphan",
        foreign_keys="DemoSlot.demo_day_id",
        lazy="selectin",
    )

    @property
    def name(self) -> str:
        return localized(self, "name")

    @property
    def slot_minutes(self) -> int:
        return self.pitch_minutes + self.qa_minutes

    @property
    def published(self) -> bool:
        return self.status is Status.PUBLISHED

    @property
    def public(self) -> bool:
        """Whether its schedule is public: not while it is still being planned."""
        return self.status is not Status.PLANNING

    @property
    def pitches(self) -> list[DemoSlot]:
        return [slot for slot in self.slots if slot.application_id is not None]


class DemoCriterion(Base):
    """A criterion of the demo day's own rubric (copied from the program's, then edited)."""

    __tablename__ = "demo_criteria"
    __table_args__ = (
        CheckConstraint("weight BETWEEN 1 AND 100", name="weight_range"),
        CheckConstraint(f"max_score BETWEEN 1 AND {MAX_SCORE}", name="max_score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    demo_day_id: Mapped[int] = mapped_column(
        ForeignKey("demo_days.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    weight: Mapped[int]
    max_score: Mapped[int]

    demo_day: Mapped[DemoDay] = relationship(back_populates="criteria")

    @property
    def name(self) -> str:
        return localized(self, "name")


class DemoSlot(Base):
    """A place in the running order: a startup's pitch (its application) or a break.

    A pitch stores its results, recomputed in the transaction that changes a score, so the
    leaderboard reads them sorted instead of aggregating the scores per request."""

    __tablename__ = "demo_slots"
    __table_args__ = (
        UniqueConstraint("demo_day_id", "application_id", name="one_per_startup"),
        CheckConstraint(
            "(application_id IS NULL) <> (break_minutes IS NULL)", name="pitch_or_break"
        ),
        CheckConstraint("break_minutes IS NULL OR break_minutes BETWEEN 1 AND 240", name="break"),
        Index("ix_demo_slots_demo_day_position", "demo_day_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    demo_day_id: Mapped[int] = mapped_column(ForeignKey("demo_days.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    break_minutes: Mapped[int | None]
    break_label: Mapped[str] = mapped_column(String(120), default="")
    # stored results (None until a judge completed a sheet)
    raw_mean: Mapped[float | None] = mapped_column(Float)
    normalized: Mapped[float | None] = mapped_column(Float)
    judges_count: Mapped[int] = mapped_column(default=0)
    abstentions: Mapped[int] = mapped_column(default=0)

    demo_day: Mapped[DemoDay] = relationship(back_populates="slots", foreign_keys=[demo_day_id])
    application: Mapped[Application | None] = relationship(lazy="joined")

    @property
    def is_break(self) -> bool:
        return self.application_id is None


class DemoJudge(Base):
    """A judge invited to a demo day."""

    __tablename__ = "demo_judges"

    demo_day_id: Mapped[int] = mapped_column(
        ForeignKey("demo_days.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class JudgeSheet(Base):
    """A judge's comment on a pitch, and whether they abstain (a conflict of interest)."""

    __tablename__ = "judge_sheets"
    __table_args__ = (UniqueConstraint("slot_id", "judge_id", name="one_per_judge"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("demo_slots.id", ondelete="CASCADE"))
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    abstained: Mapped[bool] = mapped_column(default=False)
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DemoScore(Base):
    """One judge's score of one pitch on one criterion: at most one, within the range."""

    __tablename__ = "demo_scores"
    __table_args__ = (
        UniqueConstraint("slot_id", "judge_id", "criterion_id", name="one_per_criterion"),
        CheckConstraint(f"value BETWEEN 0 AND {MAX_SCORE}", name="value_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("demo_slots.id", ondelete="CASCADE"))
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(
        ForeignKey("demo_criteria.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Certificate(Base):
    """A certificate of completion, written once when a startup graduates from a published
    demo day; the printed values are kept so that the PDF never changes afterwards."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), unique=True
    )
    demo_day_id: Mapped[int] = mapped_column(
        ForeignKey("demo_days.id", ondelete="CASCADE"), index=True
    )
    startup_name: Mapped[str] = mapped_column(String(200))
    founders: Mapped[list[str]] = mapped_column(JSON, default=list)
    program_name_vi: Mapped[str] = mapped_column(String(200))
    program_name_en: Mapped[str] = mapped_column(String(200), default="")
    center_name: Mapped[str] = mapped_column(String(200))
    issued_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str] = mapped_column(Text, default="")

    application: Mapped[Application] = relationship(lazy="joined", innerjoin=True)

    @property
    def program_name(self) -> str:
        return localized(self, "program_name")
