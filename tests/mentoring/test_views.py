"""Mentoring pages over HTTP: access on every route, what each role sees, the calendar feed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from icalendar import Calendar
from sqlalchemy import func, select

from incubator.accounts.models import Role
from incubator.db import db, utcnow
from incubator.i18n import format_date, format_datetime, to_local
from incubator.mentoring.models import Assignment, ExpertiseTag, MentoringSession
from tests.test_query_counts import queries


def _log_form(**changes: Any) -> dict[str, Any]:
    form = {
        "client_key": "k-" + str(utcnow().timestamp()),
        "held_at": format_datetime(utcnow() - timedelta(hours=1)),
        "minutes": "60",
        "format": "online",
        "topics": "Gọi vốn",
        "summary": "Chuẩn bị gọi vốn vòng hạt giống.",
        "private_notes": "BÍ MẬT: đội ngũ bất đồng",
        "action_items-0-title": "Cập nhật bảng tài chính",
        "action_items-0-owner": "startup",
        "action_items-0-due_on": "",
        "action_items-1-title": "Giới thiệu nhà đầu tư",
        "action_items-1-owner": "mentor",
        "action_items-1-due_on": "",
    }
    form.update(changes)
    return form


def test_mentor_logs_a_session_founder_confirms_without_seeing_notes(
    app: Any, assigned: Any, login: Any
) -> None:
    assignment_id, mentor, founder, startup_id = assigned()
    as_mentor = login(mentor)
    page = as_mentor.get(f"/mentoring/assignments/{assignment_id}/log")
    assert page.status_code == 200 and 'data-draft="session-' in page.get_data(as_text=True)
    response = as_mentor.post(f"/mentoring/assignments/{assignment_id}/log", data=_log_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        logged = db.session.scalars(select(MentoringSession)).one()
        assert len(logged.action_items) == 2
    assert "BÍ MẬT" in as_mentor.get(f"/mentoring/sessions/{logged.id}").get_data(as_text=True)
    as_founder = login(founder)
    seen = as_founder.get(f"/mentoring/sessions/{logged.id}").get_data(as_text=True)
    assert "BÍ MẬT" not in seen and 'name="rating"' in seen
    assert "BÍ MẬT" not in as_founder.get(f"/startups/{startup_id}").get_data(as_text=True)
    assert "BÍ MẬT" not in as_founder.get("/mentoring/sessions?format=csv").get_data(as_text=True)
    assert (
        as_founder.post(
            f"/mentoring/sessions/{logged.id}/confirm", data={"rating": "7"}
        ).status_code
        == 302
    )
    assert (
        as_founder.post(
            f"/mentoring/sessions/{logged.id}/confirm", data={"rating": "5"}
        ).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(MentoringSession, logged.id).rating == 5


def test_bad_input_is_answered_in_the_form_not_with_a_500(assigned: Any, login: Any) -> None:
    assignment_id, mentor, _founder, _startup_id = assigned()
    client = login(mentor)
    for changes in (
        {"minutes": "0"},
        {"minutes": "abc"},
        {"held_at": "31/02/2026 10:00"},
        {"held_at": format_datetime(utcnow() + timedelta(days=30))},
        {"format": "telepathy"},
    ):
        response = client.post(
            f"/mentoring/assignments/{assignment_id}/log", data=_log_form(**changes)
        )
        assert response.status_code == 200, changes
        assert "field-error" in response.get_data(as_text=True), changes


def test_outsiders_get_404(assigned: Any, login: Any, make_user: Any, manager_of: Any) -> None:
    assignment_id, mentor, _founder, startup_id = assigned()
    other_mentor = make_user(Role.MENTOR, center="BIIC")
    other_founder = make_user(Role.FOUNDER)
    smic = manager_of("SMIC")
    assert login(other_mentor).get(f"/mentoring/assignments/{assignment_id}/log").status_code == 404
    assert login(other_founder).get(f"/mentoring/startups/{startup_id}/checkin").status_code == 404
    assert login(smic).get(f"/mentoring/startups/{startup_id}/assign").status_code == 404
    assert login(other_founder).get(f"/startups/{startup_id}").status_code == 404
    # the assigned mentor may view the startup's page (signals.may_view_startup)
    assert login(mentor).get(f"/startups/{startup_id}").status_code == 200


def test_routes_declare_their_roles(assigned: Any, login: Any, make_user: Any) -> None:
    _assignment_id, _mentor, founder, startup_id = assigned()
    as_founder = login(founder)
    assert as_founder.get("/mentoring/").status_code == 403
    assert as_founder.get("/mentoring/mine").status_code == 403
    assert (
        login(make_user(Role.MENTOR)).get(f"/mentoring/startups/{startup_id}/checkin").status_code
        == 403
    )


def test_manager_assigns_a_suggested_mentor_and_sees_the_dashboard(
    app: Any, make_mentored: Any, make_mentor: Any, manager_of: Any, login: Any
) -> None:
    mentored = make_mentored()
    mentor = make_mentor()
    client = login(manager_of("BIIC"))
    page = client.get(f"/mentoring/startups/{mentored.startup_id}/assign").get_data(as_text=True)
    assert mentor.name in page
    path = f"/mentoring/startups/{mentored.startup_id}/assign"
    # a suggestion's button sends `pick`; the period and the goals go with it
    start = format_date(utcnow())
    response = client.post(
        path, data={"starts_on": start, "ends_on": "", "goals": "Gọi vốn", "pick": str(mentor.id)}
    )
    assert response.status_code == 302
    assert client.get("/mentoring/").status_code == 200
    with app.app_context():
        assignment = db.session.scalars(select(Assignment)).one()
        assert (assignment.mentor_id, assignment.goals) == (mentor.id, "Gọi vốn")
        assert assignment.starts_on == to_local(utcnow()).date() and assignment.ends_on is None


def test_founder_files_a_checkin_and_sees_the_chart(assigned: Any, login: Any) -> None:
    _assignment_id, _mentor, founder, startup_id = assigned()
    client = login(founder)
    form = client.get(f"/mentoring/startups/{startup_id}/checkin").get_data(as_text=True)
    assert 'name="month"' in form
    from incubator.mentoring.common import month_of, previous_month

    month = previous_month(month_of(utcnow())).isoformat()
    data = {
        "month": month,
        "revenue_vnd": "50.000.000",
        "customers": "12",
        "funding_raised_vnd": "0",
        "headcount": "5",
    }
    assert client.post(f"/mentoring/startups/{startup_id}/checkin", data=data).status_code == 302
    page = client.get(f"/startups/{startup_id}").get_data(as_text=True)
    assert '<svg class="chart"' in page and "50.000.000 ₫" in page
    crafted = {**data, "month": "1999-01-01"}
    assert client.post(f"/mentoring/startups/{startup_id}/checkin", data=crafted).status_code == 200


def _feed_path(client: Any) -> str:
    """Make a new link: its address is shown once, in the answer (stored hashed)."""
    response = client.post("/mentoring/calendar/new")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    url = page.split('id="feed-url"')[0].rsplit('value="', 1)[1].split('"')[0]
    return url.split("localhost", 1)[1]


def test_calendar_feed_lists_sessions_in_ho_chi_minh(app: Any, assigned: Any, login: Any) -> None:
    assignment_id, mentor, _founder, _startup_id = assigned()
    client = login(mentor)
    client.post(f"/mentoring/assignments/{assignment_id}/log", data=_log_form())
    account = client.get("/account").get_data(as_text=True)
    assert 'id="calendar"' in account and 'id="feed-url"' not in account  # no link yet
    path = _feed_path(client)
    feed = app.test_client().get(path)  # calendar apps do not log in
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    parsed = Calendar.from_ical(feed.data)
    assert [str(tz["tzid"]) for tz in parsed.walk("VTIMEZONE")] == ["Asia/Ho_Chi_Minh"]
    events = list(parsed.walk("VEVENT"))
    sessions = [e for e in events if str(e["uid"]).startswith("session-")]
    assert len(sessions) == 1
    assert sessions[0]["dtstart"].params["TZID"] == "Asia/Ho_Chi_Minh"
    start = sessions[0].decoded("dtstart")
    with app.app_context():
        held = db.session.scalars(select(MentoringSession)).one().held_at
    assert start == held
    assert start.strftime("%d/%m/%Y %H:%M") == format_datetime(held)  # local time as typed
    assert app.test_client().get("/mentoring/calendar/forged.ics").status_code == 404


def test_a_revoked_calendar_link_gives_404(app: Any, assigned: Any, login: Any) -> None:
    _assignment_id, mentor, founder, _startup_id = assigned()
    client = login(mentor)
    old = _feed_path(client)
    assert client.get(old).status_code == 200
    new = _feed_path(client)  # revoke and make a new link
    assert new != old
    assert app.test_client().get(old).status_code == 404
    assert app.test_client().get(new).status_code == 200
    # each user has their own address; the old page redirects to the account page
    other = login(founder)
    assert _feed_path(other) not in (old, new)
    assert other.get("/mentoring/calendar").headers["Location"].endswith("/account#calendar")


def test_pages_run_a_bounded_number_of_queries(
    app: Any, assigned: Any, login: Any, manager_of: Any, make_tag: Any, make_mentor: Any
) -> None:
    assignment_id, mentor, founder, startup_id = assigned()
    tag = make_tag("Gọi vốn", "Fundraising")
    make_mentor()  # a second mentor, for the suggestions
    manager, mentor_client, founder_client = (
        login(manager_of("BIIC")),
        login(mentor),
        login(founder),
    )
    mentor_client.post("/mentoring/calendar/new")
    pages = [
        (manager, "/mentoring/"),
        (manager, "/"),
        (manager, "/mentoring/sessions"),
        (manager, "/mentoring/tags"),
        (manager, f"/mentoring/startups/{startup_id}/assign"),
        (manager, f"/startups/{startup_id}"),
        (mentor_client, "/"),
        (mentor_client, "/mentoring/mine"),
        (mentor_client, "/account"),
        (mentor_client, "/mentoring/sessions"),
        (founder_client, "/"),
        (founder_client, f"/startups/{startup_id}"),
        (founder_client, f"/mentoring/startups/{startup_id}/needs"),
    ]
    overdue = format_date(utcnow() - timedelta(days=3))

    def log(count: int) -> None:
        for number in range(count):
            mentor_client.post(
                f"/mentoring/assignments/{assignment_id}/log",
                data=_log_form(
                    client_key=f"bounded-{count}-{number}",
                    topic_ids=str(tag),
                    **{"action_items-0-due_on": overdue},
                ),
            )
        with app.app_context():
            offset = count * 1000
            for number in range(count):
                db.session.add(
                    ExpertiseTag(name_vi=f"Thẻ {offset + number}", name_en=f"Tag {offset + number}")
                )
            db.session.commit()

    log(2)
    few = [queries(app, client, path) for client, path in pages]
    log(12)  # more than a page of every list and more than each panel's limit
    many = [queries(app, client, path) for client, path in pages]
    assert few == many
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MentoringSession)) == 14


def test_back_and_save_again_makes_one_milestone(app: Any, assigned: Any, login: Any) -> None:
    """Issue 7 item 11: a new milestone's form runs once per one-time token."""
    from incubator.mentoring.models import Milestone
    from tests.startups.test_archive_and_resubmit import form_token

    _assignment_id, _mentor, founder, startup_id = assigned()
    client = login(founder)
    path = f"/mentoring/startups/{startup_id}/milestones/new"
    token = form_token(client, path)
    data = {
        "title": "Ra mắt bản thử nghiệm",
        "due_on": "15/03/2027",
        "status": "planned",
        "evidence": "",
        "once": token,
    }
    first = client.post(f"{path}?once={token}", data=data)
    again = client.post(f"{path}?once={token}", data=data)
    assert first.status_code == again.status_code == 302
    with app.app_context():
        titles = db.session.scalars(select(Milestone.title)).all()
    assert titles == ["Ra mắt bản thử nghiệm"]
    # another form (a new token) is another milestone
    data["once"] = form_token(client, path)
    assert client.post(path, data=data).status_code == 302
    with app.app_context():
        assert len(db.session.scalars(select(Milestone.id)).all()) == 2
