"""Applications: drafts, pitch decks, and the one function that changes a stage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import (
    Select,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import aliased, joinedload, lazyload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from incubator import audit, files, signals
from incubator.accounts.models import User
from incubator.applications.models import (
    Answer,
    AnswerChoice,
    Application,
    StageCount,
    StageTransition,
    shift_stage_count,
)
from incubator.applications.stages import (
    TERMINAL,
    Capacity,
    Move,
    Refusal,
    Stage,
    TransitionRefused,
    check,
    moves_from,
)
from incubator.db import add_unique, contains_text, db, on_commit, on_rollback, utcnow
from incubator.enums import parse_enum
from incubator.errors import DomainError, NotFound
from incubator.files import Upload
from incubator.i18n import format_date, format_vnd
from incubator.mail import queue_email
from incubator.programs.models import Program
from incubator.questions import kinds
from incubator.questions.models import YES_NO_LABELS, FormSection, Kind, Question
from incubator.questions.services import CallForm, form_of
from incubator.startups.models import Sector, Startup, StartupMember
from incubator.startups.services import locked

DECKS = "pitch_decks"
ANSWER_FILES = "answer_files"

# What a form sends for each question, by the question's key: the text typed or the value
# chosen, a list of values for a multiple choice. Questions left out count as blank.
RawAnswers = Mapping[str, str | list[str]]


# ------------------------------------------------------------------ access


def capacities_of(user: Any, application: Application) -> set[Capacity]:
    """In which capacities the user may act on the application."""
    actors = set()
    if not user.is_authenticated:
        return actors
    if application.startup.has_member(user):
        actors.add(Capacity.FOUNDER)
    # a draft is the founders' own business until it is submitted
    if application.stage is not Stage.DRAFT and user.manages(application.program.center_id):
        actors.add(Capacity.MANAGER)
    return actors


def _get(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None:
        raise NotFound("application")
    return application


def acting_application(actor: User, application_id: int) -> Application:
    """An application the actor may act on as a founder or as a manager."""
    application = _get(application_id)
    if not capacities_of(actor, application):
        raise NotFound("application")
    return application


def founder_application(actor: User, application_id: int) -> Application:
    application = _get(application_id)
    if Capacity.FOUNDER not in capacities_of(actor, application):
        raise NotFound("application")
    return application


def managed_application(actor: User, application_id: int) -> Application:
    application = _get(application_id)
    if Capacity.MANAGER not in capacities_of(actor, application):
        raise NotFound("application")
    return application


def may_read_deck(actor: Any, application: Application) -> bool:
    """Members and the center's managers; later domains may grant others (reviewers)."""
    return bool(capacities_of(actor, application)) or (
        actor.is_authenticated and signals.granted(signals.may_read_deck, application, actor=actor)
    )


def has_applicants(program: Program) -> bool:
    """Answers `signals.call_has_applicants`."""
    return bool(db.session.scalar(select(exists().where(Application.program_id == program.id))))


def forget_answer_files(question: Question) -> None:
    """Answers `signals.question_deleted`: the files of drafts' answers to it are removed
    from storage once the deletion commits (kept if it rolls back)."""
    names = db.session.scalars(
        select(Answer.file_name).where(
            Answer.question_id == question.id, Answer.file_name.is_not(None)
        )
    ).all()
    for name in names:
        on_commit(db.session, lambda name=name: files.delete(ANSWER_FILES, name))


def stored_files(_sender: Any = None) -> list[tuple[str, str]]:
    """Answers `signals.stored_files`: the decks and the answer files rows refer to."""
    decks = db.session.execute(
        select(Application.id, Application.deck_file).where(Application.deck_file.is_not(None))
    )
    found = [(files.key(DECKS, name), f"deck of application {id_}") for id_, name in decks]
    answers = db.session.execute(
        select(Answer.application_id, Answer.file_name).where(Answer.file_name.is_not(None))
    )
    found += [
        (files.key(ANSWER_FILES, name), f"answer file of application {id_}")
        for id_, name in answers
    ]
    return found


