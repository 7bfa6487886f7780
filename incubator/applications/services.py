"""Applications: drafts, pitch decks, and the one function that changes a stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from incubator import audit, files
from incubator.accounts.models import User
from incubator.applications.models import (
    ACTION_LABELS,
    ANSWER_FIELDS,
    ANSWER_LABELS,
    Application,
    StageTransition,
    stage_label,
)
from incubator.applications.stages import (
    Actor,
    Move,
    Refusal,
    Stage,
    TransitionRefused,
    check,
    moves_from,
)
from incubator.db import contains_text, db, on_commit, on_rollback, utcnow
from incubator.errors import DomainError, NotFound
from incubator.mail import queue_email
from incubator.programs.models import Program
from incubator.reviews.models import Conflict, Review
from incubator.reviews.scoring import application_scores
from incubator.startups.models import Sector, Startup, StartupMember

DECKS = "pitch_decks"


@dataclass
class Answers:
    problem: str = ""
    solution: str = ""
    market: str = ""
    traction: str = ""
    team: str = ""
    funding_need_vnd: int | None = None


@dataclass
class Upload:
    stream: IO[bytes]
    filename: str


# ------------------------------------------------------------------ access


def actors_for(user: Any, application: Application) -> set[Actor]:
    """In which capacities the user may act on the application."""
    actors = set()
    if not user.is_authenticated:
        return actors
    if application.startup.has_member(user):
        actors.add(Actor.FOUNDER)
    # a draft is the founders' own business until it is submitted
    if application.stage is not Stage.DRAFT and user.manages(application.program.center_id):
        actors.add(Actor.MANAGER)
    return actors


def _get(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None:
        raise NotFound("application")
    return application


def acting_application(actor: User, application_id: int) -> Application:
    """An application the actor may act on as a founder or as a manager."""
    application = _get(application_id)
    if not actors_for(actor, application):
        raise NotFound("application")
    return application


def founder_application(actor: User, application_id: int) -> Application:
    application = _get(application_id)
    if Actor.FOUNDER not in actors_for(actor, application):
        raise NotFound("application")
    return application


def managed_application(actor: User, application_id: int) -> Application:
    application = _get(application_id)
    if Actor.MANAGER not in actors_for(actor, application):
        raise NotFound("application")
    return application


def may_read_deck(user: Any, application: Application) -> bool:
    """Members, the center's managers, and reviewers who declared no conflict."""
    if actors_for(user, application):
        return True
    return bool(
        user.is_authenticated
        and db.session.scalar(
            select(Review.id).where(
                Review.application_id == application.id,
                Review.reviewer_id == user.id,
                Review.conflict == Conflict.NONE,
            )
        )
    )


def deck_path_for(user: Any, application_id: int) -> tuple[Application, Any]:
    application = _get(application_id)
    if not may_read_deck(user, application) or not application.deck_file:
        raise NotFound("deck")
    path = files.path_of(DECKS, application.deck_file)
    if not path.is_file():
        raise NotFound("deck")  # lost from the disk: a 404, not a 500
    return application, path


# ----------------------------------------------------------------- founder


def start_application(actor: User, startup: Startup, program: Program) -> Application:
    if not startup.has_member(actor):
        raise NotFound("startup")
    if not actor.email_confirmed:
        raise DomainError(
            _("Please confirm your email address first: open the link we emailed you.")
        )
    if not program.is_open():
        raise DomainError(_("This call is not open for applications."))
    existing = db.session.scalar(
        select(Application).where(
            Application.startup_id == startup.id, Application.program_id == program.id
        )
    )
    if existing is not None:
        raise DomainError(
            _("%(startup)s has already applied to this program.", startup=startup.name),
            field="startup_id",
        )
    application = Application(startup=startup, program=program, created_by_id=actor.id)
    db.session.add(application)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:  # the same application created at the same moment
        raise DomainError(
            _("%(startup)s has already applied to this program.", startup=startup.name),
            field="startup_id",
        ) from error
    db.session.add(
        StageTransition(
            application=application, from_stage=None, to_stage=Stage.DRAFT, actor_id=actor.id
        )
    )
    audit.record(actor, "application.created", application)
    return application


