"""The API's own resources: the caller, the centers, the OpenAPI document and its viewer."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel, Field

from incubator.api import stats
from incubator.api.core import (
    BEARER,
    ApiError,
    Day,
    PageOut,
    Schema,
    answers,
    api_blueprint,
    listed,
    openapi_document,
    query_args,
)
from incubator.api.core import spec as api_spec
from incubator.centers import services as centers
from incubator.db import run, utcnow
from incubator.errors import NotFound
from incubator.i18n import LOCAL_TZ
from incubator.security import logged_in, public

bp = api_blueprint("api", __name__)
docs = Blueprint("api_docs", __name__, url_prefix="/api")  # the viewer: an HTML page


class RoleOut(BaseModel):
    role: str
    center: str | None


class MeOut(BaseModel):
    id: int
    email: str
    name: str
    locale: str
    roles: list[RoleOut]


class CenterOut(BaseModel):
    id: int
    code: str
    name: str
    name_vi: str
    name_en: str
    address: str


class CenterPage(PageOut):
    items: list[CenterOut]


@bp.get("/me")
@logged_in
@api_spec.validate(resp=answers(200, MeOut), tags=["accounts"], security=BEARER)
def me() -> Any:
    """The caller: who the token acts as, with their roles."""
    user = current_user
    roles = [
        {"role": grant.role.value, "center": grant.center.code if grant.center else None}
        for grant in sorted(user.grants, key=lambda g: g.role.value)
    ]
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "locale": user.locale,
        "roles": roles,
    }


@bp.get("/centers")
@logged_in
@api_spec.validate(resp=answers(200, CenterPage), tags=["centers"], security=BEARER)
def center_list() -> Any:
    """The innovation centers."""
    return listed(
        centers.all_centers(),
        lambda c: {
            "id": c.id,
            "code": c.code,
            "name": c.name,
            "name_vi": c.name_vi,
            "name_en": c.name_en,
            "address": c.address,
        },
    )


@bp.get("/openapi.json")
@public
def openapi() -> Any:
    """The OpenAPI 3.1 document, generated from the declared schemas."""
    return current_app.json.response(openapi_document(current_app._get_current_object()))


@docs.get("/docs")
@public
def viewer() -> Any:
    """The document in the vendored Swagger UI."""
    return render_template("api/docs.html")


class StatsQuery(Schema):
    center: str = Field(max_length=16, description="a center's code: BIIC, SMIC")
    from_: Day | None = Field(None, alias="from", description="default: 1 January this year")
    to: Day | None = Field(None, description="default: today")


class ProgramCount(BaseModel):
    program_id: int
    program: str
    applications: int


class StatsOut(BaseModel):
    center: str
    from_: str = Field(alias="from")
    to: str
    computed_at: str | None
    startups_per_stage: dict[str, int]
    startups_per_sector: dict[str, int]
    applications_per_program: list[ProgramCount]
    mentoring_sessions: int
    mentoring_hours: float
    equipment_booked_hours: float
    equipment_used_hours: float
    equipment_utilization: float | None
    graduates: int
    funding_raised_vnd: int
    jobs: int


def _figures() -> tuple[Any, dict[str, Any], str]:
    """(the center, its figures of the asked period, their ETag), or an error."""
    query = query_args()
    center = run(stats.center_by_code, query.center)
    if not run(stats.may_read, current_user, center):
        raise NotFound("center")
    today = utcnow().astimezone(LOCAL_TZ).date()
    first, last = query.from_ or today.replace(month=1, day=1), query.to or today
    if last < first or (last - first).days > 3660:
        message = _("Choose a period of at most ten years.")
        raise ApiError(422, "bad_period", message, {"to": message})
    figures = run(stats.period_figures, center, first, last)
    return center, figures, stats.etag(figures)


def _cached(response: Response, center: Any, tag: str) -> Response:
    response.headers["ETag"] = f'"{tag}"'
    scope = "public" if stats.is_public(center) else "private"
    response.headers["Cache-Control"] = f"{scope}, max-age=300"
    return response


@bp.get("/stats")
@public
@api_spec.validate(
    query=StatsQuery, resp=answers(200, StatsOut, 304), tags=["open data"], security=BEARER
)
def open_data() -> Any:
    """Open data of a center for the province's operations center, without personal data:
    startups per stage and sector, applications per program, mentoring sessions and hours,
    equipment hours and utilization, graduates, funding raised, jobs. Whole months, from
    figures computed every hour; public when the center publishes them (else its managers'
    tokens). With an ETag (If-None-Match answers 304); the same as CSV at /stats.csv."""
    center, figures, tag = _figures()
    if tag in request.if_none_match:
        return _cached(Response(status=304), center, tag)
    return _cached(current_app.json.response(figures), center, tag)


@bp.get("/stats.csv")
@public
@api_spec.validate(
    query=StatsQuery, resp=answers(200, None, 304), tags=["open data"], security=BEARER
)
def open_data_csv() -> Any:
    """The open data as CSV (metric, key, value; UTF-8 with BOM)."""
    center, figures, tag = _figures()
    if tag in request.if_none_match:
        return _cached(Response(status=304), center, tag)
    response = Response(stats.as_csv(figures), mimetype="text/csv")
    response.headers.set(
        "Content-Disposition", "attachment", filename=f"open-data-{center.code}.csv"
    )
    return _cached(response, center, tag)
