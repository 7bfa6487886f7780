"""Bookings: who may change one, booking, moving and cancelling so that bookings never
overlap, and the lists of them.

The no-double-booking guarantee
-------------------------------
Every change that gives a machine's time to someone (a booking, a move, a maintenance
block) first locks the machine's row (`SELECT ... FOR UPDATE` on PostgreSQL; on SQLite the
write transaction already began with BEGIN IMMEDIATE, so writers queue), then checks that
the range is free, then writes, all in one transaction. On PostgreSQL the exclusion
constraint `fablab_bookings_no_overlap` refuses an overlap even from code that skipped the
check; its violation becomes the same "slot already taken" refusal (`_save`). Ranges are
half-open: [starts_at, ends_at).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError

from incubator import audit, signals
from incubator.accounts.models import User
from incubator.db import db, utcnow
from incubator.errors import DomainError, NotFound
from incubator.fablab.booking_rules import (
    check_free,
    check_no_shows,
    check_time,
    slot_taken,
    startup_for,
)
from incubator.fablab.certificates import check_certificate
from incubator.fablab.common import at_local, is_staff, local_day
from incubator.fablab.models import HOLDING, Booking, BookingStatus, Lab, Machine, MachineStatus
from incubator.fablab.tallies import add_day, release_quota, take_quota
from incubator.mail import queue_email
from incubator.startups.models import StartupMember


def may_change(actor: Any, booking: Booking) -> bool:
    """Who cancels or moves a booking: whoever made it, the startup's members, the lab's staff."""
    return (
        booking.user_id == actor.id
        or (booking.startup is not None and booking.startup.has_member(actor))
        or is_staff(actor, booking.machine.lab)
    )


def changeable_booking(actor: Any, booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None or not may_change(actor, booking):
        raise NotFound("booking")
    return booking


def managed_booking(actor: Any, booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None or not is_staff(actor, booking.machine.lab):
        raise NotFound("booking")
    return booking


@dataclass
class BookingData:
    starts_at: datetime  # aware
    minutes: int
    purpose: str = ""
    startup_id: int | None = None
    startup_name: str = ""  # the staff's: any startup of the center, by its name


def locked_machine(machine_id: int) -> Machine:
    """The machine's row, locked until the transaction ends (SQLite: BEGIN IMMEDIATE)."""
    machine = db.session.scalars(
        select(Machine)
        .where(Machine.id == machine_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if machine is None:
        raise NotFound("machine")
    return machine


def _save(
    booking: Booking,
    starts: datetime | None = None,
    ends: datetime | None = None,
    machine: Machine | None = None,
) -> None:
    """Write the booking (moved to [starts, ends) of `machine` when given) in a savepoint: the
    exclusion
    constraint's refusal (PostgreSQL) is the same answer as the check's, and the transaction
    stays usable. (The savepoint begins before the change: begin_nested flushes what is
    pending, and a refusal outside it would abort the whole transaction on PostgreSQL.)"""
    savepoint = db.session.begin_nested()
    db.session.add(booking)
    if starts is not None and ends is not None:
        booking.starts_at, booking.ends_at = starts, ends
    if machine is not None:
        booking.machine = machine
    try:
        db.session.flush()
    except IntegrityError as error:
        savepoint.rollback()
        raise DomainError(slot_taken(), field="start", code="slot_taken", conflict=True) from error
    savepoint.commit()


def book(actor: User, machine: Machine, data: BookingData, now: datetime | None = None) -> Booking:
    """Book a free range of a machine, checking every rule, as one serialized transaction."""
    now = now or utcnow()
    machine = locked_machine(machine.id)
    startup = startup_for(actor, machine, data.startup_id, data.startup_name)
    staff = is_staff(actor, machine.lab)
    starts = data.starts_at.astimezone(UTC)
    ends = check_time(machine, starts, data.minutes, now)
    if not data.purpose.strip():
        raise DomainError(_("Say what you will make, for the lab's staff."), field="purpose")
    if not staff:
        check_certificate(actor, machine, local_day(starts))
    if startup is not None and not staff:
        check_no_shows(startup, machine.lab)
    check_free(machine.id, starts, ends, moving=None)
    if startup is not None and not staff:
        take_quota(startup, machine, starts, data.minutes)
    booking = Booking(
        machine_id=machine.id,
        lab_id=machine.lab_id,
        category=machine.category,
        startup_id=startup.id if startup is not None else None,
        user_id=actor.id,
        purpose=data.purpose.strip(),
        starts_at=starts,
        ends_at=ends,
        status=BookingStatus.CONFIRMED,
    )
    _save(booking)
    add_day(booking, booked=booking.minutes)
    audit.record(actor, "fablab.booked", booking, machine=machine.id)
    signals.booking_created.send(booking, actor=actor)
    return booking


def sibling_machines(machine: Machine) -> list[Machine]:
    """The machines a booking of `machine` may move to: the same lab and category, active (the
    machine itself first)."""
    others = db.session.scalars(
        select(Machine)
        .where(
            Machine.lab_id == machine.lab_id,
            Machine.category == machine.category,
            Machine.status == MachineStatus.ACTIVE,
            Machine.id != machine.id,
        )
        .order_by(Machine.name)
    )
    return [machine, *others]


def _locked_pair(first_id: int, second_id: int) -> tuple[Machine, Machine]:
    """Both machines' rows locked, the lower id first (two moves in opposite directions queue
    rather than deadlock)."""
    locked = {i: locked_machine(i) for i in sorted({first_id, second_id})}
    return locked[first_id], locked[second_id]


def move_booking(
    actor: User,
    booking: Booking,
    starts_at: datetime,
    minutes: int,
    now: datetime | None = None,
    machine_id: int | None = None,
) -> Booking:
    """Move a booking to another range of its machine, or of another machine of the same lab
    and category (`machine_id`): one transaction, one UPDATE; if the new range is refused the
    booking keeps its old one, on its old machine."""
    now = now or utcnow()
    if not may_change(actor, booking):
        raise NotFound("booking")
    machine, target = _locked_pair(booking.machine_id, machine_id or booking.machine_id)
    db.session.refresh(booking)
    staff = is_staff(actor, machine.lab)
    _check_changeable(booking, staff, now)
    if target.lab_id != machine.lab_id or target.category is not machine.category:
        raise DomainError(
            _(
                "A booking moves only to a machine of the same lab and kind (%(category)s).",
                category=machine.category.label,
            ),
            field="machine_id",
        )
    starts = starts_at.astimezone(UTC)
    ends = check_time(target, starts, minutes, now)
    if not staff:
        check_certificate(booking.user, target, local_day(starts))
    check_free(target.id, starts, ends, moving=booking.id)
    add_day(booking, booked=-booking.minutes)
    release_quota(booking)
    if booking.startup is not None and not staff:
        take_quota(booking.startup, target, starts, minutes)
    old, old_machine = booking.starts_at, booking.machine_id
    _save(booking, starts, ends, target)
    add_day(booking, booked=booking.minutes)
    audit.record(actor, "fablab.moved", booking, was=old.isoformat(), was_machine=old_machine)
    return booking


def _check_changeable(booking: Booking, staff: bool, now: datetime) -> None:
    if booking.status is not BookingStatus.CONFIRMED:
        raise DomainError(
            _("This booking can no longer be changed: %(status)s.", status=booking.status.label),
            code="not_changeable",
            conflict=True,
        )
    notice = timedelta(hours=booking.machine.lab.cancel_notice_hours)
    if not staff and booking.starts_at - now < notice:
        raise DomainError(
            _(
                "A booking can be cancelled or moved until %(hours)d hours before it starts; "
                "ask the lab's staff.",
                hours=booking.machine.lab.cancel_notice_hours,
            ),
            code="cancel_notice_passed",
            conflict=True,
        )


def cancel_booking(
    actor: User, booking: Booking, reason: str = "", now: datetime | None = None
) -> Booking:
    now = now or utcnow()
    if not may_change(actor, booking):
        raise NotFound("booking")
    locked_machine(booking.machine_id)
    db.session.refresh(booking)
    _check_changeable(booking, is_staff(actor, booking.machine.lab), now)
    _cancel(booking, reason, now)
    audit.record(actor, "fablab.cancelled", booking)
    signals.booking_cancelled.send(booking, actor=actor)
    return booking


def _cancel(booking: Booking, reason: str, now: datetime) -> None:
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancel_reason = reason[:300]
    add_day(booking, booked=-booking.minutes)
    release_quota(booking)


def cancel_all(bookings: Sequence[Booking], reason: str, now: datetime) -> int:
    """Cancel bookings for the lab's reason and email whoever made them (same transaction)."""
    for booking in bookings:
        _cancel(booking, reason, now)
        if booking.user.active:
            queue_email(booking.user, "fablab_booking_cancelled", booking=booking, reason=reason)
    db.session.flush()
    return len(bookings)


def visible_bookings_query(actor: User) -> Select[Any]:
    """The user's bookings (as `bookings_query`), and for a lab's staff every booking of the
    labs of the center they manage (every lab for admins)."""
    statement = select(Booking).join(Machine, Machine.id == Booking.machine_id)
    if actor.is_admin:
        return statement
    member_of = select(StartupMember.startup_id).where(StartupMember.user_id == actor.id)
    conditions = [Booking.user_id == actor.id, Booking.startup_id.in_(member_of)]
    if actor.managed_center_id is not None:
        staffed = select(Lab.id).where(Lab.center_id == actor.managed_center_id)
        conditions.append(Booking.lab_id.in_(staffed))
    return statement.where(or_(*conditions))


def bookings_of_machine(statement: Select[Any], machine_id: int) -> Select[Any]:
    return statement.where(Booking.machine_id == machine_id)


def bookings_between(
    statement: Select[Any], starts: datetime | None, ends: datetime | None
) -> Select[Any]:
    if starts is not None:
        statement = statement.where(Booking.ends_at > starts)
    if ends is not None:
        statement = statement.where(Booking.starts_at < ends)
    return statement


def bookings_query(actor: User) -> Select[Any]:
    """The bookings a user made or that their startups hold (the "my bookings" list)."""
    member_of = select(StartupMember.startup_id).where(StartupMember.user_id == actor.id)
    return (
        select(Booking)
        .join(Machine, Machine.id == Booking.machine_id)
        .where(or_(Booking.user_id == actor.id, Booking.startup_id.in_(member_of)))
    )


def upcoming_bookings(user: User, now: datetime, limit: int = 5) -> list[Booking]:
    return list(
        db.session.scalars(
            bookings_query(user)
            .where(Booking.status.in_(HOLDING), Booking.ends_at > now)
            .order_by(Booking.starts_at)
            .limit(limit)
        )
    )


def day_bookings(lab: Lab, day: date) -> list[Booking]:
    """A lab's bookings of a day (the staff's check-in list), bounded by the lab's hours."""
    return list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.lab_id == lab.id,
                Booking.starts_at >= at_local(day, time(0)),
                Booking.starts_at < at_local(day + timedelta(days=1), time(0)),
                Booking.status != BookingStatus.CANCELLED,
            )
            .order_by(Booking.starts_at, Booking.id)
            .limit(200)
        )
    )
