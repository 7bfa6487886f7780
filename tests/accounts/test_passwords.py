"""Password strength without HTTP: long enough, not a common one."""

from __future__ import annotations

import pytest
from flask import Flask

from incubator.accounts import passwords, registration
from incubator.accounts.models import User
from incubator.db import db
from incubator.errors import DomainError
from tests.accounts.helpers import count


@pytest.mark.parametrize(
    "password",
    [
        "",
        "short1!",  # 7 characters, below the minimum of 8
        "1234567890123",  # only digits
        "aaaaaaaaaaaa",  # one character repeated
        "abababababab",  # two characters
        "abcabcabcabc",  # three characters
    ],
)
def test_register_refuses_a_weak_password_on_the_password_field(ctx: Flask, password: str) -> None:
    with pytest.raises(DomainError) as refused, db.transaction():
        registration.register_founder("weak@example.test", "Weak", password, "vi")
    assert refused.value.field == "password"
    assert count(User) == 0


def test_password_minimum_length_is_sensible_and_configurable(ctx: Flask) -> None:
    assert ctx.config["PASSWORD_MIN_LENGTH"] >= 10
    passwords.check_password_strength("abcd1234xy")  # exactly 10, not a common one
    with pytest.raises(DomainError):
        passwords.check_password_strength("abcd1234x")  # 9
    ctx.config["PASSWORD_MIN_LENGTH"] = 12
    with pytest.raises(DomainError) as refused:
        passwords.check_password_strength("abcd1234xyz")
    assert refused.value.field == "password"
    with pytest.raises(DomainError) as refused:
        passwords.check_password_strength("abcd1234xy", field="new_password")
    assert refused.value.field == "new_password"


@pytest.mark.parametrize("password", ["password12", "basketball", "1q2w3e4r5t", "Qwertyuiop"])
def test_common_passwords_are_refused_whatever_their_length(ctx: Flask, password: str) -> None:
    """The shipped list (20,000 common passwords), compared without case."""
    assert len(passwords.common_passwords()) > 10_000
    with pytest.raises(DomainError) as refused:
        passwords.check_password_strength(password)
    assert refused.value.field == "password"
