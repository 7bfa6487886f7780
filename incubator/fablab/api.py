"""/api/v1/equipment and /api/v1/bookings: the machines, when they are free, bookings.

A booking goes through `book`, the same serialized transaction as the web page:
409 `slot_taken` when the range is held, 422 with the broken rule's code otherwise."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from incubator.api import webhooks
from incubator.api.core import (
    BEARER,
    Day,
    Moment,
    PageOut,
    PageQuery,
    RequiredLine,
    Schema,
    answers,
    api_blueprint,
    body_json,
    iso,
    paged,
    query_args,
    spec,
)
from incubator.api.models import WebhookEvent
from incubator.db import db, run, utcnow
from incubator.errors import DomainError
from incubator.fablab import slots
from incubator.fablab.bookings import (
    BookingData,
    book,
    bookings_between,
    bookings_of_machine,
    cancel_booking,
    changeable_booking,
    visible_bookings_query,
)
from incubator.fablab.common import local_day
from incubator.fablab.labs import labs_of
from incubator.fablab.lists import BOOKINGS, EQUIPMENT
from incubator.fablab.machines import bookable_machines_query, viewable_machine
from incubator.fablab.models import (
    Booking,
    BookingStatus,
    Lab,
    Machine,
    MachineCategory,
    MachineMonth,
    MachineStatus,
)
from incubator.fablab.utilization import Period, open_minutes
from incubator.security import logged_in

bp = api_blueprint("fablab_api", __name__)
TAGS = ["fablab"]
MAX_ID = 2**31 - 1


class EquipmentOut(BaseModel):
    id: int
    lab: str
    lab_id: int
    center: str
    name: str
    category: MachineCategory
    status: MachineStatus
    requires_training: bool
    slot_minutes: int
    min_booking_minutes: int
    max_booking_minutes: int


class EquipmentPage(PageOut):
    items: list[EquipmentOut]


class EquipmentQuery(PageQuery):
    center: str | None = Field(None, max_length=16, description="a center's code")
    category: MachineCategory | None = None


class Range(BaseModel):
    starts_at: str
    ends_at: str


class AvailabilityOut(BaseModel):
    free: list[Range]
    busy: list[Range]


class AvailabilityQuery(Schema):
    from_: Day | None = Field(None, alias="from", description="first day (default today)")
    to: Day | None = Field(None, description="last day (default a week on), at most 31 days")


class BookingIn(Schema):
    equipment_id: int = Field(ge=1, le=MAX_ID)
    startup_id: int | None = Field(None, ge=1, le=MAX_ID)
    starts_at: Moment
    ends_at: Moment
    purpose: RequiredLine = Field(max_length=300)


class BookingOut(BaseModel):
    id: int
    equipment_id: int
    equipment: str
    lab: str
    startup_id: int | None
    starts_at: str
    ends_at: str
    purpose: str
    status: BookingStatus
    created_at: str


class BookingPage(PageOut):
    items: list[BookingOut]


class BookingQuery(PageQuery):
    equipment: int | None = Field(None, ge=1, le=MAX_ID)
    from_: Moment | None = Field(None, alias="from")
    to: Moment | None = None
    status: BookingStatus | None = None


def equipment_json(machine: Machine) -> dict[str, Any]:
    return {
        "id": machine.id,
        "lab": machine.lab.name,
        "lab_id": machine.lab_id,
        "center": machine.lab.center.code,
        "name": machine.name,
        "category": machine.category.value,
        "status": machine.status.value,
        "requires_training": machine.training_required,
        "slot_minutes": machine.slot_minutes,
        "min_booking_minutes": machine.min_minutes,
        "max_booking_minutes": machine.max_minutes,
    }


def booking_json(booking: Booking) -> dict[str, Any]:
    return {
        "id": booking.id,
        "equipment_id": booking.machine_id,
        "equipment": booking.machine.name,
        "lab": booking.machine.lab.name,
        "startup_id": booking.startup_id,
        "starts_at": iso(booking.starts_at),
        "ends_at": iso(booking.ends_at),
        "purpose": booking.purpose,
        "status": booking.status.value,
        "created_at": iso(booking.created_at),
    }


@bp.get("/equipment")
@logged_in
@spec.validate(query=EquipmentQuery, resp=answers(200, EquipmentPage), tags=TAGS, security=BEARER)
def equipment_list() -> Any:
    """The machines of both centers' labs (retired ones left out)."""
    query = query_args()
    filters = {"center": query.center, "category": query.category.value if query.category else None}
    return paged(EQUIPMENT, bookable_machines_query(), current_user, equipment_json, filters)