def form_used(program: Program) -> bool:
    """Answers `signals.form_in_use`: an application to the call was submitted."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Application.program_id == program.id, Application.stage != Stage.DRAFT
                )
            )
        )
    )


def manager_sees_applicant(startup: Startup, *, actor: Any) -> bool:
    """Answers `signals.may_view_startup`: a center's managers see the startups that submitted
    an application to one of its programs."""
    center_id = actor.managed_center_id
    if center_id is None:
        return False
    return bool(
        db.session.scalar(
            select(Application.id)
            .join(Program)
            .where(
                Application.startup_id == startup.id,
                Application.stage != Stage.DRAFT,
                Program.center_id == center_id,
            )
            .limit(1)
        )
    )


def startups_applied_to_center(actor: Any) -> Any:
    """Answers `signals.startups_visible_to`: for a center's managers, the startups that
    submitted an application to one of its programs (as `manager_sees_applicant`)."""
    center_id = actor.managed_center_id
    if center_id is None:
        return None
    return Startup.id.in_(
        select(Application.startup_id)
        .join(Program)
        .where(Application.stage != Stage.DRAFT, Program.center_id == center_id)
    )


def visible_applications_query(actor: Any) -> Select[Any]:
    """The applications the actor may act on (`capacities_of`), for a list: their startups'
    ones, and the submitted ones of the centers they manage (every center for admins)."""
    own = Startup.members.any(StartupMember.user_id == actor.id)
    conditions = [own]
    if actor.is_admin:
        conditions.append(Application.stage != Stage.DRAFT)
    elif actor.managed_center_id is not None:
        conditions.append(
            and_(
                Application.stage != Stage.DRAFT,
                Application.program.has(Program.center_id == actor.managed_center_id),
            )
        )
    return (
        select(Application)
        .join(Startup, Application.startup_id == Startup.id)
        .where(or_(*conditions))
        .options(*LIST_LOADING)
    )


def applications_of_program(statement: Select[Any], program_id: int) -> Select[Any]:
    return statement.where(Application.program_id == program_id)


def start_with_answers(
    actor: User, startup: Startup, program: Program, raw: RawAnswers
) -> Application:
    """A new draft with its first answers, in one transaction (the API's POST)."""
    application = start_application(actor, startup, program)
    db.session.flush()
    return save_draft(actor, application, raw)


def history(application: Application) -> list[StageTransition]:
    return sorted(application.transitions, key=lambda t: (t.at, t.id))


def manager_may_archive(startup: Startup, *, actor: Any) -> bool:
    """Answers `signals.may_archive_startup`: a manager of a center the startup applied to."""
    return manager_sees_applicant(startup, actor=actor)


def in_progress(startup: Startup) -> bool:
    """Answers `signals.startup_in_progress`: an application not in a terminal stage."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Application.startup_id == startup.id, Application.stage.not_in(TERMINAL)
                )
            )
        )
    )


def readable_deck(user: Any, application_id: int) -> tuple[Application, str]:
    """(application, storage key) of its deck, for those who may read it (`storage.send`
    answers 404 when the file itself is lost)."""
    application = _get(application_id)
    if not may_read_deck(user, application) or not application.deck_file:
        raise NotFound("deck")
    return application, files.key(DECKS, application.deck_file)


# ----------------------------------------------------------------- founder


def start_application(actor: User, startup: Startup, program: Program) -> Application:
    if not startup.has_member(actor):
        raise NotFound("startup")
    if not actor.email_confirmed:
        raise DomainError(
            _("Please confirm your email address first: open the link we emailed you."),
            code="email_not_confirmed",
        )
    if not program.is_open():
        raise DomainError(
            _("This call is not open for applications."), code="call_closed", conflict=True
        )
    if locked(startup).archived_at is not None:
        raise DomainError(
            _("%(startup)s is archived; restore it first.", startup=startup.name),
            field="startup_id",
            code="startup_archived",
            conflict=True,
        )
    existing = db.session.scalar(
        select(Application).where(
            Application.startup_id == startup.id, Application.program_id == program.id
        )
    )
    already = DomainError(
        _("%(startup)s has already applied to this program.", startup=startup.name),
        field="startup_id",
        code="duplicate_application",
        conflict=True,
    )
    if existing is not None:
        raise already
    application = Application(startup=startup, program=program, created_by_id=actor.id)
    add_unique(application, already)  # the same application created at the same moment
    db.session.add(
        StageTransition(
            application=application, from_stage=None, to_stage=Stage.DRAFT, actor_id=actor.id
        )
    )
    audit.record(actor, "application.created", application)
    return application


def _editable_by(actor: User, application: Application) -> None:
    if Capacity.FOUNDER not in capacities_of(actor, application):
        raise NotFound("application")
    if not application.editable:
        raise DomainError(
            _("A submitted application can no longer be changed."),
            code="not_a_draft",
            conflict=True,
        )


def stored_value(question: Question, answer: Answer | None) -> kinds.Value | None:
    """The typed value an answer row holds, as the question's validator gives it."""
    if answer is None:
        return None
    kind = question.kind
    if kind.has_choices:
        ids = answer.choice_ids
        return [c for c in question.choices if c.id in ids] or None
    if kind is Kind.YES_NO:
        return answer.value_bool
    if kind is Kind.NUMBER:
        return answer.value_number
    if kind is Kind.MONEY:
        return None if answer.value_number is None else int(answer.value_number)
    if kind is Kind.DATE:
        return answer.value_date
    if kind is Kind.FILE:
        return answer.value_text if answer.file_name else None
    return answer.value_text


def _columns(question: Question, value: kinds.Value) -> dict[str, Any]:
    columns: dict[str, Any] = dict.fromkeys(("value_text", "value_number", "value_date"))
    columns["value_bool"] = None
    if isinstance(value, bool):
        columns["value_bool"] = value
    elif isinstance(value, int | float):
        columns["value_number"] = value
    elif isinstance(value, date):
        columns["value_date"] = value
    elif isinstance(value, str):
        columns["value_text"] = value
    return columns


def store_answer(
    application: Application, question: Question, answer: Answer | None, value: Any
) -> bool:
    """Write one typed answer; True if anything changed."""
    if value is None:
        if answer is None:
            return False
        application.answers.remove(answer)
        return True
    if answer is None:
        answer = Answer(question_id=question.id)
        application.answers.append(answer)
    changed = False
    for name, column_value in _columns(question, value).items():
        if getattr(answer, name) != column_value:
            setattr(answer, name, column_value)
            changed = True
    if question.kind.has_choices:
        wanted = {choice.id for choice in value}
        if wanted != answer.choice_ids:
            answer.selected[:] = [s for s in answer.selected if s.choice_id in wanted]
            for choice_id in sorted(wanted - answer.choice_ids):
                answer.selected.append(
                    AnswerChoice(application_id=application.id, choice_id=choice_id)
                )
            changed = True
    return changed


def save_draft(actor: User, application: Application, raw: RawAnswers) -> Application:
    """Save what the founder typed (the save button, or the page's autosave while typing).

    Every question the form asks is checked by its kind's validator (the first refusal names
    the question). Answers to conditional questions that do not show are kept in the draft,
    so that nothing typed is lost when a choice changes back. Saving the same answers again
    writes nothing, so autosave does not fill the audit log.
    """
    _editable_by(actor, application)
    form = form_of(application.program)
    stored = {answer.question_id: answer for answer in application.answers}
    values = {}
    for question in form.asked():
        if question.kind is not Kind.FILE:
            values[question.id] = kinds.parse(question, raw.get(question.key))
    changed = False
    for question in form.asked():
        if question.id in values:
            changed |= store_answer(
                application, question, stored.get(question.id), values[question.id]
            )
    if not changed:
        return application
    application.updated_at = utcnow()
    audit.record(actor, "application.saved", application)
    return application


@dataclass
class Submission:
    """What became of "save and submit": the draft is saved either way."""

    submitted: bool
    refusal: str = ""


def submit_draft(actor: User, application: Application, raw: RawAnswers) -> Submission:
    """Save what the founder typed, then submit it, in one transaction. A refused submission
    (incomplete, call closed) keeps the saved draft and says why."""
    save_draft(actor, application, raw)
    try:
        with db.session.begin_nested():
            move(actor, application, Stage.SUBMITTED)
    except DomainError as error:
        return Submission(submitted=False, refusal=error.message)
    return Submission(submitted=True)


def upload_deck(actor: User, application: Application, deck: Upload) -> Application:
    """Replace the pitch deck; on its own, so that a refused file never costs typed answers."""
    _editable_by(actor, application)
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
    application.deck_uploaded_at = application.updated_at = utcnow()
    audit.record(actor, "application.deck_uploaded", application)
    return application


def upload_answer_file(
    actor: User, application: Application, question: Question, upload: Upload
) -> Application:
    """The PDF a file question asks for; on its own form, like the deck."""
    _editable_by(actor, application)
    if question.program_id != application.program_id or question.kind is not Kind.FILE:
        raise NotFound("question")
    stored = files.store_pdf(
        ANSWER_FILES,
        upload.stream,
        upload.filename,
        current_app.config["ANSWER_FILE_MAX_BYTES"],
        field="file",
    )
    session = db.session
    on_rollback(session, lambda: files.delete(ANSWER_FILES, stored.name))
    answer = next((a for a in application.answers if a.question_id == question.id), None)
    if answer is None:
        answer = Answer(question_id=question.id)
        application.answers.append(answer)
    old = answer.file_name
    on_commit(session, lambda: files.delete(ANSWER_FILES, old))
    answer.file_name = stored.name
    answer.value_text = stored.original_name
    answer.file_size = stored.size
    application.updated_at = utcnow()
    audit.record(actor, "application.file_uploaded", application, question=question.key)
    return application


def readable_answer_file(user: Any, application_id: int, question_id: int) -> tuple[str, str]:
    """(original name, storage key) of a file answer, for those who may read the deck."""
    application = _get(application_id)
    answer = next((a for a in application.answers if a.question_id == question_id), None)
    if not may_read_deck(user, application) or answer is None or not answer.file_name:
        raise NotFound("file")
    return answer.value_text or "", files.key(ANSWER_FILES, answer.file_name)


@dataclass
class Missing:
    """Something to complete before submitting; `anchor` is its place on the edit page."""

    label: str
    anchor: str

    def __str__(self) -> str:
        return self.label


def stored_values(form: CallForm, application: Application) -> dict[int, Any]:
    stored = {answer.question_id: answer for answer in application.answers}
    return {q.id: stored_value(q, stored.get(q.id)) for q in form.questions}


def missing_parts(application: Application, form: CallForm | None = None) -> list[Missing]:
    """The required questions that show (their conditions met) and are still unanswered, and
    the pitch deck, in the order of the form."""
    form = form or form_of(application.program)
    values = stored_values(form, application)
    shown = form.shown(values)
    missing = [
        Missing(q.label, f"q-{q.key}")
        for q in form.questions
        if q.id in shown and q.required and values[q.id] in (None, "", [])
    ]
    if not application.deck_file:
        missing.append(Missing(_("Pitch deck (PDF)"), "deck-form"))
    return missing


def _drop_unshown(application: Application) -> None:
    """At submission, answers to questions that do not show are left out of the application."""
    form = form_of(application.program)
    shown = form.shown(stored_values(form, application))
    for answer in list(application.answers):
        if answer.question_id not in shown:
            application.answers.remove(answer)


@dataclass
class ShownAnswer:
    question: Question
    text: str  # as read on a page or in a CSV cell; "" when unanswered
    answer: Answer | None


def answer_text(question: Question, answer: Answer | None) -> str:
    """An answer as text in the reader's language: amounts and dates the Vietnamese way,
    choices by their labels, a file by its name."""
    value = stored_value(question, answer)
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(choice.label for choice in value)
    if isinstance(value, bool):
        return str(YES_NO_LABELS["yes" if value else "no"])
    if question.kind is Kind.MONEY:
        return format_vnd(value)
    if isinstance(value, float):
        return kinds.number_text(value)
    if isinstance(value, date):
        return format_date(value)
    return str(value)


def answer_sections(application: Application) -> list[tuple[FormSection, list[ShownAnswer]]]:
    """The answers under the call's section headings: the questions that showed to the founder
    (conditions met), and hidden ones that were answered before they were hidden."""
    form = form_of(application.program)
    stored = {answer.question_id: answer for answer in application.answers}
    shown = form.shown(stored_values(form, application))
    sections = []
    for section in form.sections:
        rows = [
            ShownAnswer(q, answer_text(q, stored.get(q.id)), stored.get(q.id))
            for q in section.questions
            if q.id in shown or (q.hidden and q.id in stored)
        ]
        if rows:
            sections.append((section, rows))
    return sections


# ------------------------------------------------------------------ stages


def _refusal_message(error: TransitionRefused) -> str:
    source, target = error.source.label, error.target.label
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
    if error.move is not None and error.move.capacity is Capacity.FOUNDER:
        return _("Only the startup's founders can do this.")
    return _("Only a manager of the center can do this.")


def _guard(application: Application, move: Move) -> None:
    """Rules beyond the table: the deadline and completeness, the capacity."""
    if move.target is Stage.SUBMITTED:
        if not application.program.is_open():
            raise DomainError(
                _("The call is closed; applications can no longer be submitted."),
                code="deadline_passed",
                conflict=True,
            )
        missing = missing_parts(application)
        if missing:
            raise DomainError(
                _(
                    "Please complete before submitting: %(parts)s.",
                    parts=", ".join(m.label for m in missing),
                ),
                code="incomplete",
            )
        _drop_unshown(application)
    if move.target is Stage.ACCEPTED:
        # lock the program row: two managers accepting at once cannot both take the last place
        db.session.execute(
            # FOR NO KEY UPDATE: accepts still queue, and a move inserting the program's first
            # count of a stage (a foreign key's KEY SHARE) does not wait on it
            select(Program.id)
            .where(Program.id == application.program_id)
            .with_for_update(key_share=True)
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
                ),
                code="program_full",
                conflict=True,
            )


