"""Check-in, no-shows and the suspension they cause."""

from __future__ import annotations

from typing import Any

import pytest

from incubator.accounts.models import User
from incubator.db import db
from incubator.fablab.bookings import book
from incubator.fablab.models import (
    Booking,
    BookingStatus,
    LabStartup,
    MachineDay,
)
from incubator.fablab.noshows import check_in, release_no_shows, reset_no_shows
from tests.fablab.fixtures import at, booking, get, open_day, refused

pytestmark = pytest.mark.usefixtures("ctx", "english")


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
    refusal = refused(check_in, manager, get(Booking, made[0].id), now=at(day, 7, 30))
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
    refusal = refused(book, user, item, booking(at(open_day(lab, 3), 9), 60, founder.startup_id))
    assert "missed 2 bookings without cancelling" in refusal.message
    reset_no_shows(manager, get(type(made[0].startup), founder.startup_id))
    db.session.commit()
    book(user, item, booking(at(open_day(lab, 3), 9), 60, founder.startup_id))