@bp.get("/equipment/<int:machine_id>/availability")
@logged_in
@spec.validate(
    query=AvailabilityQuery, resp=answers(200, AvailabilityOut), tags=TAGS, security=BEARER
)
def availability(machine_id: int) -> Any:
    """Free and busy ranges of a machine, day by day (local days, at most 31)."""
    query = query_args()
    today = local_day(utcnow())
    first = query.from_ or today
    last = query.to or first + timedelta(days=6)
    machine = run(viewable_machine, current_user, machine_id)
    free, busy = run(slots.availability, current_user, machine, first, last, utcnow())
    return {
        "free": [{"starts_at": iso(s.starts_at), "ends_at": iso(s.ends_at)} for s in free],
        "busy": [{"starts_at": iso(s.starts_at), "ends_at": iso(s.ends_at)} for s in busy],
    }


@bp.get("/bookings")
@logged_in
@spec.validate(query=BookingQuery, resp=answers(200, BookingPage), tags=TAGS, security=BEARER)
def booking_list() -> Any:
    """The caller's bookings and their startups'; a lab's staff: every booking of its labs."""
    query = query_args()
    statement = visible_bookings_query(current_user)
    if query.equipment is not None:
        statement = bookings_of_machine(statement, query.equipment)
    statement = bookings_between(statement, query.from_, query.to)
    filters = {"status": query.status.value if query.status else None}
    return paged(BOOKINGS, statement, current_user, booking_json, filters)


@bp.post("/bookings")
@logged_in
@spec.validate(json=BookingIn, resp=answers(201, BookingOut), tags=TAGS, security=BEARER)
def booking_create() -> Any:
    """Book a machine: 201, or 409 `slot_taken`, or 422 with the rule's code
    (`outside_opening_hours`, `closed_day`, `not_certified`, `quota_exceeded`, ...)."""
    data = body_json()
    booking = run(_book, data)
    return booking_json(booking), 201


def _book(data: BookingIn) -> Booking:
    minutes = (data.ends_at - data.starts_at) / timedelta(minutes=1)
    if minutes <= 0 or minutes != int(minutes):
        raise DomainError(
            _("The end comes after the start, a whole number of minutes later."),
            field="ends_at",
            code="bad_duration",
        )
    machine = viewable_machine(current_user, data.equipment_id)
    booking_data = BookingData(
        starts_at=data.starts_at,
        minutes=int(min(minutes, 10**6)),
        purpose=data.purpose,
        startup_id=data.startup_id,
    )
    return book(current_user, machine, booking_data)


@bp.delete("/bookings/<int:booking_id>")
@logged_in
@spec.validate(resp=answers(200, BookingOut), tags=TAGS, security=BEARER)
def booking_cancel(booking_id: int) -> Any:
    """Cancel a booking (until the lab's notice before it starts; staff any time)."""
    booking = run(_cancel, booking_id)
    return booking_json(booking)


def _cancel(booking_id: int) -> Booking:
    booking = changeable_booking(current_user, booking_id)
    return cancel_booking(current_user, booking)


# ------------------------------------------------------------------- events


def _booking_event(booking: Booking, event: WebhookEvent) -> None:
    data = {
        "booking_id": booking.id,
        "equipment_id": booking.machine_id,
        "startup_id": booking.startup_id,
        "starts_at": iso(booking.starts_at),
        "ends_at": iso(booking.ends_at),
        "status": booking.status.value,
    }
    webhooks.emit(booking.machine.lab.center_id, event, data)


def booking_created(booking: Booking, **_: Any) -> None:
    _booking_event(booking, WebhookEvent.BOOKING_CREATED)


def booking_cancelled(booking: Booking, **_: Any) -> None:
    _booking_event(booking, WebhookEvent.BOOKING_CANCELLED)


def open_data(center_id: int, *, first: date, last: date, **_: Any) -> dict[str, Any]:
    """Answers `signals.open_data_figures`: booked and used minutes of the center's machines
    in the month (stored per machine and month) and the labs' open minutes until today."""
    booked, used = db.session.execute(
        select(func.sum(MachineMonth.booked_minutes), func.sum(MachineMonth.used_minutes))
        .join(Lab, Lab.id == MachineMonth.lab_id)
        .where(Lab.center_id == center_id, MachineMonth.month == first)
    ).one()
    until = min(last, local_day(utcnow()))
    opened = 0
    if until >= first:
        period = Period(first, until)
        opened = sum(open_minutes(lab, period) for lab in labs_of(center_id))
    return {
        "equipment_booked_minutes": int(booked or 0),
        "equipment_used_minutes": int(used or 0),
        "equipment_open_minutes": opened,
    }
