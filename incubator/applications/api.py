"""/api/v1/applications: drafts, answers, the pitch deck, stage transitions and history.

Answers are keyed by the call's question keys, in the web form's format (dates dd/mm/yyyy,
money 1.000.000, yes/no, a list of values for a multiple choice), checked by the same
validators; stage moves go through the same stage machine and rights as the web.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from incubator import storage
from incubator.api import webhooks
from incubator.api.core import (
    BEARER,
    ApiError,
    PageOut,
    PageQuery,
    Schema,
    Text,
    answers,
    api_blueprint,
    body_json,
    file_answers,
    iso,
    paged,
    query_args,
    spec,
)
from incubator.api.models import WebhookEvent
from incubator.applications import access, decks, drafts, moves
from incubator.applications.answers import stored_values
from incubator.applications.forms import initial_data
from incubator.applications.lists import MINE
from incubator.applications.models import Application, StageTransition
from incubator.applications.stages import Stage
from incubator.db import db, run
from incubator.errors import DomainError
from incubator.files import Upload, pdf_name
from incubator.i18n import LOCAL_TZ
from incubator.programs.models import Program
from incubator.programs.services import visible_program
from incubator.questions.models import Kind, Question
from incubator.questions.services import form_of
from incubator.security import logged_in
from incubator.startups.models import Startup
from incubator.startups.services import member_startup

bp = api_blueprint("applications_api", __name__)
TAGS = ["applications"]
# An answer as JSON: text; money an integer of VND; a number; a date "YYYY-MM-DD"; yes/no a
# boolean; a choice its value, a multiple choice a list of values. (The web form's own
# texts are taken too: "500.000.000", "12,5", "dd/mm/yyyy", "yes".)
AnswerValue = bool | int | float | str | list[str]
Answers = dict[str, AnswerValue]


class ApplicationIn(Schema):
    startup_id: int = Field(ge=1, le=2**31 - 1)
    program_id: int = Field(ge=1, le=2**31 - 1)
    answers: Answers = Field(default_factory=dict, description="by the call's question keys")


class ApplicationPatch(Schema):
    answers: Answers


class TransitionIn(Schema):
    to: Stage
    reason: Text = Field("", max_length=2000)


class DeckOut(BaseModel):
    filename: str
    size: int
    uploaded_at: str


class ApplicationOut(BaseModel):
    id: int
    startup_id: int
    startup_name: str
    program_id: int
    program_name: str
    center: str
    stage: Stage
    stage_label: str
    created_at: str
    updated_at: str
    submitted_at: str | None
    answers: dict[str, AnswerValue | None]
    pitch_deck: DeckOut | None
    allowed_transitions: list[Stage]


class ApplicationPage(PageOut):
    items: list[ApplicationOut]


class ApplicationQuery(PageQuery):
    program: int | None = Field(None, ge=1, le=2**31 - 1)
    stage: Stage | None = None


class TransitionOut(BaseModel):
    id: int
    from_stage: Stage | None
    to_stage: Stage
    to_label: str
    reason: str
    at: str
    actor: str | None


class HistoryOut(BaseModel):
    items: list[TransitionOut]


def application_json(application: Application, with_answers: bool = True) -> dict[str, Any]:
    deck = None
    if application.deck_file and application.deck_uploaded_at and application.deck_size:
        deck = {
            "filename": application.deck_filename or "pitch-deck.pdf",
            "size": application.deck_size,
            "uploaded_at": iso(application.deck_uploaded_at),
        }
    shown: dict[str, Any] = {}
    if with_answers:
        form = form_of(application.program)
        asked = [q for q in form.asked() if q.kind.value != "file"]
        stored = stored_values(form, application)
        shown = {q.key: answer_json(q, stored.get(q.id)) for q in asked}
    return {
        "id": application.id,
        "startup_id": application.startup_id,
        "startup_name": application.startup.name,
        "program_id": application.program_id,
        "program_name": application.program.name,
        "center": application.program.center.code,
        "stage": application.stage.value,
        "stage_label": application.stage.label,
        "created_at": iso(application.created_at),
        "updated_at": iso(application.updated_at),
        "submitted_at": iso(application.submitted_at),
        "answers": shown,
        "pitch_deck": deck,
        "allowed_transitions": [
            m.target.value for m in moves.allowed_moves(current_user, application)
        ],
    }


def transition_json(transition: StageTransition) -> dict[str, Any]:
    return {
        "id": transition.id,
        "from_stage": transition.from_stage.value if transition.from_stage else None,
        "to_stage": transition.to_stage.value,
        "to_label": transition.to_stage.label,
        "reason": transition.reason,
        "at": iso(transition.at),
        "actor": transition.actor.name if transition.actor else None,
    }


@bp.get("/applications")
@logged_in
@spec.validate(
    query=ApplicationQuery, resp=answers(200, ApplicationPage), tags=TAGS, security=BEARER
)
def application_list() -> Any:
    """The founder's applications, and the submitted ones of the centers a manager runs."""
    query = query_args()
    statement = access.visible_applications_query(current_user)
    if query.program is not None:
        statement = access.applications_of_program(statement, query.program)
    filters = {"stage": query.stage.value if query.stage else None}
    return paged(
        MINE, statement, current_user, lambda a: application_json(a, with_answers=False), filters
    )


