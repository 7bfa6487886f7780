from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from incubator.accounts.models import Role
from incubator.applications.ranking import program_applications_query, rank_of
from incubator.applications.stages import Stage
from incubator.db import db
from incubator.errors import DomainError, Forbidden, NotFound
from incubator.reviews import services
from incubator.reviews.models import Conflict, Review
from incubator.reviews.scoring import review_total
from incubator.reviews.services import ScoreInput


@pytest.fixture(autouse=True)
def _english_messages(english: None) -> None:
    """These tests read refusal messages in English."""


def score_all(mentor: Any, review: Review, values: list[int]) -> None:
    criteria = review.application.program.criteria
    services.save_scores(
        mentor,
        review,
        {c.id: ScoreInput(v, "nhận xét") for c, v in zip(criteria, values, strict=True)},
    )


def reviewed(manager: Any, mentor: Any, application: Any, values: list[int]) -> Review:
    review = services.assign(manager, application, mentor)
    services.declare_conflict(mentor, review, False)
    score_all(mentor, review, values)
    db.session.commit()
    return review


def test_assigning_moves_a_submitted_application_to_screening_and_emails_the_reviewer(
    ctx: Any, make_application: Any, make_user: Any, manager_of: Any, outbox: Any
) -> None:
    application = make_application(Stage.SUBMITTED)
    mentor = make_user(Role.MENTOR)
    with db.transaction():
        review = services.assign(manager_of("BIIC"), application, mentor)
    assert application.stage is Stage.SCREENING
    assert review.conflict is Conflict.PENDING
    assert mentor.email in [m["to"] for m in outbox.sent]


@pytest.mark.parametrize("who", ["founder", "judge only", "inactive mentor", "twice"])
def test_who_cannot_be_assigned(
    ctx: Any, make_application: Any, make_user: Any, manager_of: Any, who: str
) -> None:
    from incubator.accounts.models import RoleGrant, User

    application = make_application(Stage.SUBMITTED)
    founder = db.session.get(User, application.startup.members[0].user_id)
    candidates = {
        "founder": founder,
        "judge only": make_user(Role.JUDGE),
        "inactive mentor": make_user(Role.MENTOR, active=False),
    }
    if who == "founder":
        founder.grants.append(RoleGrant(role=Role.MENTOR))
        db.session.commit()
    if who == "twice":
        mentor = make_user(Role.MENTOR)
        services.assign(manager_of("BIIC"), application, mentor)
        candidates["twice"] = mentor
    with pytest.raises(DomainError) as error:
        services.assign(manager_of("BIIC"), application, candidates[who])
    assert error.value.field == "reviewer_id"


def test_only_the_centers_managers_assign(ctx: Any, make_application: Any, make_user: Any) -> None:
    application = make_application(Stage.SUBMITTED)
    with pytest.raises(Forbidden):
        services.assign(make_user(Role.MANAGER, center="SMIC"), application, make_user(Role.MENTOR))


def test_no_assignment_outside_screening(
    ctx: Any, make_application: Any, make_user: Any, manager_of: Any
) -> None:
    for stage in (Stage.DRAFT, Stage.ACCEPTED):
        with pytest.raises(DomainError):
            services.assign(manager_of("BIIC"), make_application(stage), make_user(Role.MENTOR))


def test_the_reviewer_declares_before_scoring(
    ctx: Any, make_application: Any, make_user: Any, manager_of: Any
) -> None:
    application = make_application(Stage.SUBMITTED)
    mentor = make_user(Role.MENTOR)
    review = services.assign(manager_of("BIIC"), application, mentor)
    assert not services.may_read_application(review.reviewer, review)
    with pytest.raises(DomainError):
        score_all(mentor, review, [5, 5, 5])
    services.declare_conflict(mentor, review, False)
    assert services.may_read_application(review.reviewer, review)
    score_all(mentor, review, [5, 5, 5])
    assert review.submitted_at is not None


def test_a_declared_conflict_needs_a_note_and_drops_the_scores(
    ctx: Any, make_application: Any, make_user: Any, manager_of: Any
) -> None:
    application = make_application(Stage.SUBMITTED)
    mentor = make_user(Role.MENTOR)
    review = reviewed(manager_of("BIIC"), mentor, application, [5, 5, 5])
    with pytest.raises(DomainError) as error:
        services.declare_conflict(mentor, review, True, "")
    assert error.value.field == "note"
    services.declare_conflict(mentor, review, True, "Tôi là nhà đầu tư của công ty này")
    db.session.commit()
    assert review.conflict is Conflict.DECLARED and review.scores == []
    assert review.submitted_at is None
    with pytest.raises(DomainError):
        services.declare_conflict(mentor, review, False)


def test_scores_must_cover_every_criterion_within_its_range(
    ctx: Any, make_application: Any, make_user: Any, manager_of: Any
) -> None:
    application = make_application(Stage.SUBMITTED)
    mentor = make_user(Role.MENTOR)
    review = services.assign(manager_of("BIIC"), application, mentor)
    services.declare_conflict(mentor, review, False)
    criteria = application.program.criteria
    with pytest.raises(DomainError) as error:
        services.save_scores(mentor, review, {criteria[0].id: ScoreInput(5)})
    assert error.value.field == f"score_{criteria[1].id}"
    too_high = {c.id: ScoreInput(c.max_score + 1) for c in criteria}
    with pytest.raises(DomainError) as error:
        services.save_scores(mentor, review, too_high)
    assert error.value.field == f"score_{criteria[0].id}"
    assert review.scores == []


