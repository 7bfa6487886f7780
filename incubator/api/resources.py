"""The API's own resources: the caller, the centers, the OpenAPI document and its viewer."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template
from flask_login import current_user
from pydantic import BaseModel

from incubator.api.core import BEARER, PageOut, answers, api_blueprint, listed, openapi_document
from incubator.api.core import spec as api_spec
from incubator.centers import services as centers
from incubator.security import logged_in, public

bp = api_blueprint("api", __name__)
docs = api_blueprint("api_docs", __name__)
docs.url_prefix = "/api"


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
