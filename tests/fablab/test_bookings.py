"""Bookings: a founder books a free range and the figures follow, half-open ranges, the weekly
quota, cancelling up to the notice, moves in one transaction, the calendar feed."""

from __future__ import annotations

from typing import Any

import pytest

from incubator.accounts.models import User
from incubator.db import db
from incubator.fablab.booking_rules import slot_taken
from incubator.fablab.bookings import book, cancel_booking, move_booking, sibling_machines
from incubator.fablab.common import monday_of
from incubator.fablab.models import (
    Booking,
    BookingStatus,
    MachineCategory,
    MachineDay,
    QuotaWeek,
)
from tests.fablab.fixtures import at, booking, get, machine_and_founder, open_day, refused

pytestmark = pytest.mark.usefixtures("ctx", "english")


def test_a_founder_books_a_free_range_and_the_figures_follow(
    make_machine: Any, make_founder: Any
) -> None:
    item, founder, user = machine_and_founder(make_machine, make_founder)
    day = open_day(item.lab, 2)
    made = book(user, item, booking(at(day, 9), 120, founder.startup_id))
    db.session.commit()
    assert made.status is BookingStatus.CONFIRMED and made.minutes == 120
    stored = get(MachineDay, (item.id, day))
    assert (stored.booked_minutes, stored.used_minutes, stored.lab_id) == (120, 0, item.lab_id)
    week = monday_of(day)
    assert get(QuotaWeek, (founder.startup_id, MachineCategory.PRINTER_3D, week)).minutes == 120


def test_half_open_ranges_meet_without_conflict_and_overlaps_are_refused(
    make_machine: Any, make_founder: Any
) -> None:
    item, founder, user = machine_and_founder(make_machine, make_founder)
    day = open_day(item.lab, 2)
    book(user, item, booking(at(day, 9), 60, founder.startup_id))
    book(user, item, booking(at(day, 10), 60, founder.startup_id))  # 10:00 meets 10:00
    book(user, item, booking(at(day, 8), 60, founder.startup_id))
    db.session.commit()
    for start, minutes in ((at(day, 9, 30), 60), (at(day, 8), 240), (at(day, 10, 30), 30)):
        refusal = refused(book, user, item, booking(start, minutes, founder.startup_id))
        assert refusal.message == "This slot is already taken. Please choose another time."
        assert refusal.field == "start"


def test_the_weekly_quota_per_startup_and_category(
    make_lab: Any, make_machine: Any, make_founder: Any
) -> None:
    lab = make_lab(quota=3)
    printer = make_machine(lab=lab)
    other_printer = make_machine(lab=lab, name="Máy in 3D thứ hai")
    bench = make_machine(lab=lab, name="Bàn điện tử", category=MachineCategory.ELECTRONICS_BENCH)
    founder = make_founder()
    user = get(User, founder.user.id)
    day = open_day(lab, 2)
    monday = monday_of(day)
    book(user, printer, booking(at(day, 9), 120, founder.startup_id))
    db.session.commit()
    refusal = refused(book, user, other_printer, booking(at(day, 9), 90, founder.startup_id))
    assert "may book 3 hours of 3D printer a week; 1 h are left that week." in refusal.message
    assert refusal.field == "minutes"
    book(user, other_printer, booking(at(day, 9), 60, founder.startup_id))
    book(user, bench, booking(at(day, 9), 120, founder.startup_id))  # another category
    db.session.commit()
    assert get(QuotaWeek, (founder.startup_id, MachineCategory.PRINTER_3D, monday)).minutes == 180


def test_cancel_up_to_the_notice_and_the_slot_returns(make_machine: Any, make_founder: Any) -> None:
    item, founder, user = machine_and_founder(make_machine, make_founder)
    day = open_day(item.lab, 2)
    made = book(user, item, booking(at(day, 9), 60, founder.startup_id))
    db.session.commit()
    refusal = refused(cancel_booking, user, get(Booking, made.id), now=at(day, 7, 30))
    assert refusal.message.startswith("A booking can be cancelled or moved until 2 hours before")
    cancel_booking(user, get(Booking, made.id))
    db.session.commit()
    assert get(Booking, made.id).status is BookingStatus.CANCELLED
    assert get(MachineDay, (item.id, day)).booked_minutes == 0
    refusal = refused(cancel_booking, user, get(Booking, made.id))
    assert refusal.message == "This booking can no longer be changed: Cancelled."
    book(user, item, booking(at(day, 9), 60, founder.startup_id))  # free again
    db.session.commit()


