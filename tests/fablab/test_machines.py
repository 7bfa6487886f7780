"""Machines out of use: a machine that is not active, maintenance blocks."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from incubator.accounts.models import User
from incubator.db import db, utcnow
from incubator.errors import DomainError
from incubator.fablab.bookings import book
from incubator.fablab.common import monday_of
from incubator.fablab.machines import set_status
from incubator.fablab.maintenance import block_machine
from incubator.fablab.models import (
    Booking,
    BookingStatus,
    MachineStatus,
)
from incubator.fablab.slots import week_view
from incubator.mail import OutboxMessage
from tests.fablab.fixtures import at, booking, get, machine_and_founder, open_day, refused

pytestmark = pytest.mark.usefixtures("ctx", "english")


def _cancellations() -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.subject.contains("Máy in 3D Prusa"))
        )
    )


def _cancellation_emails() -> list[str]:
    return [e.recipient for e in _cancellations()]


def _cancellation_bodies() -> list[str]:
    return [e.body for e in _cancellations()]


def test_a_machine_that_is_not_active_cannot_be_booked(
    make_machine: Any, make_founder: Any, manager_of: Any
) -> None:
    item, founder, user = machine_and_founder(make_machine, make_founder)
    day = open_day(item.lab, 2)
    book(user, item, booking(at(day, 9), 60, founder.startup_id))
    manager = get(User, manager_of("BIIC").id)
    with pytest.raises(DomainError, match="reason"):
        set_status(manager, item, MachineStatus.RETIRED, "")
    assert set_status(manager, item, MachineStatus.MAINTENANCE, "Thay đầu in") == 1
    db.session.commit()
    refusal = refused(book, user, item, booking(at(day, 11), 60, founder.startup_id))
    assert refusal.message == ("Máy in 3D Prusa cannot be booked: Under maintenance. (Thay đầu in)")
    assert _cancellation_emails() == [user.email]


def test_maintenance_cancels_the_bookings_inside_and_emails_their_owners(
    make_machine: Any, make_founder: Any, manager_of: Any
) -> None:
    item, founder, user = machine_and_founder(make_machine, make_founder)
    day = open_day(item.lab, 2)
    inside = book(user, item, booking(at(day, 9), 60, founder.startup_id))
    outside = book(user, item, booking(at(day, 14), 60, founder.startup_id))
    db.session.commit()
    manager = get(User, manager_of("BIIC").id)
    with pytest.raises(DomainError, match="reason"):
        block_machine(manager, item, at(day, 8), at(day, 12), " ")
    db.session.rollback()
    _block, cancelled = block_machine(
        manager, get(type(item), item.id), at(day, 8), at(day, 12), "Thay đầu phun"
    )
    db.session.commit()
    assert cancelled == 1
    assert get(Booking, inside.id).status is BookingStatus.CANCELLED
    assert get(Booking, inside.id).cancel_reason == "Thay đầu phun"
    assert get(Booking, outside.id).status is BookingStatus.CONFIRMED
    assert _cancellation_emails() == [user.email]
    assert "Thay đầu phun" in _cancellation_bodies()[0]
    refusal = refused(book, user, item, booking(at(day, 10), 60, founder.startup_id))
    assert refusal.message == "The machine is under maintenance then: Thay đầu phun"
    week = week_view(user, get(type(item), item.id), monday_of(day), utcnow())
    spans = next(v for v in week if v.info.day == day).spans
    assert [s.kind for s in spans][:2] == ["free", "maintenance"]
