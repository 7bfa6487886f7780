"""Stored counters never lose an increment: twenty changes at the same moment, each in its own
transaction, add twenty times (sessions and minutes of a mentoring assignment and of the
mentored startup, their months, ratings; a demo day's pitch results; a startup's weekly
quota, a machine's booked minutes and no-shows), and after random
concurrent sequences the stored figures equal a recount of the rows. SQLite serializes
writers, so the lost updates only ever showed on PostgreSQL (TEST_DATABASE_URL); both run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from incubator.accounts.models import User
from incubator.db import db, utcnow
from incubator.demodays.access import criterion_of, pitch_of
from incubator.demodays.judging import save_score
from incubator.demodays.models import DemoDay, DemoScore, DemoSlot
from incubator.demodays.standings import recompute
from incubator.fablab import bookings
from incubator.fablab.models import Lab, LabStartup, Machine, MachineDay, QuotaWeek
from incubator.fablab.noshows import mark_no_shows
from incubator.mentoring.models import (
    Assignment,
    CenterMonth,
    MentoredStartup,
    MentoringMonth,
    MentoringSession,
)
from incubator.mentoring.sessions import confirm_session, log_session
from tests.fablab.fixtures import at, booking, open_day
from tests.mentoring.fixtures import session_data
from tests.together import TIMES, released_together


def at_once(app: Flask, work: Callable[[int], Any], count: int = TIMES) -> None:
    """Run work(0) … work(count - 1) in threads released together, each in its own app
    context and transaction; fails on any error in a thread."""

    def one(number: int) -> None:
        with app.app_context(), db.transaction():
            work(number)

    released_together(one, count)


def _log(assignment_id: int, mentor_id: int, minutes: int, hours_ago: float, key: str) -> None:
    log_session(
        db.session.get(User, mentor_id),
        db.session.get(Assignment, assignment_id),
        session_data(
            client_key=key,
            minutes=minutes,
            held_at=utcnow() - timedelta(hours=hours_ago),
            action_items=[],
        ),
    )


def _stored_and_counted(assignment_id: int, startup_id: int) -> tuple[Any, Any]:
    """((assignment, startup, months, center months) as stored, the same recounted)."""
    assignment = db.session.get(Assignment, assignment_id)
    mentored = db.session.get(MentoredStartup, startup_id)
    rows = select(
        func.count(MentoringSession.id), func.coalesce(func.sum(MentoringSession.minutes), 0)
    ).where(MentoringSession.startup_id == startup_id)
    real = tuple(db.session.execute(rows).one())
    latest = db.session.scalar(
        select(func.max(MentoringSession.held_at)).where(MentoringSession.startup_id == startup_id)
    )
    months = db.session.execute(
        select(
            func.coalesce(func.sum(MentoringMonth.sessions), 0),
            func.coalesce(func.sum(MentoringMonth.minutes), 0),
        ).where(MentoringMonth.startup_id == startup_id)
    ).one()
    center = db.session.execute(
        select(
            func.coalesce(func.sum(CenterMonth.sessions), 0),
            func.coalesce(func.sum(CenterMonth.minutes), 0),
        ).where(CenterMonth.center_id == mentored.center_id)
    ).one()
    stored = (
        (assignment.sessions, assignment.minutes, assignment.last_session_at),
        (mentored.sessions, mentored.minutes, mentored.last_session_at),
        tuple(months),
    )
    counted = ((*real, latest), (*real, latest), real)
    return (stored, tuple(center)), (counted, real)


def test_twenty_sessions_logged_at_once_count_twenty(app: Flask, assigned: Any) -> None:
    assignment_id, mentor, _founder, startup_id = assigned()
    at_once(
        app,
        lambda n: _log(assignment_id, mentor.id, 30 + n, 1 + n / 10, f"at-once-{n}"),
    )
    with app.app_context():
        assignment = db.session.get(Assignment, assignment_id)
        mentored = db.session.get(MentoredStartup, startup_id)
        minutes = sum(30 + n for n in range(TIMES))
        assert (assignment.sessions, assignment.minutes) == (TIMES, minutes)
        assert (mentored.sessions, mentored.minutes) == (TIMES, minutes)
        (stored, center), (counted, real) = _stored_and_counted(assignment_id, startup_id)
        assert stored == counted
        assert center == real  # the only sessions of this center in the test


def test_twenty_ratings_given_at_once_count_twenty(
    app: Flask, assigned: Any, english: None
) -> None:
    assignment_id, mentor, founder, startup_id = assigned()
    for n in range(TIMES):
        with app.app_context(), db.transaction():
            _log(assignment_id, mentor.id, 60, 1 + n / 10, f"rated-{n}")
    with app.app_context():
        session_ids = list(
            db.session.scalars(
                select(MentoringSession.id).where(MentoringSession.startup_id == startup_id)
            )
        )

    def confirm(n: int) -> None:
        confirm_session(
            db.session.get(User, founder.id),
            db.session.get(MentoringSession, session_ids[n]),
            1 + n % 5,
        )

    at_once(app, confirm)
    with app.app_context():
        mentored = db.session.get(MentoredStartup, startup_id)
        assert mentored.ratings == TIMES
        assert mentored.rating_total == sum(1 + n % 5 for n in range(TIMES))


def test_twenty_judges_scoring_at_once_all_count(app: Flask, make_demo_day: Any) -> None:
    planned = make_demo_day(pitches=1, judges=TIMES, status="judging")
    slot_id = planned.slot_ids[0]

    def judge(n: int) -> None:
        demo_day = db.session.get(DemoDay, planned.demo_day_id)
        slot = pitch_of(demo_day, slot_id)
        for criterion_id in planned.criterion_ids:
            criterion = criterion_of(demo_day, criterion_id)
            save_score(db.session.get(User, planned.judges[n].id), demo_day, slot, criterion, n % 6)

    at_once(app, judge)
    with app.app_context():
        slot = db.session.get(DemoSlot, slot_id)
        scores = db.session.scalar(
            select(func.count()).select_from(DemoScore).where(DemoScore.slot_id == slot_id)
        )
        assert scores == TIMES * len(planned.criterion_ids)
        assert slot.judges_count == TIMES
        stored = slot.raw_mean
        recompute(db.session.get(DemoDay, planned.demo_day_id))
        assert db.session.get(DemoSlot, slot_id).raw_mean == stored


# minutes and hours ago of sessions, logged in concurrent batches of one to five
BATCHES = st.lists(
    st.lists(
        st.tuples(st.integers(5, 600), st.floats(0.5, 24 * 80, allow_nan=False)),
        min_size=1,
        max_size=5,
    ),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=BATCHES)
def test_stored_figures_equal_the_recount_after_concurrent_logs(
    app: Flask, assigned: Any, batches: Sequence[Sequence[tuple[int, float]]]
) -> None:
    assignment_id, mentor, _founder, startup_id = assigned()
    for number, batch in enumerate(batches):
        at_once(
            app,
            lambda n, batch=batch, number=number: _log(
                assignment_id, mentor.id, batch[n][0], batch[n][1], f"p-{number}-{n}"
            ),
            len(batch),
        )
    with app.app_context():
        (stored, _center), (counted, _real) = _stored_and_counted(assignment_id, startup_id)
        assert stored == counted


def test_twenty_bookings_at_once_add_their_quota_and_machine_minutes(
    app: Flask, make_lab: Any, make_machine: Any, make_founder: Any
) -> None:
    """One startup books twenty printers of a lab at the same moment: the week's quota row and
    each machine's day hold every booking's minutes."""
    lab = make_lab(quota=TIMES)  # hours: exactly twenty bookings of an hour
    machines = [make_machine(lab=lab, name=f"Máy in {n}") for n in range(TIMES)]
    founder = make_founder()
    with app.app_context():
        day = open_day(lab.id, 2)

    def book(n: int) -> None:
        bookings.book(
            db.session.get(User, founder.user.id),
            db.session.get(Machine, machines[n].id),
            booking(at(day, 9), 60, founder.startup_id),
        )

    at_once(app, book)
    with app.app_context():
        quota = db.session.scalar(
            select(func.sum(QuotaWeek.minutes)).where(QuotaWeek.startup_id == founder.startup_id)
        )
        assert quota == TIMES * 60
        booked = db.session.scalar(
            select(func.sum(MachineDay.booked_minutes)).where(MachineDay.lab_id == lab.id)
        )
        assert booked == TIMES * 60


def test_twenty_no_show_sweeps_at_once_count_each_no_show_once(
    app: Flask, make_lab: Any, make_machine: Any, make_founder: Any
) -> None:
    lab = make_lab(no_show_limit=100)
    machine = make_machine(lab=lab)
    founder = make_founder()
    with app.app_context():
        day = open_day(lab.id, 1)
        user = db.session.get(User, founder.user.id)
        for n in range(TIMES):
            bookings.book(
                user,
                db.session.get(Machine, machine.id),
                booking(at(day, 7) + timedelta(minutes=30 * n), 30, founder.startup_id),
            )
            db.session.commit()
        after = at(day, 18)
    at_once(app, lambda _n: mark_no_shows(after))
    with app.app_context():
        center = db.session.get(Lab, lab.id).center_id
        assert db.session.get(LabStartup, (founder.startup_id, center)).no_shows == TIMES
        stored = db.session.get(MachineDay, (machine.id, day))
        assert (stored.no_shows, stored.booked_minutes) == (TIMES, 0)
