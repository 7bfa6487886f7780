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
from incubator.mentoring.assignments import AssignmentData, NeedsData
from incubator.mentoring.checkins import CheckInData, MilestoneData
from incubator.mentoring.common import month_of, previous_month
from incubator.mentoring.models import (
    ActionOwner,
    ExpertiseTag,
    Language,
    MilestoneStatus,
    SessionFormat,
    local_today,
)
from incubator.mentoring.profiles import ProfileData
from incubator.mentoring.sessions import ActionInput, SessionData
from incubator.mentoring.tags import TagData
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


def _tag_choices(field: Any, tags: list[ExpertiseTag]) -> None:
    """The offered tags, in the page's language; archived tags already picked stay listed."""
    field.choices = options((tag.id, tag.name) for tag in tags)


def _language_choices(field: Any) -> None:
    field.choices = options(Language.choices())


class TagsAndLanguages:
    """The tags and languages pickers shared by the mentor's profile and a startup's needs."""

    tag_ids: CheckboxList
    languages: CheckboxList

    def offer(self, tags: list[ExpertiseTag]) -> None:
        _tag_choices(self.tag_ids, tags)
        _language_choices(self.languages)


class ProfileForm(TagsAndLanguages, Form):
    expertise = StringField(
        _l("Expertise in your own words"), validators=[Optional(), Length(max=300)]
    )
    tag_ids = CheckboxList(_l("Expertise tags"), coerce=int, validators=[Optional()])
    languages = CheckboxList(_l("Languages you mentor in"), validators=[Optional()])
    sectors = CheckboxList(_l("Sectors you know best"), validators=[Optional()])
    capacity = IntegerField(
        _l("How many startups you can mentor at once"),
        default=3,
        validators=[REQUIRED, NumberRange(min=0, max=50)],
    )
    center_ids = CheckboxList(_l("Centers you serve"), coerce=int, validators=[Optional()])
    bio = TextAreaField(_l("About you"), validators=[Optional(), Length(max=3000)])

    def __init__(
        self, *args: Any, centers: list[Any], tags: list[ExpertiseTag], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.sectors.choices = options(Sector.choices())
        self.center_ids.choices = options((c.id, c.name) for c in centers)
        self.offer(tags)

    def data_out(self) -> ProfileData:
        return ProfileData(
            expertise=self.expertise.data or "",
            bio=self.bio.data or "",
            sectors=list(self.sectors.data or []),
            capacity=self.capacity.data,
            center_ids=set(self.center_ids.data or []),
            tag_ids=list(self.tag_ids.data or []),
            languages=list(self.languages.data or []),
        )


class NeedsForm(TagsAndLanguages, Form):
    tag_ids = CheckboxList(_l("Where the startup needs help"), coerce=int, validators=[Optional()])
    languages = CheckboxList(_l("Languages the team works in"), validators=[Optional()])

    def __init__(self, *args: Any, tags: list[ExpertiseTag], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offer(tags)

    def data_out(self) -> NeedsData:
        return NeedsData(list(self.tag_ids.data or []), list(self.languages.data or []))


class TagForm(Form):
    name_vi = StringField(_l("Name in Vietnamese"), validators=[REQUIRED_TEXT, Length(max=80)])
    name_en = StringField(_l("Name in English"), validators=[REQUIRED_TEXT, Length(max=80)])

    def data_out(self) -> TagData:
        return TagData(self.name_vi.data or "", self.name_en.data or "")


class AssignForm(Form):
    """The period and goals, then a mentor: a suggestion's button (`pick`) or the list."""

    starts_on = DateField(_l("Start"), validators=[REQUIRED])
    ends_on = DateField(_l("End"), validators=[Optional()])
    goals = TextAreaField(_l("Goals of the mentoring"), validators=[Optional(), Length(max=3000)])
    pick = StringField(validators=[Optional()])  # sent by a suggestion's button
    mentor_id = SelectField(_l("Mentor"), coerce=optional_int, validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_submitted():
            self.starts_on.data = local_today()

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.chosen() is None:
            self.mentor_id.errors = [*self.mentor_id.errors, str(_l("Choose a mentor."))]
            return False
        return valid

    def chosen(self) -> int | None:
        """The suggestion's button wins over the list below."""
        try:
            return optional_int(self.pick.data) or self.mentor_id.data
        except ValueError:
            return None

    def data_out(self) -> AssignmentData:
        return AssignmentData(self.starts_on.data, self.ends_on.data, self.goals.data or "")


class NextSessionForm(Form):
    next_session_at = DateTimeField(_l("Next session"), validators=[Optional()])


class CloseMonthForm(Form):
    month = SelectField(_l("Month"), validators=[REQUIRED])

    def __init__(self, *args: Any, months: list[date], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.month.choices = options((m.isoformat(), m.strftime("%m/%Y")) for m in months)

    def chosen(self) -> date:
        return date.fromisoformat(self.month.data)


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
    topic_ids = CheckboxList(_l("Topics"), coerce=int, validators=[Optional()])
    topics = StringField(_l("Other topics"), validators=[Optional(), Length(max=300)])
    summary = TextAreaField(
        _l("Summary for the founders"), validators=[REQUIRED_TEXT, Length(max=5000)]
    )
    private_notes = TextAreaField(
        _l("Private notes (only you and the center's managers)"),
        validators=[Optional(), Length(max=5000)],
    )
    action_items = FieldList(FormField(ActionForm), min_entries=ACTION_ROWS, max_entries=10)
    next_session_at = DateTimeField(_l("Next session (if planned)"), validators=[Optional()])

    def __init__(self, *args: Any, tags: list[ExpertiseTag], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # labels in the user's language: the choices are made per request
        self.format.choices = options(SessionFormat.choices())
        _tag_choices(self.topic_ids, tags)
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
            topic_ids=list(self.topic_ids.data or []),
            next_session_at=self.next_session_at.data,
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