def test_moving_is_one_transaction_and_a_refused_move_keeps_the_booking(
    make_machine: Any, make_founder: Any
) -> None:
    item, founder, user = machine_and_founder(make_machine, make_founder)
    day = open_day(item.lab, 2)
    mine = book(user, item, booking(at(day, 9), 60, founder.startup_id))
    book(user, item, booking(at(day, 13), 60, founder.startup_id))
    db.session.commit()
    # into a taken slot: refused, nothing changed
    refusal = refused(move_booking, user, get(Booking, mine.id), at(day, 13, 30), 60)
    assert refusal.message == "This slot is already taken. Please choose another time."
    kept = get(Booking, mine.id)
    assert (kept.starts_at, kept.status) == (at(day, 9), BookingStatus.CONFIRMED)
    # onto itself, overlapping its own old range: allowed
    move_booking(user, kept, at(day, 9, 30), 90)
    db.session.commit()
    moved = get(Booking, mine.id)
    assert (moved.starts_at, moved.ends_at) == (at(day, 9, 30), at(day, 11))
    assert get(MachineDay, (item.id, day)).booked_minutes == 150
    # to another day: the figures follow
    other = open_day(item.lab, 3)
    move_booking(user, moved, at(other, 8), 60)
    db.session.commit()
    if other != day:
        assert get(MachineDay, (item.id, day)).booked_minutes == 60
        assert get(MachineDay, (item.id, other)).booked_minutes == 60


def test_a_booking_moves_to_another_machine_of_the_same_lab_and_kind_in_one_step(
    make_lab: Any, make_machine: Any, make_founder: Any
) -> None:
    lab = make_lab()
    first = make_machine(lab=lab)
    second = make_machine(lab=lab, name="Máy in 3D Bambu")
    laser = make_machine(lab=lab, name="Máy cắt laser", category=MachineCategory.LASER_CUTTER)
    elsewhere = make_machine(lab=make_lab(center="SMIC"), name="Máy in 3D SMIC")
    founder = make_founder()
    user = get(User, founder.user.id)
    day = open_day(lab, 2)
    made = book(user, first, booking(at(day, 9), 120, founder.startup_id))
    taken = book(user, second, booking(at(day, 13), 60, founder.startup_id))
    db.session.commit()
    assert [m.id for m in sibling_machines(get(type(first), first.id))] == [
        first.id,
        second.id,
    ]
    # another kind of machine, or another lab: refused, the booking stays where it was
    for target in (laser, elsewhere):
        refusal = refused(
            move_booking, user, get(Booking, made.id), at(day, 9), 120, None, target.id
        )
        assert refusal.field == "machine_id" and "same lab and kind" in refusal.message
    # a taken range on the other machine: refused, nothing changed
    refusal = refused(move_booking, user, get(Booking, made.id), at(day, 12), 120, None, second.id)
    assert refusal.message == slot_taken()
    kept = get(Booking, made.id)
    assert (kept.machine_id, kept.starts_at) == (first.id, at(day, 9))
    # a free range: moved in one step, the stored figures follow it
    moved = move_booking(user, kept, at(day, 10), 60, None, second.id)
    db.session.commit()
    assert (moved.machine_id, moved.starts_at, moved.minutes) == (second.id, at(day, 10), 60)
    assert get(MachineDay, (first.id, day)).booked_minutes == 0
    assert get(MachineDay, (second.id, day)).booked_minutes == 60 + taken.minutes
    week = monday_of(day)
    quota = get(QuotaWeek, (founder.startup_id, MachineCategory.PRINTER_3D, week))
    assert quota.minutes == 60 + taken.minutes
    # the first machine's range is free again
    book(user, first, booking(at(day, 9), 120, founder.startup_id))
    db.session.commit()


def test_the_calendar_feed_carries_the_bookings(
    app: Any, make_machine: Any, make_founder: Any
) -> None:
    from icalendar import Calendar

    from incubator.mentoring import calendar

    item, founder, user = machine_and_founder(make_machine, make_founder)
    day = open_day(item.lab, 2)
    book(user, item, booking(at(day, 9), 120, founder.startup_id))
    db.session.commit()
    parsed = Calendar.from_ical(calendar.feed(user))
    [event] = [e for e in parsed.walk("VEVENT") if str(e["uid"]).startswith("fablab-booking")]
    assert event["dtstart"].dt == at(day, 9)
    assert event["dtend"].dt == at(day, 11)
    assert "Máy in 3D Prusa" in str(event["summary"])
