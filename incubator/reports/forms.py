from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField

from incubator.forms import REQUIRED, DateField, Form, options

LANGUAGE_CHOICES = (("vi", "Tiếng Việt"), ("en", "English"))


class LanguageForm(Form):
    """The report's language (the requester's choice)."""

    lang = SelectField(
        _l("Language of the report"), choices=options(LANGUAGE_CHOICES), validators=[REQUIRED]
    )


class CenterReportForm(LanguageForm):
    center = SelectField(_l("Center"), validators=[REQUIRED])
    first = DateField(_l("From"), validators=[REQUIRED])
    last = DateField(_l("Until"), validators=[REQUIRED])
    archival = BooleanField(_l("PDF/A for the archives"))


class ExportForm(LanguageForm):
    center = SelectField(_l("Center"), validators=[REQUIRED])
