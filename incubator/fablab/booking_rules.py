"""The rules a booking passes before it is written: for which startup, at what time, not
suspended for no-shows, and free of maintenance and other bookings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from incubator.accounts.models import User
from incubator.applications.models import Application
from incubator.applications.stages import Stage
from incubator.db import contains_text, db
from incubator.errors import DomainError
from incubator.fablab.common import at_local, duration, is_staff, local_day
from incubator.fablab.labs import day_info
from incubator.fablab.models import (
    HOLDING,
    Booking,
    Lab,
    LabStartup,
    Machine,
    MachineStatus,
    MaintenanceBlock,
)
from incubator.i18n import format_date
from incubator.mentoring.models import MentoredStartup
from incubator.programs.models import Program
from incubator.startups.models import Startup, StartupMember


def slot_taken() -> str:
    return _("This slot is already taken. Please choose another time.")


def bookable_startups(user: User) -> list[Startup]:
    """The user's startups in incubation, for which they may book."""
    return list(
        db.session.scalars(
            select(Startup)
            .join(StartupMember, StartupMember.startup_id == Startup.id)
            .join(MentoredStartup, MentoredStartup.startup_id == Startup.id)
            .where(StartupMember.user_id == user.id, MentoredStartup.active.is_(True))
            .order_by(Startup.name)
        )
    )


def incubating_startups(center_id: int) -> list[Startup]:
    """The center's startups in incubation: the staff's booking form offers them first."""
    return list(
        db.session.scalars(
            select(Startup)
            .join(MentoredStartup, MentoredStartup.startup_id == Startup.id)
            .where(MentoredStartup.active.is_(True), MentoredStartup.center_id == center_id)
            .order_by(Startup.name)
        )
    )


def _of_center(center_id: int) -> Any:
    """The condition "the startup belongs to the center": it applied to one of the center's
    programs (a sent application, whatever became of it) or is mentored there."""
    applied = (
        select(Application.id)
        .join(Program, Program.id == Application.program_id)
        .where(
            Application.startup_id == Startup.id,
            Program.center_id == center_id,
            Application.stage != Stage.DRAFT,
        )
        .exists()
    )
    mentored = (
        select(MentoredStartup.startup_id)
        .where(MentoredStartup.startup_id == Startup.id, MentoredStartup.center_id == center_id)
        .exists()
    )
    return or_(applied, mentored)


def center_startup_named(center_id: int, name: str) -> Startup:
    """The lab's staff book for any startup of their center, found by its name (the exact
    name first, otherwise the one startup whose name contains it)."""
    name = name.strip()
    of_center = select(Startup).where(_of_center(center_id), Startup.archived_at.is_(None))
    found = list(db.session.scalars(of_center.where(func.lower(Startup.name) == name.lower())))
    if not found:
        found = list(
            db.session.scalars(of_center.where(contains_text(Startup.name, name)).limit(6))
        )
    if len(found) == 1:
        return found[0]
    if not found:
        raise DomainError(
            _("No startup of this center is named “%(name)s”.", name=name), field="startup_name"
        )
    raise DomainError(
        _(
            "Several startups match “%(name)s”: %(names)s. Write the full name.",
            name=name,
            names=", ".join(s.name for s in found[:5]),
        ),
        field="startup_name",
    )


def startup_for(
    actor: User, machine: Machine, startup_id: int | None, startup_name: str = ""
) -> Startup | None:
    staff = is_staff(actor, machine.lab)
    if staff and startup_name.strip():
        return center_startup_named(machine.lab.center_id, startup_name)
    if startup_id is None:
        if staff:
            return None  # the lab's own use
        raise DomainError(
            _("Choose the startup you book for."), field="startup_id", code="startup_required"
        )
    startup = db.session.get(Startup, startup_id)
    if startup is None:
        raise DomainError(_("Not a valid choice."), field="startup_id", code="unknown_startup")
    if staff:
        # any startup of the center, in incubation or not
        center = machine.lab.center_id
        if (
            db.session.scalar(
                select(Startup.id).where(Startup.id == startup.id, _of_center(center))
            )
            is None
        ):
            raise DomainError(
                _("%(name)s is not a startup of this center.", name=startup.name),
                field="startup_id",
            )
        return startup
    if not startup.has_member(actor):
        raise DomainError(
            _("You can book only for your own startups."), field="startup_id", code="not_a_member"
        )
    mentored = db.session.get(MentoredStartup, startup.id)
    if mentored is None or not mentored.active:
        raise DomainError(
            _(
                "%(name)s is not in incubation: only startups in incubation book the machines.",
                name=startup.name,
            ),
            field="startup_id",
            code="not_incubating",
        )
    return startup


