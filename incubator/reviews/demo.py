"""Demo step: two reviewers per application past submission, with scores; in screening, the
second reviewer has yet to declare conflicts. Each application's stored summary is refreshed."""

from __future__ import annotations

from datetime import timedelta

from incubator.accounts.demo import manager
from incubator.applications.models import Application
from incubator.applications.stages import Stage
from incubator.demo import Demo
from incubator.reviews.models import Conflict, Review, ReviewScore
from incubator.reviews.scoring import refresh_scores

REVIEWERS = {
    "BIIC": ("mentor@biic.test", "mentor2@biic.test"),
    "SMIC": ("mentor@smic.test", "mentor@biic.test"),
}
UNSCORED = (Stage.DRAFT, Stage.SUBMITTED, Stage.WITHDRAWN)


def load(demo: Demo) -> None:
    # the position of an application in the demo varies its scores
    for seed, application in enumerate(demo.applications.values()):
        if application.stage not in UNSCORED:
            review(demo, application, seed)
            demo.session.flush()
            refresh_scores(application)


def review(demo: Demo, application: Application, seed: int) -> None:
    code = application.program.center.code
    assigner = manager(demo, code)
    for number, email in enumerate(REVIEWERS[code]):
        pending = application.stage is Stage.SCREENING and number == 1
        review = Review(
            application=application,
            reviewer_id=demo.users[email].id,
            assigned_by_id=assigner.id,
            assigned_at=application.submitted_at + timedelta(days=1),
            conflict=Conflict.PENDING if pending else Conflict.NONE,
        )
        demo.session.add(review)
        if pending:
            continue
        review.declared_at = review.assigned_at + timedelta(hours=5)
        for index, criterion in enumerate(application.program.criteria):
            base = criterion.max_score * (
                0.55 + 0.35 * (((seed + 1) * (index + 2) * (number + 3)) % 7) / 6
            )
            review.scores.append(
                ReviewScore(
                    criterion=criterion,
                    score=min(criterion.max_score, round(base)),
                    comment="Điểm mạnh rõ ràng; cần làm rõ thêm số liệu khách hàng.",
                )
            )
        review.submitted_at = review.declared_at + timedelta(days=1)
        review.updated_at = review.submitted_at