@bp.post("/applications")
@logged_in
@spec.validate(json=ApplicationIn, resp=answers(201, ApplicationOut), tags=TAGS, security=BEARER)
def application_create() -> Any:
    """Start a draft for one of the caller's startups, with its first answers."""
    data = body_json()
    application = run(_start, data.startup_id, data.program_id, data.answers)
    return application_json(run(access.acting_application, current_user, application.id)), 201


def _start(startup_id: int, program_id: int, raw: Answers) -> Application:
    startup = member_startup(current_user, startup_id)
    program = visible_program(current_user, program_id)
    typed = _as_form(program, raw)
    return drafts.start_with_answers(current_user, startup, program, typed)


def answer_json(question: Question, value: Any) -> Any:
    """A stored answer as the API gives it (see AnswerValue)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, date):
        return value.isoformat()
    values = [choice.value for choice in value]
    return values if question.kind is Kind.MULTIPLE_CHOICE else (values[0] if values else None)


def _as_form(program: Any, raw: Answers) -> dict[str, Any]:
    """The API's answers as the web form sends them, for the same validators; a key the
    form does not ask is refused, not silently dropped."""
    by_key = {q.key: q for q in form_of(program).asked() if q.kind is not Kind.FILE}
    typed: dict[str, Any] = {}
    for key, value in raw.items():
        question = by_key.get(key)
        if question is None:
            raise DomainError(
                _("The form has no such question."), field=key, code="unknown_question"
            )
        typed[key] = _form_text(question, value)
    return typed


def _form_text(question: Question, value: AnswerValue) -> str | list[str]:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value).replace(".", ",") if abs(value) < 1e15 else repr(value)
    if isinstance(value, str) and question.kind is Kind.DATE:
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value  # the validator says what is wrong
    return value


@bp.get("/applications/<int:application_id>")
@logged_in
@spec.validate(resp=answers(200, ApplicationOut), tags=TAGS, security=BEARER)
def application_detail(application_id: int) -> Any:
    """An application with its answers, its deck and the moves the caller may make."""
    return application_json(run(access.acting_application, current_user, application_id))


@bp.patch("/applications/<int:application_id>")
@logged_in
@spec.validate(json=ApplicationPatch, resp=answers(200, ApplicationOut), tags=TAGS, security=BEARER)
def application_update(application_id: int) -> Any:
    """Save answers of a draft (founders only; a submitted application answers 409)."""
    raw = body_json().answers
    application = run(_save, application_id, raw)
    return application_json(application)


def _save(application_id: int, raw: Answers) -> Application:
    application = access.founder_application(current_user, application_id)
    typed = _as_form(application.program, raw)
    form = form_of(application.program)
    asked = [q for q in form.asked() if q.kind is not Kind.FILE]
    answers_now = initial_data(asked, stored_values(form, application))
    merged = {k: v for k, v in answers_now.items() if v is not None} | typed
    return drafts.save_draft(current_user, application, merged)


@bp.put("/applications/<int:application_id>/pitch-deck")
@logged_in
@spec.validate(resp=answers(200, ApplicationOut, 415), tags=TAGS, security=BEARER)
def deck_upload(application_id: int) -> Any:
    """The pitch deck: the raw PDF as the body, with Content-Type: application/pdf
    (at most 20 MB: 413 over it; 422 when the content is not a PDF)."""
    if request.mimetype != "application/pdf":
        raise ApiError(415, "unsupported_media_type", "Content-Type: application/pdf")
    application = run(access.founder_application, current_user, application_id)
    name = request.headers.get("X-Filename", "pitch-deck.pdf")
    deck = Upload(request.stream, pdf_name(name, "pitch-deck"))
    run(decks.upload_deck, current_user, application, deck)
    return application_json(run(access.acting_application, current_user, application_id))


@bp.get("/applications/<int:application_id>/pitch-deck")
@logged_in
@spec.validate(resp=file_answers(200, "application/pdf"), tags=TAGS, security=BEARER)
def deck_download(application_id: int) -> Any:
    """The pitch deck as application/pdf."""
    application, key = run(decks.readable_deck, current_user, application_id)
    # streamed in chunks (or a redirect to a presigned address), past spectree's checks
    return storage.send(key, pdf_name(application.deck_filename, "pitch-deck"), "application/pdf")


@bp.post("/applications/<int:application_id>/transitions")
@logged_in
@spec.validate(json=TransitionIn, resp=answers(201, TransitionOut), tags=TAGS, security=BEARER)
def transition_create(application_id: int) -> Any:
    """Move the application: {"to": "submitted"} by its founders, the later stages by the
    center's managers (the same stage machine and rights as the web)."""
    data = body_json()
    transition = run(_move, application_id, data.to, data.reason)
    return transition_json(transition), 201


