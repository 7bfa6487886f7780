from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from incubator.applications.models import ANSWER_LABELS
from incubator.applications.services import Answers
from incubator.forms import Form, MoneyField

ANSWER_HINTS = {
    "problem": _l("Which problem do you solve, and for whom?"),
    "solution": _l("Your product or service, and what makes it better than what exists."),
    "market": _l("Who pays, how many of them, and how you reach them."),
    "traction": _l("Customers, revenue, pilots or partnerships so far."),
    "team": _l("Who does what, and why this team can make it happen."),
    "funding_need_vnd": _l("How much funding you look for in the next 12 months, in VND."),
}


def _answer(name: str) -> TextAreaField:
    return TextAreaField(ANSWER_LABELS[name], validators=[Optional(), Length(max=5000)])


class ApplicationForm(Form):
    problem = _answer("problem")
    solution = _answer("solution")
    market = _answer("market")
    traction = _answer("traction")
    team = _answer("team")
    funding_need_vnd = MoneyField(ANSWER_LABELS["funding_need_vnd"], validators=[Optional()])

    def to_answers(self) -> Answers:
        return Answers(
            problem=self.problem.data or "",
            solution=self.solution.data or "",
            market=self.market.data or "",
            traction=self.traction.data or "",
            team=self.team.data or "",
            funding_need_vnd=self.funding_need_vnd.data,
        )


class DeckForm(Form):
    """The pitch deck has a form of its own: the answers never wait on, or fail with, a file."""

    deck = FileField(
        _l("Pitch deck (PDF, at most 20 MB)"),
        validators=[FileRequired(message=_l("Choose a PDF file."))],
    )


class StartForm(Form):
    startup_id = SelectField(_l("Which startup applies"), coerce=int)


class MoveForm(Form):
    to = HiddenField(validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    next = HiddenField()
