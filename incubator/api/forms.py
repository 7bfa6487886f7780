from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from incubator.api.models import WebhookEvent
from incubator.api.tokens import TokenData
from incubator.forms import REQUIRED, DateField, options
from incubator.once import OnceForm

EVENT_LABELS = {
    WebhookEvent.APPLICATION_SUBMITTED: _l("Application submitted"),
    WebhookEvent.STAGE_CHANGED: _l("Stage changed"),
    WebhookEvent.SESSION_CONFIRMED: _l("Mentoring session confirmed"),
    WebhookEvent.BOOKING_CREATED: _l("Booking created"),
    WebhookEvent.BOOKING_CANCELLED: _l("Booking cancelled"),
    WebhookEvent.REPORT_READY: _l("Report ready"),
}


class TokenForm(OnceForm):
    token_name = StringField(_l("Name of the token"), validators=[REQUIRED, Length(max=100)])
    expires_on = DateField(_l("Expires on (dd/mm/yyyy, optional)"))
    read_only = BooleanField(_l("Read only"))

    def to_data(self) -> TokenData:
        return TokenData(
            name=self.token_name.data or "",
            expires_on=self.expires_on.data,
            read_only=bool(self.read_only.data),
        )


class WebhookForm(OnceForm):
    url = StringField(_l("Address (https://…)"), validators=[REQUIRED, Length(max=500)])
    events = SelectMultipleField(
        _l("Events"),
        choices=options((event.value, label) for event, label in EVENT_LABELS.items()),
        validators=[REQUIRED],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
