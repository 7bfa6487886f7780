"""Fablab rules, each with its message; moves in one transaction; maintenance; check-in,
no-shows and the stored figures; closed days from the `holidays` library."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from incubator.accounts.models import Role, User
from incubator.db import db, utcnow
from incubator.errors import DomainError
from incubator.fablab.booking_rules import slot_taken
from incubator.fablab.bookings import book, cancel_booking, move_booking, sibling_machines
from incubator.fablab.certificates import certificate_reminders, grant_certificate
from incubator.fablab.common import local_day, monday_of
from incubator.fablab.labs import day_info, lab_days, set_day
from incubator.fablab.machines import set_status
from incubator.fablab.maintenance import block_machine
from incubator.fablab.models import (
    Booking,
    BookingStatus,
    Certificate,
    LabDay,
    LabStartup,
    MachineCategory,
    MachineDay,
    MachineStatus,
    QuotaWeek,
)
from incubator.fablab.noshows import check_in, release_no_shows, reset_no_shows
from incubator.fablab.slots import week_view
from incubator.fablab.utilization import check_period, lab_figures, open_minutes, utilization_query
from incubator.i18n import format_date
from incubator.mail import OutboxMessage
from incubator.scheduler import SentMark
from tests.fablab.fixtures import at, booking, get, open_day

pytestmark = pytest.mark.usefixtures("ctx", "english")


def _refused(call: Any, *args: Any, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as refusal:
        call(*args, **kwargs)
    db.session.rollback()
    return refusal.value


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


def _setup(make_machine: Any, make_founder: Any, **machine: Any) -> tuple[Any, Any, User]:
    item = make_machine(**machine)
    founder = make_founder()
    return item, founder, get(User, founder.user.id)


def test_a_founder_books_a_free_range_and_the_figures_follow(
    make_machine: Any, make_founder: Any
) -> None:
    item, founder, user = _setup(make_machine, make_founder)
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
    item, founder, user = _setup(make_machine, make_founder)
    day = open_day(item.lab, 2)
    book(user, item, booking(at(day, 9), 60, founder.startup_id))
    book(user, item, booking(at(day, 10), 60, founder.startup_id))  # 10:00 meets 10:00
    book(user, item, booking(at(day, 8), 60, founder.startup_id))
    db.session.commit()
    for start, minutes in ((at(day, 9, 30), 60), (at(day, 8), 240), (at(day, 10, 30), 30)):
        refusal = _refused(book, user, item, booking(start, minutes, founder.startup_id))
        assert refusal.message == "This slot is already taken. Please choose another time."
        assert refusal.field == "start"


def test_every_rule_of_time_has_its_message(make_machine: Any, make_founder: Any) -> None:
    item, founder, user = _setup(make_machine, make_founder, shortest=60, longest=120)
    day = open_day(item.lab, 2)
    cases = [
        (at(day, 6), 60, "Outside opening hours: on this day the lab is open from 07:00 to 19:00."),
        (at(day, 18, 30), 60, "Outside opening hours"),
        (at(day, 9, 10), 60, "Bookings start on the 30-minute slots"),
        (at(day, 9), 30, "A booking of this machine lasts from 1 h to 2 h."),
        (at(day, 9), 180, "A booking of this machine lasts from 1 h to 2 h."),
        (at(day, 9), 75, "A booking lasts a whole number of 30-minute slots."),
        (at(open_day(item.lab, 45), 9), 60, "Bookings open 30 days ahead."),
        (utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(days=1), 60, None),
    ]
    for start, minutes, message in cases:
        refusal = _refused(book, user, item, booking(start, minutes, founder.startup_id))
        if message is None:  # yesterday: past, or closed (a holiday) — both refuse with a message
            assert refusal.message
        else:
            assert refusal.message.startswith(message), refusal.message


def test_a_past_time_is_refused(make_machine: Any, make_founder: Any) -> None:
    item, founder, user = _setup(make_machine, make_founder)
    day = open_day(item.lab, 2)
    later = at(day, 12)
    refusal = _refused(book, user, item, booking(at(day, 9), 60, founder.startup_id), now=later)
    assert refusal.message == "This time has passed: choose a time to come."


def test_tet_and_hung_kings_are_closed_from_the_holidays_library(
    make_lab: Any, make_machine: Any, make_founder: Any, manager_of: Any
) -> None:
    lab = make_lab(horizon=365)
    item, founder, user = make_machine(lab=lab), make_founder(), None
    user = get(User, founder.user.id)
    tet, hung_kings = date(2027, 2, 6), date(2027, 4, 16)
    days = {d.day: d for d in lab_days(get(type(lab), lab.id), tet, hung_kings)}
    assert not days[tet].open and "Lunar New Year" in days[tet].reason
    assert not days[hung_kings].open and "Hung Kings" in days[hung_kings].reason
    now = at(date(2027, 1, 20), 9)
    refusal = _refused(book, user, item, booking(at(tet, 9), 60, founder.startup_id), now=now)
    assert refusal.message.startswith("The lab is closed on 06/02/2027. Public holiday: Lunar")
    assert refusal.field == "day"
    # the staff open Tết's fifth day; it takes that weekday's hours
    manager = get(User, manager_of("BIIC").id)
    fifth = date(2027, 2, 10)
    set_day(manager, get(type(lab), lab.id), fifth, True, "Mở cửa cho đội thi")
    db.session.commit()
    assert day_info(get(type(lab), lab.id), fifth).open
    book(user, item, booking(at(fifth, 9), 60, founder.startup_id), now=now)
    # and close an ordinary day
    set_day(manager, get(type(lab), lab.id), date(2027, 1, 27), False, "Kiểm kê")
    assert day_info(get(type(lab), lab.id), date(2027, 1, 27)).reason == "Kiểm kê"
    assert db.session.scalar(select(func.count()).select_from(LabDay)) == 2


def test_a_weekday_without_hours_is_closed(
    make_lab: Any, make_machine: Any, make_founder: Any
) -> None:
    lab = make_lab(weekdays=range(5))
    item, founder = make_machine(lab=lab), make_founder()
    day = local_day(utcnow()) + timedelta(days=1)
    while day.weekday() != 6:
        day += timedelta(days=1)
    refusal = _refused(
        book, get(User, founder.user.id), item, booking(at(day, 9), 60, founder.startup_id)
    )
    assert refusal.message.endswith("The lab is closed on this weekday.")


def test_training_certificates_machine_category_expired(
    make_machine: Any, make_founder: Any, manager_of: Any
) -> None:
    item, founder, user = _setup(
        make_machine,
        make_founder,
        training=True,
        category=MachineCategory.LASER_CUTTER,
        name="Máy cắt laser",
    )
    day = open_day(item.lab, 2)
    data = booking(at(day, 9), 60, founder.startup_id)
    refusal = _refused(book, user, item, data)
    assert refusal.message == (
        "Máy cắt laser needs a training certificate, and you have none: ask the lab's staff for "
        "the training."
    )
    manager = get(User, manager_of("BIIC").id)
    today = local_day(utcnow())
    certificate = grant_certificate(
        manager, user, None, MachineCategory.LASER_CUTTER, today + timedelta(days=1)
    )
    db.session.commit()
    refusal = _refused(book, user, item, data)  # expires before the booking's day
    assert refusal.message.startswith("Your training certificate for Máy cắt laser expired on")
    certificate = get(Certificate, certificate.id)
    grant_certificate(manager, user, None, MachineCategory.LASER_CUTTER, None)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1  # renewed
    assert book(user, item, data).status is BookingStatus.CONFIRMED
    with pytest.raises(DomainError, match="past"):
        grant_certificate(manager, user, item, None, today - timedelta(days=1))


def test_a_machine_certificate_counts_only_for_that_machine(
    make_lab: Any, make_machine: Any, make_founder: Any, manager_of: Any
) -> None:
    lab = make_lab()
    first = make_machine(lab=lab, training=True, name="Máy CNC A", category=MachineCategory.CNC)
    second = make_machine(lab=lab, training=True, name="Máy CNC B", category=MachineCategory.CNC)
    founder = make_founder()
    user = get(User, founder.user.id)
    grant_certificate(get(User, manager_of("BIIC").id), user, first, None, None)
    day = open_day(lab, 2)
    book(user, first, booking(at(day, 9), 60, founder.startup_id))
    refusal = _refused(book, user, second, booking(at(day, 9), 60, founder.startup_id))
    assert "Máy CNC B needs a training certificate" in refusal.message


def test_who_may_book_for_which_startup(
    make_machine: Any, make_founder: Any, make_startup: Any, make_user: Any, manager_of: Any
) -> None:
    item = make_machine()
    day = open_day(item.lab, 2)
    outsider = make_user(Role.FOUNDER)
    waiting = make_startup(outsider)  # not in incubation
    refusal = _refused(book, get(User, outsider.id), item, booking(at(day, 9), 60, waiting.id))
    assert refusal.message.endswith("only startups in incubation book the machines.")
    assert refusal.field == "startup_id"
    founder = make_founder()
    refusal = _refused(
        book, get(User, outsider.id), item, booking(at(day, 9), 60, founder.startup_id)
    )
    assert refusal.message == "You can book only for your own startups."
    refusal = _refused(book, get(User, outsider.id), item, booking(at(day, 9), 60, None))
    assert refusal.message == "Choose the startup you book for."
    # the lab's staff book for any startup of their center (see below), or for the lab's own
    # use; a startup that never applied to the center is none of its startups
    manager = get(User, manager_of("BIIC").id)
    refusal = _refused(book, manager, item, booking(at(day, 9), 60, waiting.id))
    assert refusal.message.endswith("is not a startup of this center.")
    book(manager, item, booking(at(day, 9), 60, founder.startup_id))
    book(manager, item, booking(at(day, 10), 60, None))
    db.session.commit()


def test_a_machine_that_is_not_active_cannot_be_booked(
    make_machine: Any, make_founder: Any, manager_of: Any
) -> None:
    item, founder, user = _setup(make_machine, make_founder)
    day = open_day(item.lab, 2)
    book(user, item, booking(at(day, 9), 60, founder.startup_id))
    manager = get(User, manager_of("BIIC").id)
    with pytest.raises(DomainError, match="reason"):
        set_status(manager, item, MachineStatus.RETIRED, "")
    assert set_status(manager, item, MachineStatus.MAINTENANCE, "Thay đầu in") == 1
    db.session.commit()
    refusal = _refused(book, user, item, booking(at(day, 11), 60, founder.startup_id))
    assert refusal.message == ("Máy in 3D Prusa cannot be booked: Under maintenance. (Thay đầu in)")
    assert _cancellation_emails() == [user.email]


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
    refusal = _refused(book, user, other_printer, booking(at(day, 9), 90, founder.startup_id))
    assert "may book 3 hours of 3D printer a week; 1 h are left that week." in refusal.message
    assert refusal.field == "minutes"
    book(user, other_printer, booking(at(day, 9), 60, founder.startup_id))
    book(user, bench, booking(at(day, 9), 120, founder.startup_id))  # another category
    db.session.commit()
    assert get(QuotaWeek, (founder.startup_id, MachineCategory.PRINTER_3D, monday)).minutes == 180


def test_cancel_up_to_the_notice_and_the_slot_returns(make_machine: Any, make_founder: Any) -> None:
    item, founder, user = _setup(make_machine, make_founder)
    day = open_day(item.lab, 2)
    made = book(user, item, booking(at(day, 9), 60, founder.startup_id))
    db.session.commit()
    refusal = _refused(cancel_booking, user, get(Booking, made.id), now=at(day, 7, 30))
    assert refusal.message.startswith("A booking can be cancelled or moved until 2 hours before")
    cancel_booking(user, get(Booking, made.id))
    db.session.commit()
    assert get(Booking, made.id).status is BookingStatus.CANCELLED
    assert get(MachineDay, (item.id, day)).booked_minutes == 0
    refusal = _refused(cancel_booking, user, get(Booking, made.id))
    assert refusal.message == "This booking can no longer be changed: Cancelled."
    book(user, item, booking(at(day, 9), 60, founder.startup_id))  # free again
    db.session.commit()


def test_moving_is_one_transaction_and_a_refused_move_keeps_the_booking(
    make_machine: Any, make_founder: Any
) -> None:
    item, founder, user = _setup(make_machine, make_founder)
    day = open_day(item.lab, 2)
    mine = book(user, item, booking(at(day, 9), 60, founder.startup_id))
    book(user, item, booking(at(day, 13), 60, founder.startup_id))
    db.session.commit()
    # into a taken slot: refused, nothing changed
    refusal = _refused(move_booking, user, get(Booking, mine.id), at(day, 13, 30), 60)
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


def test_maintenance_cancels_the_bookings_inside_and_emails_their_owners(
    make_machine: Any, make_founder: Any, manager_of: Any
) -> None:
    item, founder, user = _setup(make_machine, make_founder)
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
    refusal = _refused(book, user, item, booking(at(day, 10), 60, founder.startup_id))
    assert refusal.message == "The machine is under maintenance then: Thay đầu phun"
    week = week_view(user, get(type(item), item.id), monday_of(day), utcnow())
    spans = next(v for v in week if v.info.day == day).spans
    assert [s.kind for s in spans][:2] == ["free", "maintenance"]


def test_check_in_no_shows_and_suspension(
    make_lab: Any, make_machine: Any, make_founder: Any, manager_of: Any
) -> None:
    lab = make_lab(no_show_limit=2)
    item = make_machine(lab=lab)
    founder = make_founder()
    user = get(User, founder.user.id)
    manager = get(User, manager_of("BIIC").id)
    day = open_day(lab, 2)
    made = [
        book(user, item, booking(at(day, hour), 60, founder.startup_id)) for hour in (8, 10, 12)
    ]
    db.session.commit()
    refusal = _refused(check_in, manager, get(Booking, made[0].id), now=at(day, 7, 30))
    assert refusal.message == "Check-in opens 15 minutes before the booking starts."
    check_in(manager, get(Booking, made[0].id), now=at(day, 8, 5))
    db.session.commit()
    assert get(MachineDay, (item.id, day)).used_minutes == 60
    # 12:20: the 10:00 booking was not checked in: no-show, twice run, counted once
    assert release_no_shows(now=at(day, 12, 20)) == 2
    assert release_no_shows(now=at(day, 12, 20)) == 0
    db.session.expire_all()
    assert [get(Booking, b.id).status for b in made] == [
        BookingStatus.CHECKED_IN,
        BookingStatus.NO_SHOW,
        BookingStatus.NO_SHOW,
    ]
    stored = get(MachineDay, (item.id, day))
    assert (stored.booked_minutes, stored.used_minutes, stored.no_shows) == (60, 60, 2)
    assert get(LabStartup, (founder.startup_id, lab.center_id)).no_shows == 2
    refusal = _refused(book, user, item, booking(at(open_day(lab, 3), 9), 60, founder.startup_id))
    assert "missed 2 bookings without cancelling" in refusal.message
    reset_no_shows(manager, get(type(made[0].startup), founder.startup_id))
    db.session.commit()
    book(user, item, booking(at(open_day(lab, 3), 9), 60, founder.startup_id))


def test_utilization_reads_the_stored_days(
    make_lab: Any, make_machine: Any, make_founder: Any, manager_of: Any
) -> None:
    lab = make_lab()
    item = make_machine(lab=lab)
    idle = make_machine(lab=lab, name="Máy rảnh")
    founder = make_founder()
    user = get(User, founder.user.id)
    day = open_day(lab, 2)
    book(user, item, booking(at(day, 9), 180, founder.startup_id))
    db.session.commit()
    period = check_period(day, day, day)
    rows = {
        row[0].id: row
        for row in db.session.execute(utilization_query([get(type(lab), lab.id)], period))
    }
    assert (rows[item.id].booked, rows[item.id].open_minutes) == (180, 12 * 60)
    assert (rows[idle.id].booked, rows[idle.id].open_minutes) == (0, 12 * 60)
    [figures] = lab_figures([get(type(lab), lab.id)], period)
    assert figures.booked == 180 and figures.machines == 2
    assert figures.utilization == pytest.approx(180 / (2 * 12 * 60))
    with pytest.raises(DomainError):
        check_period(day, day - timedelta(days=1), day)
    with pytest.raises(DomainError):
        check_period(day - timedelta(days=400), day, day)


def test_certificate_expiry_is_announced_once(
    make_machine: Any, make_founder: Any, manager_of: Any
) -> None:
    founder = make_founder()
    manager = get(User, manager_of("BIIC").id)
    today = local_day(utcnow())
    grant_certificate(
        manager, get(User, founder.user.id), None, MachineCategory.CNC, today + timedelta(days=5)
    )
    grant_certificate(
        manager,
        get(User, founder.user.id),
        None,
        MachineCategory.PCB_MILL,
        today + timedelta(days=60),
    )
    db.session.commit()
    assert certificate_reminders() == 1
    assert certificate_reminders() == 0
    assert db.session.scalar(select(func.count()).select_from(SentMark)) == 1
    [email] = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.subject.contains(format_date(today + timedelta(days=5)))
        )
    ).all()
    assert email.recipient == founder.user.email


def test_the_calendar_feed_carries_the_bookings(
    app: Any, make_machine: Any, make_founder: Any
) -> None:
    from icalendar import Calendar

    from incubator.mentoring import calendar

    item, founder, user = _setup(make_machine, make_founder)
    day = open_day(item.lab, 2)
    book(user, item, booking(at(day, 9), 120, founder.startup_id))
    db.session.commit()
    parsed = Calendar.from_ical(calendar.feed(user))
    [event] = [e for e in parsed.walk("VEVENT") if str(e["uid"]).startswith("fablab-booking")]
    assert event["dtstart"].dt == at(day, 9)
    assert event["dtend"].dt == at(day, 11)
    assert "Máy in 3D Prusa" in str(event["summary"])


def test_the_week_view_hides_owners_from_other_founders(
    make_machine: Any, make_founder: Any, manager_of: Any
) -> None:
    item, founder, user = _setup(make_machine, make_founder)
    other = make_founder()
    day = open_day(item.lab, 2)
    book(user, item, booking(at(day, 9), 60, founder.startup_id))
    db.session.commit()
    monday = monday_of(day)

    def labels(actor: Any) -> list[str]:
        week = week_view(actor, get(type(item), item.id), monday, utcnow())
        view = next(v for v in week if v.info.day == day)
        return [s.label for s in view.spans if s.kind in ("busy", "mine")]

    assert labels(user) == ["Your booking"]
    assert labels(get(User, other.user.id)) == ["Busy"]
    assert labels(get(User, manager_of("BIIC").id))[0].endswith(user.name)


def test_stored_months_and_days_give_the_same_figures_as_the_bookings(
    make_lab: Any, make_machine: Any, make_founder: Any, manager_of: Any
) -> None:
    """Periods that cut months anywhere: the figures read from stored months and days equal
    the bookings' own sum, and open hours counted arithmetically equal the day-by-day ones."""
    lab = make_lab(weekdays=range(6), quota=168, horizon=365)
    item = make_machine(lab=lab)
    founder = make_founder()
    user = get(User, founder.user.id)
    manager = get(User, manager_of("BIIC").id)
    start = date(2027, 1, 20)
    set_day(manager, get(type(lab), lab.id), date(2027, 2, 10), True)  # Tết, opened
    set_day(manager, get(type(lab), lab.id), date(2027, 3, 3), False)
    made = []
    for offset in range(0, 75, 4):
        day = start + timedelta(days=offset)
        if day_info(get(type(lab), lab.id), day).open:
            made.append(
                book(user, item, booking(at(day, 9), 90, founder.startup_id), now=at(start, 7))
            )
    db.session.commit()
    assert len(made) > 10
    for first, last in (
        (date(2027, 1, 1), date(2027, 3, 31)),
        (date(2027, 1, 25), date(2027, 3, 2)),
        (date(2027, 2, 1), date(2027, 2, 28)),
        (date(2027, 2, 3), date(2027, 2, 17)),
        (date(2027, 1, 31), date(2027, 4, 1)),
    ):
        period = check_period(first, last, last)
        expected = sum(b.minutes for b in made if first <= local_day(b.starts_at) <= last)
        [row] = db.session.execute(utilization_query([get(type(lab), lab.id)], period))
        assert row.booked == expected, (first, last)
        [figures] = lab_figures([get(type(lab), lab.id)], period)
        assert figures.booked == expected
        by_day = sum(d.minutes for d in lab_days(get(type(lab), lab.id), first, last))
        assert open_minutes(get(type(lab), lab.id), period) == by_day, (first, last)


