"""Odd input never gives a 500; findings of the code review, each pinned by a test."""

from __future__ import annotations

from typing import Any

import pytest

from incubator.accounts.models import Role
from incubator.applications.stages import Stage
from incubator.db import db


@pytest.mark.parametrize(
    "path",
    [
        "/calls/99999999999999999999999",
        "/startups/2147483648",
        "/applications/99999999999999999999/deck",
        "/manage/programs/99999999999999999999999/board",
    ],
)
def test_ids_beyond_the_database_are_not_found(app: Any, as_role: Any, path: str) -> None:
    client, _ = as_role("admin", "founder")
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "page=%C2%B2",
        "page=" + "9" * 5000,
        "page=-1",
        "endpoint=x",
        "_method=POST",
        "_external=1&sort=-name",
        "sort=nonsense&center=%01",  # (a NUL is refused at the edge: tests/test_bad_input.py)
    ],
)
def test_list_pages_survive_odd_query_strings(
    app: Any, client: Any, make_program: Any, query: str
) -> None:
    make_program()
    response = client.get(f"/calls?{query}")
    assert response.status_code == 200
    assert (
        'href="http' not in response.get_data(as_text=True).split("<main")[1]
    )  # links stay relative


def test_program_lists_ignore_clashing_keys(
    app: Any, make_program: Any, manager_of: Any, login: Any
) -> None:
    program = make_program()
    client = login(manager_of("BIIC"))
    response = client.get(
        f"/manage/programs/{program.id}/applications?program_id=2&q=a%01b&stage=%01"
    )
    assert response.status_code == 200


def test_far_dates_are_a_field_error(app: Any, make_user: Any, login: Any) -> None:
    from tests.programs.test_views import program_form

    client = login(make_user(Role.MANAGER, center="BIIC", locale="en"))
    html = client.post(
        "/manage/programs/new",
        data=program_form(opens_at="01/01/0001 00:00", starts_on="31/12/9999"),
    ).get_data(as_text=True)
    assert "Write the date and time as dd/mm/yyyy hh:mm." in html
    assert "Write the date as dd/mm/yyyy." in html


def test_a_tampered_criterion_id_adds_a_criterion(
    app: Any, make_program: Any, manager_of: Any, login: Any
) -> None:
    from tests.programs.test_views import program_form

    program = make_program()
    client = login(manager_of("BIIC"))
    form = program_form(**{"criteria-0-id": "²", "center_id": str(program.center_id)})
    assert client.post(f"/manage/programs/{program.id}/edit", data=form).status_code == 302


def test_a_deck_lost_from_the_disk_is_not_found(
    app: Any, make_application: Any, manager_of: Any, login: Any
) -> None:
    from incubator.storage import storage

    application = make_application(Stage.SUBMITTED)
    storage(app).delete(f"pitch_decks/{application.deck_file}")
    assert login(manager_of("BIIC")).get(f"/applications/{application.id}/deck").status_code == 404


def test_managers_do_not_see_drafts(
    app: Any, make_application: Any, manager_of: Any, login: Any
) -> None:
    draft = make_application(Stage.DRAFT)
    client = login(manager_of("BIIC"))
    assert client.get(f"/manage/applications/{draft.id}").status_code == 404
    assert client.get(f"/applications/{draft.id}/deck").status_code == 404
    listing = client.get(f"/manage/programs/{draft.program_id}/applications?stage=draft")
    assert f"/manage/applications/{draft.id}" not in listing.get_data(as_text=True)


def test_a_conflict_cannot_wipe_scores_after_the_review_closed(
    ctx: Any, make_application: Any, make_user: Any, manager_of: Any
) -> None:
    from incubator.errors import DomainError
    from incubator.programs.services import set_review_closed
    from incubator.reviews import services as reviews
    from incubator.reviews.services import ScoreInput

    application = make_application(Stage.SUBMITTED)
    mentor = make_user(Role.MENTOR)
    review = reviews.assign(manager_of("BIIC"), application, mentor)
    reviews.declare_conflict(mentor, review, False)
    reviews.save_scores(mentor, review, {c.id: ScoreInput(3) for c in application.program.criteria})
    set_review_closed(manager_of("BIIC"), application.program, True)
    with pytest.raises(DomainError):
        reviews.declare_conflict(mentor, review, True, "muộn")
    assert len(review.scores) == len(application.program.criteria)


def test_bulk_assignment_replaces_a_conflicted_reviewer(
    ctx: Any, make_program: Any, make_application: Any, make_user: Any, manager_of: Any
) -> None:
    from incubator.reviews import services as reviews
    from incubator.reviews.models import Conflict, Review

    program = make_program()
    application = make_application(Stage.SUBMITTED, program=program)
    first, second = make_user(Role.MENTOR), make_user(Role.MENTOR)
    review = reviews.assign(manager_of("BIIC"), application, first)
    reviews.declare_conflict(first, review, True, "Người nhà")
    made = reviews.bulk_assign(
        manager_of("BIIC"), program, [application.id], [first.id, second.id], 1
    )
    assert made == 1
    usable = db.session.query(Review).filter_by(
        application_id=application.id, conflict=Conflict.PENDING
    )
    assert [r.reviewer_id for r in usable] == [second.id]


def test_a_withdrawn_application_takes_no_rank(
    ctx: Any, make_program: Any, make_application: Any, make_user: Any, manager_of: Any
) -> None:
    from incubator.accounts.models import User
    from incubator.applications.moves import move
    from incubator.applications.ranking import rank_of
    from tests.reviews.test_services import reviewed

    program = make_program()
    mentor = make_user(Role.MENTOR)
    best = make_application(Stage.SUBMITTED, program=program)
    other = make_application(Stage.SUBMITTED, program=program)
    reviewed(manager_of("BIIC"), mentor, best, [10, 10, 5])
    reviewed(manager_of("BIIC"), mentor, other, [5, 5, 5])
    founder = db.session.get(User, best.startup.members[0].user_id)
    move(founder, best, Stage.WITHDRAWN, "Chuyển hướng")
    assert best.score_mean is None and rank_of(best) is None
    assert rank_of(other) == 1


def test_a_failing_side_effect_after_commit_does_not_undo_or_break_the_request(
    ctx: Any, make_user: Any
) -> None:
    from incubator.accounts.models import User
    from incubator.db import on_commit

    user = make_user()

    def broken() -> None:
        raise ConnectionError("redis is down")

    with db.transaction() as session:
        session.get(User, user.id).name = "Đã lưu"
        on_commit(session, broken)
    db.session.expire_all()
    assert db.session.get(User, user.id).name == "Đã lưu"


def test_every_move_button_asks_for_confirmation(
    app: Any, make_application: Any, manager_of: Any, login: Any
) -> None:
    import re

    application = make_application(Stage.SCREENING)
    html = (
        login(manager_of("BIIC"))
        .get(f"/manage/programs/{application.program_id}/board")
        .get_data(as_text=True)
    )
    forms = re.findall(r'(<form[^>]*action="/applications/\d+/move"[^>]*>)(.*?)</form>', html, re.S)
    # the form asks, or each of its buttons does (the board: one form per card, a button per move)
    assert forms and all(
        "data-confirm=" in tag
        or all("data-confirm=" in button for button in re.findall(r"<button[^>]*>", body))
        for tag, body in forms
    )


def test_errors_answer_json_to_api_requests_and_html_to_pages(client: Any) -> None:
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.mimetype == "application/json"
    assert api.get_json()["error"]["code"] == "not_found"
    asked = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert asked.get_json()["error"]["message"]
