"""Demo days: the running order of pitches and breaks, its times, and the pitch on stage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import update

from incubator.accounts.models import User
from incubator.db import db, utcnow
from incubator.demodays.access import (
    require_manager,
    require_not_published,
)
from incubator.demodays.models import (
    DemoDay,
    DemoSlot,
)
from incubator.demodays.planning import (
    added,
)
from incubator.errors import DomainError
from incubator.i18n import format_time


@dataclass
class ScheduleRow:
    slot: DemoSlot
    starts_at: datetime
    ends_at: datetime

    @property
    def hours(self) -> str:
        return f"{format_time(self.starts_at)}–{format_time(self.ends_at)}"


def schedule(demo_day: DemoDay) -> list[ScheduleRow]:
    """The running order with each slot's start and end, from the order and the lengths."""
    rows = []
    moment = demo_day.starts_at
    for slot in demo_day.slots:
        minutes = slot.break_minutes if slot.is_break else demo_day.slot_minutes
        end = moment + timedelta(minutes=minutes or 0)
        rows.append(ScheduleRow(slot, moment, end))
        moment = end
    return rows


def move_slot(actor: User, demo_day: DemoDay, slot: DemoSlot, position: int, up: bool) -> None:
    """Swap the slot with its neighbour above (or below). `position` is where the page showed
    it: when the order changed meanwhile (the same click sent twice), nothing moves."""
    require_manager(actor, demo_day)
    require_not_published(demo_day)
    _lock(demo_day)
    db.session.refresh(slot)
    if slot.position != position:
        raise DomainError(_("The order changed meanwhile; please check it again."))
    ordered = sorted(demo_day.slots, key=lambda s: (s.position, s.id))
    index = next(i for i, s in enumerate(ordered) if s.id == slot.id)
    other_index = index - 1 if up else index + 1
    if not 0 <= other_index < len(ordered):
        raise DomainError(_("This slot cannot move further."))
    ordered[index], ordered[other_index] = ordered[other_index], ordered[index]
    for number, item in enumerate(ordered):
        item.position = number
    db.session.flush()
    db.session.expire(demo_day, ["slots"])


def reorder(actor: User, demo_day: DemoDay, slot_ids: list[int]) -> None:
    """The whole running order at once (dragged on the page): every slot, each once."""
    require_manager(actor, demo_day)
    require_not_published(demo_day)
    _lock(demo_day)
    db.session.expire(demo_day, ["slots"])
    current = {slot.id: slot for slot in demo_day.slots}
    if len(slot_ids) != len(current) or set(slot_ids) != set(current):
        raise DomainError(_("The order changed meanwhile; please check it again."))
    for position, slot_id in enumerate(slot_ids):
        current[slot_id].position = position
    db.session.flush()
    db.session.expire(demo_day, ["slots"])


def add_break(actor: User, demo_day: DemoDay, minutes: int, label: str) -> DemoSlot:
    """A break at the end of the running order (then moved where it belongs)."""
    require_manager(actor, demo_day)
    require_not_published(demo_day)
    slot = DemoSlot(
        demo_day_id=demo_day.id,
        position=max((s.position for s in demo_day.slots), default=-1) + 1,
        break_minutes=minutes,
        break_label=label.strip(),
    )
    return added(demo_day, slot, "slots")


def remove_break(actor: User, demo_day: DemoDay, slot: DemoSlot) -> None:
    require_manager(actor, demo_day)
    require_not_published(demo_day)
    if not slot.is_break:
        raise DomainError(_("Only breaks can be removed from the running order."))
    db.session.delete(slot)
    db.session.flush()
    db.session.expire(demo_day, ["slots"])


def set_current(actor: User, demo_day: DemoDay, slot: DemoSlot | None) -> None:
    """The pitch on stage now ("now pitching"), or none."""
    require_manager(actor, demo_day)
    require_not_published(demo_day)
    demo_day.current_slot_id = slot.id if slot is not None else None
    demo_day.updated_at = utcnow()


def next_pitch(demo_day: DemoDay) -> DemoSlot | None:
    """The pitch after the current one (the first when none is on stage)."""
    pitches = demo_day.pitches
    if demo_day.current_slot_id is None:
        return pitches[0] if pitches else None
    ids = [p.id for p in pitches]
    if demo_day.current_slot_id not in ids:
        return pitches[0] if pitches else None
    index = ids.index(demo_day.current_slot_id)
    return pitches[index + 1] if index + 1 < len(pitches) else None


def _lock(demo_day: DemoDay) -> None:
    """Hold the demo day's row until the end of the transaction."""
    db.session.execute(
        update(DemoDay)
        .where(DemoDay.id == demo_day.id)
        .values(updated_at=DemoDay.updated_at)
        .execution_options(synchronize_session=False)
    )
