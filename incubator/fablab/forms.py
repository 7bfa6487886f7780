from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from incubator.accounts.forms import email_field
from incubator.fablab.bookings import BookingData
from incubator.fablab.common import at_local, duration
from incubator.fablab.labs import LabData
from incubator.fablab.machines import MachineData
from incubator.fablab.models import Lab, Machine, MachineCategory, MachineStatus
from incubator.files import Upload
from incubator.forms import REQUIRED, DateField, DateTimeField, Form, optional_int, options
from incubator.i18n import to_local
from incubator.once import OnceForm

WEEKDAYS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)
WEEKDAYS_SHORT = (
    _l("Mon"),
    _l("Tue"),
    _l("Wed"),
    _l("Thu"),
    _l("Fri"),
    _l("Sat"),
    _l("Sun"),
)
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def parse_clock(text: str | None) -> time | None:
    match = _CLOCK.fullmatch((text or "").strip())
    return time(int(match[1]), int(match[2])) if match else None


def start_choices(lab: Lab, machine: Machine) -> list[tuple[str, str]]:
    """Every slot start from the lab's earliest opening to its latest closing."""
    if not lab.hours:
        return []
    first = min(h.opens for h in lab.hours)
    last = max(h.closes for h in lab.hours)
    moment = datetime.combine(date.today(), first)
    end = datetime.combine(date.today(), last)
    times = []
    while moment < end:
        times.append(moment.strftime("%H:%M"))
        moment += timedelta(minutes=machine.slot_minutes)
    return [(t, t) for t in times]


def length_choices(machine: Machine) -> list[tuple[int, str]]:
    lengths = range(machine.min_minutes, machine.max_minutes + 1, machine.slot_minutes)
    return [(m, duration(m)) for m in lengths]


class TimeRangeForm(Form):
    """A day, a start and a length: booking and moving share it."""

    day = DateField(_l("Day"), validators=[REQUIRED])
    start = SelectField(_l("Start"), validators=[REQUIRED])
    minutes = SelectField(_l("Length"), coerce=optional_int, validators=[REQUIRED])

    def __init__(
        self, *args: Any, machine: Machine, machines: list[Machine] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        every = machines or [machine]  # the choices of every machine the form may book
        self.start.choices = options(
            sorted({pair for m in every for pair in start_choices(m.lab, m)})
        )
        lengths = {pair for m in every for pair in length_choices(m)}
        self.minutes.choices = options(sorted(lengths))

    def fill(self, starts_at: datetime, minutes: int | None = None) -> None:
        local = to_local(starts_at)
        self.day.data = local.date()
        self.start.data = local.strftime("%H:%M")
        if minutes is not None:
            self.minutes.data = minutes

    def starts_at(self) -> datetime:
        clock = parse_clock(self.start.data)
        assert clock is not None and self.day.data is not None
        return at_local(self.day.data, clock)


class BookingForm(TimeRangeForm):
    startup_id = SelectField(_l("For the startup"), coerce=optional_int, validators=[Optional()])
    # the staff's only: any other startup of the center (not only those in incubation)
    startup_name = StringField(
        _l("Or another startup of the center (its name)"),
        validators=[Optional(), Length(max=200)],
    )
    purpose = StringField(_l("What you will make"), validators=[REQUIRED, Length(max=300)])

    def __init__(self, *args: Any, startups: list[Any], staff: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.staff = staff
        pairs: list[tuple[Any, str]] = [(s.id, s.name) for s in startups]
        if staff:
            pairs.insert(0, ("", str(_l("The lab's own use"))))
        self.startup_id.choices = options(pairs)
        if len(startups) == 1 and not staff and not self.is_submitted():
            self.startup_id.data = startups[0].id

    def data_out(self) -> BookingData:
        return BookingData(
            starts_at=self.starts_at(),
            minutes=self.minutes.data,
            purpose=self.purpose.data or "",
            startup_id=self.startup_id.data,
            startup_name=(self.startup_name.data or "") if self.staff else "",
        )


class MoveForm(TimeRangeForm):
    """A new time, on the same machine or another of the same lab and kind."""

    machine_id = SelectField(_l("Machine"), coerce=optional_int, validators=[Optional()])

    def __init__(self, *args: Any, machine: Machine, machines: list[Machine], **kwargs: Any):
        super().__init__(*args, machine=machine, machines=machines, **kwargs)
        self.machine_id.choices = options([(m.id, m.name) for m in machines])
        if not self.is_submitted():
            self.machine_id.data = machine.id


class CancelForm(Form):
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=300)])


