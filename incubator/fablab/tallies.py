"""The stored figures that bookings change in their own transaction: each startup's weekly
quota per category, each machine's booked and used minutes and no-shows per day and month."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case, select, update

from incubator.db import add_unique, db
from incubator.errors import DomainError
from incubator.fablab.common import duration, local_day, monday_of
from incubator.fablab.models import (
    Booking,
    Machine,
    MachineCategory,
    MachineDay,
    MachineMonth,
    QuotaWeek,
)
from incubator.startups.models import Startup


def _quota_row(startup_id: int, category: MachineCategory, week: date) -> QuotaWeek:
    """The startup's minutes of a category in a week, created if missing, locked."""
    key = {"startup_id": startup_id, "category": category, "week": week}
    if db.session.get(QuotaWeek, (startup_id, category, week)) is None:
        add_unique(QuotaWeek(**key, minutes=0))  # or made meanwhile by a concurrent booking
    return db.session.scalars(
        select(QuotaWeek)
        .filter_by(**key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def take_quota(startup: Startup, machine: Machine, starts: datetime, minutes: int) -> None:
    row = _quota_row(startup.id, machine.category, monday_of(local_day(starts)))
    quota = machine.lab.weekly_quota_hours * 60
    if row.minutes + minutes > quota:
        raise DomainError(
            _(
                "%(name)s may book %(quota)d hours of %(category)s a week; %(left)s are left "
                "that week.",
                name=startup.name,
                quota=machine.lab.weekly_quota_hours,
                category=machine.category.label,
                left=duration(max(0, quota - row.minutes)),
            ),
            field="minutes",
            code="quota_exceeded",
        )
    row.minutes += minutes


def release_quota(booking: Booking) -> None:
    if booking.startup_id is None:
        return
    db.session.execute(
        update(QuotaWeek)
        .where(
            QuotaWeek.startup_id == booking.startup_id,
            QuotaWeek.category == booking.category,
            QuotaWeek.week == monday_of(local_day(booking.starts_at)),
        )
        .values(
            minutes=case(
                (QuotaWeek.minutes > booking.minutes, QuotaWeek.minutes - booking.minutes), else_=0
            )
        )
        .execution_options(synchronize_session=False)
    )


def add_to(model: Any, key: dict[str, Any], new: dict[str, Any], **deltas: int) -> None:
    """Add `deltas` to a stored tally row, creating it (with `new`) if missing; safe against a
    concurrent insert of the same row."""
    statement = (
        update(model)
        .filter_by(**key)
        .values({name: getattr(model, name) + delta for name, delta in deltas.items()})
        .execution_options(synchronize_session=False)
    )
    if db.session.execute(statement).rowcount:
        return
    if not add_unique(model(**key, **new, **deltas)):
        db.session.execute(statement)  # the row was made meanwhile: add to it


def add_day(booking: Booking, booked: int = 0, used: int = 0, no_shows: int = 0) -> None:
    """Add to the stored figures of the booking's machine: its day and its month."""
    day = local_day(booking.starts_at)
    for model, key in (
        (MachineDay, {"machine_id": booking.machine_id, "day": day}),
        (MachineMonth, {"machine_id": booking.machine_id, "month": day.replace(day=1)}),
    ):
        add_to(
            model,
            key,
            {"lab_id": booking.lab_id},
            booked_minutes=booked,
            used_minutes=used,
            no_shows=no_shows,
        )
