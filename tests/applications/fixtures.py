"""Application factory: make_application, walked to its stage through the real service."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from incubator import files
from incubator.accounts.models import User
from incubator.applications import drafts, moves
from incubator.applications.answers import stored_value
from incubator.applications.decks import DECKS
from incubator.applications.models import Application, StageTransition
from incubator.applications.stages import Capacity, Stage, check, route
from incubator.db import db
from incubator.files import Upload, minimal_pdf
from incubator.questions.services import form_of
from incubator.storage import storage
from tests.conftest import app_session

ANSWERS = {
    "problem": "Nông dân thiếu nước tưới mùa khô.",
    "solution": "Cảm biến độ ẩm và ứng dụng tưới thông minh.",
    "market": "Hơn 20.000 hộ trồng sầu riêng ở Bình Dương.",
    "traction": "5 hộ dùng thử, 2 hộ trả phí.",
    "team": "3 kỹ sư, 1 chuyên gia nông nghiệp.",
}
FUNDING = 500_000_000


def fill_answers(application: Application, answers: dict[str, Any] | None = None) -> None:
    """Answer the call's questions by key (default: the default form's six answers)."""
    answers = {**ANSWERS, "funding_need_vnd": FUNDING} if answers is None else answers
    for question in form_of(application.program).questions:
        if question.key in answers:
            drafts.store_answer(application, question, None, answers[question.key])


def write_deck(app: Flask) -> str:
    """A stored pitch deck's file name."""
    name = f"{uuid.uuid4().hex}.pdf"
    with app.app_context():
        storage().save(files.key(DECKS, name), files.minimal_pdf("Deck"))
    return name


def answer(app: Flask, application_id: int, key: str) -> Any:
    """The typed answer stored for the question `key` of an application (None if unanswered)."""
    with app_session(app) as session:
        application = session.get(Application, application_id)
        session.refresh(application)
        question = form_of(application.program).by_key[key]
        row = next((a for a in application.answers if a.question_id == question.id), None)
        return stored_value(question, row)


@pytest.fixture
def make_application(
    app: Flask,
    make_startup: Callable[..., Any],
    make_program: Callable[..., Any],
    manager_of: Callable[[str], User],
) -> Callable[..., Any]:
    """make_application(stage="draft", program=None, startup=None, complete=True).

    Complete applications have every answer and a pitch deck; the stage is reached
    through the real service along `stages.route`, one move at a time, each made by
    the founder or the center's manager as the table says.
    """

    def make(
        stage: str | Stage = Stage.DRAFT,
        program: Any = None,
        startup: Any = None,
        complete: bool = True,
    ) -> Application:
        program = program or make_program()
        startup = startup or make_startup()
        stage = Stage(stage)
        with app_session(app) as session:
            program = session.merge(program)
            startup = session.merge(startup)
            founder = session.get(User, startup.members[0].user_id)
            manager = session.merge(manager_of(program.center.code))
            application = Application(startup=startup, program=program, created_by_id=founder.id)
            if complete:
                application.deck_file = write_deck(app)
                application.deck_filename = "deck.pdf"
                application.deck_size = 1000
            session.add(application)
            session.add(
                StageTransition(application=application, from_stage=None, to_stage=Stage.DRAFT)
            )
            session.flush()
            if complete:
                fill_answers(application)
            session.commit()
            for target in route(stage):
                move = check(application.stage, target, Capacity)
                actor = founder if move.capacity is Capacity.FOUNDER else manager
                moves.move(actor, application, target, reason="lý do")
                session.commit()
        return application

    return make


def founder_of(application: Application) -> User:
    return db.session.get(User, application.startup.members[0].user_id)


def deck_files(app: Any) -> set[str]:
    return {key.removeprefix("pitch_decks/") for key in storage(app).keys("pitch_decks/")}


def pdf(size_padding: int = 0) -> Upload:
    data = minimal_pdf("Deck")
    if size_padding:
        data = data.replace(b"%%EOF", b"%" + b"x" * size_padding + b"\n%%EOF")
    return Upload(io.BytesIO(data), "Hồ sơ gọi vốn.pdf")
