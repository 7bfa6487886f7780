"""Applications: the one function that changes a stage, with its rules beyond the table."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    func,
    select,
    update,
)
from sqlalchemy.orm.attributes import set_committed_value

from incubator import audit, signals
from incubator.accounts.models import User
from incubator.applications.access import (
    capacities_of,
)
from incubator.applications.answers import (
    drop_unshown,
    missing_parts,
)
from incubator.applications.models import (
    Application,
    StageTransition,
    shift_stage_count,
)
from incubator.applications.stages import (
    Capacity,
    Move,
    Refusal,
    Stage,
    TransitionRefused,
    check,
    moves_from,
)
from incubator.db import db, utcnow
from incubator.errors import DomainError, NotFound
from incubator.mail import queue_email
from incubator.programs.models import Program


def history(application: Application) -> list[StageTransition]:
    return sorted(application.transitions, key=lambda t: (t.at, t.id))


def _refusal_message(error: TransitionRefused) -> str:
    source, target = error.source.label, error.target.label
    if error.refusal is Refusal.SAME_STAGE:
        return _("The application is already at the stage %(stage)s.", stage=source)
    if error.refusal is Refusal.TERMINAL:
        return _(
            "The stage %(stage)s is final; the application cannot move any more.", stage=source
        )
    if error.refusal is Refusal.NOT_A_MOVE:
        return _(
            "An application cannot move from %(source)s to %(target)s.",
            source=source,
            target=target,
        )
    if error.move is not None and error.move.capacity is Capacity.FOUNDER:
        return _("Only the startup's founders can do this.")
    return _("Only a manager of the center can do this.")


def _guard(application: Application, move: Move) -> None:
    """Rules beyond the table: the deadline and completeness, the capacity."""
    if move.target is Stage.SUBMITTED:
        if not application.program.is_open():
            raise DomainError(
                _("The call is closed; applications can no longer be submitted."),
                code="deadline_passed",
                conflict=True,
            )
        missing = missing_parts(application)
        if missing:
            raise DomainError(
                _(
                    "Please complete before submitting: %(parts)s.",
                    parts=", ".join(m.label for m in missing),
                ),
                code="incomplete",
            )
        drop_unshown(application)
    if move.target is Stage.ACCEPTED:
        # lock the program row: two managers accepting at once cannot both take the last place
        db.session.execute(
            # FOR NO KEY UPDATE: accepts still queue, and a move inserting the program's first
            # count of a stage (a foreign key's KEY SHARE) does not wait on it
            select(Program.id)
            .where(Program.id == application.program_id)
            .with_for_update(key_share=True)
        )
        taken = db.session.scalar(
            select(func.count())
            .select_from(Application)
            .where(
                Application.program_id == application.program_id,
                Application.stage.in_(
                    [Stage.ACCEPTED, Stage.INCUBATING, Stage.DEMO_DAY, Stage.GRADUATED]
                ),
            )
        )
        if taken >= application.program.capacity:
            raise DomainError(
                _(
                    "The program is full (%(capacity)d places): no more startups can be accepted.",
                    capacity=application.program.capacity,
                ),
                code="program_full",
                conflict=True,
            )


def move(actor: User, application: Application, target: Stage, reason: str = "") -> StageTransition:
    """The only way a stage changes: checks the table and the actor's right, then writes the
    transition, the audit entry and the founders' emails in the caller's transaction."""
    actors = capacities_of(actor, application)
    if not actors:
        raise NotFound("application")
    source = application.stage
    try:
        step = check(source, target, actors)
    except TransitionRefused as error:
        raise DomainError(
            _refusal_message(error), code="transition_not_allowed", conflict=True
        ) from error
    reason = reason.strip()
    if step.reason_required and not reason:
        raise DomainError(_("Please give a reason."), field="reason", code="reason_required")
    _guard(application, step)
    now = utcnow()
    # Conditional on the stage we read, so that two concurrent moves cannot both win.
    values = {"stage": target, "updated_at": now}
    if target is Stage.SUBMITTED:
        values["submitted_at"] = now
    changed = db.session.execute(
        update(Application)
        .where(Application.id == application.id, Application.stage == source)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise DomainError(
            _("Someone else changed this application meanwhile; please reload the page."),
            code="conflict",
            conflict=True,
        )
    shift_stage_count(db.session.connection(), application.program_id, source, target)
    for name, value in values.items():
        set_committed_value(application, name, value)
    transition = StageTransition(
        application=application,
        from_stage=source,
        to_stage=target,
        actor_id=actor.id,
        reason=reason,
        at=now,
    )
    db.session.add(transition)
    audit.record(
        actor,
        f"application.{step.action}",
        application,
        source=source.value,
        target=target.value,
        reason=reason,
    )
    for member in application.startup.members:
        if member.user.active:
            queue_email(
                member.user, "stage_changed", application=application, transition=transition
            )
    signals.stage_changed.send(application, transition=transition, actor=actor)
    return transition


def allowed_moves(user: Any, application: Application) -> list[Move]:
    return moves_from(application.stage, capacities_of(user, application))
