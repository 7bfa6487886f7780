from __future__ import annotations

from wtforms import HiddenField, RadioField

from incubator.forms import REQUIRED, Form, options
from incubator.i18n import LANGUAGE_NAMES


class LanguageForm(Form):
    """The header's language buttons; `next` is the page to go back to."""

    lang = RadioField(choices=options(LANGUAGE_NAMES.items()), validators=[REQUIRED])
    next = HiddenField()
