"""Utilization from the stored days and months."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from incubator.accounts.models import User
from incubator.db import db
from incubator.errors import DomainError
from incubator.fablab.bookings import book
from incubator.fablab.common import local_day
from incubator.fablab.labs import day_info, lab_days, set_day
from incubator.fablab.utilization import check_period, lab_figures, open_minutes, utilization_query
from tests.fablab.fixtures import at, booking, get, open_day

pytestmark = pytest.mark.usefixtures("ctx", "english")


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