def save_draft(
    actor: User, application: Application, answers: Answers, deck: Upload | None
) -> Application:
    """Save what the founder typed; a bad deck refuses the whole save (the form keeps the text)."""
    if Actor.FOUNDER not in actors_for(actor, application):
        raise NotFound("application")
    if not application.editable:
        raise DomainError(_("A submitted application can no longer be changed."))
    if answers.funding_need_vnd is not None and answers.funding_need_vnd < 0:
        raise DomainError(_("The amount cannot be negative."), field="funding_need_vnd")
    for name in ANSWER_FIELDS:
        setattr(application, name, getattr(answers, name).strip())
    application.funding_need_vnd = answers.funding_need_vnd
    if deck is not None:
        _replace_deck(application, deck)
    application.updated_at = utcnow()
    audit.record(actor, "application.saved", application)
    return application


def _replace_deck(application: Application, deck: Upload) -> None:
    stored = files.store_pdf(
        DECKS, deck.stream, deck.filename, current_app.config["PITCH_DECK_MAX_BYTES"], field="deck"
    )
    old = application.deck_file
    session = db.session
    on_rollback(session, lambda: files.delete(DECKS, stored.name))
    on_commit(session, lambda: files.delete(DECKS, old))
    application.deck_file = stored.name
    application.deck_filename = stored.original_name
    application.deck_size = stored.size
    application.deck_uploaded_at = utcnow()


def missing_parts(application: Application) -> list[str]:
    """What still has to be filled in before the application can be submitted."""
    missing = [
        str(ANSWER_LABELS[name]) for name in ANSWER_FIELDS if not getattr(application, name).strip()
    ]
    if application.funding_need_vnd is None:
        missing.append(str(ANSWER_LABELS["funding_need_vnd"]))
    if not application.deck_file:
        missing.append(_("Pitch deck (PDF)"))
    return missing


# ------------------------------------------------------------------ stages


def _refusal_message(error: TransitionRefused) -> str:
    source, target = stage_label(error.source), stage_label(error.target)
    if error.refusal is Refusal.SAME_STAGE:
        return _("The application is already at the stage %(stage)s.", stage=source)
    if error.refusal is Refusal.TERMINAL:
        return _(
            "The stage %(stage)s is final; the application cannot move any more.", stage=source
        )
    if error.refusal is Refusal.NOT_A_MOVE:
        return _(
            "An application cannot move from %(source)s to %(target)s.",
            source=source,
            target=target,
        )
    if error.move is not None and error.move.actor is Actor.FOUNDER:
        return _("Only the startup's founders can do this.")
    return _("Only a manager of the center can do this.")


def _guard(application: Application, move: Move) -> None:
    """Rules beyond the table: the deadline and completeness, the capacity."""
    if move.target is Stage.SUBMITTED:
        if not application.program.is_open():
            raise DomainError(_("The call is closed; applications can no longer be submitted."))
        missing = missing_parts(application)
        if missing:
            raise DomainError(
                _("Please complete before submitting: %(parts)s.", parts=", ".join(missing))
            )
    if move.target is Stage.ACCEPTED:
        # lock the program row: two managers accepting at once cannot both take the last place
        db.session.execute(
            select(Program.id).where(Program.id == application.program_id).with_for_update()
        )
        taken = db.session.scalar(
            select(func.count())
            .select_from(Application)
            .where(
                Application.program_id == application.program_id,
                Application.stage.in_(
                    [Stage.ACCEPTED, Stage.INCUBATING, Stage.DEMO_DAY, Stage.GRADUATED]
                ),
            )
        )
        if taken >= application.program.capacity:
            raise DomainError(
                _(
                    "The program is full (%(capacity)d places): no more startups can be accepted.",
                    capacity=application.program.capacity,
                )
            )


