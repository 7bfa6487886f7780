"""The home page of each role, the language switch and a health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, session
from flask_login import current_user

from incubator.accounts.services import update_profile
from incubator.domains import home_panels
from incubator.health import check
from incubator.pagecache import cached_page
from incubator.security import public
from incubator.site.forms import LanguageForm
from incubator.web import perform, safe_next

bp = Blueprint("site", __name__)


@bp.get("/")
@public
@cached_page
def home() -> Any:
    return render_template("site/home.html", panels=home_panels(current_user))


@bp.post("/language")
@public
def set_language() -> Any:
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            perform(update_profile, current_user, current_user.name, form.lang.data)
    return redirect(safe_next(form.next.data))


@bp.get("/healthz")
@public
def health() -> Any:
    """`/healthz?live`: the process answers (200). `/healthz`: what the deployment needs,
    as JSON (health.check): 503 when something of it is down."""
    if "live" in request.args:
        return {"status": "ok"}
    report = check()
    return report, 200 if report["status"] == "ok" else 503