class MaintenanceForm(Form):
    starts_at = DateTimeField(_l("From"), validators=[REQUIRED])
    ends_at = DateTimeField(_l("Until"), validators=[REQUIRED])
    reason = StringField(_l("Reason"), validators=[REQUIRED, Length(max=300)])


class StatusForm(Form):
    status = SelectField(_l("Status"), validators=[REQUIRED])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=300)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = options(MachineStatus.choices())


class CertificateForm(Form):
    email = email_field(_l("Email of the person trained"))
    target = SelectField(_l("Certificate for"), validators=[REQUIRED])
    expires_on = DateField(_l("Valid until (optional)"), validators=[Optional()])

    def __init__(
        self,
        *args: Any,
        machines: list[Machine],
        centers: Sequence[tuple[int, str]] = (),
        **kwargs: Any,
    ) -> None:
        """A manager grants a category at their own center ("c:<category>"); an administrator
        chooses the center too ("c:<category>@<center id>", one per center in `centers`)."""
        super().__init__(*args, **kwargs)
        if centers:
            pairs = [
                (
                    f"c:{c.value}@{center_id}",
                    f"{_l('Every %(category)s', category=c.label)} · {code}",
                )
                for center_id, code in centers
                for c in MachineCategory
            ]
        else:
            pairs = [
                (f"c:{c.value}", str(_l("Every %(category)s", category=c.label)))
                for c in MachineCategory
            ]
        pairs += [(f"m:{m.id}", f"{m.name} · {m.lab.name}") for m in machines]
        self.target.choices = options(pairs)

    def target_parts(self) -> tuple[int | None, MachineCategory | None, int | None]:
        """(machine id, category, center id) of the choice."""
        kind, _sep, value = (self.target.data or "").partition(":")
        if kind == "m" and value.isdigit():
            return int(value), None, None
        category, _at, center = value.partition("@")
        return None, MachineCategory(category), int(center) if center.isdigit() else None


class DayForm(Form):
    day = DateField(_l("Day"), validators=[REQUIRED])
    state = SelectField(
        _l("The lab is"),
        validators=[REQUIRED],
        choices=options(
            [
                ("closed", _l("Closed")),
                ("open", _l("Open (with that weekday's hours)")),
                ("default", _l("As usual (weekly hours and public holidays)")),
            ]
        ),
    )
    note = StringField(_l("Note shown on the calendar"), validators=[Optional(), Length(max=200)])

    def is_open(self) -> bool | None:
        return {"closed": False, "open": True}.get(self.state.data)


