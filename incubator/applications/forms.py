from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    Field,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from incubator.errors import DomainError
from incubator.forms import Form, options
from incubator.i18n import format_date, format_vnd
from incubator.questions import kinds
from incubator.questions.models import YES_NO_LABELS, Kind, Question


class _Checked:
    """A form field's check: the question kind's validator (the one the services use)."""

    def __init__(self, question: Question) -> None:
        self.question = question

    def __call__(self, _form: Any, field: Field) -> None:
        try:
            kinds.parse(self.question, raw_of(self.question, field))
        except DomainError as error:
            raise ValidationError(error.message) from None


class _Marked:
    """Marks a required question's label with * (the requirement is checked at submission:
    drafts may be incomplete)."""

    field_flags: ClassVar[dict[str, bool]] = {"required": True}

    def __call__(self, _form: Any, _field: Field) -> None:
        return None


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def raw_of(question: Question, field: Field) -> str | list[str]:
    if question.kind is Kind.MULTIPLE_CHOICE:
        return list(field.raw_data or [])
    return field.raw_data[0] if field.raw_data else ""


def _field(question: Question) -> Any:
    field = _unmarked(question)
    if question.required:
        field.kwargs["validators"] = [*field.kwargs["validators"], _Marked()]
    return field


def _unmarked(question: Question) -> Any:
    checks = [Optional(strip_whitespace=False), _Checked(question)]
    label = question.label_marked
    kind = question.kind
    if kind.has_limit:
        field_class = TextAreaField if kind is Kind.LONG_TEXT else StringField
        return field_class(label, validators=[_Checked(question), Length(max=question.limit)])
    if kind is Kind.SINGLE_CHOICE:
        pairs = [(c.value, c.label) for c in question.choices]
        return RadioField(label, choices=options(pairs), validate_choice=False, validators=checks)
    if kind is Kind.MULTIPLE_CHOICE:
        pairs = [(c.value, c.label) for c in question.choices]
        return _Checkboxes(label, choices=options(pairs), validate_choice=False, validators=checks)
    if kind is Kind.YES_NO:
        pairs = [(value, str(text)) for value, text in YES_NO_LABELS.items()]
        return RadioField(label, choices=options(pairs), validate_choice=False, validators=checks)
    return StringField(label, validators=[_Checked(question)])


class AnswersForm(Form):
    """The answers to a call's questions; its fields are made per form by `answers_form`."""

    questions: Sequence[Question] = ()

    def raw(self) -> dict[str, str | list[str]]:
        """What was sent, by question key, for the services (which check it again)."""
        return {q.key: raw_of(q, self[q.key]) for q in self.questions if q.key in self}


def answers_form(questions: Sequence[Question]) -> type[AnswersForm]:
    """A form class with one field per question (files have their own upload forms), named by
    the question's key, so that errors and character counters find their input."""
    asked = [q for q in questions if q.kind is not Kind.FILE]
    fields: dict[str, Any] = {q.key: _field(q) for q in asked}
    return type("CallAnswersForm", (AnswersForm,), {"questions": asked, **fields})


def initial_text(question: Question, value: Any) -> Any:
    """A stored answer as its field shows it."""
    if value is None:
        return None
    if isinstance(value, list):
        values = [choice.value for choice in value]
        return values if question.kind is Kind.MULTIPLE_CHOICE else values[0]
    if isinstance(value, bool):
        return "yes" if value else "no"
    if question.kind is Kind.MONEY:
        return format_vnd(value).removesuffix(" ₫")
    if question.kind is Kind.NUMBER:
        return kinds.number_text(value)
    if question.kind is Kind.DATE:
        return format_date(value)
    return value


def initial_data(questions: Sequence[Question], values: Mapping[int, Any]) -> dict[str, Any]:
    return {q.key: initial_text(q, values.get(q.id)) for q in questions}


class DeckForm(Form):
    """The pitch deck has a form of its own: the answers never wait on, or fail with, a file."""

    deck = FileField(
        _l("Pitch deck (PDF, at most 20 MB)"),
        validators=[FileRequired(message=_l("Choose a PDF file."))],
    )


class AnswerFileForm(Form):
    """A file question's upload, on its own like the deck."""

    file = FileField(validators=[FileRequired(message=_l("Choose a PDF file."))])


class StartForm(Form):
    startup_id = SelectField(_l("Which startup applies"), coerce=int)


class MoveForm(Form):
    to = HiddenField(validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    next = HiddenField()
