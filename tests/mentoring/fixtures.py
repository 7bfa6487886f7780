"""Mentoring factories."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from incubator.accounts.models import Role, User
from incubator.applications.stages import Stage
from incubator.db import db, utcnow
from incubator.mentoring import assignments, sessions
from incubator.mentoring.models import (
    ActionOwner,
    Assignment,
    ExpertiseTag,
    MentoredStartup,
    MentoringSession,
    MentorProfile,
    SessionFormat,
)
from tests.conftest import app_session


@pytest.fixture
def make_mentored(
    app: Flask, make_application: Callable[..., Any], make_program: Callable[..., Any]
) -> Callable[..., MentoredStartup]:
    """make_mentored(center="BIIC") -> a startup in incubation (through the real move)."""

    def make(center: str = "BIIC", startup: Any = None) -> MentoredStartup:
        application = make_application(
            Stage.INCUBATING, program=make_program(center=center), startup=startup
        )
        with app_session(app) as session:
            return session.get(MentoredStartup, application.startup_id)

    return make


@pytest.fixture
def make_mentor(app: Flask, make_user: Callable[..., User]) -> Callable[..., User]:
    """make_mentor(center="BIIC", capacity=3) -> a mentor serving the center, with a profile."""

    def make(center: str = "BIIC", capacity: int = 3, sectors: tuple[str, ...] = ()) -> User:
        mentor = make_user(Role.MENTOR, center=center)
        with app_session(app) as session:
            session.add(MentorProfile(user_id=mentor.id, capacity=capacity, sectors=list(sectors)))
            session.commit()
        return mentor

    return make


def in_db(model: Any, key: Any) -> Any:
    """The row as the current app context's session sees it."""
    return db.session.get(model, key)


@pytest.fixture
def assigned(
    app: Flask,
    make_mentored: Callable[..., MentoredStartup],
    make_mentor: Callable[..., User],
    manager_of: Callable[[str], User],
) -> Callable[..., Any]:
    """assigned(center="BIIC") -> (assignment id, mentor, founder, mentored startup id)."""

    def make(center: str = "BIIC") -> tuple[int, User, User, int]:
        mentored = make_mentored(center)
        mentor = make_mentor(center)
        with app_session(app) as session:
            stored = session.get(MentoredStartup, mentored.startup_id)
            assignment = assignments.assign(
                session.get(User, manager_of(center).id), stored, session.get(User, mentor.id)
            )
            founder = session.get(User, stored.startup.members[0].user_id)
            session.commit()
            return assignment.id, mentor, founder, mentored.startup_id

    return make


def session_data(**changes: Any) -> sessions.SessionData:
    values: dict[str, Any] = {
        "client_key": f"key-{utcnow().timestamp()}-{id(changes)}",
        "held_at": utcnow() - timedelta(hours=2),
        "minutes": 60,
        "format": SessionFormat.IN_PERSON,
        "topics": "Gọi vốn",
        "summary": "Chuẩn bị bản thuyết trình gọi vốn.",
        "private_notes": "Đội ngũ còn yếu về tài chính.",
        "action_items": [
            sessions.ActionInput("Gửi bảng số liệu", ActionOwner.STARTUP),
            sessions.ActionInput("Giới thiệu nhà đầu tư", ActionOwner.MENTOR),
        ],
    }
    values.update(changes)
    return sessions.SessionData(**values)


def user_in_db(user: Any) -> User:
    """The user as the current app context's session sees it."""
    return db.session.get(User, user.id)


def log_committed(assignment_id: int, mentor: Any, **changes: Any) -> MentoringSession:
    """The mentor logs a session (a fresh form each time) and it is committed."""
    logged = sessions.log_session(
        user_in_db(mentor),
        db.session.get(Assignment, assignment_id),
        session_data(**{"client_key": uuid.uuid4().hex, **changes}),
    )
    db.session.commit()
    return logged


@pytest.fixture
def make_tag(app: Flask) -> Callable[..., int]:
    """make_tag("Gọi vốn", "Fundraising", active=True) -> the id of a tag of the list."""

    def make(name_vi: str, name_en: str, active: bool = True) -> int:
        with app_session(app) as session:
            tag = ExpertiseTag(name_vi=name_vi, name_en=name_en, active=active)
            session.add(tag)
            session.commit()
            return tag.id

    return make
