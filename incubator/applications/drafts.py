"""Applications: a founder's draft, started, saved as typed and submitted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    select,
)

from incubator import audit
from incubator.accounts.models import User
from incubator.applications.access import (
    capacities_of,
)
from incubator.applications.models import (
    Answer,
    AnswerChoice,
    Application,
    StageTransition,
)
from incubator.applications.moves import move
from incubator.applications.stages import (
    Capacity,
    Stage,
)
from incubator.db import add_unique, db, utcnow
from incubator.errors import DomainError, NotFound
from incubator.programs.models import Program
from incubator.questions import kinds
from incubator.questions.models import Kind, Question
from incubator.questions.services import form_of
from incubator.startups.models import Startup
from incubator.startups.services import locked

# What a form sends for each question, by the question's key: the text typed or the value
# chosen, a list of values for a multiple choice. Questions left out count as blank.
RawAnswers = Mapping[str, str | list[str]]


def start_with_answers(
    actor: User, startup: Startup, program: Program, raw: RawAnswers
) -> Application:
    """A new draft with its first answers, in one transaction (the API's POST)."""
    application = start_application(actor, startup, program)
    db.session.flush()
    return save_draft(actor, application, raw)


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


def editable_by(actor: User, application: Application) -> None:
    if Capacity.FOUNDER not in capacities_of(actor, application):
        raise NotFound("application")
    if not application.editable:
        raise DomainError(
            _("A submitted application can no longer be changed."),
            code="not_a_draft",
            conflict=True,
        )


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
    editable_by(actor, application)
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
