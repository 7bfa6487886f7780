"""Fablab: labs with opening hours and closed days, their machines, training certificates,
bookings that never overlap, maintenance blocks, and the figures stored per machine and day."""

from __future__ import annotations

from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incubator.accounts.models import User
from incubator.centers.models import Center
from incubator.db import Base, UTCDateTime, enum_column, utcnow
from incubator.enums import LabelledEnum, labelled
from incubator.startups.models import Startup


class MachineCategory(LabelledEnum):
    PRINTER_3D = "printer_3d"
    LASER_CUTTER = "laser_cutter"
    CNC = "cnc"
    PCB_MILL = "pcb_mill"
    ELECTRONICS_BENCH = "electronics_bench"
    OTHER = "other"


class MachineStatus(LabelledEnum):
    ACTIVE = "active"
    MAINTENANCE = "maintenance"
    RETIRED = "retired"


class BookingStatus(LabelledEnum):
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


labelled(
    MachineCategory,
    {
        MachineCategory.PRINTER_3D: _l("3D printer"),
        MachineCategory.LASER_CUTTER: _l("Laser cutter"),
        MachineCategory.CNC: _l("CNC machine"),
        MachineCategory.PCB_MILL: _l("PCB mill"),
        MachineCategory.ELECTRONICS_BENCH: _l("Electronics bench"),
        MachineCategory.OTHER: _l("Other equipment"),
    },
)
labelled(
    MachineStatus,
    {
        MachineStatus.ACTIVE: _l("Active"),
        MachineStatus.MAINTENANCE: _l("Under maintenance"),
        MachineStatus.RETIRED: _l("Retired"),
    },
)
labelled(
    BookingStatus,
    {
        BookingStatus.CONFIRMED: _l("Booked"),
        BookingStatus.CHECKED_IN: _l("Checked in"),
        BookingStatus.CANCELLED: _l("Cancelled"),
        BookingStatus.NO_SHOW: _l("No-show"),
    },
)

# The bookings that hold their time: the exclusion constraint and every overlap check use these.
HOLDING = (BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN)
HOLDING_SQL = "status IN ('confirmed', 'checked_in')"


