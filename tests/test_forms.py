"""The base Form and the shared fields: what users type is cleaned and read one way everywhere."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import pytest
import wtforms
from werkzeug.datastructures import MultiDict
from wtforms import SelectMultipleField, StringField, TextAreaField

from incubator.forms import REQUIRED, DateTimeField, Form, MoneyField, options

DECOMPOSED = unicodedata.normalize("NFD", "Nguyễn Thị Hồng")


def bind(app: Any, language: str = "vi", **fields: Any) -> Any:
    """bind(app, name=(FieldClass(...), "typed")) -> the validated form, in that language."""

    class OneForm(Form):
        pass

    for name, (field, _typed) in fields.items():
        setattr(OneForm, name, field)
    data = MultiDict({name: typed for name, (_field, typed) in fields.items()})
    with app.test_request_context(headers={"Accept-Language": language}):
        form = OneForm(formdata=data, meta={"csrf": False})
        form.validate()
        return form


def field(app: Any, field_class: Any, typed: str, language: str = "vi", **kwargs: Any) -> Any:
    return bind(app, language, value=(field_class("value", **kwargs), typed)).value


# ------------------------------------------------------------------ money


@pytest.mark.parametrize(
    "typed",
    [
        "1.500.000.000",
        "1 500 000 000",
        "1500000000",
        "1.500.000.000 ₫",
        "1.500.000.000₫",
        "1 500 000 000 đ",
        "1.500.000.000 VND",
        "1500000000 vnd",
        "1\u00a0500\u00a0000\u00a0000",  # a no-break space, as spreadsheets copy it
    ],
)
def test_money_reads_whole_vnd_with_grouped_thousands(app: Any, typed: str) -> None:
    assert field(app, MoneyField, typed).data == 1_500_000_000


@pytest.mark.parametrize(
    "typed",
    [
        "1.5",
        "1500000.75",
        "1,5",
        "1,500,000",
        "1.500.000,00",
        "15.00.000",
        "1.5000",
        "1 5000",
        "1.500 000",
        ".500",
        "1.500.",
        "-500.000",
        "1,5 tỷ",
        "₫",
    ],
)
@pytest.mark.parametrize("language", ["vi", "en"])
def test_money_refuses_decimals_commas_and_misplaced_separators(
    app: Any, typed: str, language: str
) -> None:
    money = field(app, MoneyField, typed, language)
    assert money.data is None and money._value() == typed
    example = "1.500.000.000"
    message = {"vi": "Hãy ghi số tiền VND", "en": "Write a whole amount in VND"}[language]
    assert money.errors and message in money.errors[0] and example in money.errors[0], money.errors


# ------------------------------------------------------------------ text


def test_text_is_stored_composed_and_trimmed(app: Any) -> None:
    form = bind(
        app,
        name=(StringField("name"), f"  {DECOMPOSED}\t "),
        about=(TextAreaField("about"), f"\n{DECOMPOSED}\n"),
    )
    assert form.name.data == "Nguyễn Thị Hồng" == unicodedata.normalize("NFC", DECOMPOSED)
    assert form.about.data == "Nguyễn Thị Hồng"


def test_single_line_text_loses_line_breaks_and_multi_line_text_keeps_them(app: Any) -> None:
    form = bind(
        app,
        name=(StringField("name"), "A\rB\nC\r\nD"),
        about=(TextAreaField("about"), "Dòng một\r\nDòng hai\rDòng ba"),
    )
    assert form.name.data == "A B C D"
    assert form.about.data == "Dòng một\nDòng hai\nDòng ba"  # as the browser counts characters


def test_a_textarea_limit_counts_a_line_break_as_one_character(app: Any) -> None:
    """The browser's maxlength (and the counter) count "\\r\\n" as one character."""
    from wtforms.validators import Length

    typed = "a\r\n" * 5 + "b"  # 11 characters in the browser
    assert not field(app, TextAreaField, typed, validators=[Length(max=11)]).errors


# --------------------------------------------------------------- required


@pytest.mark.parametrize("typed", ["", "   ", "\t\r\n"])
def test_a_blank_required_field_is_a_required_error(app: Any, typed: str) -> None:
    moment = field(app, DateTimeField, typed, "en", validators=[REQUIRED])
    assert moment.data is None and moment.errors == ["This field is required."]


def test_zero_is_a_value_for_a_required_number(app: Any) -> None:
    score = field(app, wtforms.IntegerField, "0", validators=[REQUIRED])
    assert score.data == 0 and not score.errors


# ------------------------------------------------------- wtforms messages


def test_a_choice_that_cannot_be_read_is_explained_in_vietnamese(app: Any) -> None:
    choices = field(app, SelectMultipleField, "x", coerce=int, choices=options([(1, "một")]))
    assert choices.errors and "Invalid" not in choices.errors[0], choices.errors


DEVELOPER_MESSAGES = {"Choices cannot be None.", "Invalid field name '%s'."}


def test_every_wtforms_message_is_in_our_catalog() -> None:
    """WTForms ships no Vietnamese: each of its messages is listed in incubator.forms."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    from incubator.forms import WTFORMS_MESSAGES

    source = Path(wtforms.__file__).resolve().parent
    theirs = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            source,
            [("fields/**.py", "python"), ("validators.py", "python")],
            keywords=DEFAULT_KEYWORDS,
        )
    }
    ours = {m._args[0] for m in WTFORMS_MESSAGES}
    assert theirs - DEVELOPER_MESSAGES - ours == set()