class LabForm(OnceForm):
    name = StringField(_l("Name"), validators=[REQUIRED, Length(max=200)])
    location = StringField(_l("Where"), validators=[Optional(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=3000)])
    horizon_days = IntegerField(
        _l("Bookings open this many days ahead"),
        default=30,
        validators=[REQUIRED, NumberRange(1, 365)],
    )
    cancel_notice_hours = IntegerField(
        _l("Cancel or move until this many hours before the start"),
        default=2,
        validators=[REQUIRED, NumberRange(0, 168)],
    )
    weekly_quota_hours = IntegerField(
        _l("Hours a startup may book per category and week"),
        default=10,
        validators=[REQUIRED, NumberRange(1, 168)],
    )
    no_show_limit = IntegerField(
        _l("No-shows that suspend a startup's booking"),
        default=3,
        validators=[REQUIRED, NumberRange(1, 100)],
    )
    day_0 = StringField(_l("Monday"), validators=[Optional(), Length(max=20)])
    day_1 = StringField(_l("Tuesday"), validators=[Optional(), Length(max=20)])
    day_2 = StringField(_l("Wednesday"), validators=[Optional(), Length(max=20)])
    day_3 = StringField(_l("Thursday"), validators=[Optional(), Length(max=20)])
    day_4 = StringField(_l("Friday"), validators=[Optional(), Length(max=20)])
    day_5 = StringField(_l("Saturday"), validators=[Optional(), Length(max=20)])
    day_6 = StringField(_l("Sunday"), validators=[Optional(), Length(max=20)])

    def hour_fields(self) -> list[Any]:
        return [self[f"day_{n}"] for n in range(7)]

    def fill_hours(self, lab: Lab) -> None:
        for row in lab.hours:
            self[
                f"day_{row.weekday}"
            ].data = f"{row.opens.strftime('%H:%M')}-{row.closes.strftime('%H:%M')}"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._parsed: dict[int, tuple[time, time]] = {}

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for number, f in enumerate(self.hour_fields()):
            if f.data and self._hours(f.data) is None:
                f.errors = [*f.errors, str(_l("Write the hours as 08:00-17:00, or leave empty."))]
                ok = False
            elif f.data:
                self._parsed[number] = self._hours(f.data)  # type: ignore[assignment]
        return ok

    @staticmethod
    def _hours(text: str) -> tuple[time, time] | None:
        parts = re.split(r"\s*[-–]\s*", text.strip())
        if len(parts) != 2:
            return None
        opens, closes = parse_clock(parts[0]), parse_clock(parts[1])
        if opens is None or closes is None:
            return None
        return opens, closes

    def data_out(self) -> LabData:
        return LabData(
            name=self.name.data or "",
            location=self.location.data or "",
            description=self.description.data or "",
            horizon_days=self.horizon_days.data,
            cancel_notice_hours=self.cancel_notice_hours.data,
            weekly_quota_hours=self.weekly_quota_hours.data,
            no_show_limit=self.no_show_limit.data,
            hours=dict(self._parsed),
        )


def _multiple_of_slot(form: Any, field: Any) -> None:
    slot = form.slot_minutes.data
    if field.data and slot and field.data % slot:
        raise ValidationError(str(_l("A whole number of slots.")))


class MachineForm(OnceForm):
    name = StringField(_l("Name"), validators=[REQUIRED, Length(max=200)])
    category = SelectField(_l("Category"), validators=[REQUIRED])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=3000)])
    slot_minutes = IntegerField(
        _l("Slot length (minutes)"), default=30, validators=[REQUIRED, NumberRange(5, 240)]
    )
    min_minutes = IntegerField(
        _l("Shortest booking (minutes)"),
        default=30,
        validators=[REQUIRED, NumberRange(5, 1440), _multiple_of_slot],
    )
    max_minutes = IntegerField(
        _l("Longest booking (minutes)"),
        default=240,
        validators=[REQUIRED, NumberRange(5, 1440), _multiple_of_slot],
    )
    training_required = BooleanField(_l("Training certificate required"))
    photo = FileField(_l("Photo (optional: JPEG, PNG or WebP, at most 5 MB)"))
    remove_photo = BooleanField(_l("Remove the photo"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = options(MachineCategory.choices())

    def data_out(self) -> MachineData:
        upload = self.photo.data if isinstance(self.photo.data, FileStorage) else None
        if upload is not None and not upload.filename:
            upload = None  # the file input left empty
        return MachineData(
            name=self.name.data or "",
            category=MachineCategory(self.category.data),
            description=self.description.data or "",
            slot_minutes=self.slot_minutes.data,
            min_minutes=self.min_minutes.data,
            max_minutes=self.max_minutes.data,
            training_required=bool(self.training_required.data),
            photo=Upload(upload.stream, upload.filename or "") if upload else None,
            remove_photo=bool(self.remove_photo.data),
        )


class PeriodForm(Form):
    """The utilization page's period (a GET form: no CSRF token)."""

    class Meta(Form.Meta):
        csrf = False

    first = DateField(_l("From"), validators=[Optional()])
    last = DateField(_l("Until"), validators=[Optional()])
