"""Demo days: who may manage or judge one, the loaders of a demo day and its parts, the
lists, and the guards that every topic of demo days shares."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, select

from incubator.accounts.models import Role, User
from incubator.db import db
from incubator.demodays.models import (
    DemoCriterion,
    DemoDay,
    DemoJudge,
    DemoSlot,
    Status,
)
from incubator.errors import DomainError, NotFound
from incubator.programs.models import Program

LIST_LIMIT = 50


def may_manage(actor: Any, demo_day: DemoDay) -> bool:
    return actor.is_authenticated and actor.manages(demo_day.center_id)


def is_judge(actor: Any, demo_day: DemoDay) -> bool:
    if not actor.is_authenticated or not actor.has_role(Role.JUDGE):
        return False
    return db.session.get(DemoJudge, (demo_day.id, actor.id)) is not None


def demo_day_by_id(demo_day_id: int) -> DemoDay:
    demo_day = db.session.get(DemoDay, demo_day_id)
    if demo_day is None:
        raise NotFound("demo day")
    return demo_day


def managed_demo_day(actor: User, demo_day_id: int) -> DemoDay:
    demo_day = demo_day_by_id(demo_day_id)
    if not may_manage(actor, demo_day):
        raise NotFound("demo day")
    return demo_day


def judged_demo_day(actor: User, demo_day_id: int) -> DemoDay:
    """A demo day the actor was invited to judge."""
    demo_day = demo_day_by_id(demo_day_id)
    if not is_judge(actor, demo_day):
        raise NotFound("demo day")
    return demo_day


def public_demo_day(demo_day_id: int) -> DemoDay:
    """A demo day past its planning, for its public schedule (startup names and sectors
    only): one still being planned has no public page."""
    demo_day = demo_day_by_id(demo_day_id)
    if not demo_day.public:
        raise NotFound("demo day")
    return demo_day


def slot_of(demo_day: DemoDay, slot_id: Any) -> DemoSlot:
    slot = next((s for s in demo_day.slots if s.id == slot_id), None)
    if slot is None:
        raise NotFound("slot")
    return slot


def pitch_of(demo_day: DemoDay, slot_id: Any) -> DemoSlot:
    slot = slot_of(demo_day, slot_id)
    if slot.is_break:
        raise NotFound("pitch")
    return slot


def criterion_of(demo_day: DemoDay, criterion_id: Any) -> DemoCriterion:
    criterion = next((c for c in demo_day.criteria if c.id == criterion_id), None)
    if criterion is None:
        raise NotFound("criterion")
    return criterion


def judge_of(demo_day: DemoDay, user_id: int) -> User:
    judge = db.session.get(DemoJudge, (demo_day.id, user_id))
    if judge is None:
        raise NotFound("judge")
    return judge.user


def center_demo_days_query(center_id: int | None) -> Select[Any]:
    statement = select(DemoDay)
    if center_id is not None:
        statement = statement.where(DemoDay.center_id == center_id)
    return statement


def judged_demo_days(actor: User) -> list[DemoDay]:
    """The demo days the judge was invited to, the latest first."""
    return list(
        db.session.scalars(
            select(DemoDay)
            .join(DemoJudge, DemoJudge.demo_day_id == DemoDay.id)
            .where(DemoJudge.user_id == actor.id)
            .order_by(DemoDay.starts_at.desc())
            .limit(LIST_LIMIT)
        )
    )


def manageable_programs(actor: User) -> list[Program]:
    statement = select(Program).order_by(Program.opens_at.desc())
    if not actor.is_admin:
        statement = statement.where(Program.center_id == actor.managed_center_id)
    return list(db.session.scalars(statement.limit(200)))


def judges_of(demo_day: DemoDay) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(DemoJudge, DemoJudge.user_id == User.id)
            .where(DemoJudge.demo_day_id == demo_day.id)
            .order_by(User.name)
        )
    )


def require_manager(actor: User, demo_day: DemoDay) -> None:
    if not may_manage(actor, demo_day):
        raise NotFound("demo day")


def require_not_published(demo_day: DemoDay) -> None:
    if demo_day.status is Status.PUBLISHED:
        raise DomainError(_("The results are published: nothing can change any more."))


def upcoming_for_judge(actor: User) -> list[DemoDay]:
    return [d for d in judged_demo_days(actor) if d.status is not Status.PUBLISHED][:5]


def upcoming_for_center(center_id: int) -> list[DemoDay]:
    return list(
        db.session.scalars(
            select(DemoDay)
            .where(DemoDay.center_id == center_id, DemoDay.status != Status.PUBLISHED)
            .order_by(DemoDay.starts_at)
            .limit(5)
        )
    )
