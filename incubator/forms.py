"""The base Form and what every form shares: cleaned text, translated messages, fields that
read dates, times and money the way Vietnamese users write them, choices and validators."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import wtforms
from flask_babel import get_translations, lazy_ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, StopValidation

from incubator.i18n import format_date, format_datetime, format_vnd, local_to_utc

# WTForms' own messages, translated through our catalog (WTForms ships no Vietnamese).
WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Invalid input."),
    _l("Invalid email address."),
    _l("Invalid URL."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    _l("'%(value)s' is not a valid choice for this field."),
    _l("'%(value)s' are not valid choices for this field."),
    _l("Invalid value, must be one of: %(values)s."),
    _l("Invalid value, can't be any of: %(values)s."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("Not a valid date value."),
    _l("Not a valid datetime value."),
    _l("Not a valid time value."),
    _l("Not a valid week value."),
    _l("Date must be at least %(min)s."),
    _l("Date must be at most %(max)s."),
    _l("Date must be between %(min)s and %(max)s."),
    _l("Invalid IP address."),
    _l("Invalid Mac address."),
    _l("Invalid UUID."),
    _l("This field cannot be edited."),
    _l("This field is disabled and cannot have a value."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Field must be equal to %(other_name)s."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    lazy_ngettext(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        2,
    ),
    lazy_ngettext(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
        2,
    ),
    lazy_ngettext(
        "Field must be exactly %(max)d character long.",
        "Field must be exactly %(max)d characters long.",
        2,
    ),
)


class _WTFormsTranslations:
    """The raw catalog: WTForms fills in its own placeholders (%(max)d and the like)."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"\r\n?")
_LINE_BREAKS_IN_A_LINE = re.compile(r"\s*[\r\n]+\s*")


def clean_text(value: Any) -> Any:
    """Typed text, composed (NFC), without surrounding blanks or control characters (a NUL
    breaks PostgreSQL); line breaks are "\n", as the browser counts them against maxlength.

    Some keyboards (and macOS) send Vietnamese decomposed: "ễ" as "e" and two combining
    marks. Composed, the same name is the same string and searches find it.
    """
    if isinstance(value, str):
        value = unicodedata.normalize("NFC", value)
        return _CONTROL_CHARACTERS.sub("", _LINE_BREAKS.sub("\n", value)).strip()
    return value


def clean_line(value: Any) -> Any:
    """`clean_text` for a single line: a line break becomes a space (a startup name ends up
    in an email subject, where CR or LF would break the headers)."""
    value = clean_text(value)
    if isinstance(value, str):
        return _LINE_BREAKS_IN_A_LINE.sub(" ", value)
    return value


class _Required(InputRequired):
    """Sent, and not blank once cleaned: "   " is not a name, nor a date. For numbers and
    choices, 0 is a value."""

    def __call__(self, form: Any, field: Any) -> None:
        super().__call__(form, field)
        raw = field.raw_data[0] if field.raw_data else None
        if (isinstance(raw, str) and not clean_text(raw)) or field.data == "":
            field.errors[:] = []
            raise StopValidation(self.message)


REQUIRED = _Required(message=_l("This field is required."))
REQUIRED_TEXT = REQUIRED


def optional_int(value: object) -> int | None:
    """A whole number from a form, or None for an empty placeholder.

    Raises ValueError (WTForms' "invalid choice") for anything else, "²" included.
    """
    if value in ("", None):
        return None
    if isinstance(value, int):
        return value
    text = str(value)
    if not (text.isascii() and text.isdigit() and len(text) < 10):
        raise ValueError(text)
    return int(text)


def options(pairs: Iterable[tuple[Any, Any]]) -> list[wtforms.SelectChoice]:
    """Choices of a select, radio or checkbox list, from (value, label) pairs."""
    return [wtforms.SelectChoice(value, label) for value, label in pairs]


