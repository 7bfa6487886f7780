"""Passwords: hashing, checking (in constant time) and strength."""

from __future__ import annotations

import functools
import gzip
import secrets
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from incubator.accounts.models import User
from incubator.errors import DomainError


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def _dummy_hash() -> str:
    """A hash of nothing anyone knows, made with the configured method (once per app)."""
    cache = current_app.extensions.setdefault("dummy_password_hash", {})
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in cache:
        cache[method] = hash_password(secrets.token_urlsafe(16))
    return cache[method]


def password_matches(user: User | None, password: str) -> bool:
    """One hash check whatever the account: unknown emails, deactivated accounts and invited
    accounts without a password are checked against a dummy hash, so that every failure
    takes as long as a wrong password (the time does not tell that an account exists)."""
    usable = user is not None and user.active and user.password_hash is not None
    hashed = user.password_hash if usable else _dummy_hash()  # type: ignore[union-attr]
    return check_password_hash(hashed, password) and usable


# The 20,000 most common passwords (Royce Williams' list, as Django ships it: BSD licence),
# one a line, in lower case.
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt.gz")


@functools.cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def check_password_strength(password: str, field: str = "password") -> None:
    """Every password a person chooses (registration, reset, invitation, change, `create-user`):
    PASSWORD_MIN_LENGTH characters and not a common one (the demo's accounts are seeded with
    a hash, not through here)."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise DomainError(
            _("The password must have at least %(n)d characters.", n=minimum), field=field
        )
    if (
        password.isdigit()
        or len(set(password)) < 4
        or password.strip().lower() in common_passwords()
    ):
        raise DomainError(_("This password is too easy to guess."), field=field)