def move(actor: User, application: Application, target: Stage, reason: str = "") -> StageTransition:
    """The only way a stage changes: checks the table and the actor's right, then writes the
    transition, the audit entry and the founders' emails in the caller's transaction."""
    actors = capacities_of(actor, application)
    if not actors:
        raise NotFound("application")
    source = application.stage
    try:
        step = check(source, target, actors)
    except TransitionRefused as error:
        raise DomainError(
            _refusal_message(error), code="transition_not_allowed", conflict=True
        ) from error
    reason = reason.strip()
    if step.reason_required and not reason:
        raise DomainError(_("Please give a reason."), field="reason", code="reason_required")
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
            _("Someone else changed this application meanwhile; please reload the page."),
            code="conflict",
            conflict=True,
        )
    shift_stage_count(db.session.connection(), application.program_id, source, target)
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
    signals.stage_changed.send(application, transition=transition, actor=actor)
    return transition


def allowed_moves(user: Any, application: Application) -> list[Move]:
    return moves_from(application.stage, capacities_of(user, application))


# ------------------------------------------------------------------- lists


def founder_applications_query(actor: User) -> Select[Any]:
    return (
        select(Application)
        .join(Startup, Application.startup_id == Startup.id)
        .where(Startup.members.any(StartupMember.user_id == actor.id))
    )