def test_someone_elses_review_is_not_found(
    ctx: Any, make_application: Any, make_user: Any, manager_of: Any
) -> None:
    application = make_application(Stage.SUBMITTED)
    review = services.assign(manager_of("BIIC"), application, make_user(Role.MENTOR))
    db.session.commit()
    other = make_user(Role.MENTOR)
    with pytest.raises(NotFound):
        services.own_review(other, review.id)
    with pytest.raises(NotFound):
        services.save_scores(other, review, {})


def test_closing_the_review_freezes_scores(
    ctx: Any, make_application: Any, make_user: Any, manager_of: Any
) -> None:
    from incubator.programs.services import set_review_closed

    application = make_application(Stage.SUBMITTED)
    mentor = make_user(Role.MENTOR)
    review = reviewed(manager_of("BIIC"), mentor, application, [5, 5, 5])
    set_review_closed(manager_of("BIIC"), application.program, True)
    with pytest.raises(DomainError) as error:
        score_all(mentor, review, [1, 1, 1])
    assert "closed" in error.value.message
    with pytest.raises(DomainError):
        services.assign(manager_of("BIIC"), application, make_user(Role.MENTOR))


def test_weighted_mean_spread_and_rank(
    ctx: Any, make_program: Any, make_application: Any, make_user: Any, manager_of: Any
) -> None:
    # rubric: (weight 3, max 10), (weight 2, max 10), (weight 1, max 5)
    program = make_program()
    manager = manager_of("BIIC")
    first, second = make_user(Role.MENTOR), make_user(Role.MENTOR)
    strong = make_application(Stage.SUBMITTED, program=program)
    weak = make_application(Stage.SUBMITTED, program=program)
    unreviewed = make_application(Stage.SUBMITTED, program=program)
    a = reviewed(manager, first, strong, [10, 10, 5])  # 100
    b = reviewed(manager, second, strong, [5, 5, 5])
    reviewed(manager, first, weak, [2, 0, 0])  # 3 * 0.2 / 6 = 10
    assert review_total(a) == pytest.approx(100.0)
    expected_b = (3 * 0.5 + 2 * 0.5 + 1 * 1.0) / 6 * 100
    assert review_total(b) == pytest.approx(expected_b)
    assert strong.score_mean == round((100 + expected_b) / 2, 1)
    assert strong.review_count == 2
    assert strong.score_spread == round(100 - expected_b, 1)
    assert rank_of(strong) == 1
    assert rank_of(weak) == 2 and weak.score_mean == pytest.approx(10.0)
    assert unreviewed.score_mean is None and rank_of(unreviewed) is None
    statement = program_applications_query(program, min_score=50)
    assert [row[0].id for row in db.session.execute(statement)] == [strong.id]


def test_a_review_counts_only_once_submitted(
    ctx: Any, make_application: Any, make_user: Any, manager_of: Any
) -> None:
    application = make_application(Stage.SUBMITTED)
    services.assign(manager_of("BIIC"), application, make_user(Role.MENTOR))
    db.session.commit()
    assert application.score_mean is None and application.review_count == 0


def test_bulk_assignment_balances_the_load(
    ctx: Any, make_program: Any, make_application: Any, make_user: Any, manager_of: Any
) -> None:
    program = make_program()
    manager = manager_of("BIIC")
    mentors = [make_user(Role.MENTOR) for _ in range(3)]
    applications = [make_application(Stage.SUBMITTED, program=program) for _ in range(6)]
    busy = mentors[0]
    services.assign(manager, applications[0], busy)  # already has one
    made = services.bulk_assign(
        manager, program, [a.id for a in applications], [m.id for m in mentors], 2
    )
    db.session.commit()
    assert made == 11  # 6 applications x 2, minus the one already there
    loads = services.reviewer_loads(program)
    assert sorted(loads.values()) == [4, 4, 4]
    for application in applications:
        reviewers = db.session.scalars(
            select(Review.reviewer_id).where(Review.application_id == application.id)
        ).all()
        assert len(reviewers) == 2 == len(set(reviewers))
        assert application.stage is Stage.SCREENING


def test_bulk_assignment_validates_its_input(
    ctx: Any, make_program: Any, make_application: Any, make_user: Any, manager_of: Any
) -> None:
    program = make_program()
    application = make_application(Stage.SUBMITTED, program=program)
    mentor = make_user(Role.MENTOR)
    with pytest.raises(DomainError) as error:
        services.bulk_assign(manager_of("BIIC"), program, [application.id], [], 1)
    assert error.value.field == "reviewer_ids"
    with pytest.raises(DomainError) as error:
        services.bulk_assign(manager_of("BIIC"), program, [application.id], [mentor.id], 2)
    assert error.value.field == "per_application"
    with pytest.raises(DomainError) as error:
        services.bulk_assign(manager_of("BIIC"), program, [], [mentor.id], 1)
    assert error.value.field == "application_ids"


def test_the_queue_shows_only_the_reviewers_own(
    ctx: Any, make_application: Any, make_user: Any, manager_of: Any
) -> None:
    mine, other = make_user(Role.MENTOR), make_user(Role.MENTOR)
    application = make_application(Stage.SUBMITTED)
    services.assign(manager_of("BIIC"), application, mine)
    services.assign(manager_of("BIIC"), application, other)
    db.session.commit()
    rows = db.session.scalars(services.reviewer_queue_query(mine)).all()
    assert [r.reviewer_id for r in rows] == [mine.id]
    assert services.open_review_count(mine) == 1
    assert db.session.scalars(services.reviewer_queue_query(mine, "done")).all() == []
