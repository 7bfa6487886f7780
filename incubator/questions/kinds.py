"""One validator per kind of question: the raw input of a form (or, later, of the API) in,
a typed value out, or a `DomainError` naming the question's key. No database access."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from flask_babel import gettext as _

from incubator.errors import DomainError
from incubator.forms import clean_line, clean_text, parse_date, parse_vnd
from incubator.i18n import format_number
from incubator.questions.models import Kind, Question, QuestionChoice

# A typed answer: text, a number (float), an amount (int VND), a date, yes/no, the choices made.
Value = str | float | int | date | bool | list[QuestionChoice]
Raw = str | list[str] | None

_NUMBER = re.compile(r"-?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_URL = re.compile(r"https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?", re.IGNORECASE)
NUMBER_LIMIT = 10**15


def _one(raw: Raw) -> str:
    if isinstance(raw, list):
        return raw[0] if raw else ""
    return raw or ""


def _refuse(question: Question, message: str) -> DomainError:
    return DomainError(message, field=question.key)


def _text(question: Question, raw: Raw, clean: Callable[[Any], Any]) -> str | None:
    text = clean(_one(raw))
    limit = question.limit or 0
    if len(text) > limit:
        raise _refuse(
            question,
            _("At most %(max)s characters (now %(n)s).", max=format_number(limit, 0), n=len(text)),
        )
    return text or None


def _number(question: Question, raw: Raw) -> float | None:
    text = clean_line(_one(raw)).replace(" ", "")
    if not text:
        return None
    if not _NUMBER.fullmatch(text):
        raise _refuse(question, _("Write a number, for example 1.250 or 12,5."))
    value = float(text.replace(".", "").replace(",", "."))
    if abs(value) >= NUMBER_LIMIT:
        raise _refuse(question, _("This number is too large."))
    return value


def _money(question: Question, raw: Raw) -> int | None:
    text = clean_line(_one(raw))
    if not text:
        return None
    try:
        return parse_vnd(text)
    except ValueError:
        raise _refuse(
            question,
            _(
                "Write a whole amount in VND, with dots between thousands, "
                "for example 1.500.000.000."
            ),
        ) from None


def _date(question: Question, raw: Raw) -> date | None:
    text = clean_line(_one(raw))
    if not text:
        return None
    try:
        return parse_date(text)
    except ValueError:
        raise _refuse(question, _("Write the date as dd/mm/yyyy.")) from None


def _choices(question: Question, raw: Raw) -> list[QuestionChoice] | None:
    values = raw if isinstance(raw, list) else [raw or ""]
    values = [clean_line(v) for v in values if clean_line(v)]
    if not values:
        return None
    if question.kind is Kind.SINGLE_CHOICE and len(values) > 1:
        raise _refuse(question, _("Choose one answer."))
    chosen = []
    for value in dict.fromkeys(values):
        choice = question.choice_by_value(value)
        if choice is None:
            raise _refuse(question, _("Not a valid choice."))
        chosen.append(choice)
    return chosen


def _yes_no(question: Question, raw: Raw) -> bool | None:
    text = clean_line(_one(raw))
    if not text:
        return None
    if text not in ("yes", "no"):
        raise _refuse(question, _("Not a valid choice."))
    return text == "yes"


def _url(question: Question, raw: Raw) -> str | None:
    text = clean_line(_one(raw))
    if not text:
        return None
    if "://" not in text:
        text = "https://" + text
    if len(text) > 500 or not _URL.fullmatch(text):
        raise _refuse(question, _("Write a web address, for example https://example.vn."))
    return text


def _email(question: Question, raw: Raw) -> str | None:
    text = clean_line(_one(raw))
    if not text:
        return None
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        raise _refuse(question, _("Invalid email address."))
    return text


def _file(question: Question, _raw: Raw) -> None:
    raise _refuse(question, _("Upload the file with its own button."))


VALIDATORS: dict[Kind, Callable[[Question, Raw], Value | None]] = {
    Kind.SHORT_TEXT: lambda q, raw: _text(q, raw, clean_line),
    Kind.LONG_TEXT: lambda q, raw: _text(q, raw, clean_text),
    Kind.NUMBER: _number,
    Kind.MONEY: _money,
    Kind.DATE: _date,
    Kind.SINGLE_CHOICE: _choices,
    Kind.MULTIPLE_CHOICE: _choices,
    Kind.YES_NO: _yes_no,
    Kind.URL: _url,
    Kind.EMAIL: _email,
    Kind.FILE: _file,
}


def parse(question: Question, raw: Raw) -> Value | None:
    """The typed answer to `question` from what was typed or chosen; None when left blank.

    Raises DomainError(field=question.key) with a message in the user's language."""
    return VALIDATORS[question.kind](question, raw)


def matches(question: Question, value: Value | None, expected: str) -> bool:
    """Whether the answer `value` to `question` is `expected` (a condition's value)."""
    if value is None:
        return False
    if question.kind is Kind.YES_NO:
        return value is (expected == "yes")
    if isinstance(value, list):
        return any(choice.value == expected for choice in value)
    return False


def number_text(value: float) -> str:
    """A number the Vietnamese way, without trailing zeros: 1.250 and 12,5."""
    if value == int(value):
        return format_number(value, 0)
    return format_number(value, 4).rstrip("0").rstrip(",")
