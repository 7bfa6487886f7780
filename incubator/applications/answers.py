"""Applications: the stored answers read back (typed values, what is missing before
submitting, the answers as shown under the call's sections)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _

from incubator.applications.models import (
    Answer,
    Application,
)
from incubator.i18n import format_date, format_vnd
from incubator.questions import kinds
from incubator.questions.models import YES_NO_LABELS, FormSection, Kind, Question
from incubator.questions.services import CallForm, form_of


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


def drop_unshown(application: Application) -> None:
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
