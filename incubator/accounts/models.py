from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incubator.centers.models import Center
from incubator.db import Base, UTCDateTime, enum_column, utcnow
from incubator.enums import LabelledEnum, labelled


class Role(LabelledEnum):
    FOUNDER = "founder"
    MENTOR = "mentor"
    JUDGE = "judge"
    MANAGER = "manager"
    ADMIN = "admin"


labelled(
    Role,
    {
        Role.FOUNDER: _l("Founder"),
        Role.MENTOR: _l("Mentor"),
        Role.JUDGE: _l("Judge"),
        Role.MANAGER: _l("Center manager"),
        Role.ADMIN: _l("Administrator"),
    },
)


class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("locale IN ('vi', 'en')", name="locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # None until an invited user chooses a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(2), default="vi")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # None until the owner opens the emailed confirmation link (invitations confirm too).
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def roles(self) -> set[Role]:
        return {grant.role for grant in self.grants}

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def managed_center_id(self) -> int | None:
        for grant in self.grants:
            if grant.role is Role.MANAGER:
                return grant.center_id
        return None

    def manages(self, center_id: int) -> bool:
        """Admins manage every center, a manager their own."""
        return self.is_admin or self.managed_center_id == center_id

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class RoleGrant(Base):
    """One role of a user; a manager's grant names the center they manage."""

    __tablename__ = "role_grants"
    __table_args__ = (
        CheckConstraint(
            "(role = 'manager' AND center_id IS NOT NULL)"
            " OR (role <> 'manager' AND center_id IS NULL)",
            name="manager_has_center",
        ),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), primary_key=True)
    center_id: Mapped[int | None] = mapped_column(ForeignKey("centers.id"), index=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="grants")
    center: Mapped[Center | None] = relationship(lazy="joined")


class MentorCenter(Base):
    """A center a mentor serves. Kept here, next to the role grants, because reviews (the
    reviewer picker) and mentoring (assignments) both read it and reviews comes first."""

    __tablename__ = "mentor_centers"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), primary_key=True, index=True)


class TokenPurpose(enum.StrEnum):
    RESET = "reset"
    INVITE = "invite"
    CONFIRM = "confirm"


class AccountToken(Base):
    """A single-use link sent by email; only the token's hash is stored."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(enum_column(TokenPurpose, "purpose"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class UserSession(Base):
    """One login: the browser keeps a random token, the row its hash.

    The user loader accepts a session cookie only while its row exists and is
    not revoked, so logging out, changing or resetting the password end it.
    """

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_id_revoked_at", "user_id", "revoked_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @property
    def device(self) -> str:
        return device_summary(self.user_agent)


_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("CocCoc", "Cốc Cốc"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device_summary(user_agent: str) -> str:
    """A short name for a User-Agent header, such as "Chrome · Windows"."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    return " · ".join(part for part in (browser, system) if part) or str(_l("Unknown device"))


class ThrottleCounter(Base):
    """Attempts counted per (scope, key) in fixed time windows, shared by every process.

    A slot is taken with one conditional UPDATE (`count < limit`), so concurrent
    requests can never take more slots than the limit, on SQLite and PostgreSQL.
    """

    __tablename__ = "throttle_counters"

    scope: Mapped[str] = mapped_column(String(24), primary_key=True)
    key: Mapped[str] = mapped_column(String(320), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True, index=True)
    count: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