def check_time(machine: Machine, starts: datetime, minutes: int, now: datetime) -> datetime:
    """The rules of time, in the order a founder fixes them; the end of the booking."""
    if machine.status is not MachineStatus.ACTIVE:
        reason = f" ({machine.status_reason})" if machine.status_reason else ""
        raise DomainError(
            _(
                "%(machine)s cannot be booked: %(status)s.",
                machine=machine.name,
                status=machine.status.label,
            )
            + reason,
            code="machine_unavailable",
            conflict=True,
        )
    lab = machine.lab
    day = local_day(starts)
    info = day_info(lab, day)
    if not info.open:
        raise DomainError(
            _(
                "The lab is closed on %(date)s. %(reason)s",
                date=format_date(day),
                reason=info.reason,
            ),
            field="day",
            code="closed_day",
        )
    ends = starts + timedelta(minutes=minutes)
    assert info.opens is not None and info.closes is not None
    if starts < at_local(day, info.opens) or ends > at_local(day, info.closes):
        raise DomainError(
            _(
                "Outside opening hours: on this day the lab is open from %(opens)s to %(closes)s.",
                opens=info.opens.strftime("%H:%M"),
                closes=info.closes.strftime("%H:%M"),
            ),
            field="start",
            code="outside_opening_hours",
        )
    offset = (starts - at_local(day, info.opens)).total_seconds() / 60
    if offset % machine.slot_minutes or starts.second or starts.microsecond:
        raise DomainError(
            _(
                "Bookings start on the %(slot)d-minute slots counted from opening time.",
                slot=machine.slot_minutes,
            ),
            field="start",
            code="slot_misaligned",
        )
    if minutes % machine.slot_minutes:
        raise DomainError(
            _(
                "A booking lasts a whole number of %(slot)d-minute slots.",
                slot=machine.slot_minutes,
            ),
            field="minutes",
            code="bad_duration",
        )
    if not machine.min_minutes <= minutes <= machine.max_minutes:
        raise DomainError(
            _(
                "A booking of this machine lasts from %(min)s to %(max)s.",
                min=duration(machine.min_minutes),
                max=duration(machine.max_minutes),
            ),
            field="minutes",
            code="bad_duration",
        )
    if starts < now:
        raise DomainError(
            _("This time has passed: choose a time to come."), field="start", code="in_the_past"
        )
    if day > local_day(now) + timedelta(days=lab.horizon_days):
        raise DomainError(
            _("Bookings open %(days)d days ahead.", days=lab.horizon_days),
            field="day",
            code="beyond_horizon",
        )
    return ends


def check_no_shows(startup: Startup, lab: Lab) -> None:
    record = db.session.get(LabStartup, (startup.id, lab.center_id))
    if record is not None and record.no_shows >= lab.no_show_limit:
        raise DomainError(
            _(
                "%(name)s missed %(n)d bookings without cancelling: booking is suspended until "
                "the lab's staff lift it.",
                name=startup.name,
                n=record.no_shows,
            ),
            field="startup_id",
            code="no_show_suspended",
        )


def holding(machine_id: int, starts: datetime, ends: datetime) -> list[Booking]:
    """The machine's bookings that hold time overlapping [starts, ends)."""
    return list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.machine_id == machine_id,
                Booking.status.in_(HOLDING),
                Booking.starts_at < ends,
                Booking.ends_at > starts,
            )
            .order_by(Booking.starts_at)
        )
    )


def check_free(machine_id: int, starts: datetime, ends: datetime, moving: int | None) -> None:
    block = db.session.scalar(
        select(MaintenanceBlock)
        .where(
            MaintenanceBlock.machine_id == machine_id,
            MaintenanceBlock.starts_at < ends,
            MaintenanceBlock.ends_at > starts,
        )
        .limit(1)
    )
    if block is not None:
        raise DomainError(
            _("The machine is under maintenance then: %(reason)s", reason=block.reason),
            field="start",
            code="under_maintenance",
            conflict=True,
        )
    if any(b.id != moving for b in holding(machine_id, starts, ends)):
        raise DomainError(slot_taken(), field="start", code="slot_taken", conflict=True)
