"""Demo days: the decisions that follow the published results (through the stage machine),
and what a stage change does to the pitches and certificates."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from incubator.accounts.models import User
from incubator.applications import services as applications
from incubator.applications.models import Application, StageTransition
from incubator.applications.stages import Stage
from incubator.db import add_unique, db
from incubator.demodays.access import (
    pitch_of,
    require_manager,
)
from incubator.demodays.certificates import (
    issue_certificate,
)
from incubator.demodays.models import (
    DemoDay,
    DemoSlot,
    Status,
)
from incubator.errors import DomainError
from incubator.i18n import to_local


class Decision:
    GRADUATE = "graduate"
    NOT_READY = "not_ready"


def decide(actor: User, demo_day: DemoDay, slot_ids: list[int], decision: str) -> int:
    """Graduate the chosen pitches' startups, or send them back to incubation ("not ready"),
    through the stage machine; only after publication. Those no longer at the stage
    `demo_day` are left as they are. The number of startups moved."""
    require_manager(actor, demo_day)
    if not demo_day.published:
        raise DomainError(_("Publish the results before deciding who graduates."))
    target = {Decision.GRADUATE: Stage.GRADUATED, Decision.NOT_READY: Stage.INCUBATING}.get(
        decision
    )
    if target is None:
        raise DomainError(_("Not a valid choice."))
    if not slot_ids:
        raise DomainError(_("Choose at least one startup."))
    moved = 0
    for slot_id in slot_ids:
        slot = pitch_of(demo_day, slot_id)
        application = slot.application
        db.session.refresh(application)
        if application.stage is not Stage.DEMO_DAY:
            continue
        applications.move(actor, application, target)
        moved += 1
    if not moved:
        raise DomainError(_("These startups were already decided."))
    return moved


def follow_stage(application: Application, *, transition: StageTransition, actor: Any) -> None:
    """signals.stage_changed: a startup selected for demo day becomes a pitch of its program's
    demo days still in planning; one graduating after a published demo day gets its
    certificate; one leaving before any score leaves the running order."""
    if transition.to_stage is Stage.DEMO_DAY:
        for demo_day in db.session.scalars(
            select(DemoDay).where(
                DemoDay.program_id == application.program_id,
                DemoDay.status.in_([Status.PLANNING, Status.JUDGING]),
            )
        ):
            last = db.session.scalar(
                select(func.max(DemoSlot.position)).where(DemoSlot.demo_day_id == demo_day.id)
            )
            add_unique(
                DemoSlot(
                    demo_day_id=demo_day.id,
                    application_id=application.id,
                    position=(last if last is not None else -1) + 1,
                )
            )
            db.session.expire(demo_day, ["slots"])
    elif transition.to_stage is Stage.GRADUATED:
        demo_day = db.session.scalar(
            select(DemoDay)
            .join(DemoSlot, DemoSlot.demo_day_id == DemoDay.id)
            .where(DemoSlot.application_id == application.id, DemoDay.status == Status.PUBLISHED)
            .order_by(DemoDay.starts_at.desc())
            .limit(1)
        )
        if demo_day is not None:
            issue_certificate(application, demo_day, to_local(transition.at).date())
    elif transition.from_stage is Stage.DEMO_DAY and transition.to_stage is not Stage.INCUBATING:
        for slot in db.session.scalars(
            select(DemoSlot)
            .join(DemoDay, DemoDay.id == DemoSlot.demo_day_id)
            .where(DemoSlot.application_id == application.id, DemoDay.status == Status.PLANNING)
        ):
            db.session.delete(slot)
