"""Mentoring services without HTTP: each rule of issue 10 has a test here."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from incubator.accounts.models import Role, User
from incubator.db import db, utcnow
from incubator.errors import DomainError, Forbidden, NotFound
from incubator.mail import OutboxMessage
from incubator.mentoring import (
    access,
    assignments,
    checkins,
    common,
    oversight,
    reminders,
    sessions,
)
from incubator.mentoring.models import (
    Assignment,
    CenterMonth,
    CheckIn,
    MentoredStartup,
    MentoringMonth,
    MentoringSession,
    MentorProfile,
)
from incubator.reviews.services import reviewers
from incubator.scheduler import SentMark
from tests.mentoring.fixtures import session_data


def _log(assignment_id: int, mentor: User, **changes: Any) -> MentoringSession:
    assignment = db.session.get(Assignment, assignment_id)
    logged = sessions.log_session(
        db.session.get(User, mentor.id),
        assignment,
        session_data(**{"client_key": uuid.uuid4().hex, **changes}),
    )
    db.session.commit()
    return logged


def test_entering_incubation_makes_a_mentored_startup(ctx: Any, make_mentored: Any) -> None:
    mentored = make_mentored("SMIC")
    stored = db.session.get(MentoredStartup, mentored.startup_id)
    assert stored.active and stored.center_id == stored.application.program.center_id


def test_capacity_is_respected(
    ctx: Any, english: None, make_mentored: Any, make_mentor: Any, manager_of: Any
) -> None:
    mentor = make_mentor(capacity=1)
    manager = db.session.get(User, manager_of("BIIC").id)
    first, second = make_mentored(), make_mentored()
    assignments.assign(manager, db.session.get(MentoredStartup, first.startup_id), mentor)
    db.session.commit()
    with pytest.raises(DomainError, match="full"):
        assignments.assign(manager, db.session.get(MentoredStartup, second.startup_id), mentor)
    db.session.rollback()
    assert db.session.get(MentorProfile, mentor.id).active_assignments == 1


def test_ending_an_assignment_frees_a_place(
    ctx: Any, make_mentored: Any, make_mentor: Any, manager_of: Any
) -> None:
    mentor = make_mentor(capacity=1)
    manager = db.session.get(User, manager_of("BIIC").id)
    first, second = make_mentored(), make_mentored()
    assignment = assignments.assign(
        manager, db.session.get(MentoredStartup, first.startup_id), mentor
    )
    assignments.end_assignment(manager, assignment)
    assignments.assign(manager, db.session.get(MentoredStartup, second.startup_id), mentor)
    assert db.session.get(MentorProfile, mentor.id).active_assignments == 1


def test_only_mentors_of_the_center_and_its_managers(
    ctx: Any, english: None, make_mentored: Any, make_mentor: Any, manager_of: Any
) -> None:
    mentored = db.session.get(MentoredStartup, make_mentored("BIIC").startup_id)
    smic_mentor = make_mentor("SMIC")
    with pytest.raises(DomainError, match="does not serve"):
        assignments.assign(db.session.get(User, manager_of("BIIC").id), mentored, smic_mentor)
    with pytest.raises(Forbidden):
        assignments.assign(db.session.get(User, manager_of("SMIC").id), mentored, make_mentor())
    with pytest.raises(NotFound):
        access.managed_mentored(db.session.get(User, manager_of("SMIC").id), mentored.startup_id)


def test_a_member_of_the_startup_cannot_mentor_it(
    ctx: Any, english: None, make_mentored: Any, make_user: Any, make_startup: Any, manager_of: Any
) -> None:
    founder_mentor = make_user(Role.FOUNDER, Role.MENTOR, center="BIIC")
    mentored = db.session.get(
        MentoredStartup, make_mentored(startup=make_startup(founder=founder_mentor)).startup_id
    )
    with pytest.raises(DomainError, match="member"):
        assignments.assign(db.session.get(User, manager_of("BIIC").id), mentored, founder_mentor)


def test_suggestions_rank_sector_then_free_places(
    ctx: Any, make_mentored: Any, make_mentor: Any
) -> None:
    mentored = db.session.get(MentoredStartup, make_mentored().startup_id)  # agritech
    roomy = make_mentor(capacity=5)
    expert = make_mentor(capacity=1, sectors=("agritech",))
    full = make_mentor(capacity=0, sectors=("agritech",))
    make_mentor("SMIC", capacity=9)
    ranked = assignments.suggestions(mentored)
    assert [s.mentor.id for s in ranked][:2] == [expert.id, roomy.id]
    assert full.id not in [s.mentor.id for s in ranked]
    assert all(s.reasons for s in ranked)


def test_a_mentor_logs_only_for_their_own_assignment(
    ctx: Any, assigned: Any, make_mentor: Any
) -> None:
    assignment_id, _mentor, _founder, _startup_id = assigned()
    stranger = make_mentor()
    with pytest.raises(NotFound):
        access.own_assignment(db.session.get(User, stranger.id), assignment_id)
    with pytest.raises(NotFound):
        sessions.log_session(
            db.session.get(User, stranger.id),
            db.session.get(Assignment, assignment_id),
            session_data(),
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": -30}, "minutes"),
        ({"minutes": 601}, "minutes"),
        ({"held_at": utcnow() + timedelta(days=3)}, "held_at"),
        ({"held_at": utcnow() - timedelta(days=400)}, "held_at"),
        ({"summary": "  "}, "summary"),
    ],
)
def test_durations_and_dates_are_validated(
    ctx: Any, english: None, assigned: Any, changes: dict[str, Any], field: str
) -> None:
    assignment_id, mentor, _founder, _startup_id = assigned()
    with pytest.raises(DomainError) as refused:
        sessions.log_session(
            db.session.get(User, mentor.id),
            db.session.get(Assignment, assignment_id),
            session_data(**changes),
        )
    assert refused.value.field == field


def test_logging_updates_the_stored_figures(ctx: Any, assigned: Any) -> None:
    assignment_id, mentor, _founder, startup_id = assigned()
    _log(assignment_id, mentor, minutes=90)
    logged = _log(assignment_id, mentor, minutes=30)
    mentored = db.session.get(MentoredStartup, startup_id)
    month = common.month_of(logged.held_at)
    assert (mentored.sessions, mentored.minutes) == (2, 120)
    assert db.session.get(MentoringMonth, (startup_id, month)).minutes == 120
    center = db.session.get(CenterMonth, (mentored.center_id, month))
    assert (center.sessions, center.minutes) == (2, 120)
    figures = oversight.center_figures(mentored.center_id, common.month_of(utcnow()))
    assert figures.minutes_year >= 120
    assert len(logged.action_items) == 2


def test_the_same_form_sent_twice_logs_one_session(ctx: Any, english: None, assigned: Any) -> None:
    assignment_id, mentor, _founder, _startup_id = assigned()
    _log(assignment_id, mentor, client_key="same")
    with pytest.raises(DomainError, match="already saved"):
        _log(assignment_id, mentor, client_key="same")


def test_private_notes_are_for_the_mentor_and_the_centers_managers(
    ctx: Any, assigned: Any, manager_of: Any
) -> None:
    assignment_id, mentor, founder, _startup_id = assigned()
    logged = _log(assignment_id, mentor)
    assert access.may_read_notes(db.session.get(User, mentor.id), logged)
    assert access.may_read_notes(db.session.get(User, manager_of("BIIC").id), logged)
    assert not access.may_read_notes(founder, logged)
    assert not access.may_read_notes(db.session.get(User, manager_of("SMIC").id), logged)


def test_sessions_are_seen_by_their_startup_mentor_and_center_only(
    ctx: Any, assigned: Any, manager_of: Any, make_mentor: Any
) -> None:
    assignment_id, mentor, _founder, _startup_id = assigned()
    logged = _log(assignment_id, mentor)
    _other_assignment, _other_mentor, other_founder, _other = assigned()
    for outsider in (other_founder, make_mentor(), manager_of("SMIC")):
        with pytest.raises(NotFound):
            access.viewable_session(db.session.get(User, outsider.id), logged.id)
    listed = db.session.scalars(sessions.sessions_query(other_founder)).all()
    assert logged.id not in [s.id for s in listed]


def test_founders_confirm_once_with_a_rating_from_1_to_5(
    ctx: Any, english: None, assigned: Any
) -> None:
    assignment_id, mentor, founder, startup_id = assigned()
    logged = _log(assignment_id, mentor)
    for bad in (0, 6, None):
        with pytest.raises(DomainError, match="1 to 5"):
            sessions.confirm_session(founder, logged, bad)
    with pytest.raises(NotFound):
        sessions.confirm_session(db.session.get(User, mentor.id), logged, 4)
    sessions.confirm_session(founder, logged, 4, "Rất hữu ích")
    db.session.commit()
    with pytest.raises(DomainError, match="already confirmed"):
        sessions.confirm_session(founder, logged, 5)
    assert db.session.get(MentoredStartup, startup_id).average_rating == 4


def test_action_items_are_ticked_by_the_startup_or_the_mentor(
    ctx: Any, assigned: Any, make_user: Any
) -> None:
    assignment_id, mentor, founder, _startup_id = assigned()
    item = _log(assignment_id, mentor).action_items[0]
    sessions.tick_action_item(founder, item, True)
    assert item.done_at is not None
    with pytest.raises(NotFound):
        access.tickable_item(make_user(Role.FOUNDER), item.id)


def test_a_checkin_per_month_filed_again_corrects_it(
    ctx: Any, english: None, assigned: Any
) -> None:
    _assignment_id, _mentor, founder, startup_id = assigned()
    mentored = db.session.get(MentoredStartup, startup_id)
    month = common.previous_month(common.month_of(utcnow()))
    data = checkins.CheckInData(month, 50_000_000, 10, 0, 4)
    checkins.file_checkin(founder, mentored, data)
    data.customers = 12
    checkins.file_checkin(founder, mentored, data)
    rows = db.session.scalars(select(CheckIn).where(CheckIn.startup_id == startup_id)).all()
    assert [(r.month, r.customers) for r in rows] == [(month, 12)]
    assert mentored.last_checkin_on == month
    with pytest.raises(DomainError, match="begun"):
        checkins.file_checkin(founder, mentored, checkins.CheckInData(date(2999, 1, 1), 0, 0, 0, 1))
    with pytest.raises(DomainError, match="negative"):
        checkins.file_checkin(founder, mentored, checkins.CheckInData(month, -1, 0, 0, 1))


def test_kpis_of_another_startup_are_not_found(ctx: Any, assigned: Any) -> None:
    _a, _m, founder, _startup_id = assigned()
    _b, _n, _other_founder, other_startup = assigned()
    with pytest.raises(NotFound):
        access.member_mentored(founder, other_startup)
    with pytest.raises(NotFound):
        access.viewable_mentored(founder, other_startup)


def test_reminders_are_sent_once(ctx: Any, assigned: Any) -> None:
    assignment_id, mentor, _founder, _startup_id = assigned()
    logged = _log(assignment_id, mentor)
    later = (utcnow() + timedelta(days=40)).replace(day=10)  # after the check-in due day
    logged.created_at = later - timedelta(days=3)
    db.session.commit()
    first = reminders.send_reminders(later)
    emails = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    second = reminders.send_reminders(later)
    assert first.confirm == 1 and first.checkin == 1
    assert (second.confirm, second.checkin) == (0, 0)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == emails
    assert db.session.scalar(select(func.count()).select_from(SentMark)) == 2


def test_reviewer_picker_offers_the_centers_mentors_who_are_not_members(
    ctx: Any, make_user: Any, make_startup: Any, center_ids: dict[str, int]
) -> None:
    biic = make_user(Role.MENTOR, center="BIIC")
    smic = make_user(Role.MENTOR, center="SMIC")
    member = make_user(Role.MENTOR, Role.FOUNDER, center="BIIC")
    inactive = make_user(Role.MENTOR, center="BIIC", active=False)
    startup = make_startup(founder=member)
    offered = {u.id for u in reviewers(center_ids["BIIC"], startup)}
    assert biic.id in offered
    assert not offered & {smic.id, member.id, inactive.id}


@pytest.fixture
def center_ids(app: Any) -> dict[str, int]:
    from tests.centers.fixtures import center_id

    return {code: center_id(app, code) for code in ("BIIC", "SMIC")}