# A row of a list shows the startup and the moves the viewer may make (membership decides):
# load the members, not their accounts nor the stage history.
LIST_LOADING = (
    lazyload(Application.transitions),
    joinedload(Application.startup).selectinload(Startup.members).lazyload(StartupMember.user),
)


def rank_column() -> Any:
    """An application's rank in its program: 1 + the number of applications scored higher.

    Computed per row shown (an index range count on the stored means), so that a page of
    the ranking never reads the whole program; equal means share a rank. None until scored.
    """
    higher = aliased(Application)
    above = (
        select(func.count())
        .where(
            higher.program_id == Application.program_id, higher.score_mean > Application.score_mean
        )
        .correlate(Application)
        .scalar_subquery()
    )
    return case((Application.score_mean.is_(None), None), else_=above + 1).label("rank")


def program_applications_query(
    program: Program,
    stage: str = "",
    sector: str = "",
    search: str = "",
    min_score: float | None = None,
    include_drafts: bool = False,
) -> Select[Any]:
    """Rows of (Application, rank) of the program, filtered."""
    statement = (
        select(Application, rank_column())
        .join(Startup, Application.startup_id == Startup.id)
        .where(Application.program_id == program.id)
        .options(*LIST_LOADING)
    )
    parsed_stage = parse_enum(Stage, stage)
    if parsed_stage is not None and parsed_stage is not Stage.DRAFT:
        statement = applications_in_stage(statement, parsed_stage)
    elif not include_drafts:
        statement = statement.where(Application.stage != Stage.DRAFT)
    if parsed_sector := parse_enum(Sector, sector):
        statement = applications_in_sector(statement, parsed_sector)
    if search:
        statement = applications_of_startup_named(statement, search)
    if min_score is not None:
        statement = applications_scored_at_least(statement, min_score)
    return statement


