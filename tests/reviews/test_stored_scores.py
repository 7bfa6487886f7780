"""The review summary stored on each application always equals a recomputation from scratch,
after any sequence of scoring, changed scores, removed reviewers, declared conflicts and
withdrawals."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Float, cast, func, select

from incubator.accounts.models import Role, User
from incubator.applications.models import Application
from incubator.applications.moves import move
from incubator.applications.stages import Stage
from incubator.db import db
from incubator.errors import DomainError
from incubator.programs.models import RubricCriterion
from incubator.reviews import services
from incubator.reviews.models import Conflict, Review, ReviewScore
from incubator.reviews.services import ScoreInput


def recomputed(program_id: int) -> dict[int, tuple[float | None, int, float | None]]:
    """The summary of every application of the program, in SQL, from the review scores."""
    scaled = cast(ReviewScore.score, Float) * RubricCriterion.weight / RubricCriterion.max_score
    totals = (
        select(
            Review.application_id,
            (func.sum(scaled) * 100.0 / func.sum(RubricCriterion.weight)).label("total"),
        )
        .join(ReviewScore, ReviewScore.review_id == Review.id)
        .join(RubricCriterion, RubricCriterion.id == ReviewScore.criterion_id)
        .join(Application, Application.id == Review.application_id)
        .where(
            Application.program_id == program_id,
            Review.submitted_at.is_not(None),
            Application.stage != Stage.WITHDRAWN,
        )
        .group_by(Review.id, Review.application_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            totals.c.application_id,
            func.avg(totals.c.total),
            func.count(),
            func.max(totals.c.total) - func.min(totals.c.total),
        ).group_by(totals.c.application_id)
    ).all()
    summary: dict[int, tuple[float | None, int, float | None]] = {
        a.id: (None, 0, None)
        for a in db.session.scalars(select(Application).where(Application.program_id == program_id))
    }
    for application_id, mean, count, spread in rows:
        summary[application_id] = (round(mean, 1), count, round(spread, 1))
    return summary


def stored(program_id: int) -> dict[int, tuple[float | None, int, float | None]]:
    db.session.expire_all()
    return {
        a.id: (a.score_mean, a.review_count, a.score_spread)
        for a in db.session.scalars(select(Application).where(Application.program_id == program_id))
    }


ACTIONS = st.sampled_from(["score", "score", "score", "remove", "conflict", "withdraw"])


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_the_stored_summary_equals_a_recomputation(
    ctx: Any,
    make_program: Any,
    make_application: Any,
    make_user: Any,
    manager_of: Any,
    data: st.DataObject,
) -> None:
    program = make_program()
    manager = manager_of("BIIC")
    mentors = [make_user(Role.MENTOR) for _ in range(3)]
    apps = [make_application(Stage.SUBMITTED, program=program) for _ in range(3)]
    for _step in range(data.draw(st.integers(1, 12), label="steps")):
        action = data.draw(ACTIONS, label="action")
        application = data.draw(st.sampled_from(apps), label="application")
        mentor = data.draw(st.sampled_from(mentors), label="mentor")
        review = db.session.scalar(
            select(Review).where(
                Review.application_id == application.id, Review.reviewer_id == mentor.id
            )
        )
        try:
            if action == "score":
                if review is None:
                    review = services.assign(manager, application, mentor)
                if review.conflict is Conflict.PENDING:
                    services.declare_conflict(mentor, review, False)
                values = data.draw(
                    st.lists(st.integers(0, 10), min_size=3, max_size=3), label="scores"
                )
                criteria = program.criteria
                services.save_scores(
                    mentor,
                    review,
                    {
                        c.id: ScoreInput(min(v, c.max_score))
                        for c, v in zip(criteria, values, strict=True)
                    },
                )
            elif action == "remove" and review is not None:
                services.unassign(manager, review)
            elif action == "conflict" and review is not None:
                services.declare_conflict(mentor, review, True, "người quen")
            elif action == "withdraw":
                founder = db.session.get(User, application.startup.members[0].user_id)
                move(founder, application, Stage.WITHDRAWN, "đổi hướng")
        except DomainError:
            db.session.rollback()
        else:
            db.session.commit()
    assert stored(program.id) == recomputed(program.id)
