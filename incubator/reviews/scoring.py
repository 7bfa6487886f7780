"""Review scores: each submitted review as a weighted percentage, summed up per application.

A review's total is the weighted mean of its criteria, each scaled to its own
maximum, so that rubrics with different maxima compare on 0–100. The summary
per application (mean, number of reviews, spread) is stored on the application
by `refresh_scores`, in the transaction that changes one of its reviews, so
that pages sort and rank by indexed columns instead of recomputing the program.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from incubator.applications.models import Application
from incubator.applications.stages import Stage
from incubator.db import db
from incubator.reviews.models import Review

DIGITS = 1  # as the pages show a score: two means that look equal share a rank


def review_total(review: Review) -> float | None:
    """The weighted percentage of one review (None until every criterion is scored)."""
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


def summary(application: Application, reviews: list[Review]) -> tuple[float | None, int, Any]:
    """(mean, number of reviews, spread) over the submitted reviews; none once withdrawn."""
    if application.stage is Stage.WITHDRAWN:
        return None, 0, None
    totals = [
        total
        for review in reviews
        if review.submitted_at is not None and (total := review_total(review)) is not None
    ]
    if not totals:
        return None, 0, None
    mean = round(sum(totals) / len(totals), DIGITS)
    return mean, len(totals), round(max(totals) - min(totals), DIGITS)


def refresh_scores(application: Application) -> None:
    """Store the application's summary from its reviews as they are in this transaction.

    The application's row is locked first, so that two reviewers saving at the same
    moment summarize one after the other (PostgreSQL; SQLite writes one at a time anyway).
    """
    db.session.execute(
        select(Application.id).where(Application.id == application.id).with_for_update()
    )
    reviews = list(
        db.session.scalars(
            select(Review)
            .where(Review.application_id == application.id)
            .options(selectinload(Review.scores))
        )
    )
    mean, count, spread = summary(application, reviews)
    application.score_mean = mean
    application.review_count = count
    application.score_spread = spread


def refresh_program_scores(program_id: int) -> int:
    """Store the summary of every application of a program at once (after a bulk import);
    the number of applications updated."""
    applications = db.session.scalars(
        select(Application).where(Application.program_id == program_id)
    ).all()
    reviews: dict[int, list[Review]] = {a.id: [] for a in applications}
    for review in db.session.scalars(
        select(Review)
        .join(Application, Application.id == Review.application_id)
        .where(Application.program_id == program_id)
        .options(selectinload(Review.scores))
    ):
        reviews[review.application_id].append(review)
    values = []
    for application in applications:
        mean, count, spread = summary(application, reviews[application.id])
        values.append(
            {
                "id": application.id,
                "score_mean": mean,
                "review_count": count,
                "score_spread": spread,
            }
        )
    if values:
        db.session.execute(update(Application), values)
    return len(values)
