"""Review scores in SQL: each submitted review as a weighted percentage, then per application.

A review's total is the weighted mean of its criteria, each scaled to its own
maximum, so that rubrics with different maxima compare on 0–100.
"""

from __future__ import annotations

from sqlalchemy import Float, cast, func, select
from sqlalchemy.sql import Subquery

from incubator.applications.models import Application
from incubator.applications.stages import Stage
from incubator.programs.models import RubricCriterion
from incubator.reviews.models import Review, ReviewScore


def review_totals(program_id: int) -> Subquery:
    """(review_id, application_id, total) for every submitted review in the program."""
    scaled = cast(ReviewScore.score, Float) * RubricCriterion.weight / RubricCriterion.max_score
    total = func.sum(scaled) * 100.0 / func.sum(RubricCriterion.weight)
    return (
        select(
            Review.id.label("review_id"),
            Review.application_id.label("application_id"),
            cast(total, Float).label("total"),
        )
        .join(ReviewScore, ReviewScore.review_id == Review.id)
        .join(RubricCriterion, RubricCriterion.id == ReviewScore.criterion_id)
        .join(Application, Application.id == Review.application_id)
        .where(
            Review.submitted_at.is_not(None),
            RubricCriterion.program_id == program_id,
            Application.stage != Stage.WITHDRAWN,  # a withdrawn startup takes no rank
        )
        .group_by(Review.id, Review.application_id)
        .subquery("review_totals")
    )


def application_scores(program_id: int) -> Subquery:
    """(application_id, mean, reviews, spread, rank) over the program's submitted reviews.

    The rank is within the program, best mean first; ties share a rank.
    """
    totals = review_totals(program_id)
    per_application = (
        select(
            totals.c.application_id,
            cast(func.avg(totals.c.total), Float).label("mean"),
            func.count().label("reviews"),
            cast(func.max(totals.c.total) - func.min(totals.c.total), Float).label("spread"),
        )
        .group_by(totals.c.application_id)
        .subquery("per_application")
    )
    return select(
        per_application,
        func.rank().over(order_by=per_application.c.mean.desc()).label("rank"),
    ).subquery("application_scores")


def review_total(review: Review) -> float | None:
    """The same weighted percentage for one loaded review (None until every criterion is scored)."""
    criteria = review.application.program.criteria
    if not criteria or len(review.scores) < len(criteria):
        return None
    by_id = {c.id: c for c in criteria}
    weight = sum(c.weight for c in criteria)
    scaled = sum(
        by_id[s.criterion_id].weight * s.score / by_id[s.criterion_id].max_score
        for s in review.scores
    )
    return scaled * 100.0 / weight
