from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional

from incubator.db import utcnow
from incubator.forms import (
    REQUIRED,
    REQUIRED_TEXT,
    DateField,
    DateTimeField,
    Form,
    MoneyField,
    SubForm,
    optional_int,
    options,
)
from incubator.i18n import to_local
from incubator.mentoring.models import ActionOwner, MilestoneStatus, SessionFormat
from incubator.mentoring.services import (
    ActionInput,
    CheckInData,
    MilestoneData,
    ProfileData,
    SessionData,
    month_of,
    previous_month,
)
from incubator.once import OnceForm
from incubator.reviews.forms import CheckboxList
from incubator.startups.models import Sector

DURATIONS = (15, 30, 45, 60, 90, 120, 180)
ACTION_ROWS = 3


def rounded_now(step_minutes: int = 15) -> datetime:
    """Now, rounded down to the quarter hour (the default time of a session just held)."""
    now = utcnow().replace(second=0, microsecond=0)
    return now - timedelta(minutes=now.minute % step_minutes)


def _duration_label(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{minutes}′"
    return f"{hours}h{rest:02d}" if rest else f"{hours}h"


class ProfileForm(Form):
    expertise = StringField(_l("Expertise"), validators=[Optional(), Length(max=300)])
    sectors = CheckboxList(_l("Sectors you know best"), validators=[Optional()])
    capacity = IntegerField(
        _l("How many startups you can mentor at once"),
        default=3,
        validators=[REQUIRED, NumberRange(min=0, max=50)],
    )
    center_ids = CheckboxList(_l("Centers you serve"), coerce=int, validators=[Optional()])
    bio = TextAreaField(_l("About you"), validators=[Optional(), Length(max=3000)])

    def __init__(self, *args: Any, centers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sectors.choices = options(Sector.choices())
        self.center_ids.choices = options((c.id, c.name) for c in centers)

    def data_out(self) -> ProfileData:
        return ProfileData(
            expertise=self.expertise.data or "",
            bio=self.bio.data or "",
            sectors=list(self.sectors.data or []),
            capacity=self.capacity.data,
            center_ids=set(self.center_ids.data or []),
        )


class AssignForm(Form):
    mentor_id = SelectField(_l("Mentor"), coerce=optional_int, validators=[REQUIRED])


class ActionForm(SubForm):
    title = StringField(_l("Action item"), validators=[Optional(), Length(max=300)])
    owner = SelectField(
        _l("Who does it"),
        default=ActionOwner.STARTUP.value,
        validators=[Optional()],
    )
    due_on = DateField(_l("Due"), validators=[Optional()])


class SessionForm(Form):
    client_key = HiddenField()
    held_at = DateTimeField(_l("Date and time"), validators=[REQUIRED])
    minutes = RadioField(
        _l("Length"),
        coerce=int,
        choices=options((m, _duration_label(m)) for m in DURATIONS),
        default=60,
        validators=[REQUIRED],
    )
    format = RadioField(
        _l("Format"),
        default=SessionFormat.IN_PERSON.value,
        validators=[REQUIRED],
    )
    topics = StringField(_l("Topics"), validators=[Optional(), Length(max=300)])
    summary = TextAreaField(
        _l("Summary for the founders"), validators=[REQUIRED_TEXT, Length(max=5000)]
    )
    private_notes = TextAreaField(
        _l("Private notes (only you and the center's managers)"),
        validators=[Optional(), Length(max=5000)],
    )
    action_items = FieldList(FormField(ActionForm), min_entries=ACTION_ROWS, max_entries=10)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # labels in the user's language: the choices are made per request
        self.format.choices = options(SessionFormat.choices())
        for row in self.action_items:
            row.owner.choices = options(ActionOwner.choices())
        if not self.is_submitted():
            self.client_key.data = uuid.uuid4().hex
            self.held_at.data = rounded_now()

    def data_out(self) -> SessionData:
        return SessionData(
            client_key=(self.client_key.data or uuid.uuid4().hex)[:40],
            held_at=self.held_at.data,
            minutes=self.minutes.data,
            format=SessionFormat(self.format.data),
            topics=self.topics.data or "",
            summary=self.summary.data or "",
            private_notes=self.private_notes.data or "",
            action_items=[
                ActionInput(
                    title=row.title.data or "",
                    owner=ActionOwner(row.owner.data or ActionOwner.STARTUP.value),
                    due_on=row.due_on.data,
                )
                for row in self.action_items
            ],
        )


class ConfirmForm(Form):
    rating = RadioField(
        _l("How useful was this session? (1–5)"),
        coerce=optional_int,
        choices=options((n, str(n)) for n in range(1, 6)),
        validators=[REQUIRED],
    )
    feedback = TextAreaField(
        _l("Comment for the mentor"), validators=[Optional(), Length(max=3000)]
    )


def _months(today: date, count: int = 6) -> list[date]:
    months = [month_of(today)]
    while len(months) < count:
        months.append(previous_month(months[-1]))
    return months


class CheckInForm(Form):
    month = SelectField(_l("Month"), validators=[REQUIRED])
    revenue_vnd = MoneyField(_l("Revenue this month (VND)"), validators=[REQUIRED])
    customers = IntegerField(
        _l("Paying customers"), validators=[REQUIRED, NumberRange(min=0, max=10**9)]
    )
    funding_raised_vnd = MoneyField(_l("Funding raised this month (VND)"), validators=[REQUIRED])
    headcount = IntegerField(
        _l("People working in the startup"), validators=[REQUIRED, NumberRange(min=0, max=10**6)]
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=3000)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        months = _months(to_local(utcnow()).date())
        self.month.choices = options((m.isoformat(), m.strftime("%m/%Y")) for m in months)
        if not self.is_submitted():
            self.month.data = months[1].isoformat()  # usually last month's

    def data_out(self) -> CheckInData:
        return CheckInData(
            month=date.fromisoformat(self.month.data),
            revenue_vnd=self.revenue_vnd.data,
            customers=self.customers.data,
            funding_raised_vnd=self.funding_raised_vnd.data,
            headcount=self.headcount.data,
            note=self.note.data or "",
        )


class MilestoneForm(OnceForm):
    title = StringField(_l("Milestone"), validators=[REQUIRED_TEXT, Length(max=300)])
    due_on = DateField(_l("Due"), validators=[REQUIRED])
    status = SelectField(
        _l("Status"),
        default=MilestoneStatus.PLANNED.value,
        validators=[REQUIRED],
    )
    evidence = TextAreaField(
        _l("Evidence (a link or a short description)"), validators=[Optional(), Length(max=3000)]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = options(MilestoneStatus.choices())

    def data_out(self) -> MilestoneData:
        return MilestoneData(
            title=self.title.data or "",
            due_on=self.due_on.data,
            status=MilestoneStatus(self.status.data),
            evidence=self.evidence.data or "",
        )
