"""/api/v1/programs/{id}: a program with its rubric and its call's questions (here, since
the questions are this domain's)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from pydantic import BaseModel

from incubator.api.core import BEARER, answers, api_blueprint, spec
from incubator.db import run
from incubator.programs.api import CriterionOut, ProgramOut, criterion_json, program_json
from incubator.programs.services import visible_program
from incubator.questions.models import Kind, Question
from incubator.questions.services import form_of
from incubator.security import logged_in

bp = api_blueprint("questions_api", __name__)


class ChoiceOut(BaseModel):
    value: str
    label: str


class QuestionOut(BaseModel):
    key: str
    kind: Kind
    label: str
    help: str
    required: bool
    max_length: int | None
    choices: list[ChoiceOut]
    section: str
    shown_when: dict[str, str] | None


class ProgramDetailOut(ProgramOut):
    rubric: list[CriterionOut]
    questions: list[QuestionOut]


def question_json(question: Question, section: str) -> dict[str, Any]:
    condition = None
    if question.condition_question is not None:
        condition = {"question": question.condition_question.key, "value": question.condition_value}
    return {
        "key": question.key,
        "kind": question.kind.value,
        "label": question.label,
        "help": question.help,
        "required": question.required,
        "max_length": question.limit,
        "choices": [{"value": c.value, "label": c.label} for c in question.choices],
        "section": section,
        "shown_when": condition,
    }


@bp.get("/programs/<int:program_id>")
@logged_in
@spec.validate(resp=answers(200, ProgramDetailOut), tags=["programs"], security=BEARER)
def program_detail(program_id: int) -> Any:
    """A program with its rubric and the questions of its call (their keys are the keys of an
    application's answers)."""
    program = run(visible_program, current_user, program_id)
    form = run(form_of, program)
    questions = [
        question_json(q, section.title)
        for section in form.sections
        for q in section.questions
        if not q.hidden
    ]
    return program_json(program) | {
        "rubric": [criterion_json(c) for c in program.criteria],
        "questions": questions,
    }