class Lab(Base):
    """A Fablab or Techlab of a center, with its booking policy."""

    __tablename__ = "fablab_labs"
    __table_args__ = (
        CheckConstraint("horizon_days BETWEEN 1 AND 365", name="horizon_range"),
        CheckConstraint("cancel_notice_hours BETWEEN 0 AND 168", name="notice_range"),
        CheckConstraint("weekly_quota_hours BETWEEN 1 AND 168", name="quota_range"),
        CheckConstraint("no_show_limit BETWEEN 1 AND 100", name="no_show_limit_range"),
        # one lab of a name per center: twenty clicks on Save make one lab
        Index("uq_fablab_labs_center_name", "center_id", "name", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    horizon_days: Mapped[int] = mapped_column(default=30)
    cancel_notice_hours: Mapped[int] = mapped_column(default=2)
    weekly_quota_hours: Mapped[int] = mapped_column(default=10)
    # a startup with this many no-shows (since the last reset) may not book until a manager resets
    no_show_limit: Mapped[int] = mapped_column(default=3)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    center: Mapped[Center] = relationship(lazy="joined", innerjoin=True)
    hours: Mapped[list[OpeningHours]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="OpeningHours.weekday"
    )


class OpeningHours(Base):
    """The hours a lab opens on a weekday (0 Monday … 6 Sunday); no row: closed that day."""

    __tablename__ = "fablab_opening_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("opens < closes", name="opens_before_closes"),
    )

    lab_id: Mapped[int] = mapped_column(
        ForeignKey("fablab_labs.id", ondelete="CASCADE"), primary_key=True
    )
    weekday: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    opens: Mapped[time]
    closes: Mapped[time]


class LabDay(Base):
    """A manager's decision about one day, over the weekly hours and the public holidays:
    `open` False closes a working day, True opens a holiday (with the weekday's hours)."""

    __tablename__ = "fablab_lab_days"

    lab_id: Mapped[int] = mapped_column(
        ForeignKey("fablab_labs.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    open: Mapped[bool]
    note: Mapped[str] = mapped_column(String(200), default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Machine(Base):
    """A piece of equipment; its row is locked while a booking or a block is decided."""

    __tablename__ = "fablab_machines"
    __table_args__ = (
        CheckConstraint("slot_minutes BETWEEN 5 AND 240", name="slot_range"),
        CheckConstraint(
            "min_minutes >= slot_minutes AND max_minutes >= min_minutes AND max_minutes <= 1440",
            name="length_range",
        ),
        Index("ix_fablab_machines_lab_status", "lab_id", "status"),
        # each machine of a lab has its own name (the calendar and the emails name it)
        Index("uq_fablab_machines_lab_name", "lab_id", "name", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lab_id: Mapped[int] = mapped_column(ForeignKey("fablab_labs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[MachineCategory] = mapped_column(
        enum_column(MachineCategory, "machine_category")
    )
    description: Mapped[str] = mapped_column(Text, default="")
    slot_minutes: Mapped[int] = mapped_column(default=30)
    min_minutes: Mapped[int] = mapped_column(default=30)
    max_minutes: Mapped[int] = mapped_column(default=240)
    training_required: Mapped[bool] = mapped_column(default=False)
    status: Mapped[MachineStatus] = mapped_column(
        enum_column(MachineStatus, "machine_status"), default=MachineStatus.ACTIVE
    )
    status_reason: Mapped[str] = mapped_column(String(300), default="")
    # the stored name of its photo (incubator.files, kind "machine_photos"), or None
    photo: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lab: Mapped[Lab] = relationship(lazy="joined", innerjoin=True)


class Certificate(Base):
    """A user trained on one machine, or on every machine of a category at one center (the
    center whose staff granted it: a category certificate is good for that center's labs)."""

    __tablename__ = "fablab_certificates"
    __table_args__ = (
        CheckConstraint("(machine_id IS NULL) <> (category IS NULL)", name="machine_or_category"),
        CheckConstraint("(category IS NULL) = (center_id IS NULL)", name="category_has_center"),
        UniqueConstraint("user_id", "machine_id", name="one_per_machine"),
        UniqueConstraint("user_id", "center_id", "category", name="one_per_category"),
        Index("ix_fablab_certificates_expires_on", "expires_on"),
        Index("ix_fablab_certificates_center_granted", "center_id", "granted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    machine_id: Mapped[int | None] = mapped_column(
        ForeignKey("fablab_machines.id", ondelete="CASCADE")
    )
    category: Mapped[MachineCategory | None] = mapped_column(
        enum_column(MachineCategory, "certificate_category")
    )
    center_id: Mapped[int | None] = mapped_column(ForeignKey("centers.id", ondelete="CASCADE"))
    expires_on: Mapped[date | None]  # the last day it is valid
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined", innerjoin=True)
    machine: Mapped[Machine | None] = relationship(lazy="joined")
    center: Mapped[Center | None] = relationship(lazy="joined")

    @property
    def center_of(self) -> int:
        """The center whose staff may change it: the machine's, or the category's."""
        if self.machine is not None:
            return self.machine.lab.center_id
        assert self.center_id is not None
        return self.center_id

    def valid_on(self, day: date) -> bool:
        return self.expires_on is None or day <= self.expires_on


class Booking(Base):
    """A machine booked over [starts_at, ends_at): half-open, so 9–10 and 10–11 do not meet.

    On PostgreSQL the exclusion constraint makes two holding bookings of a machine that
    overlap impossible, whatever the code that writes them (see bookings.book).
    """

    __tablename__ = "fablab_bookings"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_fablab_bookings_machine_starts", "machine_id", "starts_at"),
        Index("ix_fablab_bookings_startup_starts", "startup_id", "starts_at"),
        Index("ix_fablab_bookings_user_starts", "user_id", "starts_at"),
        Index("ix_fablab_bookings_status_starts", "status", "starts_at"),
        ExcludeConstraint(
            (literal_column("machine_id"), "="),
            (func.tstzrange(literal_column("starts_at"), literal_column("ends_at"), "[)"), "&&"),
            name="fablab_bookings_no_overlap",
            using="gist",
            where=text(HOLDING_SQL),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    machine_id: Mapped[int] = mapped_column(ForeignKey("fablab_machines.id", ondelete="CASCADE"))
    lab_id: Mapped[int] = mapped_column(ForeignKey("fablab_labs.id", ondelete="CASCADE"))
    category: Mapped[MachineCategory] = mapped_column(
        enum_column(MachineCategory, "booking_category")
    )
    startup_id: Mapped[int | None] = mapped_column(ForeignKey("startups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[BookingStatus] = mapped_column(
        enum_column(BookingStatus, "booking_status"), default=BookingStatus.CONFIRMED
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(String(300), default="")

    machine: Mapped[Machine] = relationship(lazy="joined", innerjoin=True)
    startup: Mapped[Startup | None] = relationship(lazy="joined")
    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def holding(self) -> bool:
        return self.status in HOLDING


class MaintenanceBlock(Base):
    __tablename__ = "fablab_maintenance"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_fablab_maintenance_machine_starts", "machine_id", "starts_at"),
        Index(
            "uq_fablab_maintenance_machine_period",
            "machine_id",
            "starts_at",
            "ends_at",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    machine_id: Mapped[int] = mapped_column(ForeignKey("fablab_machines.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MachineDay(Base):
    """Booked and used minutes and no-shows of a machine on a day (local time), kept up to
    date by every booking change: utilization reads these rows, never the bookings."""

    __tablename__ = "fablab_machine_days"
    __table_args__ = (Index("ix_fablab_machine_days_lab_day", "lab_id", "day"),)

    machine_id: Mapped[int] = mapped_column(
        ForeignKey("fablab_machines.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    lab_id: Mapped[int] = mapped_column(ForeignKey("fablab_labs.id", ondelete="CASCADE"))
    booked_minutes: Mapped[int] = mapped_column(default=0)
    used_minutes: Mapped[int] = mapped_column(default=0)
    no_shows: Mapped[int] = mapped_column(default=0)


class MachineMonth(Base):
    """The same figures per machine and month (`month` is its first day): a year of
    utilization reads twelve of these rows per machine, plus the days of partial months."""

    __tablename__ = "fablab_machine_months"
    __table_args__ = (Index("ix_fablab_machine_months_lab_month", "lab_id", "month"),)

    machine_id: Mapped[int] = mapped_column(
        ForeignKey("fablab_machines.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(primary_key=True)
    lab_id: Mapped[int] = mapped_column(ForeignKey("fablab_labs.id", ondelete="CASCADE"))
    booked_minutes: Mapped[int] = mapped_column(default=0)
    used_minutes: Mapped[int] = mapped_column(default=0)
    no_shows: Mapped[int] = mapped_column(default=0)


class QuotaWeek(Base):
    """Minutes a startup holds on a category of machines in a week (Monday, local time); its
    row is locked while a booking is decided, so that two bookings never both fit."""

    __tablename__ = "fablab_quota_weeks"

    startup_id: Mapped[int] = mapped_column(
        ForeignKey("startups.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[MachineCategory] = mapped_column(
        enum_column(MachineCategory, "quota_category"), primary_key=True
    )
    week: Mapped[date] = mapped_column(primary_key=True)
    minutes: Mapped[int] = mapped_column(default=0)


class LabStartup(Base):
    """A startup's no-shows at a center's labs since that center's staff last reset them."""

    __tablename__ = "fablab_startups"
    __table_args__ = (Index("ix_fablab_startups_center_no_shows", "center_id", "no_shows"),)

    startup_id: Mapped[int] = mapped_column(
        ForeignKey("startups.id", ondelete="CASCADE"), primary_key=True
    )
    center_id: Mapped[int] = mapped_column(
        ForeignKey("centers.id", ondelete="CASCADE"), primary_key=True
    )
    no_shows: Mapped[int] = mapped_column(default=0)
    reset_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
