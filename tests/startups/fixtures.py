"""Startup factory: make_startup."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from incubator.accounts.models import Role, User
from incubator.startups.models import Sector, Startup, StartupMember
from tests.conftest import app_session


@pytest.fixture
def make_startup(app: Flask, make_user: Callable[..., User]) -> Callable[..., Any]:
    """make_startup(founder=None, name=None) -> Startup with the founder as member."""

    def make(
        founder: User | None = None, name: str | None = None, sector: str = "agritech"
    ) -> Startup:
        founder = founder or make_user(Role.FOUNDER)
        with app_session(app) as session:
            startup = Startup(
                name=name or f"Khởi nghiệp {uuid.uuid4().hex[:5]}",
                sector=Sector(sector),
                description="Giải pháp nông nghiệp thông minh",
                trl=5,
                team_size=3,
            )
            startup.members.append(StartupMember(user_id=founder.id, title="CEO"))
            session.add(startup)
            session.commit()
        return startup

    return make
