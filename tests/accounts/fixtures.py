"""Account factories: make_user, login, as_role, manager_of. Every test user has PASSWORD."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from incubator.accounts.models import MentorCenter, Role, RoleGrant, User
from incubator.accounts.passwords import hash_password
from incubator.db import utcnow
from tests.centers.fixtures import center_id
from tests.conftest import app_session

PASSWORD = "correct-horse-42"


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """make_user(*roles, center="BIIC", email=..., name=..., locale="vi", active=True,
    confirmed=True). A mentor serves `center`, or both centers when none is given."""
    counter = iter(range(1, 10_000))

    def make(
        *roles: Role | str,
        center: str | None = None,
        email: str | None = None,
        name: str | None = None,
        locale: str = "vi",
        active: bool = True,
        confirmed: bool = True,
    ) -> User:
        number = next(counter)
        roles = tuple(Role(r) for r in roles) or (Role.FOUNDER,)
        with app_session(app) as session:
            user = User(
                email=email or f"user{number}-{uuid.uuid4().hex[:6]}@example.test",
                name=name or f"Người dùng {number}",
                locale=locale,
                active=active,
                password_hash=hash_password(PASSWORD),
                email_confirmed_at=utcnow() if confirmed else None,
            )
            for role in roles:
                grant_center = None
                if role is Role.MANAGER:
                    grant_center = center_id(app, center or "BIIC")
                user.grants.append(RoleGrant(role=role, center_id=grant_center))
            session.add(user)
            if Role.MENTOR in roles:
                session.flush()
                served = [center] if center else ["BIIC", "SMIC"]
                session.add_all(
                    MentorCenter(user_id=user.id, center_id=center_id(app, code)) for code in served
                )
            session.commit()
        return user

    return make


@pytest.fixture
def login(app: Flask) -> Callable[[User], FlaskClient]:
    """login(user) -> a new test client logged in as that user."""

    def log_in(user: User) -> FlaskClient:
        client = app.test_client()
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return log_in


@pytest.fixture
def as_role(make_user: Callable[..., User], login: Callable[[User], FlaskClient]) -> Any:
    """as_role("manager", center="SMIC") -> (client, user)."""

    def make(*roles: str, center: str | None = None) -> tuple[FlaskClient, User]:
        user = make_user(*roles, center=center)
        return login(user), user

    return make


@pytest.fixture
def manager_of(make_user: Callable[..., User]) -> Callable[[str], User]:
    """manager_of("BIIC") -> the same manager user each time within a test."""
    managers: dict[str, User] = {}

    def get(center: str) -> User:
        if center not in managers:
            managers[center] = make_user(Role.MANAGER, center=center, name=f"Quản lý {center}")
        return managers[center]

    return get
