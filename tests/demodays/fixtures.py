"""Demo-day factories: make_demo_day walks real startups to the stage `demo_day` and plans
a demo day through the services, with invited judges."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from incubator.accounts.models import Role, User
from incubator.applications.stages import Stage
from incubator.db import db, utcnow
from incubator.demodays import access, judging, planning
from incubator.demodays.models import DemoDay
from tests.conftest import app_session

# two criteria: weights 2 and 1, scored out of 10
RUBRIC = (("Sản phẩm", 2, 10), ("Đội ngũ", 1, 10))


@dataclass
class Planned:
    demo_day_id: int
    slot_ids: list[int]
    criterion_ids: list[int]
    application_ids: list[int]
    manager: User
    judges: list[User] = field(default_factory=list)
    founders: list[User] = field(default_factory=list)


def in_db(model: Any, key: Any) -> Any:
    return db.session.get(model, key)


@pytest.fixture
def make_demo_day(
    app: Flask,
    make_program: Callable[..., Any],
    make_application: Callable[..., Any],
    make_startup: Callable[..., Any],
    make_user: Callable[..., User],
    manager_of: Callable[[str], User],
) -> Callable[..., Planned]:
    """make_demo_day(pitches=3, judges=2, center="BIIC", status="planning", names=None)."""

    def make(
        pitches: int = 3,
        judges: int = 2,
        center: str = "BIIC",
        status: str = "planning",
        names: list[str] | None = None,
        rubric: tuple[tuple[str, int, int], ...] = RUBRIC,
    ) -> Planned:
        program = make_program(center=center, rubric=rubric)
        applications = []
        founders = []
        for number in range(pitches):
            name = names[number] if names else None
            startup = make_startup(name=name) if name else make_startup()
            applications.append(make_application(Stage.DEMO_DAY, program=program, startup=startup))
            founders.append(startup.members[0].user_id)
        manager = manager_of(center)
        invited = [make_user(Role.JUDGE, name=f"Giám khảo {n + 1}") for n in range(judges)]
        with app_session(app) as session:
            actor = session.get(User, manager.id)
            demo_day = planning.create_demo_day(
                actor,
                planning.DemoDayData(
                    program_id=program.id,
                    name_vi="Demo Day thử",
                    name_en="Test demo day",
                    starts_at=utcnow() + timedelta(days=1),
                    venue="Hội trường BIIC",
                    pitch_minutes=7,
                    qa_minutes=3,
                ),
            )
            for judge in invited:
                judging.invite_judge(actor, demo_day, judge.email, "")
            if status in ("judging", "closed", "published"):
                planning.change_status(actor, demo_day, planning.Change.OPEN)
            if status in ("closed",):
                planning.change_status(actor, demo_day, planning.Change.CLOSE)
            if status == "published":
                planning.change_status(actor, demo_day, planning.Change.PUBLISH)
            session.commit()
            planned = Planned(
                demo_day_id=demo_day.id,
                slot_ids=[s.id for s in demo_day.pitches],
                criterion_ids=[c.id for c in demo_day.criteria],
                application_ids=[a.id for a in applications],
                manager=manager,
                judges=invited,
                founders=[session.get(User, f) for f in founders],
            )
        return planned

    return make


def score(
    app: Flask, planned: Planned, judge: User, slot_id: int, criterion_id: int, value: int
) -> Any:
    """One score saved through the service, in its own transaction."""
    with app.app_context():
        demo_day = db.session.get(DemoDay, planned.demo_day_id)
        with db.transaction():
            return judging.save_score(
                db.session.get(User, judge.id),
                demo_day,
                access.pitch_of(demo_day, slot_id),
                access.criterion_of(demo_day, criterion_id),
                value,
            )


def demo_day_of(planned: Any) -> DemoDay:
    return in_db(DemoDay, planned.demo_day_id)


def user_of(user: User) -> User:
    return in_db(User, user.id)


def change_status(planned: Any, change: str, reason: str = "") -> None:
    with db.transaction():
        planning.change_status(user_of(planned.manager), demo_day_of(planned), change, reason)


def score_all(app: Any, planned: Any, table: dict[tuple[int, int], tuple[int, int]]) -> None:
    """table: (judge index, pitch index) -> (value of criterion 1, of criterion 2)."""
    for (j, p), values in table.items():
        for criterion, value in zip(planned.criterion_ids, values, strict=True):
            score(app, planned, planned.judges[j], planned.slot_ids[p], criterion, value)