def _move(application_id: int, target: Stage, reason: str) -> StageTransition:
    application = access.acting_application(current_user, application_id)
    return moves.move(current_user, application, target, reason)


@bp.get("/applications/<int:application_id>/history")
@logged_in
@spec.validate(resp=answers(200, HistoryOut), tags=TAGS, security=BEARER)
def application_history(application_id: int) -> Any:
    """The stage transitions, oldest first."""
    application = run(access.acting_application, current_user, application_id)
    return {"items": [transition_json(t) for t in moves.history(application)]}


# ------------------------------------------------------------------- events


def stage_changed(application: Application, *, transition: StageTransition, **_: Any) -> None:
    """Webhooks of the program's center (in the transaction of the move)."""
    data = {
        "application_id": application.id,
        "startup_id": application.startup_id,
        "startup_name": application.startup.name,
        "program_id": application.program_id,
        "from_stage": transition.from_stage.value if transition.from_stage else None,
        "to_stage": transition.to_stage.value,
        "at": iso(transition.at or datetime.now().astimezone()),
    }
    center_id = application.program.center_id
    webhooks.emit(center_id, WebhookEvent.STAGE_CHANGED, data)
    if transition.to_stage is Stage.SUBMITTED:
        webhooks.emit(center_id, WebhookEvent.APPLICATION_SUBMITTED, data)


def open_data(center_id: int, *, first: date, last: date, **_: Any) -> dict[str, Any]:
    """Answers `signals.open_data_figures`: applications per program submitted in the month,
    startups per stage and sector now, graduates of the month (counts only)."""
    start = datetime.combine(first, time(0), LOCAL_TZ)
    end = datetime.combine(last + timedelta(days=1), time(0), LOCAL_TZ)
    session = db.session
    of_center = (Program.center_id == center_id, Application.stage != Stage.DRAFT)
    per_program = session.execute(
        select(Program.id, Program.name_vi, func.count(Application.id))
        .join(Application, Application.program_id == Program.id)
        .where(*of_center, Application.submitted_at >= start, Application.submitted_at < end)
        .group_by(Program.id, Program.name_vi)
    ).all()
    stages = session.execute(
        select(Application.stage, func.count(func.distinct(Application.startup_id)))
        .join(Program, Program.id == Application.program_id)
        .where(*of_center)
        .group_by(Application.stage)
    ).all()
    sectors = session.execute(
        select(Startup.sector, func.count(func.distinct(Startup.id)))
        .join(Application, Application.startup_id == Startup.id)
        .join(Program, Program.id == Application.program_id)
        .where(*of_center)
        .group_by(Startup.sector)
    ).all()
    graduates = session.scalar(
        select(func.count(StageTransition.id))
        .join(Application, Application.id == StageTransition.application_id)
        .join(Program, Program.id == Application.program_id)
        .where(
            Program.center_id == center_id,
            StageTransition.to_stage == Stage.GRADUATED,
            StageTransition.at >= start,
            StageTransition.at < end,
        )
    )
    return {
        "applications_per_program": {
            str(program_id): {"name": name, "applications": count}
            for program_id, name, count in per_program
        },
        "startups_per_stage": {stage.value: count for stage, count in stages},
        "startups_per_sector": {sector.value: count for sector, count in sectors},
        "graduates": graduates or 0,
    }
