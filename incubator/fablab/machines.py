"""Machines: their settings, photo and status (leaving `active` cancels their future
bookings), and the lists of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, select

from incubator import audit, files
from incubator.accounts.models import User
from incubator.db import add_unique, db, on_commit, on_rollback, utcnow
from incubator.errors import DomainError, NotFound
from incubator.fablab.booking_rules import holding
from incubator.fablab.bookings import cancel_all, locked_machine
from incubator.fablab.common import is_staff, require_staff
from incubator.fablab.models import Lab, Machine, MachineCategory, MachineStatus


def viewable_machine(actor: Any, machine_id: int) -> Machine:
    machine = db.session.get(Machine, machine_id)
    if machine is None:
        raise NotFound("machine")
    return machine


def managed_machine(actor: Any, machine_id: int) -> Machine:
    machine = viewable_machine(actor, machine_id)
    if not is_staff(actor, machine.lab):
        raise NotFound("machine")
    return machine


@dataclass
class MachineData:
    name: str
    category: MachineCategory
    description: str = ""
    slot_minutes: int = 30
    min_minutes: int = 30
    max_minutes: int = 240
    training_required: bool = False
    photo: files.Upload | None = None  # a new photo, replacing the one there is
    remove_photo: bool = False


PHOTOS = "machine_photos"


def save_machine(actor: User, lab: Lab, machine: Machine | None, data: MachineData) -> Machine:
    require_staff(actor, lab)
    if not data.name.strip():
        raise DomainError(_("This field is required."), field="name")
    if data.min_minutes % data.slot_minutes or data.max_minutes % data.slot_minutes:
        raise DomainError(
            _("The minimum and maximum lengths are whole numbers of slots."), field="min_minutes"
        )
    if data.min_minutes > data.max_minutes:
        raise DomainError(
            _("The minimum length is not longer than the maximum."), field="min_minutes"
        )
    new = machine is None
    if machine is None:
        machine = Machine(lab_id=lab.id)
    elif machine.lab_id != lab.id:
        raise NotFound("machine")
    name_taken = DomainError(
        _(
            "%(lab)s already has a machine named %(name)s: give each machine its own name.",
            lab=lab.name,
            name=data.name.strip(),
        ),
        field="name",
    )
    same_name = select(Machine.id).where(
        Machine.lab_id == lab.id, Machine.name == data.name.strip()
    )
    if db.session.scalar(same_name.where(Machine.id != machine.id) if not new else same_name):
        raise name_taken
    machine.name = data.name.strip()
    machine.category = data.category
    machine.description = data.description.strip()
    machine.slot_minutes = data.slot_minutes
    machine.min_minutes = data.min_minutes
    machine.max_minutes = data.max_minutes
    machine.training_required = data.training_required
    _set_photo(machine, data)
    if new:
        add_unique(machine, name_taken)  # a twin request that saved the same machine meanwhile
    db.session.flush()
    audit.record(actor, "fablab.machine_saved", machine)
    return machine


def _set_photo(machine: Machine, data: MachineData) -> None:
    """Store the new photo (checked by content) or drop the old one. Files follow the
    transaction: the new one is deleted if it rolls back, the old one once it commits."""
    if data.photo is None and not data.remove_photo:
        return
    session, old = db.session, machine.photo
    if data.photo is not None:
        limit = current_app.config["MACHINE_PHOTO_MAX_BYTES"]
        stored = files.store_image(PHOTOS, data.photo.stream, limit, field="photo")
        on_rollback(session, lambda: files.delete(PHOTOS, stored.name))
        machine.photo = stored.name
    else:
        machine.photo = None
    on_commit(session, lambda: files.delete(PHOTOS, old))


def stored_photos(_sender: Any = None) -> list[tuple[str, str]]:
    """Answers `signals.stored_files`: the machines' photos."""
    rows = db.session.execute(select(Machine.id, Machine.photo).where(Machine.photo.is_not(None)))
    return [(files.key(PHOTOS, name), f"photo of machine {id_}") for id_, name in rows]


def machine_photo(actor: Any, machine_id: int, name: str) -> tuple[str, str]:
    """(storage key, content type) of a machine's photo, for every logged-in user; only the
    photo the machine has now (its name is random: the address changes with the photo)."""
    machine = viewable_machine(actor, machine_id)
    if not machine.photo or machine.photo != name:
        raise NotFound("photo")
    extension = "." + machine.photo.rpartition(".")[2]
    if extension not in files.IMAGE_TYPES:
        raise NotFound("photo")
    return files.key(PHOTOS, machine.photo), files.IMAGE_TYPES[extension]


def set_status(
    actor: User, machine: Machine, status: MachineStatus, reason: str, now: datetime | None = None
) -> int:
    """Active, under maintenance or retired; leaving `active` cancels the machine's future
    bookings (their owners are emailed). The number of bookings cancelled."""
    require_staff(actor, machine.lab)
    reason = reason.strip()
    if status is not MachineStatus.ACTIVE and not reason:
        raise DomainError(_("Give the reason, for the founders."), field="reason")
    machine = locked_machine(machine.id)
    machine.status = status
    machine.status_reason = reason if status is not MachineStatus.ACTIVE else ""
    cancelled = 0
    if status is not MachineStatus.ACTIVE:
        now = now or utcnow()
        future = holding(machine.id, now, now + timedelta(days=3660))
        cancelled = cancel_all(future, reason, now)
    audit.record(actor, "fablab.status_set", machine, status=status.value, cancelled=cancelled)
    return cancelled


def bookable_machines_query() -> Select[Any]:
    """The machines of every lab that are not retired (the API's equipment list)."""
    return select(Machine).where(Machine.status != MachineStatus.RETIRED)


def machines_of(lab: Lab, include_retired: bool = False) -> list[Machine]:
    statement = select(Machine).where(Machine.lab_id == lab.id).order_by(Machine.name)
    if not include_retired:
        statement = statement.where(Machine.status != MachineStatus.RETIRED)
    return list(db.session.scalars(statement))