def move(actor: User, application: Application, target: Stage, reason: str = "") -> StageTransition:
    """The only way a stage changes: checks the table and the actor's right, then writes the
    transition, the audit entry and the founders' emails in the caller's transaction."""
    actors = actors_for(actor, application)
    if not actors:
        raise NotFound("application")
    source = application.stage
    try:
        step = check(source, target, actors)
    except TransitionRefused as error:
        raise DomainError(_refusal_message(error)) from error
    reason = reason.strip()
    if step.reason_required and not reason:
        raise DomainError(_("Please give a reason."), field="reason")
    _guard(application, step)
    now = utcnow()
    # Conditional on the stage we read, so that two concurrent moves cannot both win.
    values = {"stage": target, "updated_at": now}
    if target is Stage.SUBMITTED:
        values["submitted_at"] = now
    changed = db.session.execute(
        update(Application)
        .where(Application.id == application.id, Application.stage == source)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise DomainError(
            _("Someone else changed this application meanwhile; please reload the page.")
        )
    for name, value in values.items():
        set_committed_value(application, name, value)
    transition = StageTransition(
        application=application,
        from_stage=source,
        to_stage=target,
        actor_id=actor.id,
        reason=reason,
        at=now,
    )
    db.session.add(transition)
    audit.record(
        actor,
        f"application.{step.action}",
        application,
        source=source.value,
        target=target.value,
        reason=reason,
    )
    for member in application.startup.members:
        if member.user.active:
            queue_email(
                member.user, "stage_changed", application=application, transition=transition
            )
    return transition


def allowed_moves(user: Any, application: Application) -> list[Move]:
    return moves_from(application.stage, actors_for(user, application))


def move_label(step: Move) -> str:
    return str(ACTION_LABELS[step.action])


# ------------------------------------------------------------------- lists


def founder_applications_query(actor: User) -> Select[Any]:
    return (
        select(Application)
        .join(Startup, Application.startup_id == Startup.id)
        .where(Startup.members.any(StartupMember.user_id == actor.id))
    )


def program_applications_query(
    program: Program,
    stage: str = "",
    sector: str = "",
    search: str = "",
    min_score: float | None = None,
    include_drafts: bool = False,
) -> tuple[Select[Any], Any]:
    """Rows of (Application, mean, reviews, spread, rank) and the scores subquery for sorting."""
    scores = application_scores(program.id)
    statement = (
        select(Application, scores.c.mean, scores.c.reviews, scores.c.spread, scores.c.rank)
        .join(Startup, Application.startup_id == Startup.id)
        .outerjoin(scores, scores.c.application_id == Application.id)
        .where(Application.program_id == program.id)
    )
    if stage in Stage.__members__.values() and stage != Stage.DRAFT:
        statement = statement.where(Application.stage == Stage(stage))
    elif not include_drafts:
        statement = statement.where(Application.stage != Stage.DRAFT)
    if sector in Sector.__members__.values():
        statement = statement.where(Startup.sector == Sector(sector))
    if search:
        statement = statement.where(contains_text(Startup.name, search))
    if min_score is not None:
        statement = statement.where(scores.c.mean >= min_score)
    return statement, scores


def score_of(application: Application) -> Any:
    """(mean, reviews, spread, rank) of one application; None before any submitted review."""
    scores = application_scores(application.program_id)
    return db.session.execute(
        select(scores.c.mean, scores.c.reviews, scores.c.spread, scores.c.rank).where(
            scores.c.application_id == application.id
        )
    ).first()


def stage_counts(program: Program) -> dict[Stage, int]:
    rows = db.session.execute(
        select(Application.stage, func.count())
        .where(Application.program_id == program.id)
        .group_by(Application.stage)
    )
    counts = dict.fromkeys(Stage, 0)
    counts.update(dict(rows.all()))
    return counts


BOARD_STAGES = [stage for stage in Stage if stage is not Stage.DRAFT]
BOARD_COLUMN_LIMIT = 50


def board(
    program: Program, sector: str = "", min_score: float | None = None
) -> dict[Stage, dict[str, Any]]:
    """Columns by stage: the count and up to BOARD_COLUMN_LIMIT cards, best score first."""
    statement, scores = program_applications_query(program, sector=sector, min_score=min_score)
    numbered = statement.add_columns(
        func.row_number()
        .over(
            partition_by=Application.stage,
            order_by=(scores.c.mean.desc().nulls_last(), Application.id),
        )
        .label("position"),
        func.count().over(partition_by=Application.stage).label("in_stage"),
    ).subquery()
    rows = db.session.execute(
        select(
            Application,
            numbered.c.mean,
            numbered.c.reviews,
            numbered.c.spread,
            numbered.c.rank,
            numbered.c.in_stage,
        )
        .join(numbered, numbered.c.id == Application.id)
        .where(numbered.c.position <= BOARD_COLUMN_LIMIT)
        .order_by(numbered.c.position)
    ).all()
    columns = {stage: {"count": 0, "cards": []} for stage in BOARD_STAGES}
    for application, mean, reviews, spread, rank, in_stage in rows:
        column = columns[application.stage]
        column["count"] = in_stage
        column["cards"].append(
            {
                "application": application,
                "mean": mean,
                "reviews": reviews,
                "spread": spread,
                "rank": rank,
            }
        )
    return columns
