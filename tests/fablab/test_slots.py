"""The week view of a machine."""

from __future__ import annotations

from typing import Any

import pytest

from incubator.accounts.models import User
from incubator.db import db, utcnow
from incubator.fablab.bookings import book
from incubator.fablab.common import monday_of
from incubator.fablab.slots import week_view
from tests.fablab.fixtures import at, booking, get, machine_and_founder, open_day

pytestmark = pytest.mark.usefixtures("ctx", "english")


def test_the_week_view_hides_owners_from_other_founders(
    make_machine: Any, make_founder: Any, manager_of: Any
) -> None:
    item, founder, user = machine_and_founder(make_machine, make_founder)
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
