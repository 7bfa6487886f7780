"""Assignments without HTTP: enrolment in incubation, capacity, who may mentor, needs,
ranked suggestions, periods and goals, the next session planned, the reviewer picker."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from incubator.accounts.models import Role, User
from incubator.db import db, utcnow
from incubator.errors import DomainError, Forbidden, NotFound
from incubator.mentoring import access, assignments, sessions
from incubator.mentoring.models import (
    Assignment,
    ExpertiseTag,
    MentoredStartup,
    MentorProfile,
    local_today,
)
from incubator.reviews.services import reviewers
from tests.mentoring.fixtures import log_committed, user_in_db


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


def test_founders_and_the_centers_managers_declare_the_needs(
    ctx: Any, english: None, assigned: Any, make_tag: Any, make_user: Any, manager_of: Any
) -> None:
    _assignment_id, mentor, founder, startup_id = assigned()
    tag = make_tag("Gọi vốn", "Fundraising")
    mentored = db.session.get(MentoredStartup, startup_id)
    assignments.save_needs(founder, mentored, assignments.NeedsData([tag], ["vi", "en"]))
    assert [t.id for t in mentored.needs] == [tag] and mentored.languages == ["vi", "en"]
    assignments.save_needs(
        user_in_db(manager_of("BIIC")), mentored, assignments.NeedsData([], ["vi"])
    )
    for outsider in (mentor, make_user(Role.FOUNDER), manager_of("SMIC")):
        with pytest.raises(NotFound):
            access.needing_mentored(user_in_db(outsider), startup_id)


def test_suggestions_rank_by_fit_and_show_their_reasons(
    ctx: Any, english: None, make_mentored: Any, make_mentor: Any, make_tag: Any
) -> None:
    fundraising, iot = make_tag("Gọi vốn", "Fundraising"), make_tag("IoT", "IoT")
    mentored = db.session.get(MentoredStartup, make_mentored().startup_id)  # agritech
    mentored.needs = [db.session.get(ExpertiseTag, fundraising), db.session.get(ExpertiseTag, iot)]
    mentored.languages = ["vi", "en"]
    roomy = make_mentor(capacity=9)  # free places only
    sector = make_mentor(capacity=4, sectors=("agritech",))
    both = make_mentor(capacity=4, sectors=("agritech",))
    full = make_mentor(capacity=0, sectors=("agritech",))
    for mentor, tags, languages in ((both, [fundraising, iot], ["en"]), (sector, [], ["ko"])):
        profile = db.session.get(MentorProfile, mentor.id)
        profile.tags = [db.session.get(ExpertiseTag, t) for t in tags]
        profile.languages = languages
        profile.active_assignments = 2
    db.session.flush()
    ranked = assignments.suggestions(mentored)
    assert [s.mentor.id for s in ranked] == [both.id, sector.id, roomy.id]
    assert full.id not in [s.mentor.id for s in ranked]
    assert ranked[0].reasons == [
        "Agriculture technology, Fundraising, IoT",
        "English",
        "2 of 4 places free",
    ]
    assert ranked[1].reasons == ["Agriculture technology", "2 of 4 places free"]
    assert ranked[2].reasons == ["Vietnamese", "9 of 9 places free"]


def test_an_assignment_has_a_period_and_goals_and_ending_sets_the_end(
    ctx: Any, english: None, make_mentored: Any, make_mentor: Any, manager_of: Any
) -> None:
    manager = user_in_db(manager_of("BIIC"))
    mentored = db.session.get(MentoredStartup, make_mentored().startup_id)
    mentor = user_in_db(make_mentor())
    today = local_today()
    for start, end, wrong in (
        (today, today - timedelta(days=1), "ends_on"),
        (today + timedelta(days=400), None, "starts_on"),
    ):
        with pytest.raises(DomainError) as refused:
            assignments.assign(manager, mentored, mentor, assignments.AssignmentData(start, end))
        assert refused.value.field == wrong
    start = today + timedelta(days=3)
    assignment = assignments.assign(
        manager,
        mentored,
        mentor,
        assignments.AssignmentData(start, start + timedelta(days=180), "  Gọi vốn hạt giống "),
    )
    assert (assignment.starts_on, assignment.goals) == (start, "Gọi vốn hạt giống")
    assignments.end_assignment(manager, assignment)
    assert not assignment.active and assignment.ends_on == start  # never before its start
    again = assignments.assign(manager, mentored, mentor, assignments.AssignmentData(today))
    assert again.id == assignment.id and again.ends_on is None and again.goals == ""
    assignments.end_assignment(manager, again)
    assert again.ends_on == today


def test_the_mentor_plans_the_next_session_for_the_founders(
    ctx: Any, english: None, assigned: Any, make_mentor: Any
) -> None:
    assignment_id, mentor, founder, _startup_id = assigned()
    assignment = db.session.get(Assignment, assignment_id)
    at = utcnow() + timedelta(days=3)
    assignments.plan_next_session(user_in_db(mentor), assignment, at)
    assert [a.id for a in sessions.upcoming_sessions(founder, utcnow())] == [assignment_id]
    with pytest.raises(DomainError, match="future"):
        assignments.plan_next_session(user_in_db(mentor), assignment, utcnow() - timedelta(hours=1))
    with pytest.raises(NotFound):
        assignments.plan_next_session(user_in_db(make_mentor()), assignment, at)
    logged = log_committed(assignment_id, mentor, next_session_at=utcnow() + timedelta(days=9))
    assert logged.assignment_id == assignment_id
    assert db.session.get(Assignment, assignment_id).next_session_at > at


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
