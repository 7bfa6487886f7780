"""Demo-day running order without HTTP: who joins it, and its times."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from incubator.applications.stages import Stage
from incubator.db import db
from incubator.demodays import slots
from incubator.errors import DomainError
from tests.demodays.fixtures import demo_day_of, user_of


def test_a_startup_selected_later_joins_the_running_order(
    ctx: Any, make_demo_day: Any, make_application: Any
) -> None:
    planned = make_demo_day(pitches=1)
    program = demo_day_of(planned).program
    late = make_application(Stage.DEMO_DAY, program=program)
    db.session.expire_all()
    assert late.id in [s.application_id for s in demo_day_of(planned).pitches]


def test_start_times_follow_the_order_the_lengths_and_the_breaks(
    ctx: Any, english: None, make_demo_day: Any
) -> None:
    planned = make_demo_day(pitches=3)
    manager = user_of(planned.manager)
    with db.transaction():
        slots.add_break(manager, demo_day_of(planned), 15, "Giải lao")
    demo_day = demo_day_of(planned)
    rows = slots.schedule(demo_day)
    start = demo_day.starts_at
    assert [r.starts_at - start for r in rows] == [
        timedelta(0),
        timedelta(minutes=10),
        timedelta(minutes=20),
        timedelta(minutes=30),
    ]
    assert rows[-1].ends_at - start == timedelta(minutes=45)
    # the break moves up before the third pitch: that pitch now starts 15 minutes later
    pause = rows[-1].slot
    with db.transaction():
        slots.move_slot(manager, demo_day_of(planned), pause, pause.position, up=True)
    rows = slots.schedule(demo_day_of(planned))
    assert rows[2].slot.is_break
    assert rows[3].starts_at - start == timedelta(minutes=35)
    # the same click again (the position it had is stale): nothing moves
    with pytest.raises(DomainError, match="order changed"):
        slots.move_slot(manager, demo_day_of(planned), pause, 3, up=True)
