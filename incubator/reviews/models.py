from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incubator.accounts.models import User
from incubator.applications.models import Application
from incubator.db import Base, UTCDateTime, enum_column, utcnow
from incubator.enums import LabelledEnum, labelled
from incubator.programs.models import RubricCriterion


class Conflict(LabelledEnum):
    """The reviewer's declaration, made before the application is shown to them."""

    PENDING = "pending"
    NONE = "none"
    DECLARED = "declared"


labelled(
    Conflict,
    {
        Conflict.PENDING: _l("Conflict of interest not declared yet"),
        Conflict.NONE: _l("No conflict of interest"),
        Conflict.DECLARED: _l("Conflict of interest declared"),
    },
)


class Review(Base):
    """A reviewer assigned to an application, and their scores."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("application_id", "reviewer_id", name="one_per_reviewer"),
        # the reviewer's queue, newest first: an index range scan with LIMIT, not a sort of
        # every review of the reviewer
        Index("ix_reviews_reviewer_assigned", "reviewer_id", "assigned_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    conflict: Mapped[Conflict] = mapped_column(
        enum_column(Conflict, "conflict"), default=Conflict.PENDING
    )
    conflict_note: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    application: Mapped[Application] = relationship(lazy="joined", innerjoin=True)
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id], lazy="joined")
    scores: Mapped[list[ReviewScore]] = relationship(
        back_populates="review", cascade="all, delete-orphan", lazy="selectin"
    )

    def score_for(self, criterion_id: int) -> ReviewScore | None:
        return next((s for s in self.scores if s.criterion_id == criterion_id), None)


class ReviewScore(Base):
    __tablename__ = "review_scores"
    __table_args__ = (CheckConstraint("score >= 0", name="score_not_negative"),)

    review_id: Mapped[int] = mapped_column(
        ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True
    )
    criterion_id: Mapped[int] = mapped_column(
        ForeignKey("rubric_criteria.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    score: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")

    review: Mapped[Review] = relationship(back_populates="scores")
    criterion: Mapped[RubricCriterion] = relationship()
