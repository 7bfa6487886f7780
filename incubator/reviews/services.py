"""Review: assigning reviewers, conflict-of-interest declarations, scoring."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from incubator import audit
from incubator.accounts import services as accounts
from incubator.accounts.models import Role, User
from incubator.applications import services as applications
from incubator.applications.models import Application
from incubator.applications.stages import Stage
from incubator.db import add_unique, db, utcnow
from incubator.errors import DomainError, NotFound
from incubator.mail import queue_email
from incubator.programs.models import Program, RubricCriterion
from incubator.programs.services import require_manager
from incubator.reviews.models import Conflict, Review, ReviewScore
from incubator.reviews.scoring import refresh_scores
from incubator.startups.models import Startup

REVIEWABLE = (Stage.SUBMITTED, Stage.SCREENING)


@dataclass
class ScoreInput:
    score: int | None
    comment: str = ""


def reviewers(center_id: int, startup: Startup | None = None) -> list[User]:
    """Active mentors serving the center who can be asked to review (not the startup's members)."""
    return [
        u
        for u in db.session.scalars(accounts.serving_mentors(center_id))
        if startup is None or not startup.has_member(u)
    ]


def reviewable_applications(program: Program) -> list[Application]:
    return list(
        db.session.scalars(
            select(Application)
            .join(Startup, Application.startup_id == Startup.id)
            .where(Application.program_id == program.id, Application.stage.in_(REVIEWABLE))
            .order_by(Startup.name)
        )
    )


def reviewer_loads(program: Program) -> Counter[int]:
    """How many applications of the program each reviewer has been given."""
    rows = db.session.execute(
        select(Review.reviewer_id, func.count())
        .join(Application)
        .where(Application.program_id == program.id, Review.conflict != Conflict.DECLARED)
        .group_by(Review.reviewer_id)
    )
    return Counter(dict(rows.all()))


def assign(actor: User, application: Application, reviewer: User) -> Review:
    require_manager(actor, application.program.center_id)
    if application.stage not in REVIEWABLE:
        raise DomainError(
            _("Reviewers can be assigned only to submitted applications in screening.")
        )
    if application.program.review_closed:
        raise DomainError(_("The review of this program is closed."))
    if not reviewer.active or not reviewer.has_role(Role.MENTOR):
        raise DomainError(_("Reviewers must be active mentors."), field="reviewer_id")
    if application.program.center_id not in accounts.mentor_center_ids(reviewer):
        raise DomainError(
            _("%(name)s does not serve this center.", name=reviewer.name), field="reviewer_id"
        )
    if application.startup.has_member(reviewer):
        raise DomainError(_("A member of the startup cannot review it."), field="reviewer_id")
    already = db.session.scalar(
        select(Review.id).where(
            Review.application_id == application.id, Review.reviewer_id == reviewer.id
        )
    )
    refusal = DomainError(
        _("%(name)s already reviews this application.", name=reviewer.name), field="reviewer_id"
    )
    if already:
        raise refusal
    review = Review(application=application, reviewer_id=reviewer.id, assigned_by_id=actor.id)
    add_unique(review, refusal)
    if application.stage is Stage.SUBMITTED:
        applications.move(actor, application, Stage.SCREENING)
    audit.record(actor, "review.assigned", review, reviewer=reviewer.id)
    queue_email(reviewer, "review_assigned", review=review)
    return review


def bulk_assign(
    actor: User,
    program: Program,
    application_ids: Iterable[int],
    reviewer_ids: Iterable[int],
    per_application: int,
) -> int:
    """Give each chosen application `per_application` reviewers, the least loaded first.

    Returns how many assignments were made. Reviewers already on an application,
    or members of its startup, are skipped for it.
    """
    require_manager(actor, program.center_id)
    chosen = [u for u in reviewers(program.center_id) if u.id in set(reviewer_ids)]
    if not chosen:
        raise DomainError(_("Choose at least one reviewer."), field="reviewer_ids")
    if not 1 <= per_application <= len(chosen):
        raise DomainError(
            _(
                "Each application can get between 1 and %(n)d of the chosen reviewers.",
                n=len(chosen),
            ),
            field="per_application",
        )
    targets = list(
        db.session.scalars(
            select(Application)
            .where(Application.program_id == program.id, Application.id.in_(list(application_ids)))
            .order_by(Application.id)
        )
    )
    if not targets:
        raise DomainError(_("Choose at least one application."), field="application_ids")
    loads = reviewer_loads(program)
    rows = db.session.execute(
        select(Review.application_id, Review.reviewer_id, Review.conflict).where(
            Review.application_id.in_([a.id for a in targets])
        )
    ).all()
    existing = {(application_id, reviewer_id) for application_id, reviewer_id, _c in rows}
    # a reviewer who declared a conflict does not count towards the application's reviewers
    usable = Counter(a for a, _r, conflict in rows if conflict is not Conflict.DECLARED)
    made = 0
    for application in targets:
        have = usable[application.id]
        candidates = sorted(
            (
                u
                for u in chosen
                if (application.id, u.id) not in existing and not application.startup.has_member(u)
            ),
            key=lambda u: (loads[u.id], u.id),
        )
        for reviewer in candidates[: max(0, per_application - have)]:
            assign(actor, application, reviewer)
            loads[reviewer.id] += 1
            existing.add((application.id, reviewer.id))
            made += 1
    return made


def unassign(actor: User, review: Review) -> None:
    require_manager(actor, review.application.program.center_id)
    application = review.application
    audit.record(actor, "review.unassigned", application, reviewer=review.reviewer_id)
    db.session.delete(review)
    db.session.flush()
    refresh_scores(application)


def managed_review(actor: User, review_id: int) -> Review:
    review = db.session.get(Review, review_id)
    if review is None or not actor.manages(review.application.program.center_id):
        raise NotFound("review")
    return review


def candidate_reviewer(user_id: int) -> User:
    """One of `reviewers()`."""
    user = db.session.get(User, user_id)
    if user is None or not user.active or not user.has_role(Role.MENTOR):
        raise NotFound("user")
    return user


def may_read_application(actor: User, review: Review) -> bool:
    """The reviewer reads the application once they declared no conflict of interest."""
    return review.reviewer_id == actor.id and review.conflict is Conflict.NONE


def own_review(actor: User, review_id: int) -> Review:
    """The actor's own assignment; nobody else's."""
    review = db.session.get(Review, review_id)
    if review is None or review.reviewer_id != actor.id:
        raise NotFound("review")
    return review


def declare_conflict(actor: User, review: Review, has_conflict: bool, note: str = "") -> None:
    """Before the application is shown: no conflict, or a conflict (final, scores dropped)."""
    if review.reviewer_id != actor.id:
        raise NotFound("review")
    if review.conflict is Conflict.DECLARED:
        raise DomainError(_("You already declared a conflict of interest for this application."))
    if review.application.program.review_closed:
        raise DomainError(_("The review of this program is closed; scores can no longer change."))
    if has_conflict and not note.strip():
        raise DomainError(_("Please describe the conflict of interest."), field="note")
    if not has_conflict and review.conflict is Conflict.NONE:
        return
    review.conflict = Conflict.DECLARED if has_conflict else Conflict.NONE
    review.conflict_note = note.strip()
    review.declared_at = utcnow()
    if has_conflict:
        review.scores.clear()
        review.submitted_at = None
        refresh_scores(review.application)
    audit.record(
        actor, "review.conflict_declared" if has_conflict else "review.no_conflict", review
    )


def save_scores(actor: User, review: Review, scores: Mapping[int, ScoreInput]) -> Review:
    """Score every criterion of the rubric; can be changed until the manager closes the review."""
    if review.reviewer_id != actor.id:
        raise NotFound("review")
    if review.conflict is not Conflict.NONE:
        raise DomainError(_("Declare that you have no conflict of interest first."))
    program = review.application.program
    if program.review_closed:
        raise DomainError(_("The review of this program is closed; scores can no longer change."))
    # one save at a time per review (a double click), each seeing the other's scores
    db.session.execute(select(Review.id).where(Review.id == review.id).with_for_update())
    db.session.refresh(review, ["scores"])
    for criterion in program.criteria:
        given = scores.get(criterion.id)
        field = f"score_{criterion.id}"
        if given is None or given.score is None:
            raise DomainError(_("Give a score for every criterion."), field=field)
        if not 0 <= given.score <= criterion.max_score:
            raise DomainError(
                _("The score must be between 0 and %(max)d.", max=criterion.max_score), field=field
            )
    current = {s.criterion_id: s for s in review.scores}
    for criterion in program.criteria:
        given = scores[criterion.id]
        score = current.get(criterion.id)
        if score is None:
            score = ReviewScore(criterion_id=criterion.id)
            review.scores.append(score)
        score.score = given.score
        score.comment = given.comment.strip()
    now = utcnow()
    review.submitted_at = review.submitted_at or now
    review.updated_at = now
    refresh_scores(review.application)
    audit.record(actor, "review.scored", review)
    return review


def reviewer_queue_query(actor: User, status: str = "") -> Select[Any]:
    return reviews_with_status(select(Review).where(Review.reviewer_id == actor.id), status)


def reviews_with_status(statement: Select[Any], status: str) -> Select[Any]:
    """`status` "todo" (to score), "done" (scored) or "conflict" (declared); else any."""
    if status == "todo":
        statement = statement.where(
            Review.conflict != Conflict.DECLARED, Review.submitted_at.is_(None)
        )
    elif status == "done":
        statement = statement.where(Review.submitted_at.is_not(None))
    elif status == "conflict":
        statement = statement.where(Review.conflict == Conflict.DECLARED)
    return statement


def reviews_of(application: Application) -> list[Review]:
    return list(
        db.session.scalars(
            select(Review).where(Review.application_id == application.id).order_by(Review.id)
        )
    )


def open_review_count(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Review)
        .where(
            Review.reviewer_id == user.id,
            Review.conflict != Conflict.DECLARED,
            Review.submitted_at.is_(None),
        )
    )


# ---------------------------------------------------- answers to other domains


def reviewer_reads_deck(application: Application, *, actor: User) -> bool:
    """Answers `signals.may_read_deck`: a reviewer who declared no conflict reads the deck."""
    return bool(
        db.session.scalar(
            select(Review.id).where(
                Review.application_id == application.id,
                Review.reviewer_id == actor.id,
                Review.conflict == Conflict.NONE,
            )
        )
    )


def rubric_scored(program: Program) -> bool:
    """Answers `signals.rubric_in_use`: once scored on, a rubric's weights are fixed."""
    return bool(
        db.session.scalar(
            select(ReviewScore.review_id)
            .join(RubricCriterion, RubricCriterion.id == ReviewScore.criterion_id)
            .where(RubricCriterion.program_id == program.id)
            .limit(1)
        )
    )


def forget_withdrawn_scores(application: Application, **_event: Any) -> None:
    """On `signals.stage_changed`: a withdrawn application takes no rank."""
    if application.stage is Stage.WITHDRAWN and application.score_mean is not None:
        refresh_scores(application)
