"""What the account topics share: emails, token hashes, throttling answers."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from incubator.accounts.models import User
from incubator.db import db
from incubator.errors import TooManyAttempts


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def too_many() -> TooManyAttempts:
    return TooManyAttempts(_("Too many failed attempts. Please wait a few minutes and try again."))


def minutes(name: str) -> timedelta:
    return timedelta(minutes=current_app.config[name])
