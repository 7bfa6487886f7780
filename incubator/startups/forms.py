from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField, TextAreaField, URLField
from wtforms.validators import URL, Length, NumberRange, Optional

from incubator.accounts.forms import email_field
from incubator.forms import REQUIRED, REQUIRED_TEXT, DateField, Form, options
from incubator.once import OnceForm
from incubator.startups.models import Sector
from incubator.startups.services import StartupData

TRL_LABELS = {
    1: _l("1 – Basic principles observed"),
    2: _l("2 – Technology concept formulated"),
    3: _l("3 – Proof of concept"),
    4: _l("4 – Validated in the lab"),
    5: _l("5 – Validated in a relevant environment"),
    6: _l("6 – Demonstrated in a relevant environment"),
    7: _l("7 – Prototype in operation"),
    8: _l("8 – System complete and qualified"),
    9: _l("9 – Proven in operation"),
}


class StartupForm(Form):
    name = StringField(_l("Startup name"), validators=[REQUIRED_TEXT, Length(max=200)])
    sector = SelectField(_l("Sector"), choices=options(Sector.choices()))
    description = TextAreaField(
        _l("What the startup does"), validators=[REQUIRED_TEXT, Length(max=5000)]
    )
    founded_on = DateField(_l("Founded (dd/mm/yyyy)"), validators=[Optional()])
    website = URLField(
        _l("Website"),
        validators=[Optional(), URL(message=_l("Invalid URL.")), Length(max=300)],
    )
    trl = SelectField(
        _l("Product stage (TRL)"), coerce=int, choices=options(TRL_LABELS.items()), default=3
    )
    team_size = IntegerField(
        _l("Team size"), validators=[REQUIRED, NumberRange(min=1, max=10000)], default=1
    )

    def to_data(self) -> StartupData:
        return StartupData(
            name=self.name.data,
            sector=Sector(self.sector.data),
            description=self.description.data,
            founded_on=self.founded_on.data,
            website=self.website.data or "",
            trl=self.trl.data,
            team_size=self.team_size.data,
        )


class NewStartupForm(OnceForm, StartupForm):
    title = StringField(_l("Your role in the team"), validators=[Optional(), Length(max=120)])


class MemberForm(Form):
    name = StringField(_l("Full name"), validators=[REQUIRED_TEXT, Length(max=120)])
    email = email_field()
    title = StringField(_l("Role in the team"), validators=[Optional(), Length(max=120)])
