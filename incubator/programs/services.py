"""Programs (calls and cohorts) and their rubrics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, or_, select

from incubator import audit, signals
from incubator.accounts.models import User
from incubator.centers.models import Center
from incubator.db import contains_text, db, utcnow
from incubator.enums import parse_enum
from incubator.errors import DomainError, Forbidden, NotFound
from incubator.i18n import to_local
from incubator.programs.models import Program, ProgramKind, ProgramStatus, RubricCriterion


@dataclass
class CriterionData:
    name_vi: str
    description_vi: str
    weight: int
    max_score: int
    id: int | None = None
    name_en: str = ""
    description_en: str = ""


@dataclass
class ProgramData:
    center_id: int
    name_vi: str
    name_en: str
    kind: ProgramKind
    description_vi: str
    description_en: str
    opens_at: datetime | None
    closes_at: datetime | None
    starts_on: date | None
    ends_on: date | None
    capacity: int | None
    criteria: Sequence[CriterionData]


def require_manager(actor: User, center_id: int) -> None:
    if not actor.manages(center_id):
        raise Forbidden(_("Only the managers of this center can do this."))


def managed_program(actor: User, program_id: int) -> Program:
    """A program of a center the actor manages; others look like they do not exist."""
    program = db.session.get(Program, program_id)
    if program is None or not actor.manages(program.center_id):
        raise NotFound("program")
    return program


def visible_program(actor: Any, program_id: int) -> Program:
    """A published program, or a draft to the managers of its center."""
    program = db.session.get(Program, program_id)
    if program is None:
        raise NotFound("program")
    if program.status is not ProgramStatus.PUBLISHED and not (
        actor.is_authenticated and actor.manages(program.center_id)
    ):
        raise NotFound("program")
    return program


def _minutes(*moments: datetime) -> tuple[datetime, ...]:
    """As precise as the form writes them (dd/mm/yyyy hh:mm)."""
    return tuple(moment.replace(second=0, microsecond=0) for moment in moments)


def _check(data: ProgramData, program: Program | None = None) -> None:
    """Refuse what cannot work. A program already saved keeps its past window: only a newly
    set window must not be over already."""
    for name in ("opens_at", "closes_at", "capacity"):
        if getattr(data, name) is None:
            raise DomainError(_("This field is required."), field=name)
    if data.closes_at <= data.opens_at:
        raise DomainError(_("The call must close after it opens."), field="closes_at")
    window_changed = program is None or _minutes(program.opens_at, program.closes_at) != _minutes(
        data.opens_at, data.closes_at
    )
    if window_changed and data.closes_at <= utcnow():
        raise DomainError(
            _("The application window is already over: founders could never apply."),
            field="closes_at",
        )
    if data.starts_on and data.starts_on < to_local(data.closes_at).date():
        raise DomainError(
            _("The program cannot start before applications close."), field="starts_on"
        )
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise DomainError(_("The program must end after it starts."), field="ends_on")
    if data.capacity < 1:
        raise DomainError(_("The capacity must be at least 1."), field="capacity")
    if not data.criteria:
        raise DomainError(_("Add at least one rubric criterion."), field="criteria")
    names = [c.name_vi.strip().lower() for c in data.criteria]
    if len(set(names)) != len(names):
        raise DomainError(_("Two criteria have the same name."), field="criteria")


def _apply_rubric(program: Program, criteria: Sequence[CriterionData]) -> None:
    """Replace the rubric; once reviewers have scored, criteria can be reworded but not changed."""
    if program.criteria and signals.granted(signals.rubric_in_use, program):
        before = {c.id: (c.weight, c.max_score) for c in program.criteria}
        after = {c.id: (c.weight, c.max_score) for c in criteria}
        if before != after:
            raise DomainError(
                _(
                    "Reviewers have already scored on this rubric: criteria can be reworded "
                    "but not added, removed or re-weighted."
                ),
                field="criteria",
            )
    by_id = {c.id: c for c in program.criteria}
    kept = []
    for position, data in enumerate(criteria):
        criterion = by_id.get(data.id) if data.id else None
        if criterion is None:
            criterion = RubricCriterion()
        criterion.position = position
        criterion.name_vi = data.name_vi.strip()
        criterion.name_en = data.name_en.strip()
        criterion.description_vi = data.description_vi.strip()
        criterion.description_en = data.description_en.strip()
        criterion.weight = data.weight
        criterion.max_score = data.max_score
        kept.append(criterion)
    program.criteria[:] = kept


def create_program(actor: User, data: ProgramData) -> Program:
    require_manager(actor, data.center_id)
    _check(data)
    program = Program(created_by_id=actor.id, center_id=data.center_id)
    _fill(program, data)
    db.session.add(program)
    _apply_rubric(program, data.criteria)
    db.session.flush()
    audit.record(actor, "program.created", program)
    return program


def update_program(actor: User, program: Program, data: ProgramData) -> Program:
    require_manager(actor, program.center_id)
    if data.center_id != program.center_id:
        raise DomainError(_("A program cannot move to another center."), field="center_id")
    _check(data, program)
    _fill(program, data)
    _apply_rubric(program, data.criteria)
    audit.record(actor, "program.updated", program)
    return program


def _fill(program: Program, data: ProgramData) -> None:
    program.name_vi = data.name_vi.strip()
    program.name_en = data.name_en.strip()
    program.kind = data.kind
    program.description_vi = data.description_vi.strip()
    program.description_en = data.description_en.strip()
    program.opens_at = data.opens_at
    program.closes_at = data.closes_at
    program.starts_on = data.starts_on
    program.ends_on = data.ends_on
    program.capacity = data.capacity


def set_published(actor: User, program: Program, published: bool) -> None:
    require_manager(actor, program.center_id)
    if not published and signals.granted(signals.call_has_applicants, program):
        raise DomainError(_("Founders have applied already; the call cannot be unpublished."))
    program.status = ProgramStatus.PUBLISHED if published else ProgramStatus.DRAFT
    audit.record(actor, "program.published" if published else "program.unpublished", program)


def set_review_closed(actor: User, program: Program, closed: bool) -> None:
    require_manager(actor, program.center_id)
    program.review_closed_at = utcnow() if closed else None
    audit.record(actor, "program.review_closed" if closed else "program.review_reopened", program)


# ------------------------------------------------------------------ lists


def open_calls_query(center_code: str = "", kind: str = "") -> Select[Any]:
    now = utcnow()
    statement = select(Program).where(
        Program.status == ProgramStatus.PUBLISHED, Program.opens_at <= now, Program.closes_at > now
    )
    return _filter(statement, center_code, kind)


def published_programs_query() -> Select[Any]:
    """Every published program, open or not (the API's list for non-managers)."""
    return select(Program).where(Program.status == ProgramStatus.PUBLISHED)


def managed_programs_query(
    actor: User, center_code: str = "", kind: str = "", status: str = "", search: str = ""
) -> Select[Any]:
    statement = select(Program)
    if not actor.is_admin:
        statement = statement.where(Program.center_id == actor.managed_center_id)
    statement = _filter(statement, center_code, kind)
    if parsed_status := parse_enum(ProgramStatus, status):
        statement = programs_with_status(statement, parsed_status)
    if search:
        statement = programs_matching(statement, search)
    return statement


def _filter(statement: Select[Any], center_code: str, kind: str) -> Select[Any]:
    if center_code:
        statement = programs_of_center(statement, center_code)
    if parsed_kind := parse_enum(ProgramKind, kind):
        statement = programs_of_kind(statement, parsed_kind)
    return statement


def programs_of_center(statement: Select[Any], center_code: str) -> Select[Any]:
    return statement.where(Program.center.has(Center.code == center_code))


def programs_of_kind(statement: Select[Any], kind: ProgramKind) -> Select[Any]:
    return statement.where(Program.kind == kind)


def programs_with_status(statement: Select[Any], status: ProgramStatus) -> Select[Any]:
    return statement.where(Program.status == status)


def programs_matching(statement: Select[Any], search: str) -> Select[Any]:
    """Programs whose Vietnamese or English name contains `search`."""
    return statement.where(
        or_(contains_text(Program.name_vi, search), contains_text(Program.name_en, search))
    )
