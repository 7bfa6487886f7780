"""What the account service tests share: throttle counts, rows, emailed links, a founder."""

from __future__ import annotations

import os
import re
from typing import Any

from sqlalchemy import func, select

from incubator.accounts import registration
from incubator.accounts.models import ThrottleCounter, User
from incubator.db import db
from tests.accounts.fixtures import PASSWORD

ON_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))
IP = "203.0.113.7"


def failures() -> dict[tuple[str, str], int]:
    """The throttle counts of the current windows, by (scope, key)."""
    return {
        (row.scope, row.key): row.count
        for row in db.session.scalars(
            select(ThrottleCounter).execution_options(populate_existing=True)
        )
        if row.count
    }


def count(model: Any, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def reload(obj: Any) -> Any:
    return db.session.get(type(obj), obj.id, populate_existing=True)


def link_in(body: str) -> tuple[str, str]:
    """(path, raw token) of the one absolute link to a token page in an email body."""
    links = re.findall(r"http://localhost(/[\w/-]*/)([\w-]{20,})\s", body)
    assert len(links) == 1, body
    return links[0]


def register(email: str = "founder@example.test", **kwargs: Any) -> User:
    with db.transaction():
        return registration.register_founder(
            email, kwargs.get("name", "Nguyễn Văn An"), kwargs.get("password", PASSWORD), "en"
        )