def test_a_manager_books_for_any_startup_of_the_center_not_only_incubating_ones(
    make_machine: Any, make_application: Any, make_program: Any, manager_of: Any
) -> None:
    from incubator.applications.stages import Stage
    from incubator.startups.models import Startup

    item = make_machine()
    manager = get(User, manager_of("BIIC").id)
    applicant = make_application(Stage.SUBMITTED, program=make_program(center="BIIC")).startup_id
    elsewhere = make_application(Stage.SUBMITTED, program=make_program(center="SMIC")).startup_id
    draft_only = make_application(Stage.DRAFT, program=make_program(center="BIIC")).startup_id
    day = open_day(item.lab, 2)
    name = get(Startup, applicant).name
    # by the startup chosen in the list: a startup that applied to one of the center's calls
    made = book(manager, item, booking(at(day, 9), 60, applicant))
    assert made.startup_id == applicant
    db.session.commit()
    # by its name (any startup of the center, the list offers only those in incubation)
    data = booking(at(day, 11), 60)
    data.startup_name = f"  {name.upper()} "
    assert book(manager, item, data).startup_id == applicant
    db.session.commit()
    # a startup of the other center, or one that only drafted, is not the center's
    refusal = _refused(book, manager, item, booking(at(day, 13), 60, elsewhere))
    assert refusal.field == "startup_id" and "is not a startup of this center" in refusal.message
    assert _refused(book, manager, item, booking(at(day, 13), 60, draft_only)).field == "startup_id"
    data = booking(at(day, 13), 60)
    data.startup_name = get(Startup, elsewhere).name
    assert "No startup of this center is named" in _refused(book, manager, item, data).message
    # founders still book only for their own startups in incubation
    founder = get(User, get(Startup, applicant).members[0].user_id)
    refusal = _refused(book, founder, item, booking(at(day, 15), 60, applicant))
    assert "is not in incubation" in refusal.message


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
        refusal = _refused(
            move_booking, user, get(Booking, made.id), at(day, 9), 120, None, target.id
        )
        assert refusal.field == "machine_id" and "same lab and kind" in refusal.message
    # a taken range on the other machine: refused, nothing changed
    refusal = _refused(move_booking, user, get(Booking, made.id), at(day, 12), 120, None, second.id)
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
