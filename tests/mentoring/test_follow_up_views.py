"""Issue 10, second part, over HTTP: tags, needs, suggestions with reasons, assignment
periods and goals on the pages, flagged sessions and overdue items where they are shown,
closing months, the home panels, the demo data and twenty identical POSTs at once."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from incubator import create_app
from incubator.accounts.models import Role, User
from incubator.db import db, utcnow
from incubator.i18n import format_date, to_local
from incubator.mentoring import assignments, checkins, common, oversight, panels, sessions
from incubator.mentoring.models import (
    Assignment,
    CheckIn,
    ClosedMonth,
    ExpertiseTag,
    MentoredStartup,
    MentoringMonth,
    MentoringSession,
    MentorProfile,
)
from tests.mentoring.fixtures import session_data
from tests.test_concurrent_requests import at_once, count


def _log(app: Any, assignment_id: int, mentor: Any, **changes: Any) -> int:
    with app.app_context():
        logged = sessions.log_session(
            db.session.get(User, mentor.id),
            db.session.get(Assignment, assignment_id),
            session_data(**{"client_key": uuid.uuid4().hex, **changes}),
        )
        db.session.commit()
        return logged.id


def test_a_manager_keeps_the_tags_others_may_not(
    app: Any, manager_of: Any, make_user: Any, login: Any
) -> None:
    client = login(manager_of("BIIC"))
    assert client.get("/mentoring/tags").status_code == 200
    response = client.post("/mentoring/tags", data={"name_vi": "Gọi vốn", "name_en": "Fundraising"})
    assert response.status_code == 302
    again = client.post("/mentoring/tags", data={"name_vi": "Gọi vốn", "name_en": "Other"})
    assert again.status_code == 200 and "field-error" in again.get_data(as_text=True)
    with app.app_context():
        tag_id = db.session.scalar(select(ExpertiseTag.id))
    listed = client.get("/mentoring/tags").get_data(as_text=True)
    assert "Gọi vốn" in listed and "Fundraising" in listed
    assert client.post(f"/mentoring/tags/{tag_id}/active", data={"active": "0"}).status_code == 302
    with app.app_context():
        assert not db.session.get(ExpertiseTag, tag_id).active
    csv = client.get("/mentoring/tags?format=csv").get_data(as_text=True)
    assert "Fundraising" in csv
    for outsider in (make_user(Role.MENTOR), make_user(Role.FOUNDER)):
        assert login(outsider).get("/mentoring/tags").status_code == 403
        assert login(outsider).post(f"/mentoring/tags/{tag_id}/active").status_code == 403


def test_twenty_identical_tags_or_month_closings_at_once_save_one(
    app: Any, manager_of: Any, login: Any
) -> None:
    client = login(manager_of("BIIC"))
    statuses = at_once(app, client, "/mentoring/tags", {"name_vi": "IoT", "name_en": "IoT"})
    assert statuses.count(302) >= 1
    assert count(app, select(func.count()).select_from(ExpertiseTag)) == 1
    month = common.previous_month(common.month_of(utcnow())).isoformat()
    at_once(app, client, "/mentoring/months/close", {"month": month})
    assert count(app, select(func.count()).select_from(ClosedMonth)) == 1
    page = client.get("/mentoring/").get_data(as_text=True)
    assert 'id="closed-months"' in page and "/mentoring/months/reopen" in page
    statuses = at_once(app, client, "/mentoring/months/reopen", {"month": month})
    assert statuses.count(302) == len(statuses)  # one reopens, the others hear "not closed"
    assert count(app, select(func.count()).select_from(ClosedMonth)) == 0


def test_the_founder_declares_needs_and_the_manager_sees_the_reasons(
    app: Any,
    make_mentored: Any,
    make_mentor: Any,
    make_tag: Any,
    manager_of: Any,
    login: Any,
    make_user: Any,
) -> None:
    tag = make_tag("Gọi vốn", "Fundraising")
    mentored = make_mentored()
    mentor = make_mentor(capacity=4, sectors=("agritech",))
    with app.app_context():
        db.session.get(MentorProfile, mentor.id).tags = [db.session.get(ExpertiseTag, tag)]
        db.session.commit()
        founder = db.session.get(MentoredStartup, mentored.startup_id).startup.members[0].user
    as_founder = login(founder)
    path = f"/mentoring/startups/{mentored.startup_id}/needs"
    assert 'name="tag_ids"' in as_founder.get(path).get_data(as_text=True)
    saved = as_founder.post(path, data={"tag_ids": str(tag), "languages": ["vi", "en"]})
    assert saved.status_code == 302
    bad = as_founder.post(path, data={"tag_ids": "999999", "languages": "vi"})
    assert bad.status_code == 200 and "field-error" in bad.get_data(as_text=True)
    assert login(make_user(Role.FOUNDER)).get(path).status_code == 404
    assert "Gọi vốn" in as_founder.get(f"/startups/{mentored.startup_id}").get_data(as_text=True)
    page = login(manager_of("BIIC")).get(f"/mentoring/startups/{mentored.startup_id}/assign")
    text = page.get_data(as_text=True)
    # "Công nghệ nông nghiệp, Gọi vốn; Tiếng Việt; 4 / 4 ..." in the manager's language
    reasons = text.split('class="reasons">', 1)[1].split("</small>", 1)[0]
    assert "Gọi vốn" in reasons and reasons.count(";") == 2 and "4" in reasons


def test_period_goals_overdue_items_and_flags_show_where_they_should(
    app: Any, make_mentored: Any, make_mentor: Any, manager_of: Any, login: Any
) -> None:
    mentored = make_mentored()
    mentor = make_mentor()
    manager = login(manager_of("BIIC"))
    start = to_local(utcnow()).date() - timedelta(days=30)
    response = manager.post(
        f"/mentoring/startups/{mentored.startup_id}/assign",
        data={
            "starts_on": format_date(start),
            "ends_on": format_date(start + timedelta(days=180)),
            "goals": "Có 20 khách hàng trả phí",
            "pick": str(mentor.id),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assignment = db.session.scalars(select(Assignment)).one()
        founder = assignment.startup.members[0].user
    session_id = _log(
        app,
        assignment.id,
        mentor,
        action_items=[
            sessions.ActionInput(
                "Gửi báo cáo", due_on=to_local(utcnow()).date() - timedelta(days=2)
            )
        ],
    )
    with app.app_context():
        db.session.get(MentoringSession, session_id).created_at = utcnow() - timedelta(days=8)
        db.session.commit()
    startup_page = login(founder).get(f"/startups/{mentored.startup_id}").get_data(as_text=True)
    assert "Có 20 khách hàng trả phí" in startup_page and format_date(start) in startup_page
    for page in (
        startup_page,
        login(mentor).get("/mentoring/mine").get_data(as_text=True),
        login(mentor).get("/").get_data(as_text=True),
        login(founder).get("/").get_data(as_text=True),
    ):
        assert 'class="action-item overdue"' in page and 'class="badge overdue"' in page
    assert "Có 20 khách hàng trả phí" in login(mentor).get("/mentoring/mine").get_data(as_text=True)
    dashboard = manager.get("/mentoring/").get_data(as_text=True)
    flagged = dashboard.split('id="unconfirmed"', 1)[1].split("</article>", 1)[0]
    assert mentored.startup.name in flagged and 'class="flag-age"' in flagged and "8" in flagged
    assert manager.post(f"/mentoring/assignments/{assignment.id}/end").status_code == 302
    with app.app_context():
        assert db.session.get(Assignment, assignment.id).ends_on == to_local(utcnow()).date()


def test_a_closed_month_is_refused_with_a_clear_message(
    app: Any, assigned: Any, manager_of: Any, login: Any
) -> None:
    _assignment_id, _mentor, founder, startup_id = assigned()
    month = common.previous_month(common.month_of(utcnow()))
    manager = login(manager_of("BIIC"))
    assert (
        manager.post("/mentoring/months/close", data={"month": month.isoformat()}).status_code
        == 302
    )
    again = manager.post("/mentoring/months/close", data={"month": month.isoformat()})
    assert again.status_code == 302  # "already closed", flashed
    data = {
        "month": month.isoformat(),
        "revenue_vnd": "1.000.000",
        "customers": "1",
        "funding_raised_vnd": "0",
        "headcount": "2",
    }
    refused = login(founder).post(f"/mentoring/startups/{startup_id}/checkin", data=data)
    assert refused.status_code == 200
    assert month.strftime("%m/%Y") in refused.get_data(as_text=True)
    assert count(app, select(func.count()).select_from(CheckIn)) == 0


def test_the_home_panels_of_each_role(app: Any, assigned: Any, manager_of: Any, login: Any) -> None:
    assignment_id, mentor, founder, _startup_id = assigned()
    _log(app, assignment_id, mentor)
    with app.app_context():
        assignments.plan_next_session(
            db.session.get(User, mentor.id),
            db.session.get(Assignment, assignment_id),
            utcnow() + timedelta(days=2),
        )
        db.session.commit()
    mentor_home = login(mentor).get("/").get_data(as_text=True)
    assert 'class="plain awaiting"' in mentor_home
    founder_home = login(founder).get("/").get_data(as_text=True)
    assert 'class="plain upcoming"' in founder_home and 'class="badge stage"' in founder_home
    assert 'class="flash flash-info checkin-due"' in founder_home
    manager_home = login(manager_of("BIIC")).get("/").get_data(as_text=True)
    assert 'class="plain manager-alerts"' in manager_home and 'class="stage-counts"' in manager_home


def test_the_demo_fills_every_dashboard_and_chart(tmp_path: Any) -> None:
    demo_app = create_app(
        "testing", DATABASE_URL=f"sqlite:///{tmp_path / 'demo.db'}", UPLOAD_DIR=tmp_path / "up"
    )
    runner = demo_app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with demo_app.test_request_context():
        users = {u.email: u for u in db.session.scalars(select(User))}
        for code in ("BIIC", "SMIC"):
            manager = panels.manager(users[f"manager@{code.lower()}.test"])
            assert manager is not None
            assert manager["figures"].minutes_month > 0 and manager["figures"].minutes_year > 0
            assert manager["stages"] and manager["flagged"] >= 1
        biic = users["manager@biic.test"].managed_center_id
        smic = users["manager@smic.test"].managed_center_id
        now = utcnow()
        assert oversight.quiet_count(biic, now) >= 1
        assert oversight.missing_count(smic, to_local(now).date()) >= 1
        assert checkins.closed_months(biic)
        for email in ("mentor@biic.test", "mentor@smic.test"):
            mentor = panels.mentor(users[email])
            assert mentor["assignments"] and mentor["awaiting"] and mentor["open_items"]
            assert any(item.overdue for item in mentor["open_items"])
            assert mentor["assignments"][0].goals and mentor["assignments"][0].starts_on
        assert db.session.scalar(select(func.count()).select_from(ExpertiseTag)) >= 10
        for mentored in db.session.scalars(select(MentoredStartup)):
            months = db.session.scalars(
                select(MentoringMonth.month).where(MentoringMonth.startup_id == mentored.startup_id)
            ).all()
            assert len(months) >= 5  # sessions over six months (the quiet one stopped)
            assert len(checkins.checkins(mentored.startup_id)) >= 5
            assert checkins.next_milestone(mentored.startup_id) is not None
            assert mentored.needs
            founder = mentored.startup.members[0].user
            founder_panel = panels.founder(founder)
            assert founder_panel and founder_panel["upcoming"]
            section = panels.startup_section(founder, mentored.startup)
            assert (
                section and "<svg" in section["revenue_chart"] and "<svg" in section["hours_chart"]
            )
        oldest = db.session.scalar(select(func.min(MentoringSession.held_at)))
        assert oldest < now - timedelta(days=150)  # older than the form's 90 days
