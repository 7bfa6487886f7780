"""Demo days: planning one (its program, time, venue and rubric) and its status (judging
opened and closed, results published or reopened)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from incubator import audit
from incubator.accounts.models import User
from incubator.applications.models import Application
from incubator.applications.stages import Stage
from incubator.db import db, utcnow
from incubator.demodays.access import (
    require_manager,
    require_not_published,
)
from incubator.demodays.models import (
    MAX_SCORE,
    DemoCriterion,
    DemoDay,
    DemoSlot,
    Status,
)
from incubator.demodays.standings import (
    recompute,
)
from incubator.errors import DomainError
from incubator.programs.models import Program


@dataclass
class DemoDayData:
    program_id: int
    name_vi: str
    name_en: str
    starts_at: datetime
    venue: str
    pitch_minutes: int
    qa_minutes: int


def _require_planning(demo_day: DemoDay) -> None:
    if demo_day.status is not Status.PLANNING:
        raise DomainError(_("Judging has started: the rubric can no longer change."))


def create_demo_day(actor: User, data: DemoDayData) -> DemoDay:
    """A new demo day for a program the actor manages: the program's rubric is copied as its
    judging rubric, and its startups in stage `demo_day` become its pitches."""
    program = db.session.get(Program, data.program_id)
    if program is None or not actor.manages(program.center_id):
        raise DomainError(_("Choose a program of your center."), field="program_id")
    demo_day = DemoDay(program=program, center_id=program.center_id, created_by_id=actor.id)
    _apply(demo_day, data)
    for position, criterion in enumerate(program.criteria):
        demo_day.criteria.append(
            DemoCriterion(
                position=position,
                name_vi=criterion.name_vi,
                name_en=criterion.name_en,
                weight=min(max(criterion.weight, 1), 100),
                max_score=min(max(criterion.max_score, 1), MAX_SCORE),
            )
        )
    db.session.add(demo_day)
    db.session.flush()
    ready = db.session.scalars(
        select(Application)
        .where(Application.program_id == program.id, Application.stage == Stage.DEMO_DAY)
        .order_by(Application.id)
    )
    for position, application in enumerate(ready):
        db.session.add(
            DemoSlot(demo_day_id=demo_day.id, application_id=application.id, position=position)
        )
    db.session.flush()
    audit.record(actor, "demo_day.created", demo_day, program=program.id)
    return demo_day


def _apply(demo_day: DemoDay, data: DemoDayData) -> None:
    demo_day.name_vi = data.name_vi.strip()
    demo_day.name_en = data.name_en.strip()
    demo_day.starts_at = data.starts_at
    demo_day.venue = data.venue.strip()
    demo_day.pitch_minutes = data.pitch_minutes
    demo_day.qa_minutes = data.qa_minutes
    demo_day.updated_at = utcnow()


def update_demo_day(actor: User, demo_day: DemoDay, data: DemoDayData) -> DemoDay:
    require_manager(actor, demo_day)
    require_not_published(demo_day)
    _apply(demo_day, data)
    audit.record(actor, "demo_day.updated", demo_day)
    return demo_day


def added(demo_day: DemoDay, row: Any, relation: str) -> Any:
    """`row` inserted; the demo day's `relation` reads it from now on."""
    db.session.add(row)
    db.session.flush()
    db.session.expire(demo_day, [relation])
    return row


def add_criterion(
    actor: User, demo_day: DemoDay, name_vi: str, name_en: str, weight: int, max_score: int
) -> DemoCriterion:
    require_manager(actor, demo_day)
    _require_planning(demo_day)
    criterion = DemoCriterion(
        demo_day_id=demo_day.id,
        position=max((c.position for c in demo_day.criteria), default=-1) + 1,
        name_vi=name_vi.strip(),
        name_en=name_en.strip(),
        weight=weight,
        max_score=max_score,
    )
    return added(demo_day, criterion, "criteria")


def remove_criterion(actor: User, demo_day: DemoDay, criterion: DemoCriterion) -> None:
    require_manager(actor, demo_day)
    _require_planning(demo_day)
    if len(demo_day.criteria) <= 1:
        raise DomainError(_("A demo day needs at least one criterion."))
    db.session.delete(criterion)
    db.session.flush()
    db.session.expire(demo_day, ["criteria"])


class Change:
    OPEN = "open"
    CLOSE = "close"
    PUBLISH = "publish"
    REOPEN = "reopen"


_CHANGES = {
    Change.OPEN: ((Status.PLANNING, Status.CLOSED), Status.JUDGING),
    Change.CLOSE: ((Status.JUDGING,), Status.CLOSED),
    Change.PUBLISH: ((Status.JUDGING, Status.CLOSED), Status.PUBLISHED),
    Change.REOPEN: ((Status.PUBLISHED,), Status.JUDGING),
}


def change_status(actor: User, demo_day: DemoDay, change: str, reason: str = "") -> DemoDay:
    """Open or close judging, publish the results, or reopen them (with a reason, audited).

    A conditional UPDATE on the status read: of two simultaneous requests one changes it,
    the other is refused; a score being saved holds the row, so the publication waits for
    it and every later score sees the new status."""
    require_manager(actor, demo_day)
    if change not in _CHANGES:
        raise DomainError(_("Not a valid choice."))
    sources, target = _CHANGES[change]
    reason = reason.strip()
    if change == Change.REOPEN and not reason:
        raise DomainError(_("Please give a reason."), field="reason")
    if change == Change.OPEN and not demo_day.criteria:
        raise DomainError(_("A demo day needs at least one criterion."))
    # first take the row on the condition of its status (waiting for the scores being
    # saved), then stamp the change: no score is saved after the time published_at says
    taken = db.session.execute(
        update(DemoDay)
        .where(DemoDay.id == demo_day.id, DemoDay.status.in_(sources))
        .values(updated_at=DemoDay.updated_at)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        db.session.refresh(demo_day)
        raise DomainError(
            _(
                "This cannot be done now: the demo day is at “%(status)s”.",
                status=demo_day.status.label,
            )
        )
    now = utcnow()
    values: dict[str, Any] = {"status": target, "updated_at": now}
    if target is Status.PUBLISHED:
        values["published_at"] = now
    if change == Change.REOPEN:
        values["published_at"] = None
    db.session.execute(
        update(DemoDay)
        .where(DemoDay.id == demo_day.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    for name, value in values.items():
        set_committed_value(demo_day, name, value)
    if target is Status.PUBLISHED:
        recompute(demo_day)
    audit.record(actor, f"demo_day.{change}", demo_day, status=target.value, reason=reason)
    return demo_day