# Filters of the statements above (the lists in incubator/applications/lists.py apply them too).


def applications_in_stage(statement: Select[Any], stage: Stage) -> Select[Any]:
    return statement.where(Application.stage == stage)


def applications_in_sector(statement: Select[Any], sector: Sector) -> Select[Any]:
    """For a statement joined to Startup."""
    return statement.where(Startup.sector == sector)


def applications_of_startup_named(statement: Select[Any], search: str) -> Select[Any]:
    """For a statement joined to Startup: the startup's name contains `search`."""
    return statement.where(contains_text(Startup.name, search))


def applications_with_answer(statement: Select[Any], value: str) -> Select[Any]:
    """The ranking's answer filter: "c<choice id>" a choice made, "y<question id>" or
    "n<question id>" a yes or a no (index scans on answer_choices and answers)."""
    mark, ident = value[:1], int(value[1:])
    if mark == "c":
        return statement.where(
            exists().where(
                AnswerChoice.application_id == Application.id, AnswerChoice.choice_id == ident
            )
        )
    return statement.where(
        exists().where(
            Answer.application_id == Application.id,
            Answer.question_id == ident,
            Answer.value_bool.is_(mark == "y"),
        )
    )


def applications_answered_at_least(
    statement: Select[Any], question_id: int, least: float | date
) -> Select[Any]:
    """The ranking's filter by a number, money or date answer of at least `least`."""
    column = Answer.value_date if isinstance(least, date) else Answer.value_number
    return statement.where(
        exists().where(
            Answer.application_id == Application.id,
            Answer.question_id == question_id,
            column >= least,
        )
    )


