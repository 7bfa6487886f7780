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
from incubator.demodays import services
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
            demo_day = services.create_demo_day(
                actor,
                services.DemoDayData(
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
                services.invite_judge(actor, demo_day, judge.email, "")
            if status in ("judging", "closed", "published"):
                services.change_status(actor, demo_day, services.Change.OPEN)
            if status in ("closed",):
                services.change_status(actor, demo_day, services.Change.CLOSE)
            if status == "published":
                services.change_status(actor, demo_day, services.Change.PUBLISH)
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
            return services.save_score(
                db.session.get(User, judge.id),
                demo_day,
                services.pitch_of(demo_day, slot_id),
                services.criterion_of(demo_day, criterion_id),
                value,
            )
