from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional

from incubator.forms import REQUIRED, REQUIRED_TEXT, Form, SubForm, optional_int, options
from incubator.questions.library import LIBRARY
from incubator.questions.models import YES_NO_LABELS, Kind
from incubator.questions.services import CallForm, ChoiceData, QuestionData, SectionData

BLANK_CHOICE_ROWS = 3


def _label(label: Any, length: int = 300) -> StringField:
    return StringField(label, validators=[Optional(), Length(max=length)])


def _help(label: Any) -> TextAreaField:
    return TextAreaField(label, validators=[Optional(), Length(max=2000)])


class ChoiceForm(SubForm):
    value = HiddenField()
    label_vi = _label(_l("Choice (Vietnamese)"), 200)
    label_en = _label(_l("Choice (English)"), 200)


class QuestionForm(Form):
    section_id = SelectField(_l("Section"), coerce=int, validators=[REQUIRED])
    kind = SelectField(_l("Kind of answer"), choices=options(Kind.choices()))
    label_vi = StringField(_l("Question (Vietnamese)"), validators=[REQUIRED_TEXT, Length(max=300)])
    label_en = _label(_l("Question (English)"))
    help_vi = _help(_l("Help (Vietnamese)"))
    help_en = _help(_l("Help (English)"))
    required = BooleanField(_l("An answer is required"))
    max_length = IntegerField(
        _l("Character limit (text answers)"), validators=[Optional(), NumberRange(min=1)]
    )
    hidden = BooleanField(_l("Hidden from new applicants"))
    choices = FieldList(FormField(ChoiceForm), min_entries=1)
    condition = SelectField(_l("Show only when"), validate_choice=False)

    def prepare(self, form: CallForm, before: Any = None) -> QuestionForm:
        self.section_id.choices = options((s.id, s.title) for s in form.sections)
        pairs = [("", str(_l("Always")))]
        for question in form.condition_candidates(before):
            values = (
                [(v, str(label)) for v, label in YES_NO_LABELS.items()]
                if question.kind is Kind.YES_NO
                else [(c.value, c.label) for c in question.choices]
            )
            pairs += [(f"{question.id}:{v}", f"{question.label} = {label}") for v, label in values]
        self.condition.choices = options(pairs)
        return self

    def with_blank_rows(self) -> QuestionForm:
        blanks = sum(1 for entry in self.choices if not entry.form.label_vi.data)
        for _i in range(max(0, BLANK_CHOICE_ROWS - blanks)):
            self.choices.append_entry()
        return self

    def to_data(self) -> QuestionData:
        condition_id, _sep, value = (self.condition.data or "").partition(":")
        try:
            condition_question_id = optional_int(condition_id)
        except ValueError:
            condition_question_id = -1  # refused by the service as not a valid choice
        return QuestionData(
            section_id=self.section_id.data,
            kind=Kind(self.kind.data),
            label_vi=self.label_vi.data or "",
            label_en=self.label_en.data or "",
            help_vi=self.help_vi.data or "",
            help_en=self.help_en.data or "",
            required=bool(self.required.data),
            max_length=self.max_length.data,
            hidden=bool(self.hidden.data),
            choices=[
                ChoiceData(
                    label_vi=entry.form.label_vi.data or "",
                    label_en=entry.form.label_en.data or "",
                    value=entry.form.value.data or "",
                )
                for entry in self.choices
            ],
            condition_question_id=condition_question_id,
            condition_value=value,
        )


class SectionForm(Form):
    title_vi = StringField(
        _l("Section title (Vietnamese)"), validators=[REQUIRED_TEXT, Length(max=200)]
    )
    title_en = _label(_l("Section title (English)"), 200)
    help_vi = _help(_l("Introduction (Vietnamese)"))
    help_en = _help(_l("Introduction (English)"))

    def to_data(self) -> SectionData:
        return SectionData(
            title_vi=self.title_vi.data or "",
            title_en=self.title_en.data or "",
            help_vi=self.help_vi.data or "",
            help_en=self.help_en.data or "",
        )


class MoveForm(Form):
    step = SelectField(choices=options([("-1", "-1"), ("1", "1")]), validators=[REQUIRED])


class DeleteForm(Form):
    pass


class CopyForm(Form):
    source_id = SelectField(_l("Copy the form of"), coerce=int, validators=[REQUIRED])


class LibraryForm(Form):
    section = SelectField(_l("Ready section"), validators=[REQUIRED])

    def prepare(self, language: str) -> LibraryForm:
        self.section.choices = options(
            (t.key, t.title_vi if language == "vi" else t.title_en) for t in LIBRARY
        )
        return self
