"""The home page of each role, the language switch and a health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, session
from flask_login import current_user
from sqlalchemy import text

from incubator.accounts.services import update_profile
from incubator.db import db
from incubator.domains import home_panels
from incubator.security import public
from incubator.web import perform, safe_next

bp = Blueprint("site", __name__)


@bp.get("/")
@public
def home() -> Any:
    return render_template("site/home.html", panels=home_panels(current_user))


@bp.post("/language")
@public
def set_language() -> Any:
    lang = request.form.get("lang", "")
    if lang in ("vi", "en"):
        session["lang"] = lang
        if current_user.is_authenticated:
            perform(update_profile, current_user, current_user.name, lang)
    return redirect(safe_next(request.form.get("next")))


@bp.get("/healthz")
@public
def health() -> Any:
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
