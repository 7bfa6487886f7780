"""/api/v1/programs: the calls (open ones with ?open=true), filtered by center."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from pydantic import BaseModel, Field

from incubator.api.core import (
    BEARER,
    PageOut,
    PageQuery,
    answers,
    api_blueprint,
    day,
    iso,
    paged,
    query_args,
    spec,
)
from incubator.programs import services
from incubator.programs.lists import CALLS, PROGRAMS
from incubator.programs.models import Program, ProgramKind, ProgramStatus
from incubator.security import logged_in

bp = api_blueprint("programs_api", __name__)
TAGS = ["programs"]


class CriterionOut(BaseModel):
    id: int
    name: str
    description: str
    weight: int
    max_score: int


class ProgramOut(BaseModel):
    id: int
    center: str
    name: str
    name_vi: str
    name_en: str
    kind: ProgramKind
    description: str
    status: ProgramStatus
    opens_at: str
    closes_at: str
    starts_on: str | None
    ends_on: str | None
    capacity: int
    open: bool


class ProgramPage(PageOut):
    items: list[ProgramOut]


class ProgramQuery(PageQuery):
    center: str | None = Field(None, max_length=16, description="a center's code: BIIC, SMIC")
    open: bool = Field(False, description="only calls open for applications now")
    kind: ProgramKind | None = None


def program_json(program: Program) -> dict[str, Any]:
    return {
        "id": program.id,
        "center": program.center.code,
        "name": program.name,
        "name_vi": program.name_vi,
        "name_en": program.name_en,
        "kind": program.kind.value,
        "description": program.description,
        "status": program.status.value,
        "opens_at": iso(program.opens_at),
        "closes_at": iso(program.closes_at),
        "starts_on": day(program.starts_on),
        "ends_on": day(program.ends_on),
        "capacity": program.capacity,
        "open": program.is_open(),
    }


def criterion_json(criterion: Any) -> dict[str, Any]:
    return {
        "id": criterion.id,
        "name": criterion.name,
        "description": criterion.description,
        "weight": criterion.weight,
        "max_score": criterion.max_score,
    }


@bp.get("/programs")
@logged_in
@spec.validate(query=ProgramQuery, resp=answers(200, ProgramPage), tags=TAGS, security=BEARER)
def program_list() -> Any:
    """With ?open=true the calls open now, as the public page lists them; otherwise the
    published programs, or for a center's managers their center's (drafts included)."""
    query = query_args()
    filters = {"center": query.center, "kind": query.kind.value if query.kind else None}
    if query.open:
        return paged(CALLS, services.open_calls_query(), current_user, program_json, filters)
    if current_user.is_admin or current_user.managed_center_id is not None:
        statement = services.managed_programs_query(current_user)
        if query.center is not None:
            statement = services.programs_of_center(statement, query.center)
        return paged(PROGRAMS, statement, current_user, program_json, filters)
    return paged(CALLS, services.published_programs_query(), current_user, program_json, filters)
