"""Check-in and no-shows: the staff check bookings in; the scheduled job releases those
not checked in, counts them per startup and center, and the staff lift a suspension."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update

from incubator import audit
from incubator.accounts.models import User
from incubator.db import db, utcnow
from incubator.errors import DomainError, NotFound
from incubator.fablab.common import LIST_LIMIT, require_staff, staff_of
from incubator.fablab.models import Booking, BookingStatus, LabStartup
from incubator.fablab.tallies import add_day, add_to
from incubator.startups.models import Startup

NO_SHOW_GRACE = timedelta(minutes=15)
CHECK_IN_EARLY = timedelta(minutes=15)


def check_in(actor: User, booking: Booking, now: datetime | None = None) -> Booking:
    now = now or utcnow()
    require_staff(actor, booking.machine.lab)
    if booking.status is BookingStatus.CHECKED_IN:
        raise DomainError(_("This booking is already checked in."))
    if booking.status is not BookingStatus.CONFIRMED:
        raise DomainError(
            _("This booking can no longer be checked in: %(status)s.", status=booking.status.label)
        )
    if now < booking.starts_at - CHECK_IN_EARLY:
        raise DomainError(_("Check-in opens 15 minutes before the booking starts."))
    if now >= booking.ends_at:
        raise DomainError(_("This booking has ended."))
    done = db.session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status == BookingStatus.CONFIRMED)
        .values(status=BookingStatus.CHECKED_IN, checked_in_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        raise DomainError(_("This booking is already checked in."))
    db.session.refresh(booking)
    add_day(booking, used=booking.minutes)
    audit.record(actor, "fablab.checked_in", booking)
    return booking


def release_no_shows(now: datetime | None = None, batch: int = 500) -> int:
    """The scheduled job: bookings not checked in 15 minutes after their start become no-shows
    and free their machine, in one transaction. The number released."""
    with db.transaction():
        return mark_no_shows(now or utcnow(), batch)


def mark_no_shows(now: datetime, batch: int = 500) -> int:
    """Idempotent: each booking changes once (a guarded UPDATE), so two runs at the same
    moment (two processes) count each no-show once."""
    released = 0
    due = db.session.scalars(
        select(Booking)
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            Booking.starts_at <= now - NO_SHOW_GRACE,
        )
        .order_by(Booking.starts_at)
        .limit(batch)
    ).all()
    for booking in due:
        changed = db.session.execute(
            update(Booking)
            .where(Booking.id == booking.id, Booking.status == BookingStatus.CONFIRMED)
            .values(status=BookingStatus.NO_SHOW)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not changed:
            continue  # checked in, cancelled or released meanwhile
        add_day(booking, booked=-booking.minutes, no_shows=1)
        if booking.startup_id is not None:
            _count_no_show(booking.startup_id, booking.machine.lab.center_id)
        released += 1
    return released


def _count_no_show(startup_id: int, center_id: int) -> None:
    add_to(LabStartup, {"startup_id": startup_id, "center_id": center_id}, {}, no_shows=1)


def staffed_startup(actor: User, startup_id: int, center_id: int | None = None) -> Startup:
    """A startup with a no-show record at the actor's center (`center_id`, the manager's own
    by default; an administrator may name any), for that center's staff."""
    startup = db.session.get(Startup, startup_id)
    center_id = center_id or actor.managed_center_id
    if (
        startup is None
        or center_id is None
        or not staff_of(actor, center_id)
        or db.session.get(LabStartup, (startup_id, center_id)) is None
    ):
        raise NotFound("startup")
    return startup


def reset_no_shows(actor: User, startup: Startup, center_id: int | None = None) -> None:
    """The center's staff lift the suspension their center's no-shows caused (theirs only)."""
    center_id = center_id or actor.managed_center_id
    if center_id is None or not staff_of(actor, center_id):
        raise NotFound("startup")
    record = db.session.get(LabStartup, (startup.id, center_id))
    if record is None:
        raise NotFound("startup")
    if not record.no_shows:
        raise DomainError(_("%(name)s has no no-show to reset.", name=startup.name))
    record.no_shows = 0
    record.reset_at = utcnow()
    audit.record(actor, "fablab.no_shows_reset", startup, center=center_id)


def no_show_counts(actor: Any, limit: int = LIST_LIMIT) -> list[tuple[Startup, LabStartup]]:
    """Startups with no-shows at the actor's center (every center for administrators)."""
    statement = (
        select(Startup, LabStartup)
        .join(LabStartup, LabStartup.startup_id == Startup.id)
        .where(LabStartup.no_shows > 0)
        .order_by(LabStartup.no_shows.desc(), Startup.name, LabStartup.center_id)
        .limit(limit)
    )
    if not actor.is_admin:
        if actor.managed_center_id is None:
            return []
        statement = statement.where(LabStartup.center_id == actor.managed_center_id)
    return list(db.session.execute(statement))
