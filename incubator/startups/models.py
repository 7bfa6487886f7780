from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incubator.accounts.models import User
from incubator.db import Base, UTCDateTime, enum_column, utcnow
from incubator.enums import LabelledEnum, labelled


class Sector(LabelledEnum):
    AGRITECH = "agritech"
    AI_DATA = "ai_data"
    CLEANTECH = "cleantech"
    ECOMMERCE = "ecommerce"
    EDTECH = "edtech"
    FINTECH = "fintech"
    HEALTHTECH = "healthtech"
    IOT_HARDWARE = "iot_hardware"
    LOGISTICS = "logistics"
    MANUFACTURING = "manufacturing"
    TOURISM_FOOD = "tourism_food"
    OTHER = "other"


labelled(
    Sector,
    {
        Sector.AGRITECH: _l("Agriculture technology"),
        Sector.AI_DATA: _l("Artificial intelligence and data"),
        Sector.CLEANTECH: _l("Clean energy and environment"),
        Sector.ECOMMERCE: _l("E-commerce and retail"),
        Sector.EDTECH: _l("Education technology"),
        Sector.FINTECH: _l("Financial technology"),
        Sector.HEALTHTECH: _l("Health technology"),
        Sector.IOT_HARDWARE: _l("IoT and hardware"),
        Sector.LOGISTICS: _l("Logistics and transport"),
        Sector.MANUFACTURING: _l("Smart manufacturing"),
        Sector.TOURISM_FOOD: _l("Tourism, food and beverage"),
        Sector.OTHER: _l("Other"),
    },
)


class Startup(Base):
    """One record across the whole lifecycle: it applies, is incubated, pitches and graduates."""

    __tablename__ = "startups"
    __table_args__ = (
        CheckConstraint("trl BETWEEN 1 AND 9", name="trl_range"),
        CheckConstraint("team_size >= 1", name="team_size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    sector: Mapped[Sector] = mapped_column(enum_column(Sector, "sector"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    founded_on: Mapped[date | None]
    website: Mapped[str] = mapped_column(String(300), default="")
    trl: Mapped[int]
    team_size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Archived: hidden from its founders' lists and pickers, its data kept; can be restored.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    members: Mapped[list[StartupMember]] = relationship(
        back_populates="startup",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="StartupMember.added_at",
    )

    def has_member(self, user: User) -> bool:
        return any(member.user_id == user.id for member in self.members)

    @property
    def lead_founder_id(self) -> int | None:
        """The first member: the one who created the profile (or, once they left, the
        longest-standing member)."""
        return self.members[0].user_id if self.members else None


class StartupMember(Base):
    __tablename__ = "startup_members"

    startup_id: Mapped[int] = mapped_column(
        ForeignKey("startups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    title: Mapped[str] = mapped_column(String(120), default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    startup: Mapped[Startup] = relationship(back_populates="members")
    user: Mapped[User] = relationship(lazy="joined")


class TeamInvitation(Base):
    """A member asked someone to join the team; they become a member only by accepting."""

    __tablename__ = "team_invitations"
    __table_args__ = (
        # one open invitation per person and startup
        Index(
            "ix_team_invitations_open",
            "startup_id",
            "user_id",
            unique=True,
            postgresql_where=text("answered_at IS NULL"),
            sqlite_where=text("answered_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    startup_id: Mapped[int] = mapped_column(ForeignKey("startups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120), default="")
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted: Mapped[bool | None]

    startup: Mapped[Startup] = relationship(lazy="joined")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id], lazy="joined")
