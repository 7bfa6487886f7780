from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from incubator.accounts.models import Role
from incubator.centers.services import all_centers
from incubator.forms import options
from incubator.pagecache import cached_page
from incubator.programs import services
from incubator.programs.forms import ProgramForm, PublishForm, ReviewClosedForm
from incubator.programs.lists import CALLS, PROGRAMS
from incubator.programs.models import Program
from incubator.security import public, roles
from incubator.web import once_address, perform, perform_once, perform_switch

bp = Blueprint("programs", __name__)


@bp.get("/calls")
@public
@cached_page
def calls() -> Any:
    return CALLS.render("programs/calls.html", services.open_calls_query())


@bp.get("/calls/<int:program_id>")
@public
def call(program_id: int) -> Any:
    program = services.visible_program(current_user, program_id)
    startups = []
    if current_user.is_authenticated and current_user.has_role(Role.FOUNDER):
        from incubator.startups.services import startups_of

        startups = startups_of(current_user)
    return render_template("programs/call.html", program=program, startups=startups)


# ---------------------------------------------------------------- manager


def _form(program: Program | None = None) -> ProgramForm:
    form = ProgramForm(obj=program)
    centers = [c for c in all_centers() if current_user.manages(c.id)]
    form.center_id.choices = options((c.id, f"{c.code} – {c.name}") for c in centers)
    if program is None and request.method == "GET" and current_user.managed_center_id:
        form.center_id.data = current_user.managed_center_id
    return form


@bp.get("/manage/programs")
@roles(Role.MANAGER)
def manage() -> Any:
    return PROGRAMS.render(
        "programs/manage.html", services.managed_programs_query(current_user), current_user
    )


@bp.route("/manage/programs/new", methods=["GET", "POST"])
@roles(Role.MANAGER)
def create() -> Any:
    if (fresh := once_address()) is not None:
        return fresh
    form = _form()
    if form.validate_on_submit():
        outcome = perform_once(form, Program, services.create_program, current_user, form.to_data())
        if outcome.ok:
            if outcome.repeated:
                flash(_("This form was already saved: the program exists, here it is."), "info")
            else:
                flash(
                    _("The program is created as a draft. Publish it to open the call."), "success"
                )
            return redirect(url_for("programs.detail", program_id=outcome.value.id))
    return render_template("programs/edit.html", form=form.with_blank_rows(), program=None)


@bp.route("/manage/programs/<int:program_id>/edit", methods=["GET", "POST"])
@roles(Role.MANAGER)
def edit(program_id: int) -> Any:
    program = services.managed_program(current_user, program_id)
    form = _form(program)
    if form.validate_on_submit():
        outcome = perform(services.update_program, current_user, program, form.to_data(), form=form)
        if outcome.ok:
            flash(_("The program is saved."), "success")
            return redirect(url_for("programs.detail", program_id=program.id))
    return render_template("programs/edit.html", form=form.with_blank_rows(), program=program)


@bp.get("/manage/programs/<int:program_id>")
@roles(Role.MANAGER)
def detail(program_id: int) -> Any:
    program = services.managed_program(current_user, program_id)
    return render_template("programs/detail.html", program=program)


@bp.post("/manage/programs/<int:program_id>/publish")
@roles(Role.MANAGER)
def publish(program_id: int) -> Any:
    program = services.managed_program(current_user, program_id)
    said = (_("The call is published."), _("The call is back to draft."))
    perform_switch(PublishForm(), services.set_published, current_user, program, said=said)
    return redirect(url_for("programs.detail", program_id=program.id))


@bp.post("/manage/programs/<int:program_id>/review")
@roles(Role.MANAGER)
def close_review(program_id: int) -> Any:
    program = services.managed_program(current_user, program_id)
    said = (_("The review is closed."), _("The review is open again."))
    perform_switch(ReviewClosedForm(), services.set_review_closed, current_user, program, said=said)
    return redirect(url_for("programs.detail", program_id=program.id))
