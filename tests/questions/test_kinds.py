"""One validator per kind: typed values out, a message naming the question for bad input."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from incubator.errors import DomainError
from incubator.questions import kinds
from incubator.questions.models import Kind, Question, QuestionChoice


def question(kind: Kind, **options: Any) -> Question:
    return Question(key="q1", kind=kind, label_vi="Câu hỏi", **options)


def choice_question(kind: Kind) -> Question:
    q = question(kind)
    q.choices = [
        QuestionChoice(id=1, value="c1", label_vi="Máy CNC"),
        QuestionChoice(id=2, value="c2", label_vi="Máy in 3D"),
    ]
    return q


@pytest.mark.parametrize(
    ("kind", "raw", "value"),
    [
        (Kind.SHORT_TEXT, "  Trường ĐH Thủ Dầu Một \n", "Trường ĐH Thủ Dầu Một"),
        (Kind.LONG_TEXT, "Dòng 1\r\nDòng 2", "Dòng 1\nDòng 2"),
        (Kind.NUMBER, "1.250", 1250.0),
        (Kind.NUMBER, "12,5", 12.5),
        (Kind.NUMBER, "-3", -3.0),
        (Kind.MONEY, "1.500.000.000 ₫", 1_500_000_000),
        (Kind.DATE, "05/03/2027", date(2027, 3, 5)),
        (Kind.YES_NO, "yes", True),
        (Kind.YES_NO, "no", False),
        (Kind.URL, "baobixanh.vn", "https://baobixanh.vn"),
        (Kind.EMAIL, "lan@example.vn", "lan@example.vn"),
        (Kind.SHORT_TEXT, "   ", None),
        (Kind.NUMBER, "", None),
    ],
)
def test_valid_input_gives_a_typed_value(app: Any, kind: Kind, raw: str, value: Any) -> None:
    with app.test_request_context():
        assert kinds.parse(question(kind), raw) == value


@pytest.mark.parametrize(
    ("kind", "raw", "message"),
    [
        (Kind.NUMBER, "1.5", "Write a number"),
        (Kind.NUMBER, "mười", "Write a number"),
        (Kind.MONEY, "1,500,000", "whole amount in VND"),
        (Kind.DATE, "2027-03-05", "dd/mm/yyyy"),
        (Kind.DATE, "31/02/2027", "dd/mm/yyyy"),
        (Kind.URL, "http://localhost", "web address"),
        (Kind.EMAIL, "lan@", "Invalid email"),
        (Kind.YES_NO, "maybe", "Not a valid choice"),
        (Kind.SHORT_TEXT, "x" * 201, "At most 200 characters"),
    ],
)
def test_bad_input_is_refused_with_the_questions_key(
    app: Any, kind: Kind, raw: str, message: str
) -> None:
    with (
        app.test_request_context(headers={"Accept-Language": "en"}),
        pytest.raises(DomainError) as error,
    ):
        kinds.parse(question(kind), raw)
    assert error.value.field == "q1" and message in error.value.message


def test_a_long_text_has_its_own_limit(app: Any) -> None:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        limited = question(Kind.LONG_TEXT, max_length=10)
        assert kinds.parse(limited, "x" * 10) == "x" * 10
        with pytest.raises(DomainError, match="At most 10 characters"):
            kinds.parse(limited, "x" * 11)


def test_choices_are_checked_against_the_question(app: Any) -> None:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        single, multiple = (
            choice_question(Kind.SINGLE_CHOICE),
            choice_question(Kind.MULTIPLE_CHOICE),
        )
        assert [c.id for c in kinds.parse(single, "c2")] == [2]
        assert [c.id for c in kinds.parse(multiple, ["c1", "c2", "c1"])] == [1, 2]
        assert kinds.parse(multiple, []) is None
        with pytest.raises(DomainError, match="Choose one answer"):
            kinds.parse(single, ["c1", "c2"])
        with pytest.raises(DomainError, match="Not a valid choice"):
            kinds.parse(multiple, ["c1", "c9"])


def test_conditions_match_choices_and_yes_no(app: Any) -> None:
    multiple = choice_question(Kind.MULTIPLE_CHOICE)
    assert kinds.matches(multiple, multiple.choices, "c2")
    assert not kinds.matches(multiple, multiple.choices[:1], "c2")
    assert kinds.matches(question(Kind.YES_NO), True, "yes")
    assert not kinds.matches(question(Kind.YES_NO), None, "no")
