"""A double click, twenty times over: twenty identical POSTs at the same moment give one
change, clear answers for the rest and never a 500 (run on SQLite and on PostgreSQL)."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from incubator.accounts.models import Role, User
from incubator.applications.models import Application
from incubator.applications.stages import Stage
from incubator.db import db
from incubator.reviews.models import Review, ReviewScore
from incubator.reviews.services import assign, declare_conflict
from incubator.startups.models import StartupMember, TeamInvitation
from tests.accounts.fixtures import PASSWORD

TIMES = 20


def at_once(app: Flask, client: FlaskClient | None, path: str, data: dict[str, Any]) -> list[int]:
    """POST `data` to `path` from TIMES clients sharing `client`'s session, all at once."""
    cookie = client.get_cookie("session") if client is not None else None
    clients = []
    for _ in range(TIMES):
        twin = app.test_client()
        if cookie is not None:
            twin.set_cookie("session", cookie.value)
        clients.append(twin)
    barrier = threading.Barrier(TIMES, timeout=60)
    statuses: list[int] = []
    failures: list[BaseException] = []

    def post(twin: FlaskClient) -> None:
        try:
            barrier.wait()
            statuses.append(twin.post(path, data=data).status_code)
        except BaseException as error:  # reported below, never lost in the thread
            failures.append(error)

    threads = [threading.Thread(target=post, args=(twin,)) for twin in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert len(statuses) == TIMES
    assert 500 not in statuses, statuses
    return statuses


def count(app: Flask, statement: Any) -> int:
    with app.app_context():
        return db.session.scalar(statement)


def test_registering_twice_at_once_makes_one_account(app: Flask) -> None:
    data = {
        "name": "Nguyễn Thị Mai",
        "email": "mai@example.test",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "locale": "vi",
    }
    statuses = at_once(app, None, "/register", data)
    assert set(statuses) <= {200, 302}
    users = select(func.count()).select_from(User).where(User.email == "mai@example.test")
    assert count(app, users) == 1


def test_applying_twice_at_once_makes_one_draft(
    app: Flask, make_program: Any, make_startup: Any, make_user: Any, login: Any
) -> None:
    founder = make_user(Role.FOUNDER)
    startup = make_startup(founder)
    program = make_program()
    at_once(app, login(founder), f"/calls/{program.id}/apply", {"startup_id": str(startup.id)})
    drafts = (
        select(func.count()).select_from(Application).where(Application.startup_id == startup.id)
    )
    assert count(app, drafts) == 1


def test_inviting_twice_at_once_makes_one_invitation_and_one_account(
    app: Flask, make_startup: Any, make_user: Any, login: Any
) -> None:
    founder = make_user(Role.FOUNDER)
    startup = make_startup(founder)
    data = {"name": "Trần Bình", "email": "binh@example.test", "title": "CTO"}
    at_once(app, login(founder), f"/startups/{startup.id}/members", data)
    invitations = select(func.count()).select_from(TeamInvitation)
    assert count(app, invitations.where(TeamInvitation.startup_id == startup.id)) == 1
    accounts = select(func.count()).select_from(User).where(User.email == "binh@example.test")
    assert count(app, accounts) == 1


def test_accepting_twice_at_once_joins_once(
    app: Flask, make_startup: Any, make_user: Any, login: Any
) -> None:
    founder, friend = make_user(Role.FOUNDER), make_user(Role.MENTOR)
    startup = make_startup(founder)
    with app.app_context():
        invitation = TeamInvitation(startup_id=startup.id, user_id=friend.id, title="CTO")
        db.session.add(invitation)
        db.session.commit()
        invitation_id = invitation.id
    at_once(app, login(friend), f"/invitations/{invitation_id}", {"answer": "accept"})
    members = select(func.count()).select_from(StartupMember)
    assert count(app, members.where(StartupMember.startup_id == startup.id)) == 2


def test_assigning_a_reviewer_twice_at_once_assigns_once(
    app: Flask, make_application: Any, make_user: Any, manager_of: Any, login: Any
) -> None:
    application = make_application(Stage.SUBMITTED)
    mentor = make_user(Role.MENTOR)
    path = f"/manage/applications/{application.id}/reviewers"
    at_once(app, login(manager_of("BIIC")), path, {"reviewer_id": str(mentor.id)})
    reviews = select(func.count()).select_from(Review)
    assert count(app, reviews.where(Review.application_id == application.id)) == 1


def test_bulk_assigning_twice_at_once_never_doubles_a_reviewer(
    app: Flask,
    make_program: Any,
    make_application: Any,
    make_user: Any,
    manager_of: Any,
    login: Any,
) -> None:
    program = make_program()
    applications = [make_application(Stage.SUBMITTED, program=program) for _ in range(3)]
    mentors = [make_user(Role.MENTOR) for _ in range(2)]
    data = {
        "application_ids": [str(a.id) for a in applications],
        "reviewer_ids": [str(m.id) for m in mentors],
        "per_application": "1",
    }
    at_once(app, login(manager_of("BIIC")), f"/manage/programs/{program.id}/assign", data)
    pairs = select(Review.application_id, Review.reviewer_id)
    with app.app_context():
        made = db.session.execute(pairs).all()
    assert len(made) == len(set(made)) and {a for a, _ in made} == {a.id for a in applications}


def test_saving_the_first_scores_twice_at_once_scores_once(
    app: Flask, make_application: Any, make_user: Any, manager_of: Any, login: Any
) -> None:
    application = make_application(Stage.SUBMITTED)
    mentor = make_user(Role.MENTOR)
    with app.app_context():
        manager = db.session.get(User, manager_of("BIIC").id)
        review = assign(manager, db.session.get(Application, application.id), mentor)
        declare_conflict(db.session.get(User, mentor.id), review, False)
        db.session.commit()
        review_id = review.id
        criteria = [c.id for c in review.application.program.criteria]
    data = {f"score_{criterion}": "3" for criterion in criteria}
    at_once(app, login(mentor), f"/reviews/{review_id}", data)
    scores = select(func.count()).select_from(ReviewScore)
    assert count(app, scores.where(ReviewScore.review_id == review_id)) == len(criteria)


def test_creating_a_startup_twice_at_once_from_one_form_makes_one(
    app: Flask, make_user: Any, login: Any
) -> None:
    from incubator.startups.models import Startup
    from tests.startups.test_archive_and_resubmit import form_token
    from tests.startups.test_views import profile

    client = login(make_user(Role.FOUNDER))
    token = form_token(client, "/startups/new")
    statuses = at_once(app, client, "/startups/new", profile(once=token))
    assert set(statuses) == {302}  # every click lands on the one startup
    startups = select(func.count()).select_from(Startup).where(Startup.name == "Nông Trại Số")
    assert count(app, startups) == 1


def test_adding_the_same_question_twice_at_once_adds_it_once(
    app: Flask, make_program: Any, manager_of: Any, login: Any
) -> None:
    from incubator.questions.models import Question

    program = make_program(published=False)
    with app.app_context():
        section_id = db.session.scalar(
            select(Question.section_id).where(
                Question.program_id == program.id, Question.key == "team"
            )
        )
    path = f"/manage/programs/{program.id}/form/questions/new"
    data = {"section_id": str(section_id), "kind": "short_text", "label_vi": "Trường đại học"}
    at_once(app, login(manager_of("BIIC")), path, {**data, "condition": ""})
    added = select(func.count()).select_from(Question).where(Question.label_vi == "Trường đại học")
    assert count(app, added) == 1


def test_submitting_a_draft_twice_at_once_submits_it_once(
    app: Flask, make_application: Any, login: Any
) -> None:
    """submit_draft moves the draft in a savepoint: the losers keep their saved draft, hear
    why, and the stored stage counts move once."""
    from incubator.applications.models import StageCount, StageTransition
    from tests.applications.test_views import draft_form

    made = make_application(Stage.DRAFT)
    with app.app_context():
        founder = db.session.get(User, db.session.get(Application, made.id).created_by_id)
    statuses = at_once(
        app, login(founder), f"/applications/{made.id}/edit", draft_form(action="submit")
    )
    assert set(statuses) <= {200, 302}
    submitted = (
        select(func.count())
        .select_from(StageTransition)
        .where(
            StageTransition.application_id == made.id, StageTransition.to_stage == Stage.SUBMITTED
        )
    )
    assert count(app, submitted) == 1
    with app.app_context():
        assert db.session.get(Application, made.id).stage is Stage.SUBMITTED
        counts = dict(
            db.session.execute(
                select(StageCount.stage, StageCount.count).where(
                    StageCount.program_id == made.program_id
                )
            ).all()
        )
    assert counts[Stage.SUBMITTED] == 1 and counts[Stage.DRAFT] == 0


def test_renaming_a_tag_twice_at_once_renames_it_once(
    app: Flask, make_tag: Any, manager_of: Any, login: Any
) -> None:
    """A rename is flushed in a savepoint (a name taken meanwhile is a refusal, not a 500)."""
    from incubator.mentoring.models import ExpertiseTag

    tag_id = make_tag("Gọi vốn", "Fundraising")
    other = make_tag("Pháp lý", "Legal")
    client = login(manager_of("BIIC"))
    renamed = {"name_vi": "Gọi vốn đầu tư", "name_en": "Fundraising rounds"}
    assert set(at_once(app, client, f"/mentoring/tags/{tag_id}", renamed)) <= {200, 302}
    taken = {"name_vi": "Gọi vốn đầu tư", "name_en": "Investment"}
    assert set(at_once(app, client, f"/mentoring/tags/{other}", taken)) <= {200}
    with app.app_context():
        names = dict(db.session.execute(select(ExpertiseTag.id, ExpertiseTag.name_vi)).all())
    assert names == {tag_id: "Gọi vốn đầu tư", other: "Pháp lý"}
