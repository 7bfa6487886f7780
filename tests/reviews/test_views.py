from __future__ import annotations

from typing import Any

from incubator.accounts.models import Role
from incubator.applications.stages import Stage
from incubator.db import db
from incubator.reviews import services
from incubator.reviews.models import Conflict, Review
from tests.applications.fixtures import ANSWERS


def assigned(app: Any, application: Any, mentor: Any, manager: Any) -> int:
    with app.app_context():
        from incubator.accounts.models import User
        from incubator.applications.models import Application

        review = services.assign(
            db.session.get(User, manager.id),
            db.session.get(Application, application.id),
            db.session.get(User, mentor.id),
        )
        db.session.commit()
        return review.id


def test_a_reviewer_must_declare_before_seeing_the_application(
    app: Any, make_application: Any, make_user: Any, manager_of: Any, login: Any
) -> None:
    application = make_application(Stage.SUBMITTED)
    mentor = make_user(Role.MENTOR)
    review_id = assigned(app, application, mentor, manager_of("BIIC"))
    client = login(mentor)
    page = client.get(f"/reviews/{review_id}").get_data(as_text=True)
    assert 'name="conflict"' in page
    assert ANSWERS["problem"] not in page  # answers hidden until declared
    assert client.get(f"/applications/{application.id}/deck").status_code == 404
    response = client.post(f"/reviews/{review_id}/conflict", data={"conflict": "none"})
    assert response.status_code == 302
    page = client.get(f"/reviews/{review_id}").get_data(as_text=True)
    assert ANSWERS["problem"] in page and 'id="save-scores"' in page
    with client.get(f"/applications/{application.id}/deck") as deck:
        assert deck.status_code == 200


def test_scoring_through_the_form(
    app: Any, make_application: Any, make_user: Any, manager_of: Any, login: Any
) -> None:
    application = make_application(Stage.SUBMITTED)
    mentor = make_user(Role.MENTOR, locale="en")
    review_id = assigned(app, application, mentor, manager_of("BIIC"))
    client = login(mentor)
    client.post(f"/reviews/{review_id}/conflict", data={"conflict": "none"})
    criteria = application.program.criteria
    bad = {f"score_{c.id}": str(c.max_score + 1) for c in criteria}
    html = client.post(f"/reviews/{review_id}", data=bad).get_data(as_text=True)
    assert "Number must be between 0 and" in html
    good = {f"score_{c.id}": str(c.max_score) for c in criteria}
    good |= {f"comment_{c.id}": "Tốt" for c in criteria}
    assert client.post(f"/reviews/{review_id}", data=good).status_code == 302
    with app.app_context():
        review = db.session.get(Review, review_id)
        assert review.submitted_at is not None
        assert sorted(s.score for s in review.scores) == sorted(c.max_score for c in criteria)


def test_declaring_a_conflict_hides_the_application_for_good(
    app: Any, make_application: Any, make_user: Any, manager_of: Any, login: Any
) -> None:
    application = make_application(Stage.SUBMITTED)
    mentor = make_user(Role.MENTOR, locale="en")
    review_id = assigned(app, application, mentor, manager_of("BIIC"))
    client = login(mentor)
    html = client.post(
        f"/reviews/{review_id}/conflict", data={"conflict": "declared", "note": ""}
    ).get_data(as_text=True)
    assert "Please describe the conflict of interest." in html
    client.post(
        f"/reviews/{review_id}/conflict", data={"conflict": "declared", "note": "Người thân"}
    )
    with app.app_context():
        assert db.session.get(Review, review_id).conflict is Conflict.DECLARED
    page = client.get(f"/reviews/{review_id}").get_data(as_text=True)
    assert ANSWERS["problem"] not in page
    manager_page = (
        login(manager_of("BIIC"))
        .get(f"/manage/applications/{application.id}")
        .get_data(as_text=True)
    )
    assert "Người thân" in manager_page


def test_reviewers_see_only_their_own_assignments_and_scores(
    app: Any, make_application: Any, make_user: Any, manager_of: Any, login: Any
) -> None:
    application = make_application(Stage.SUBMITTED)
    first, second = make_user(Role.MENTOR), make_user(Role.MENTOR)
    manager = manager_of("BIIC")
    first_review = assigned(app, application, first, manager)
    second_review = assigned(app, application, second, manager)
    first_client = login(first)
    first_client.post(f"/reviews/{first_review}/conflict", data={"conflict": "none"})
    scores = {f"score_{c.id}": "1" for c in application.program.criteria}
    scores |= {
        f"comment_{c.id}": "Nhận xét bí mật của người thứ nhất"
        for c in application.program.criteria
    }
    first_client.post(f"/reviews/{first_review}", data=scores)
    second_client = login(second)
    assert second_client.get(f"/reviews/{first_review}").status_code == 404
    second_client.post(f"/reviews/{second_review}/conflict", data={"conflict": "none"})
    page = second_client.get(f"/reviews/{second_review}").get_data(as_text=True)
    assert "Nhận xét bí mật" not in page
    queue = second_client.get("/reviews").get_data(as_text=True)
    assert f"/reviews/{second_review}" in queue and f"/reviews/{first_review}" not in queue
    manager_page = (
        login(manager).get(f"/manage/applications/{application.id}").get_data(as_text=True)
    )
    assert "Nhận xét bí mật của người thứ nhất" in manager_page


def test_bulk_assign_page(
    app: Any, make_program: Any, make_application: Any, make_user: Any, manager_of: Any, login: Any
) -> None:
    program = make_program()
    applications = [make_application(Stage.SUBMITTED, program=program) for _ in range(3)]
    mentors = [make_user(Role.MENTOR) for _ in range(2)]
    client = login(manager_of("BIIC"))
    page = client.get(f"/manage/programs/{program.id}/assign").get_data(as_text=True)
    assert all(f'value="{a.id}"' in page for a in applications)
    response = client.post(
        f"/manage/programs/{program.id}/assign",
        data={
            "application_ids": [a.id for a in applications],
            "reviewer_ids": [m.id for m in mentors],
            "per_application": "2",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.query(Review).count() == 6
    html = client.post(
        f"/manage/programs/{program.id}/assign",
        data={"application_ids": [], "reviewer_ids": [], "per_application": "2"},
    ).get_data(as_text=True)
    assert 'class="field-error"' in html


def test_queue_paginates_filters_and_exports(
    app: Any, make_program: Any, make_application: Any, make_user: Any, manager_of: Any, login: Any
) -> None:
    program = make_program()
    mentor = make_user(Role.MENTOR)
    for _ in range(7):
        assigned(
            app, make_application(Stage.SUBMITTED, program=program), mentor, manager_of("BIIC")
        )
    client = login(mentor)
    first = client.get("/reviews").get_data(as_text=True)
    assert first.count('href="/reviews/') == 5
    assert client.get("/reviews?page=2").get_data(as_text=True).count('href="/reviews/') == 2
    assert client.get("/reviews?status=done").get_data(as_text=True).count('href="/reviews/') == 0
    csv = client.get("/reviews?format=csv").get_data(as_text=True)
    assert csv.startswith("\ufeff") and csv.count("\n") == 8
