"""Question factory: add_question(program, kind, label, ...) through the editor's service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from incubator.accounts.models import User
from incubator.programs.models import Program
from incubator.questions import services
from incubator.questions.models import Kind, Question
from incubator.questions.services import ChoiceData, QuestionData
from tests.conftest import app_session


@pytest.fixture
def add_question(app: Flask, manager_of: Callable[[str], User]) -> Callable[..., Question]:
    """add_question(program, kind, label_vi, section=-1 (the last), required=False,
    choices=("A", "B"), when=(question, value)) -> the question, added by the center's manager."""

    def add(
        program: Any,
        kind: Kind,
        label_vi: str,
        section: int = -1,
        required: bool = False,
        choices: tuple[str, ...] = (),
        when: tuple[Question, str] | None = None,
        label_en: str = "",
    ) -> Question:
        with app_session(app) as session:
            program = session.get(Program, program.id)
            manager = session.merge(manager_of(program.center.code))
            form = services.form_of(program)
            data = QuestionData(
                section_id=form.sections[section].id,
                kind=kind,
                label_vi=label_vi,
                label_en=label_en,
                required=required,
                choices=[ChoiceData(label_vi=c, label_en=c) for c in choices],
                condition_question_id=when[0].id if when else None,
                condition_value=when[1] if when else "",
            )
            question = services.add_question(manager, program, data)
            session.commit()
            return question

    return add
