from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from incubator.accounts.models import Role
from incubator.errors import NotFound
from incubator.forms import Form
from incubator.security import logged_in, roles
from incubator.startups import services
from incubator.startups.forms import MemberForm, NewStartupForm, StartupForm
from incubator.startups.models import Startup
from incubator.web import flash_form_errors, once_address, perform, perform_once

bp = Blueprint("startups", __name__)


@bp.get("/startups")
@roles(Role.FOUNDER)
def mine() -> Any:
    return render_template(
        "startups/mine.html",
        startups=services.startups_of(current_user),
        archived=services.startups_of(current_user, archived=True),
    )


@bp.route("/startups/new", methods=["GET", "POST"])
@roles(Role.FOUNDER)
def create() -> Any:
    if (fresh := once_address()) is not None:
        return fresh
    form = NewStartupForm()
    if form.validate_on_submit():
        outcome = perform_once(
            form,
            Startup,
            services.create_startup,
            current_user,
            form.to_data(),
            form.title.data or "",
        )
        if outcome.ok:
            if outcome.repeated:
                flash(
                    _("This form was already saved: the startup profile exists, here it is."),
                    "info",
                )
            else:
                flash(_("The startup profile is created."), "success")
            return redirect(url_for("startups.detail", startup_id=outcome.value.id))
    return render_template("startups/edit.html", form=form, startup=None)


@bp.get("/startups/<int:startup_id>")
@logged_in
def detail(startup_id: int) -> Any:
    startup = services.viewable_startup(current_user, startup_id)
    is_member = startup.has_member(current_user)
    return render_template(
        "startups/detail.html",
        startup=startup,
        is_member=is_member,
        may_archive=services.may_archive(current_user, startup),
        invitations=services.open_invitations(startup=startup) if is_member else [],
        member_form=MemberForm(),
    )


@bp.route("/startups/<int:startup_id>/edit", methods=["GET", "POST"])
@roles(Role.FOUNDER)
def edit(startup_id: int) -> Any:
    startup = services.member_startup(current_user, startup_id)
    form = StartupForm(obj=startup)
    if form.validate_on_submit():
        outcome = perform(services.update_startup, current_user, startup, form.to_data(), form=form)
        if outcome.ok:
            flash(_("The startup profile is saved."), "success")
            return redirect(url_for("startups.detail", startup_id=startup.id))
    return render_template("startups/edit.html", form=form, startup=startup)


@bp.route("/startups/<int:startup_id>/archive", methods=["GET", "POST"])
@logged_in
def archive(startup_id: int) -> Any:
    """GET asks for confirmation; POST archives."""
    startup = services.viewable_startup(current_user, startup_id)
    if not services.may_archive(current_user, startup):
        raise NotFound("startup")
    form = Form()
    if form.validate_on_submit():
        if perform(services.archive_startup, current_user, startup).ok:
            flash(
                _(
                    "%(startup)s is archived: hidden from lists, its data kept. "
                    "You can restore it from its page.",
                    startup=startup.name,
                ),
                "success",
            )
        return redirect(url_for("startups.detail", startup_id=startup.id))
    return render_template(
        "startups/archive.html",
        startup=startup,
        form=form,
        blocked=services.archive_blocked(startup),
    )


@bp.post("/startups/<int:startup_id>/restore")
@logged_in
def restore(startup_id: int) -> Any:
    startup = services.viewable_startup(current_user, startup_id)
    if perform(services.restore_startup, current_user, startup).ok:
        flash(_("%(startup)s is restored.", startup=startup.name), "success")
    return redirect(url_for("startups.detail", startup_id=startup.id))


@bp.post("/startups/<int:startup_id>/members")
@roles(Role.FOUNDER)
def add_member(startup_id: int) -> Any:
    startup = services.member_startup(current_user, startup_id)
    form = MemberForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif perform(
        services.invite_member,
        current_user,
        startup,
        form.email.data,
        form.name.data,
        form.title.data or "",
    ).ok:
        flash(
            _(
                "%(email)s is invited by email and joins the team on accepting.",
                email=form.email.data,
            ),
            "success",
        )
    return redirect(url_for("startups.detail", startup_id=startup.id))


@bp.post("/startups/<int:startup_id>/members/<int:user_id>/remove")
@roles(Role.FOUNDER)
def remove_member(startup_id: int, user_id: int) -> Any:
    startup = services.member_startup(current_user, startup_id)
    if perform(services.remove_member, current_user, startup, user_id).ok:
        flash(_("The member is removed from the team."), "success")
    if user_id == current_user.id:
        return redirect(url_for("startups.mine"))
    return redirect(url_for("startups.detail", startup_id=startup.id))


@bp.get("/invitations")
@logged_in
def invitations() -> Any:
    return render_template(
        "startups/invitations.html", invitations=services.open_invitations(user=current_user)
    )


@bp.post("/invitations/<int:invitation_id>")
@logged_in
def answer(invitation_id: int) -> Any:
    accept = request.form.get("answer") == "accept"
    outcome = perform(services.answer_invitation, current_user, invitation_id, accept)
    if outcome.ok and accept:
        flash(
            _("Welcome to the team of %(startup)s.", startup=outcome.value.startup.name), "success"
        )
        return redirect(url_for("startups.detail", startup_id=outcome.value.startup_id))
    if outcome.ok:
        flash(_("The invitation is declined."), "info")
    return redirect(url_for("startups.invitations"))
