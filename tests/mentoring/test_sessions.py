"""Mentoring sessions without HTTP: logging and its checks, the stored figures, private notes,
who sees a session, the founders' confirmation, action items, topics from the list."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from incubator.accounts.models import Role, User
from incubator.db import db, utcnow
from incubator.errors import DomainError, NotFound
from incubator.mentoring import access, common, oversight, sessions
from incubator.mentoring.models import (
    Assignment,
    CenterMonth,
    MentoredStartup,
    MentoringMonth,
    local_today,
)
from tests.mentoring.fixtures import log_committed, session_data, user_in_db


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
    log_committed(assignment_id, mentor, minutes=90)
    logged = log_committed(assignment_id, mentor, minutes=30)
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
    log_committed(assignment_id, mentor, client_key="same")
    with pytest.raises(DomainError, match="already saved"):
        log_committed(assignment_id, mentor, client_key="same")


def test_private_notes_are_for_the_mentor_and_the_centers_managers(
    ctx: Any, assigned: Any, manager_of: Any
) -> None:
    assignment_id, mentor, founder, _startup_id = assigned()
    logged = log_committed(assignment_id, mentor)
    assert access.may_read_notes(db.session.get(User, mentor.id), logged)
    assert access.may_read_notes(db.session.get(User, manager_of("BIIC").id), logged)
    assert not access.may_read_notes(founder, logged)
    assert not access.may_read_notes(db.session.get(User, manager_of("SMIC").id), logged)


def test_sessions_are_seen_by_their_startup_mentor_and_center_only(
    ctx: Any, assigned: Any, manager_of: Any, make_mentor: Any
) -> None:
    assignment_id, mentor, _founder, _startup_id = assigned()
    logged = log_committed(assignment_id, mentor)
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
    logged = log_committed(assignment_id, mentor)
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
    item = log_committed(assignment_id, mentor).action_items[0]
    sessions.tick_action_item(founder, item, True)
    assert item.done_at is not None
    with pytest.raises(NotFound):
        access.tickable_item(make_user(Role.FOUNDER), item.id)


def test_sessions_take_their_topics_from_the_list(
    ctx: Any, english: None, assigned: Any, make_tag: Any
) -> None:
    assignment_id, mentor, _founder, _startup_id = assigned()
    tag = make_tag("Gọi vốn", "Fundraising")
    archived = make_tag("Cũ", "Old", active=False)
    logged = log_committed(assignment_id, mentor, topic_ids=[tag], topics="Định giá")
    assert logged.topic_line == "Fundraising, Định giá"
    with pytest.raises(DomainError) as refused:
        log_committed(assignment_id, mentor, topic_ids=[archived])
    assert refused.value.field == "topic_ids"


def test_overdue_action_items_are_marked(ctx: Any, assigned: Any) -> None:
    assignment_id, mentor, founder, _startup_id = assigned()
    today = local_today()
    items = log_committed(
        assignment_id,
        mentor,
        action_items=[
            sessions.ActionInput("Hôm qua", due_on=today - timedelta(days=1)),
            sessions.ActionInput("Hôm nay", due_on=today),
            sessions.ActionInput("Không hạn"),
        ],
    ).action_items
    assert [item.overdue for item in items] == [True, False, False]
    sessions.tick_action_item(founder, items[0], True)
    assert not items[0].overdue
    assert [i.title for i in sessions.mentor_open_items(user_in_db(mentor))] == [
        "Hôm nay",
        "Không hạn",
    ]
    assert [i.title for i in sessions.founder_open_items(founder)] == ["Hôm nay", "Không hạn"]
