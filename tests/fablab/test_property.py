"""A property: whatever sequence of book / cancel / move a founder tries, no two holding
bookings of a machine ever overlap, and the service accepts exactly what a simple model of
free time says is free (so the guarantee does not come from refusing everything). The stored
booked minutes per day always equal the bookings'."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from incubator.accounts.models import User
from incubator.db import db, utcnow
from incubator.errors import DomainError
from incubator.fablab.bookings import book, cancel_booking, move_booking
from incubator.fablab.common import local_day
from incubator.fablab.models import HOLDING, Booking, MachineDay, QuotaWeek
from tests.fablab.fixtures import OPENS, at, booking, get, open_day

SLOTS = 24  # 07:00–19:00 in 30-minute slots
place = st.tuples(st.integers(0, 1), st.integers(0, SLOTS - 1), st.integers(1, 8))
operation = st.one_of(
    st.tuples(st.just("book"), place),
    st.tuples(st.just("cancel"), st.integers(0, 20)),
    st.tuples(st.just("move"), st.tuples(st.integers(0, 20), place)),
)


def _overlaps(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


@pytest.fixture
def setup(ctx: Any, make_lab: Any, make_machine: Any, make_founder: Any) -> tuple[Any, Any]:
    """One machine and one founder for every example (each example starts with no booking)."""
    return make_machine(lab=make_lab(quota=168), longest=240), make_founder()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=14))
def test_no_two_holding_bookings_ever_overlap(
    english: None, setup: tuple[Any, Any], operations: Any
) -> None:
    item, founder = setup
    for model in (Booking, MachineDay, QuotaWeek):
        db.session.execute(delete(model))
    db.session.commit()
    user = get(User, founder.user.id)
    today = local_day(utcnow())
    first = open_day(item.lab_id, 2)
    days = [first, open_day(item.lab_id, (first - today).days + 1)]
    model: dict[int, tuple[datetime, datetime]] = {}
    made: list[int] = []

    def where(choice: tuple[int, int, int]) -> tuple[datetime, int, bool]:
        day_index, slot, length = choice
        starts = at(days[day_index], OPENS.hour) + timedelta(minutes=30 * slot)
        return starts, 30 * length, slot + length <= SLOTS

    def attempt(call: Any, *args: Any) -> Any:
        try:
            result = call(*args)
        except DomainError:
            db.session.rollback()
            return None
        db.session.commit()
        return result

    for kind, argument in operations:
        if kind == "book":
            starts, minutes, fits = where(argument)
            wanted = (starts, starts + timedelta(minutes=minutes))
            free = fits and not any(_overlaps(wanted, held) for held in model.values())
            result = attempt(
                book,
                user,
                get(type(item), item.id),
                booking(starts, minutes, founder.startup_id),
            )
            assert (result is not None) == free, (kind, argument, model)
            if result is not None:
                model[result.id] = wanted
                made.append(result.id)
        elif kind == "cancel" and made:
            booking_id = made[argument % len(made)]
            result = attempt(cancel_booking, user, get(Booking, booking_id))
            assert (result is not None) == (booking_id in model)
            model.pop(booking_id, None)
        elif kind == "move" and made:
            index, choice = argument
            booking_id = made[index % len(made)]
            starts, minutes, fits = where(choice)
            wanted = (starts, starts + timedelta(minutes=minutes))
            others = [held for key, held in model.items() if key != booking_id]
            free = booking_id in model and fits and not any(_overlaps(wanted, h) for h in others)
            result = attempt(move_booking, user, get(Booking, booking_id), starts, minutes)
            assert (result is not None) == free, (kind, argument, model)
            if result is not None:
                model[booking_id] = wanted
        _check(item.id, model)


def _check(machine_id: int, model: dict[int, tuple[datetime, datetime]]) -> None:
    holding = db.session.scalars(
        select(Booking)
        .where(Booking.machine_id == machine_id, Booking.status.in_(HOLDING))
        .order_by(Booking.starts_at)
    ).all()
    for before, after in itertools.pairwise(holding):
        assert before.ends_at <= after.starts_at, "two holding bookings overlap"
    assert {b.id: (b.starts_at, b.ends_at) for b in holding} == model
    stored = {
        row.day: row.booked_minutes
        for row in db.session.scalars(select(MachineDay).where(MachineDay.machine_id == machine_id))
    }
    expected: dict[Any, int] = {}
    for booking_row in holding:
        day = local_day(booking_row.starts_at)
        expected[day] = expected.get(day, 0) + booking_row.minutes
    assert {day: minutes for day, minutes in stored.items() if minutes} == expected
