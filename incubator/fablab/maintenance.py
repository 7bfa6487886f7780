"""Maintenance blocks: a machine taken out of use for a period; the bookings inside are
cancelled and their owners emailed in the same transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from incubator import audit
from incubator.accounts.models import User
from incubator.db import add_unique, db, utcnow
from incubator.errors import DomainError, NotFound
from incubator.fablab.booking_rules import holding
from incubator.fablab.bookings import cancel_all, locked_machine
from incubator.fablab.common import LIST_LIMIT, require_staff
from incubator.fablab.machines import managed_machine
from incubator.fablab.models import Machine, MaintenanceBlock
from incubator.i18n import format_datetime


def block_machine(
    actor: User,
    machine: Machine,
    starts: datetime,
    ends: datetime,
    reason: str,
    now: datetime | None = None,
) -> tuple[MaintenanceBlock, int]:
    """Block a machine for maintenance; the bookings inside are cancelled and their owners
    emailed in the same transaction. The block and the number of bookings cancelled."""
    now = now or utcnow()
    require_staff(actor, machine.lab)
    if ends <= starts:
        raise DomainError(_("The end comes after the start."), field="ends_at")
    if ends <= now:
        raise DomainError(_("This period has passed."), field="ends_at")
    if ends - starts > timedelta(days=180):
        raise DomainError(_("A maintenance block lasts at most 180 days."), field="ends_at")
    if not reason.strip():
        raise DomainError(_("Give the reason, for the founders."), field="reason")
    machine = locked_machine(machine.id)
    block = MaintenanceBlock(
        machine_id=machine.id,
        starts_at=starts,
        ends_at=ends,
        reason=reason.strip(),
        created_by_id=actor.id,
    )
    # the same block sent twice (a double click, twenty requests at once) is made once
    add_unique(
        block,
        DomainError(
            _(
                "%(machine)s is already blocked from %(start)s to %(end)s.",
                machine=machine.name,
                start=format_datetime(starts),
                end=format_datetime(ends),
            )
        ),
    )
    cancelled = cancel_all(holding(machine.id, starts, ends), block.reason, now)
    audit.record(actor, "fablab.blocked", block, cancelled=cancelled)
    return block, cancelled


def remove_block(actor: User, block: MaintenanceBlock) -> None:
    machine = db.session.get(Machine, block.machine_id)
    assert machine is not None
    require_staff(actor, machine.lab)
    audit.record(actor, "fablab.unblocked", block)
    db.session.delete(block)
    db.session.flush()


def managed_block(actor: User, block_id: int) -> MaintenanceBlock:
    block = db.session.get(MaintenanceBlock, block_id)
    if block is None:
        raise NotFound("block")
    managed_machine(actor, block.machine_id)
    return block


def upcoming_blocks(machine: Machine, now: datetime, limit: int = LIST_LIMIT) -> list[Any]:
    return list(
        db.session.scalars(
            select(MaintenanceBlock)
            .where(MaintenanceBlock.machine_id == machine.id, MaintenanceBlock.ends_at > now)
            .order_by(MaintenanceBlock.starts_at)
            .limit(limit)
        )
    )
