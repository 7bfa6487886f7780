"""List pages run the same number of queries for a few rows as for many (no N+1)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from incubator.accounts.models import Role
from incubator.applications.stages import Stage
from incubator.db import db
from incubator.reviews import services as reviews
from incubator.reviews.services import ScoreInput


def queries(app: Any, client: Any, path: str) -> int:
    """The statements of one request that builds its page and looks its login up: the page
    cache is emptied first, so that every count is of the same work."""
    app.extensions["page_cache"].clear()
    count = {"n": 0}

    def tally(*_args: Any) -> None:
        count["n"] += 1

    engine = db.engine(app)
    event.listen(engine, "before_cursor_execute", tally)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", tally)
    return count["n"]


@pytest.fixture
def program_with(
    app: Any, make_program: Any, make_application: Any, make_user: Any, manager_of: Any
) -> Any:
    program = make_program(capacity=100)
    mentor = make_user(Role.MENTOR)

    def add(count: int) -> None:
        for _ in range(count):
            application = make_application(Stage.SUBMITTED, program=program)
            with app.app_context():
                from incubator.accounts.models import User
                from incubator.applications.models import Application

                stored = db.session.get(Application, application.id)
                reviewer = db.session.get(User, mentor.id)
                review = reviews.assign(
                    db.session.get(User, manager_of("BIIC").id), stored, reviewer
                )
                reviews.declare_conflict(reviewer, review, False)
                reviews.save_scores(
                    reviewer, review, {c.id: ScoreInput(3) for c in stored.program.criteria}
                )
                db.session.commit()

    return program, mentor, add


def test_list_pages_are_bounded(app: Any, program_with: Any, manager_of: Any, login: Any) -> None:
    program, mentor, add = program_with
    manager = login(manager_of("BIIC"))
    reviewer = login(mentor)
    pages = [
        (manager, f"/manage/programs/{program.id}/board"),
        (manager, f"/manage/programs/{program.id}/applications"),
        # answers as columns: the page's answers in one query, not one per row
        (manager, f"/manage/programs/{program.id}/applications?cols=problem&cols=funding_need_vnd"),
        (manager, f"/manage/programs/{program.id}/applications?format=csv"),
        (manager, "/manage/programs"),
        (manager, "/"),
        (reviewer, "/reviews"),
        (reviewer, "/"),
    ]
    add(2)
    few = [queries(app, client, path) for client, path in pages]
    add(6)  # more than a page (PER_PAGE is 5 in tests)
    many = [queries(app, client, path) for client, path in pages]
    assert few == many
