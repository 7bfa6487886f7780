"""Labs' days: closed days from the `holidays` library and weekdays without hours."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from incubator.accounts.models import User
from incubator.db import db, utcnow
from incubator.fablab.bookings import book
from incubator.fablab.common import local_day
from incubator.fablab.labs import day_info, lab_days, set_day
from incubator.fablab.models import (
    LabDay,
)
from tests.fablab.fixtures import at, booking, get, refused

pytestmark = pytest.mark.usefixtures("ctx", "english")


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
    refusal = refused(book, user, item, booking(at(tet, 9), 60, founder.startup_id), now=now)
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
    refusal = refused(
        book, get(User, founder.user.id), item, booking(at(day, 9), 60, founder.startup_id)
    )
    assert refusal.message.endswith("The lab is closed on this weekday.")