def with_answers(statement: Select[Any]) -> Select[Any]:
    """Load the answers of the rows fetched: one query for a page (or the CSV), not one per row."""
    return statement.options(selectinload(Application.answers))


def applications_scored_at_least(statement: Select[Any], min_score: float) -> Select[Any]:
    return statement.where(Application.score_mean >= min_score)


def rank_of(application: Application) -> int | None:
    return db.session.scalar(select(rank_column()).where(Application.id == application.id))


def stage_counts(program: Program) -> dict[Stage, int]:
    """The program's applications per stage (the stored counts: no count of the program)."""
    rows = db.session.execute(
        select(StageCount.stage, StageCount.count).where(StageCount.program_id == program.id)
    )
    counts = dict.fromkeys(Stage, 0)
    counts.update(dict(rows.all()))
    return counts


def recount_stages(program_id: int) -> None:
    """Count the program's applications per stage from scratch into the stored counts: for
    applications inserted in bulk, past the ORM (bench/page_queries.py's seed)."""
    db.session.execute(delete(StageCount).where(StageCount.program_id == program_id))
    db.session.execute(
        insert(StageCount).from_select(
            ["program_id", "stage", "count"],
            select(Application.program_id, Application.stage, func.count())
            .where(Application.program_id == program_id)
            .group_by(Application.program_id, Application.stage),
        )
    )


BOARD_STAGES = [stage for stage in Stage if stage is not Stage.DRAFT]
# the best cards of each column; the column's "show all" link opens its paginated list (a
# column of 50 cards with their move buttons made the board cost ~150 ms of rendering)
BOARD_COLUMN_LIMIT = 12


def board(
    program: Program, sector: str = "", min_score: float | None = None
) -> dict[Stage, dict[str, Any]]:
    """Columns by stage: the count and up to BOARD_COLUMN_LIMIT cards (applications), best
    score first.

    One count query, and one query for the cards: the union of one index range scan with
    LIMIT per column.
    """
    statement = program_applications_query(program, sector=sector, min_score=min_score)
    if parse_enum(Sector, sector) or min_score is not None:  # filtered: count what it shows
        counted = statement.with_only_columns(Application.stage, func.count()).group_by(
            Application.stage
        )
        counts = dict(db.session.execute(counted).all())
    else:
        counts = stage_counts(program)
    best_first = (Application.score_mean.desc().nulls_last(), Application.id)
    per_column = [
        statement.with_only_columns(Application.id)
        .where(Application.stage == stage)
        .order_by(*best_first)
        .limit(BOARD_COLUMN_LIMIT)
        .subquery()
        for stage in BOARD_STAGES
        if counts.get(stage)
    ]
    columns: dict[Stage, dict[str, Any]] = {
        stage: {"count": counts.get(stage, 0), "cards": []} for stage in BOARD_STAGES
    }
    if per_column:
        shown = union_all(*(select(column.c.id) for column in per_column))
        # the cards show no rank: counting the applications above each card would read a
        # good part of the program's index per card
        cards = statement.with_only_columns(Application).options(*LIST_LOADING)
        cards = cards.where(Application.id.in_(shown))
        for application in db.session.scalars(cards.order_by(*best_first)):
            columns[application.stage]["cards"].append(application)
    return columns