class _TranslatedMeta:
    def get_translations(self, form: Any) -> _WTFormsTranslations:
        return _WTFormsTranslations()

    def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
        """Every text field (not passwords) is cleaned before validation: `clean_text` for a
        text area, `clean_line` for the others."""
        field_class = unbound_field.field_class
        if issubclass(field_class, wtforms.StringField) and not issubclass(
            field_class, wtforms.PasswordField
        ):
            clean = clean_text if issubclass(field_class, wtforms.TextAreaField) else clean_line
            filters = (clean, *(unbound_field.kwargs.get("filters") or ()))
            return unbound_field.bind(form=form, filters=filters, **options)
        return unbound_field.bind(form=form, **options)


class Form(FlaskForm):
    class Meta(_TranslatedMeta):
        pass


def switch_form(name: str) -> type[Form]:
    """A POST that turns one thing on ("1") or off ("0"): publishing a call, closing a review."""
    field = wtforms.RadioField(choices=options([("1", "1"), ("0", "0")]), validators=[REQUIRED])
    return type(f"Switch_{name}", (Form,), {name: field})


class SubForm(wtforms.Form):
    """A repeated part of a form (no CSRF token of its own)."""

    class Meta(_TranslatedMeta):
        pass


# ------------------------------------------------------------------ fields


class _TextParsed(StringField):
    """A text input whose value is parsed by the subclass's `parse`, shown by its `render`.

    After a post the input shows exactly what was typed, so a mistake is never lost.
    """

    error_message: Any = _l("Invalid input.")
    raw_text: str | None = None
    parse: Any
    render: Any

    def process_formdata(self, valuelist: list[str]) -> None:
        self.raw_text = valuelist[0].strip() if valuelist else ""
        if not self.raw_text:
            self.data = None
            return
        try:
            self.data = self.parse(self.raw_text)
        except (ValueError, OverflowError) as error:
            self.data = None
            raise ValueError(str(self.error_message)) from error

    def _value(self) -> str:
        if self.raw_text is not None:
            return self.raw_text
        return self.render(self.data) if self.data is not None else ""


def parse_date(text: str) -> date:
    """dd/mm/yyyy, years 1900 to 2999; ValueError otherwise."""
    day = datetime.strptime(text, "%d/%m/%Y").date()
    if not 1900 <= day.year <= 2999:
        raise ValueError(text)
    return day


class DateField(_TextParsed):
    """dd/mm/yyyy."""

    error_message = _l("Write the date as dd/mm/yyyy.")

    def parse(self, text: str) -> date:
        return parse_date(text)

    def render(self, value: date) -> str:
        return format_date(value)


class DateTimeField(_TextParsed):
    """dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh; the data is an aware UTC datetime."""

    error_message = _l("Write the date and time as dd/mm/yyyy hh:mm.")

    def parse(self, text: str) -> datetime:
        moment = datetime.strptime(text, "%d/%m/%Y %H:%M")
        if not 1900 <= moment.year <= 2999:
            raise ValueError(text)
        return local_to_utc(moment)

    def render(self, value: datetime) -> str:
        return format_datetime(value)


_CURRENCY = re.compile(r"\s*(₫|đ|vnđ|vnd)$", re.IGNORECASE)
_WHOLE_VND = re.compile(r"\d+|\d{1,3}(\.\d{3})+|\d{1,3}( \d{3})+")


def parse_vnd(text: str) -> int:
    """Whole VND (see MoneyField); ValueError otherwise."""
    number = _CURRENCY.sub("", re.sub(r"[\s\u00a0\u202f]+", " ", text))
    if not _WHOLE_VND.fullmatch(number):
        raise ValueError(text)
    value = int(re.sub(r"[. ]", "", number))
    if value > 10**15:
        raise ValueError(text)
    return value


class MoneyField(_TextParsed):
    """Whole VND: "1.000.000", "1 000 000", "1000000 ₫" all read as 1000000.

    Nothing else: "1.5" or "1,500,000" could be read several ways (and "1.5" once saved 15 ₫),
    so anything but groups of three after a dot or a space is refused.
    """

    error_message = _l(
        "Write a whole amount in VND, with dots between thousands, for example 1.500.000.000."
    )

    def parse(self, text: str) -> int:
        return parse_vnd(text)

    def render(self, value: int) -> str:
        return format_vnd(value).removesuffix(" ₫")
