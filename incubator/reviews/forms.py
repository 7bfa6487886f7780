from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from incubator.forms import REQUIRED, Form, optional_int, options
from incubator.i18n import localized_marked
from incubator.programs.models import Program
from incubator.reviews.services import ScoreInput


class AssignForm(Form):
    reviewer_id = SelectField(_l("Reviewer"), coerce=optional_int, validators=[REQUIRED])


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class BulkAssignForm(Form):
    application_ids = CheckboxList(_l("Applications"), coerce=int, validators=[Optional()])
    reviewer_ids = CheckboxList(_l("Reviewers"), coerce=int, validators=[Optional()])
    per_application = IntegerField(
        _l("Reviewers per application"),
        default=2,
        validators=[REQUIRED, NumberRange(min=1, max=20)],
    )


class ConflictForm(Form):
    conflict = RadioField(
        _l("Conflict of interest"),
        choices=options(
            [
                ("none", _l("I have no conflict of interest with this startup or its team.")),
                ("declared", _l("I have a conflict of interest (I will not review it).")),
            ]
        ),
        validators=[REQUIRED],
    )
    note = TextAreaField(_l("Describe the conflict"), validators=[Optional(), Length(max=2000)])


def score_form(program: Program, review: Any) -> Form:
    """A form with a score and a comment per criterion of the program's rubric."""

    class ScoreForm(Form):
        pass

    for criterion in program.criteria:
        existing = review.score_for(criterion.id)
        setattr(
            ScoreForm,
            f"score_{criterion.id}",
            IntegerField(
                localized_marked(criterion, "name"),
                default=existing.score if existing else None,
                validators=[REQUIRED, NumberRange(min=0, max=criterion.max_score)],
            ),
        )
        setattr(
            ScoreForm,
            f"comment_{criterion.id}",
            TextAreaField(
                _l("Comment"),
                default=existing.comment if existing else "",
                validators=[Optional(), Length(max=3000)],
            ),
        )
    return ScoreForm()


def scores_from(form: Form, program: Program) -> dict[int, ScoreInput]:
    return {
        c.id: ScoreInput(
            score=form[f"score_{c.id}"].data, comment=form[f"comment_{c.id}"].data or ""
        )
        for c in program.criteria
    }
