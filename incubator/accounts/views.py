from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from incubator.accounts import forms, services
from incubator.accounts.lists import USERS
from incubator.accounts.models import Role, TokenPurpose
from incubator.centers.services import all_centers
from incubator.enums import parse_enum
from incubator.errors import DomainError
from incubator.forms import options
from incubator.security import logged_in, public, roles
from incubator.web import flash_form_errors, perform, safe_next

bp = Blueprint("accounts", __name__)


def _client_ip() -> str:
    return request.remote_addr or "unknown"


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("site.home"))
    form = forms.LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        outcome = perform(
            services.login, form.email.data, form.password.data, _client_ip(), form=form
        )
        if outcome.ok and outcome.value is not None:
            login_user(outcome.value)
            return redirect(safe_next(form.next.data))
        if outcome.ok:
            form.password.errors = [_("The email or the password is not right.")]
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@logged_in
def logout() -> Any:
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("site.home"))


@bp.route("/register", methods=["GET", "POST"])
@public
def register() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("site.home"))
    form = forms.RegisterForm()
    if form.validate_on_submit():
        outcome = perform(
            services.register_founder,
            form.email.data,
            form.name.data,
            form.password.data,
            form.locale.data,
            form=form,
        )
        if outcome.ok:
            login_user(outcome.value)
            flash(_("Welcome! Your founder account is ready."), "success")
            return redirect(url_for("site.home"))
    return render_template("accounts/register.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password() -> Any:
    form = forms.ForgotPasswordForm()
    if form.validate_on_submit():
        perform(services.request_password_reset, form.email.data)
        flash(
            _("If an account exists for this email, we have sent a link to set a new password."),
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"], defaults={"purpose": "reset"})
@bp.route("/invitation/<token>", methods=["GET", "POST"], defaults={"purpose": "invite"})
@public
def set_password(token: str, purpose: str) -> Any:
    token_purpose = TokenPurpose(purpose)
    try:
        account = services.valid_token(token, token_purpose).user
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("accounts.forgot_password"))
    form = forms.SetPasswordForm()
    if form.validate_on_submit():
        outcome = perform(
            services.redeem_token, token, token_purpose, form.password.data, form=form
        )
        if outcome.ok:
            logout_user()
            login_user(outcome.value)
            flash(_("Your password is set."), "success")
            return redirect(url_for("site.home"))
    return render_template(
        "accounts/set_password.html", form=form, account=account, purpose=token_purpose
    )


@bp.route("/account", methods=["GET", "POST"])
@logged_in
def account() -> Any:
    form = forms.ProfileForm(obj=current_user)
    if form.validate_on_submit():
        outcome = perform(
            services.update_profile, current_user, form.name.data, form.locale.data, form=form
        )
        if outcome.ok:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts.account"))
    return render_template(
        "accounts/account.html", form=form, password_form=forms.ChangePasswordForm()
    )


@bp.route("/account/password", methods=["GET", "POST"])
@logged_in
def change_password() -> Any:
    form = forms.ChangePasswordForm()
    if form.validate_on_submit():
        outcome = perform(
            services.change_password,
            current_user,
            form.current_password.data,
            form.new_password.data,
            form=form,
        )
        if outcome.ok:
            flash(_("Your password is changed."), "success")
            return redirect(url_for("accounts.account"))
    return render_template(
        "accounts/account.html", form=forms.ProfileForm(obj=current_user), password_form=form
    )


# ------------------------------------------------------------------ admin


def _with_centers(form: Any) -> Any:
    form.center_id.choices = options(
        [("", "—")] + [(c.id, f"{c.code} – {c.name}") for c in all_centers()]
    )
    return form


@bp.get("/admin/users")
@roles(Role.ADMIN)
def users() -> Any:
    return USERS.render("accounts/users.html", services.users_query())


@bp.route("/admin/users/invite", methods=["GET", "POST"])
@roles(Role.ADMIN)
def invite() -> Any:
    form = _with_centers(forms.InviteForm())
    if form.validate_on_submit():
        outcome = perform(
            services.invite_user,
            current_user,
            form.email.data,
            form.name.data,
            Role(form.role.data),
            form.center_id.data,
            form=form,
        )
        if outcome.ok:
            flash(_("Invitation sent to %(email)s.", email=outcome.value.email), "success")
            return redirect(url_for("accounts.user_detail", user_id=outcome.value.id))
    return render_template("accounts/invite.html", form=form)


@bp.get("/admin/users/<int:user_id>")
@roles(Role.ADMIN)
def user_detail(user_id: int) -> Any:
    user = services.administered_user(current_user, user_id)
    return render_template(
        "accounts/user_detail.html", user=user, grant_form=_with_centers(forms.GrantRoleForm())
    )


@bp.post("/admin/users/<int:user_id>/roles")
@roles(Role.ADMIN)
def grant(user_id: int) -> Any:
    user = services.administered_user(current_user, user_id)
    form = _with_centers(forms.GrantRoleForm())
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif perform(
        services.grant_role, current_user, user, Role(form.role.data), form.center_id.data
    ).ok:
        flash(_("Role granted."), "success")
    return redirect(url_for("accounts.user_detail", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/roles/<role>/revoke")
@roles(Role.ADMIN)
def revoke(user_id: int, role: str) -> Any:
    user = services.administered_user(current_user, user_id)
    parsed_role = parse_enum(Role, role)
    if parsed_role is None:
        flash(_("Unknown role."), "error")
    elif perform(services.revoke_role, current_user, user, parsed_role).ok:
        flash(_("Role revoked."), "success")
    return redirect(url_for("accounts.user_detail", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/active")
@roles(Role.ADMIN)
def set_active(user_id: int) -> Any:
    user = services.administered_user(current_user, user_id)
    form = forms.ActiveForm()
    active = form.active.data == "1"
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif perform(services.set_active, current_user, user, active).ok:
        flash(_("Account reactivated.") if active else _("Account deactivated."), "success")
    return redirect(url_for("accounts.user_detail", user_id=user.id))
