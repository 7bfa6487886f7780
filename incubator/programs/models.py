from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incubator.centers.models import Center
from incubator.db import Base, UTCDateTime, enum_column, utcnow
from incubator.enums import LabelledEnum, labelled
from incubator.i18n import localized

if TYPE_CHECKING:
    from incubator.accounts.models import User


class ProgramKind(LabelledEnum):
    INCUBATION = "incubation"
    ACCELERATION = "acceleration"


labelled(
    ProgramKind,
    {ProgramKind.INCUBATION: _l("Incubation"), ProgramKind.ACCELERATION: _l("Acceleration")},
)


class ProgramStatus(LabelledEnum):
    """Draft programs are seen by managers only; published ones are public calls."""

    DRAFT = "draft"
    PUBLISHED = "published"


labelled(
    ProgramStatus, {ProgramStatus.DRAFT: _l("Draft"), ProgramStatus.PUBLISHED: _l("Published")}
)


class _Bilingual:
    """`name` and `description` in the page's language, from their _vi and _en columns."""

    @property
    def name(self) -> str:
        return localized(self, "name")

    @property
    def description(self) -> str:
        return localized(self, "description")


class Program(_Bilingual, Base):
    """An intake call and the cohort that comes out of it."""

    __tablename__ = "programs"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="window_order"),
        CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="period_order"
        ),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        Index("ix_programs_status_closes_at", "status", "closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), index=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ProgramKind] = mapped_column(enum_column(ProgramKind, "kind"))
    description_vi: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    capacity: Mapped[int]
    status: Mapped[ProgramStatus] = mapped_column(
        enum_column(ProgramStatus, "status"), default=ProgramStatus.DRAFT
    )
    review_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    center: Mapped[Center] = relationship(lazy="joined")
    criteria: Mapped[list[RubricCriterion]] = relationship(
        back_populates="program",
        order_by="RubricCriterion.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    created_by: Mapped[User | None] = relationship()

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.status is ProgramStatus.PUBLISHED and self.opens_at <= now < self.closes_at

    @property
    def review_closed(self) -> bool:
        return self.review_closed_at is not None


class RubricCriterion(_Bilingual, Base):
    __tablename__ = "rubric_criteria"
    __table_args__ = (
        CheckConstraint("weight > 0", name="weight_positive"),
        CheckConstraint("max_score > 0", name="max_score_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    description_vi: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[int]
    max_score: Mapped[int]

    program: Mapped[Program] = relationship(back_populates="criteria")
