"""/api/v1/startups: the caller's startups (a center's managers: those that applied to it)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_login import current_user
from pydantic import BaseModel, Field

from incubator.api.core import (
    BEARER,
    Day,
    Line,
    PageOut,
    PageQuery,
    RequiredLine,
    Schema,
    Text,
    answers,
    api_blueprint,
    body_json,
    day,
    iso,
    paged,
    query_args,
    spec,
)
from incubator.db import run
from incubator.security import logged_in
from incubator.startups import services
from incubator.startups.lists import STARTUPS
from incubator.startups.models import Sector, Startup

bp = api_blueprint("startups_api", __name__)
TAGS = ["startups"]


class StartupIn(Schema):
    name: RequiredLine = Field(max_length=200)
    sector: Sector = Field(description="one of the fixed sector codes")
    description: Text = Field("", max_length=5000)
    founded_on: Day | None = None
    website: Line = Field("", max_length=300)
    trl: int = Field(ge=1, le=9, description="technology readiness level, 1 to 9")
    team_size: int = Field(ge=1, le=100_000)


class StartupPatch(Schema):
    name: RequiredLine | None = Field(None, max_length=200)
    sector: Sector | None = None
    description: Text | None = Field(None, max_length=5000)
    founded_on: Day | None = None
    website: Line | None = Field(None, max_length=300)
    trl: int | None = Field(None, ge=1, le=9)
    team_size: int | None = Field(None, ge=1, le=100_000)


class MemberOut(BaseModel):
    user_id: int
    name: str
    title: str


class StartupOut(BaseModel):
    id: int
    name: str
    sector: Sector
    sector_label: str
    description: str
    founded_on: date | None
    website: str
    trl: int
    team_size: int
    archived: bool
    created_at: str
    updated_at: str
    members: list[MemberOut]


class StartupPage(PageOut):
    items: list[StartupOut]


class StartupQuery(PageQuery):
    q: str | None = Field(None, max_length=100, description="part of the name")
    sector: Sector | None = None
    archived: bool = False


def startup_json(startup: Startup) -> dict[str, Any]:
    return {
        "id": startup.id,
        "name": startup.name,
        "sector": startup.sector.value,
        "sector_label": startup.sector.label,
        "description": startup.description,
        "founded_on": day(startup.founded_on),
        "website": startup.website,
        "trl": startup.trl,
        "team_size": startup.team_size,
        "archived": startup.archived_at is not None,
        "created_at": iso(startup.created_at),
        "updated_at": iso(startup.updated_at),
        "members": [
            {"user_id": m.user_id, "name": m.user.name, "title": m.title} for m in startup.members
        ],
    }


@bp.get("/startups")
@logged_in
@spec.validate(query=StartupQuery, resp=answers(200, StartupPage), tags=TAGS, security=BEARER)
def startup_list() -> Any:
    """The startups the caller may see: their own; a center's managers those that applied
    to its programs; mentors those they mentor; admins every one."""
    query = query_args()
    filters = {
        "q": query.q,
        "sector": query.sector.value if query.sector else None,
        "archived": "yes" if query.archived else "no",
    }
    statement = services.visible_startups_query(current_user)
    return paged(STARTUPS, statement, current_user, startup_json, filters)


@bp.post("/startups")
@logged_in
@spec.validate(json=StartupIn, resp=answers(201, StartupOut), tags=TAGS, security=BEARER)
def startup_create() -> Any:
    """Create a startup; the caller (a founder) becomes its lead founder. With an
    `Idempotency-Key` header, sending it again gives back the first answer."""
    data = services.StartupData(**body_json().model_dump())
    startup = run(services.create_startup, current_user, data)
    return startup_json(run(services.viewable_startup, current_user, startup.id)), 201


@bp.get("/startups/<int:startup_id>")
@logged_in
@spec.validate(resp=answers(200, StartupOut), tags=TAGS, security=BEARER)
def startup_detail(startup_id: int) -> Any:
    """A startup the caller may see (404 for the others)."""
    return startup_json(run(services.viewable_startup, current_user, startup_id))


@bp.patch("/startups/<int:startup_id>")
@logged_in
@spec.validate(json=StartupPatch, resp=answers(200, StartupOut), tags=TAGS, security=BEARER)
def startup_update(startup_id: int) -> Any:
    """Change the profile (members only); fields left out keep their value."""
    changes = body_json().model_dump(exclude_unset=True)
    for name in ("name", "sector", "trl", "team_size", "description", "website"):
        if name in changes and changes[name] is None:
            changes.pop(name)  # null means "unchanged" for fields that cannot be empty
    startup = run(_update, startup_id, changes)
    return startup_json(startup)


def _update(startup_id: int, changes: dict[str, Any]) -> Startup:
    startup = services.member_startup(current_user, startup_id)
    data = services.StartupData(
        name=startup.name,
        sector=startup.sector,
        description=startup.description,
        founded_on=startup.founded_on,
        website=startup.website,
        trl=startup.trl,
        team_size=startup.team_size,
    )
    for name, value in changes.items():
        setattr(data, name, value)
    return services.update_startup(current_user, startup, data)
