from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional

from incubator.forms import (
    REQUIRED,
    REQUIRED_TEXT,
    DateField,
    DateTimeField,
    SubForm,
    options,
    switch_form,
)
from incubator.once import OnceForm
from incubator.programs.models import ProgramKind
from incubator.programs.services import CriterionData, ProgramData

BLANK_CRITERIA_ROWS = 3


def _criterion_id(field: HiddenField) -> int | None:
    """The hidden id sent with an existing criterion's row; anything else (none sent: the
    form's own data is then the object's id, an int) makes a new one."""
    text = field.raw_data[0] if field.raw_data else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def _criterion_name(label: Any) -> StringField:
    return StringField(label, validators=[Optional(), Length(max=200)])


def _criterion_description(label: Any) -> StringField:
    return StringField(label, validators=[Optional(), Length(max=1000)])


class CriterionForm(SubForm):
    id = HiddenField()
    name_vi = _criterion_name(_l("Criterion (Vietnamese)"))
    name_en = _criterion_name(_l("Criterion (English)"))
    description_vi = _criterion_description(_l("What reviewers look at (Vietnamese)"))
    description_en = _criterion_description(_l("What reviewers look at (English)"))
    weight = IntegerField(_l("Weight"), validators=[Optional(), NumberRange(min=1, max=100)])
    max_score = IntegerField(_l("Max score"), validators=[Optional(), NumberRange(min=1, max=100)])

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if not self.name_vi.data and (self.name_en.data or self.description_en.data):
            self.name_vi.errors = [*self.name_vi.errors, _l("This field is required.")]
            ok = False
        if self.name_vi.data:
            for part in (self.weight, self.max_score):
                if part.data is None and not part.errors:
                    part.errors = [*part.errors, _l("This field is required.")]
                    ok = False
        return ok


class ProgramForm(OnceForm):
    """Creates a program (once per form) or edits one (the token is then unused)."""

    center_id = SelectField(_l("Center"), coerce=int, validators=[REQUIRED])
    name_vi = StringField(_l("Name (Vietnamese)"), validators=[REQUIRED_TEXT, Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[REQUIRED_TEXT, Length(max=200)])
    kind = SelectField(_l("Kind"), choices=options(ProgramKind.choices()))
    description_vi = TextAreaField(
        _l("Description (Vietnamese)"), validators=[Optional(), Length(max=10000)]
    )
    description_en = TextAreaField(
        _l("Description (English)"), validators=[Optional(), Length(max=10000)]
    )
    opens_at = DateTimeField(_l("Applications open (dd/mm/yyyy hh:mm)"), validators=[REQUIRED])
    closes_at = DateTimeField(_l("Applications close (dd/mm/yyyy hh:mm)"), validators=[REQUIRED])
    starts_on = DateField(_l("Program starts (dd/mm/yyyy)"), validators=[Optional()])
    ends_on = DateField(_l("Program ends (dd/mm/yyyy)"), validators=[Optional()])
    capacity = IntegerField(
        _l("Capacity (startups)"), validators=[REQUIRED, NumberRange(min=1, max=10000)]
    )
    criteria = FieldList(FormField(CriterionForm), min_entries=1)

    def with_blank_rows(self) -> ProgramForm:
        """Room to add criteria without JavaScript: a few empty rows after the existing ones."""
        blanks = sum(1 for entry in self.criteria if not entry.form.name_vi.data)
        for _i in range(max(0, BLANK_CRITERIA_ROWS - blanks)):
            self.criteria.append_entry()
        return self

    def row_template(self) -> CriterionForm:
        """A blank criterion named `criteria-__index__-…`, which rubric.js copies to add a row
        in place (replacing __index__ by a number no row uses)."""
        return CriterionForm(formdata=None, prefix=f"{self.criteria.name}-__index__-")

    def to_data(self) -> ProgramData:
        return ProgramData(
            center_id=self.center_id.data,
            name_vi=self.name_vi.data,
            name_en=self.name_en.data,
            kind=ProgramKind(self.kind.data),
            description_vi=self.description_vi.data or "",
            description_en=self.description_en.data or "",
            opens_at=self.opens_at.data,
            closes_at=self.closes_at.data,
            starts_on=self.starts_on.data,
            ends_on=self.ends_on.data,
            capacity=self.capacity.data,
            criteria=[
                CriterionData(
                    id=_criterion_id(entry.form.id),
                    name_vi=entry.form.name_vi.data,
                    name_en=entry.form.name_en.data or "",
                    description_vi=entry.form.description_vi.data or "",
                    description_en=entry.form.description_en.data or "",
                    weight=entry.form.weight.data,
                    max_score=entry.form.max_score.data,
                )
                for entry in self.criteria
                if entry.form.name_vi.data
            ],
        )


PublishForm = switch_form("published")
ReviewClosedForm = switch_form("closed")
