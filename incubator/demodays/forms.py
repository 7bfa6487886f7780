from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from incubator.accounts.forms import email_field
from incubator.demodays.models import MAX_SCORE
from incubator.demodays.planning import DemoDayData
from incubator.forms import REQUIRED, DateTimeField, Form, optional_int
from incubator.once import OnceForm


class DemoDayForm(OnceForm):
    program_id = SelectField(_l("Program"), coerce=optional_int, validators=[REQUIRED])
    name_vi = StringField(_l("Name (Vietnamese)"), validators=[REQUIRED, Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=200)])
    starts_at = DateTimeField(_l("Starts at"), validators=[REQUIRED])
    venue = StringField(_l("Venue"), validators=[REQUIRED, Length(max=300)])
    pitch_minutes = IntegerField(
        _l("Pitch length (minutes)"), default=7, validators=[REQUIRED, NumberRange(1, 60)]
    )
    qa_minutes = IntegerField(
        _l("Q&A length (minutes)"), default=3, validators=[REQUIRED, NumberRange(0, 60)]
    )

    def __init__(self, *args: Any, programs: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.program_id.choices = [(p.id, p.name) for p in programs]

    def data_out(self) -> DemoDayData:
        return DemoDayData(
            program_id=self.program_id.data,
            name_vi=self.name_vi.data,
            name_en=self.name_en.data or "",
            starts_at=self.starts_at.data,
            venue=self.venue.data,
            pitch_minutes=self.pitch_minutes.data,
            qa_minutes=self.qa_minutes.data,
        )


class CriterionForm(OnceForm):
    name_vi = StringField(_l("Criterion (Vietnamese)"), validators=[REQUIRED, Length(max=200)])
    name_en = StringField(_l("Criterion (English)"), validators=[Optional(), Length(max=200)])
    weight = IntegerField(_l("Weight"), default=1, validators=[REQUIRED, NumberRange(1, 100)])
    max_score = IntegerField(
        _l("Highest score"), default=MAX_SCORE, validators=[REQUIRED, NumberRange(1, MAX_SCORE)]
    )


class BreakForm(OnceForm):
    minutes = IntegerField(
        _l("Break (minutes)"), default=15, validators=[REQUIRED, NumberRange(1, 240)]
    )
    label = StringField(_l("Label"), validators=[Optional(), Length(max=120)])


class MoveForm(Form):
    position = IntegerField(validators=[REQUIRED])
    direction = HiddenField(validators=[REQUIRED])


class OrderForm(Form):
    order = HiddenField(validators=[REQUIRED, Length(max=4000)])

    def slot_ids(self) -> list[int] | None:
        parts = (self.order.data or "").split(",")
        if not all(part.strip().isdigit() for part in parts):
            return None
        return [int(part) for part in parts]


class JudgeForm(Form):
    email = email_field()
    name = StringField(_l("Name (for a new judge)"), validators=[Optional(), Length(max=120)])


class StatusForm(Form):
    change = HiddenField(validators=[REQUIRED])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=1000)])


class CurrentForm(Form):
    slot_id = IntegerField(validators=[Optional()])


class DecisionForm(Form):
    decision = HiddenField(validators=[REQUIRED])


class RevokeForm(Form):
    reason = TextAreaField(_l("Reason"), validators=[REQUIRED, Length(max=1000)])
