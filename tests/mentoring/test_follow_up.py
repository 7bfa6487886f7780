"""Issue 10, second part, without HTTP: the managed list of tags, needs and the ranked
suggestions with their reasons, assignment periods, flagged sessions, overdue action items,
closed months and the dashboards' figures."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from incubator.accounts import services as accounts
from incubator.accounts.models import Role, User
from incubator.applications.stages import Stage
from incubator.db import db, utcnow
from incubator.errors import DomainError, Forbidden, NotFound
from incubator.mail import OutboxMessage
from incubator.mentoring import (
    access,
    assignments,
    checkins,
    common,
    oversight,
    profiles,
    reminders,
    sessions,
)
from incubator.mentoring.models import (
    ActionItem,
    Assignment,
    ExpertiseTag,
    MentoredStartup,
    MentoringSession,
    MentorProfile,
    Milestone,
    MilestoneStatus,
    local_today,
)
from incubator.mentoring.tags import TagData, active_tags, picked_tags, save_tag, set_tag_active
from tests.mentoring.fixtures import session_data


def _user(user: Any) -> User:
    return db.session.get(User, user.id)


def _log(assignment_id: int, mentor: Any, **changes: Any) -> MentoringSession:
    logged = sessions.log_session(
        _user(mentor),
        db.session.get(Assignment, assignment_id),
        session_data(**{"client_key": uuid.uuid4().hex, **changes}),
    )
    db.session.commit()
    return logged


# ---------------------------------------------------------------------- tags


def test_managers_and_admins_keep_the_bilingual_list_of_tags(
    ctx: Any, english: None, manager_of: Any, make_user: Any
) -> None:
    manager = _user(manager_of("BIIC"))
    tag = save_tag(manager, None, TagData(" Gọi vốn ", "Fundraising"))
    assert (tag.name_vi, tag.name_en) == ("Gọi vốn", "Fundraising")
    with pytest.raises(DomainError, match="already in the list") as same:
        save_tag(manager, None, TagData("gọi vốn", "Raising money"))
    assert same.value.field == "name_vi"
    with pytest.raises(DomainError, match="already in the list") as english_name:
        save_tag(manager, None, TagData("Huy động vốn", "FUNDRAISING"))
    assert english_name.value.field == "name_en"
    with pytest.raises(DomainError, match="required"):
        save_tag(manager, None, TagData("Pháp lý", " "))
    for outsider in (make_user(Role.MENTOR), make_user(Role.FOUNDER)):
        with pytest.raises(NotFound):
            save_tag(_user(outsider), None, TagData("Pháp lý", "Law"))
        with pytest.raises(NotFound):
            access.editable_tag(_user(outsider), tag.id)
    admin = _user(make_user(Role.ADMIN))
    save_tag(admin, tag, TagData("Gọi vốn đầu tư", "Fundraising"))
    assert tag.name_vi == "Gọi vốn đầu tư"


def test_an_archived_tag_is_no_longer_offered_but_stays_where_used(
    ctx: Any, english: None, manager_of: Any, make_mentor: Any, make_tag: Any
) -> None:
    kept, archived = make_tag("IoT", "IoT"), make_tag("Xuất khẩu", "Export")
    mentor = _user(make_mentor())
    profile_data = profiles.ProfileData("", "", [], 3, set(accounts.mentor_center_ids(mentor)))
    profile_data.tag_ids = [kept, archived]
    profiles.save_profile(mentor, mentor, profile_data)
    db.session.commit()
    set_tag_active(_user(manager_of("BIIC")), db.session.get(ExpertiseTag, archived), False)
    assert [t.id for t in active_tags()] == [kept]
    assert {t.id for t in db.session.get(MentorProfile, mentor.id).tags} == {kept, archived}
    with pytest.raises(DomainError, match="valid choice") as refused:
        picked_tags([archived], "topic_ids")
    assert refused.value.field == "topic_ids"


def test_a_mentor_picks_tags_and_languages(
    ctx: Any, english: None, make_mentor: Any, make_tag: Any
) -> None:
    tag = make_tag("IoT", "IoT")
    mentor = _user(make_mentor())
    centers = set(accounts.mentor_center_ids(mentor))
    data = profiles.ProfileData("", "", [], 3, centers, [tag], ["en", "vi"])
    profile = profiles.save_profile(mentor, mentor, data)
    assert profile.languages == ["vi", "en"] and [t.id for t in profile.tags] == [tag]
    for languages in ([], ["xx"]):
        with pytest.raises(DomainError) as refused:
            profiles.save_profile(
                mentor, mentor, profiles.ProfileData("", "", [], 3, centers, [], languages)
            )
        assert refused.value.field == "languages"


def test_founders_and_the_centers_managers_declare_the_needs(
    ctx: Any, english: None, assigned: Any, make_tag: Any, make_user: Any, manager_of: Any
) -> None:
    _assignment_id, mentor, founder, startup_id = assigned()
    tag = make_tag("Gọi vốn", "Fundraising")
    mentored = db.session.get(MentoredStartup, startup_id)
    assignments.save_needs(founder, mentored, assignments.NeedsData([tag], ["vi", "en"]))
    assert [t.id for t in mentored.needs] == [tag] and mentored.languages == ["vi", "en"]
    assignments.save_needs(_user(manager_of("BIIC")), mentored, assignments.NeedsData([], ["vi"]))
    for outsider in (mentor, make_user(Role.FOUNDER), manager_of("SMIC")):
        with pytest.raises(NotFound):
            access.needing_mentored(_user(outsider), startup_id)


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


# --------------------------------------------------------------- assignments


def test_an_assignment_has_a_period_and_goals_and_ending_sets_the_end(
    ctx: Any, english: None, make_mentored: Any, make_mentor: Any, manager_of: Any
) -> None:
    manager = _user(manager_of("BIIC"))
    mentored = db.session.get(MentoredStartup, make_mentored().startup_id)
    mentor = _user(make_mentor())
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
    assignments.plan_next_session(_user(mentor), assignment, at)
    assert [a.id for a in sessions.upcoming_sessions(founder, utcnow())] == [assignment_id]
    with pytest.raises(DomainError, match="future"):
        assignments.plan_next_session(_user(mentor), assignment, utcnow() - timedelta(hours=1))
    with pytest.raises(NotFound):
        assignments.plan_next_session(_user(make_mentor()), assignment, at)
    logged = _log(assignment_id, mentor, next_session_at=utcnow() + timedelta(days=9))
    assert logged.assignment_id == assignment_id
    assert db.session.get(Assignment, assignment_id).next_session_at > at


def test_sessions_take_their_topics_from_the_list(
    ctx: Any, english: None, assigned: Any, make_tag: Any
) -> None:
    assignment_id, mentor, _founder, _startup_id = assigned()
    tag = make_tag("Gọi vốn", "Fundraising")
    archived = make_tag("Cũ", "Old", active=False)
    logged = _log(assignment_id, mentor, topic_ids=[tag], topics="Định giá")
    assert logged.topic_line == "Fundraising, Định giá"
    with pytest.raises(DomainError) as refused:
        _log(assignment_id, mentor, topic_ids=[archived])
    assert refused.value.field == "topic_ids"


# ------------------------------------------------ flagged sessions, overdue


def test_only_sessions_unconfirmed_for_more_than_7_days_are_flagged(
    ctx: Any, assigned: Any, manager_of: Any
) -> None:
    assignment_id, mentor, _founder, _startup_id = assigned()
    old, recent = _log(assignment_id, mentor), _log(assignment_id, mentor)
    now = utcnow()
    old.created_at = now - timedelta(days=9, hours=1)
    recent.created_at = now - timedelta(days=6)
    db.session.commit()
    center_id = old.center_id
    assert oversight.flagged_sessions(center_id, now) == [(old, 9)]
    assert oversight.flagged_count(center_id, now) == 1
    smic = db.session.get(User, manager_of("SMIC").id).managed_center_id
    assert oversight.flagged_sessions(smic, now) == []


def test_the_reminder_job_mails_the_managers_once_per_flagged_session(
    ctx: Any, assigned: Any, manager_of: Any, make_user: Any
) -> None:
    assignment_id, mentor, _founder, _startup_id = assigned()
    manager = manager_of("BIIC")
    second = make_user(Role.MANAGER, center="BIIC")
    other_center = manager_of("SMIC")
    logged = _log(assignment_id, mentor)
    logged.created_at = utcnow() - timedelta(days=8)
    db.session.commit()

    def flag_mails() -> list[str]:
        return list(
            db.session.scalars(
                select(OutboxMessage.recipient).where(
                    OutboxMessage.recipient.in_([manager.email, second.email, other_center.email])
                )
            )
        )

    assert reminders.send_reminders().flagged == 1
    assert sorted(flag_mails()) == sorted([manager.email, second.email])
    assert reminders.send_reminders().flagged == 0
    assert len(flag_mails()) == 2


def test_overdue_action_items_are_marked(ctx: Any, assigned: Any) -> None:
    assignment_id, mentor, founder, _startup_id = assigned()
    today = local_today()
    items = _log(
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
    assert [i.title for i in sessions.mentor_open_items(_user(mentor))] == ["Hôm nay", "Không hạn"]
    assert [i.title for i in sessions.founder_open_items(founder)] == ["Hôm nay", "Không hạn"]


# ------------------------------------------------------------- closed months


def test_a_closed_month_refuses_check_ins(
    ctx: Any, english: None, assigned: Any, manager_of: Any
) -> None:
    _assignment_id, _mentor, founder, startup_id = assigned()
    mentored = db.session.get(MentoredStartup, startup_id)
    last_month = common.previous_month(common.month_of(utcnow()))
    data = checkins.CheckInData(last_month, 50_000_000, 10, 0, 4)
    checkins.file_checkin(founder, mentored, data)  # editable until the month is closed
    manager = _user(manager_of("BIIC"))
    with pytest.raises(DomainError, match="ended"):
        checkins.close_month(manager, mentored.center_id, common.month_of(utcnow()))
    with pytest.raises(Forbidden):
        checkins.close_month(_user(manager_of("SMIC")), mentored.center_id, last_month)
    checkins.close_month(manager, mentored.center_id, last_month)
    db.session.commit()
    with pytest.raises(DomainError, match="closed by the center") as refused:
        checkins.file_checkin(founder, mentored, data)
    assert refused.value.field == "month"
    with pytest.raises(DomainError, match="already closed"):
        checkins.close_month(manager, mentored.center_id, last_month)
    db.session.rollback()
    assert last_month not in checkins.closable_months(mentored.center_id)
    assert [c.month for c in checkins.closed_months(mentored.center_id)] == [last_month]


def test_a_manager_reopens_a_closed_month(
    ctx: Any, english: None, assigned: Any, manager_of: Any
) -> None:
    _assignment_id, _mentor, founder, startup_id = assigned()
    mentored = db.session.get(MentoredStartup, startup_id)
    last_month = common.previous_month(common.month_of(utcnow()))
    manager = _user(manager_of("BIIC"))
    checkins.close_month(manager, mentored.center_id, last_month)
    with pytest.raises(Forbidden):
        checkins.reopen_month(_user(manager_of("SMIC")), mentored.center_id, last_month)
    checkins.reopen_month(manager, mentored.center_id, last_month)
    assert checkins.closed_months(mentored.center_id) == []
    data = checkins.CheckInData(last_month, 50_000_000, 10, 0, 4)
    assert checkins.file_checkin(founder, mentored, data).month == last_month
    with pytest.raises(DomainError, match="is not closed") as refused:
        checkins.reopen_month(manager, mentored.center_id, last_month)
    assert refused.value.field == "month"


# ---------------------------------------------------------------- dashboards


def test_the_figures_of_the_three_dashboards(
    ctx: Any, assigned: Any, manager_of: Any, make_mentored: Any
) -> None:
    assignment_id, mentor, _founder, startup_id = assigned()
    make_mentored()  # a second startup with no session and no check-in
    _log(assignment_id, mentor)
    now = utcnow()
    mentor_user = _user(mentor)
    assert sessions.mentor_sessions_this_month(mentor_user, now) == 1
    assert sessions.mentor_awaiting_count(mentor_user) == 1
    db.session.add(
        Milestone(
            startup_id=startup_id,
            title="Ra mắt",
            due_on=local_today() + timedelta(days=9),
            status=MilestoneStatus.IN_PROGRESS,
        )
    )
    db.session.add(
        Milestone(
            startup_id=startup_id, title="Xong", due_on=local_today(), status=MilestoneStatus.DONE
        )
    )
    db.session.flush()
    assert checkins.next_milestone(startup_id).title == "Ra mắt"
    center_id = db.session.get(MentoredStartup, startup_id).center_id
    assert dict(oversight.stage_counts(center_id)) == {Stage.INCUBATING: 2}
    assert oversight.quiet_count(center_id, now) == 1
    assert oversight.missing_count(center_id, local_today()) == 2
    assert db.session.scalars(select(ActionItem)).all()
