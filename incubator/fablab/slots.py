"""A machine's days in runs of free and taken slots: the week view and the API's
availability."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from incubator.db import db
from incubator.errors import DomainError
from incubator.fablab.booking_rules import holding
from incubator.fablab.common import at_local, is_staff
from incubator.fablab.labs import DayInfo, lab_days
from incubator.fablab.models import Booking, Machine, MaintenanceBlock


@dataclass
class Span:
    """A stretch of a day on the week view: free, yours, busy, maintenance or past."""

    starts_at: datetime
    ends_at: datetime
    kind: str
    label: str = ""
    booking: Booking | None = None


@dataclass
class DayView:
    info: DayInfo
    spans: list[Span] = field(default_factory=list)


def week_view(actor: Any, machine: Machine, monday: date, now: datetime) -> list[DayView]:
    """The machine's week, day by day, in runs of free and taken slots (three queries)."""
    return days_view(actor, machine, monday, monday + timedelta(days=6), now)


MAX_AVAILABILITY_DAYS = 31


def availability(
    actor: Any, machine: Machine, first: date, last: date, now: datetime
) -> tuple[list[Span], list[Span]]:
    """(free, busy) stretches of the machine from `first` to `last` (local days, at most
    31): free is bookable by the opening hours, closed days, maintenance and the other
    bookings; busy is taken by a booking or maintenance. The same runs as the week view."""
    if last < first:
        raise DomainError(_("The end comes after the start."), field="to", code="bad_period")
    if (last - first).days >= MAX_AVAILABILITY_DAYS:
        raise DomainError(
            _("Choose a period of at most %(days)d days.", days=MAX_AVAILABILITY_DAYS),
            field="to",
            code="bad_period",
        )
    spans = [span for view in days_view(actor, machine, first, last, now) for span in view.spans]
    free = [span for span in spans if span.kind == "free"]
    busy = [span for span in spans if span.kind in ("busy", "mine", "maintenance")]
    return free, busy


def days_view(
    actor: Any, machine: Machine, monday: date, sunday: date, now: datetime
) -> list[DayView]:
    """The machine's days from `monday` to `sunday`, in runs of free and taken slots."""
    start, end = at_local(monday, time(0)), at_local(sunday + timedelta(days=1), time(0))
    bookings = holding(machine.id, start, end)
    blocks = list(
        db.session.scalars(
            select(MaintenanceBlock).where(
                MaintenanceBlock.machine_id == machine.id,
                MaintenanceBlock.starts_at < end,
                MaintenanceBlock.ends_at > start,
            )
        )
    )
    staff = is_staff(actor, machine.lab)
    step = timedelta(minutes=machine.slot_minutes)
    days = []
    for info in lab_days(machine.lab, monday, sunday):
        view = DayView(info)
        days.append(view)
        if not info.open:
            continue
        assert info.opens is not None and info.closes is not None
        moment, closes = at_local(info.day, info.opens), at_local(info.day, info.closes)
        while moment < closes:
            slot_end = min(moment + step, closes)
            span = _slot(actor, staff, moment, slot_end, bookings, blocks, now)
            last = view.spans[-1] if view.spans else None
            if (
                last
                and last.kind == span.kind
                and last.label == span.label
                and (last.booking is span.booking)
            ):
                last.ends_at = slot_end
            else:
                view.spans.append(span)
            moment = slot_end
    return days


def _slot(
    actor: Any,
    staff: bool,
    starts: datetime,
    ends: datetime,
    bookings: list[Booking],
    blocks: list[MaintenanceBlock],
    now: datetime,
) -> Span:
    block = next((b for b in blocks if b.starts_at < ends and b.ends_at > starts), None)
    if block is not None:
        return Span(starts, ends, "maintenance", block.reason)
    booking = next((b for b in bookings if b.starts_at < ends and b.ends_at > starts), None)
    if booking is not None:
        mine = booking.user_id == actor.id or (
            booking.startup is not None and booking.startup.has_member(actor)
        )
        if staff:
            owner = booking.startup.name if booking.startup else _("Lab use")
            label = f"{owner} · {booking.user.name}"
        else:
            label = _("Your booking") if mine else _("Busy")
        return Span(starts, ends, "mine" if mine else "busy", label, booking)
    if starts < now:
        return Span(starts, ends, "past")
    return Span(starts, ends, "free", _("Free"))
