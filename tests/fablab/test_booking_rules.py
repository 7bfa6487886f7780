"""The rules a booking passes, each with its message: time, for which startup."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from incubator.accounts.models import Role, User
from incubator.db import db, utcnow
from incubator.fablab.bookings import book
from tests.fablab.fixtures import at, booking, get, machine_and_founder, open_day, refused

pytestmark = pytest.mark.usefixtures("ctx", "english")


def test_every_rule_of_time_has_its_message(make_machine: Any, make_founder: Any) -> None:
    item, founder, user = machine_and_founder(make_machine, make_founder, shortest=60, longest=120)
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
        refusal = refused(book, user, item, booking(start, minutes, founder.startup_id))
        if message is None:  # yesterday: past, or closed (a holiday) — both refuse with a message
            assert refusal.message
        else:
            assert refusal.message.startswith(message), refusal.message


def test_a_past_time_is_refused(make_machine: Any, make_founder: Any) -> None:
    item, founder, user = machine_and_founder(make_machine, make_founder)
    day = open_day(item.lab, 2)
    later = at(day, 12)
    refusal = refused(book, user, item, booking(at(day, 9), 60, founder.startup_id), now=later)
    assert refusal.message == "This time has passed: choose a time to come."


def test_who_may_book_for_which_startup(
    make_machine: Any, make_founder: Any, make_startup: Any, make_user: Any, manager_of: Any
) -> None:
    item = make_machine()
    day = open_day(item.lab, 2)
    outsider = make_user(Role.FOUNDER)
    waiting = make_startup(outsider)  # not in incubation
    refusal = refused(book, get(User, outsider.id), item, booking(at(day, 9), 60, waiting.id))
    assert refusal.message.endswith("only startups in incubation book the machines.")
    assert refusal.field == "startup_id"
    founder = make_founder()
    refusal = refused(
        book, get(User, outsider.id), item, booking(at(day, 9), 60, founder.startup_id)
    )
    assert refusal.message == "You can book only for your own startups."
    refusal = refused(book, get(User, outsider.id), item, booking(at(day, 9), 60, None))
    assert refusal.message == "Choose the startup you book for."
    # the lab's staff book for any startup of their center (see below), or for the lab's own
    # use; a startup that never applied to the center is none of its startups
    manager = get(User, manager_of("BIIC").id)
    refusal = refused(book, manager, item, booking(at(day, 9), 60, waiting.id))
    assert refusal.message.endswith("is not a startup of this center.")
    book(manager, item, booking(at(day, 9), 60, founder.startup_id))
    book(manager, item, booking(at(day, 10), 60, None))
    db.session.commit()


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
    refusal = refused(book, manager, item, booking(at(day, 13), 60, elsewhere))
    assert refusal.field == "startup_id" and "is not a startup of this center" in refusal.message
    assert refused(book, manager, item, booking(at(day, 13), 60, draft_only)).field == "startup_id"
    data = booking(at(day, 13), 60)
    data.startup_name = get(Startup, elsewhere).name
    assert "No startup of this center is named" in refused(book, manager, item, data).message
    # founders still book only for their own startups in incubation
    founder = get(User, get(Startup, applicant).members[0].user_id)
    refusal = refused(book, founder, item, booking(at(day, 15), 60, applicant))
    assert "is not in incubation" in refusal.message
