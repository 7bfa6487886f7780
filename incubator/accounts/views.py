from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from incubator.accounts import common, forms, links, recovery, registration, sessions
from incubator.accounts import roles as user_roles
from incubator.accounts.lists import USERS
from incubator.accounts.models import Role, TokenPurpose
from incubator.centers.services import all_centers
from incubator.enums import parse_enum
from incubator.errors import DomainError
from incubator.forms import options
from incubator.security import (
    current_session,
    logged_in,
    public,
    roles,
    sign_in,
    sign_out,
)
from incubator.web import flash_form_errors, perform, perform_switch, safe_next

bp = Blueprint("accounts", __name__)


def _client_ip() -> str:
    return request.remote_addr or "unknown"


def _user_agent() -> str:
    return request.headers.get("User-Agent", "")[:255]


# Replaced in tests: the account-wide slowdown's pause.
wait = time.sleep


def _device_cookie() -> str | None:
    return request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"])


def _signed_in(response: Any, device: str) -> Any:
    """The answer to a successful sign-in carries the browser's new device cookie
    (devices.py): sent back only to the login page, never readable by scripts."""
    config = current_app.config
    response.set_cookie(
        config["DEVICE_COOKIE_NAME"],
        device,
        max_age=config["DEVICE_COOKIE_DAYS"] * 24 * 3600,
        path=url_for("accounts.login"),
        secure=config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("site.home"))
    form = forms.LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        # the pause for a much-attacked account is taken outside any transaction
        delay = perform(sessions.login_delay, form.email.data, _device_cookie()).value
        if delay:
            wait(delay)
        outcome = perform(
            sessions.login,
            form.email.data,
            form.password.data,
            _client_ip(),
            _user_agent(),
            _device_cookie(),
            form=form,
        )
        if outcome.ok and outcome.value is not None:
            sign_in(outcome.value.user, outcome.value.token)
            return _signed_in(redirect(safe_next(form.next.data)), outcome.value.device)
        if outcome.ok:
            form.password.errors = [_("The email or the password is not right.")]
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@logged_in
def logout() -> Any:
    perform(sessions.end_session, current_user, current_session())
    sign_out()
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
            registration.register_founder,
            form.email.data,
            form.name.data,
            form.password.data,
            form.locale.data,
            _client_ip(),
            form=form,
        )
        if outcome.ok:
            # the same answer whether the address was free or already registered
            flash(
                _(
                    "Thank you! We have sent a message to %(email)s. Open the link in it to "
                    "confirm your address, then log in.",
                    email=common.normalise_email(form.email.data),
                ),
                "success",
            )
            return redirect(url_for("accounts.login"))
    return render_template("accounts/register.html", form=form)


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
@public
def confirm_email(token: str) -> Any:
    """The emailed link opens a page with a button: mail scanners that follow links change
    nothing, and the change is a POST."""
    try:
        account = links.valid_token(token, TokenPurpose.CONFIRM).user
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("site.home" if current_user.is_authenticated else "accounts.login"))
    form = forms.ConfirmEmailForm()
    if form.validate_on_submit():
        outcome = perform(registration.confirm_email, token)
        if outcome.ok:
            flash(_("Thank you, your email address is confirmed."), "success")
        if current_user.is_authenticated:
            return redirect(url_for("site.home"))
        return redirect(url_for("accounts.login"))
    return render_template("accounts/confirm_email.html", form=form, account=account)


@bp.post("/email/confirm")
@logged_in
def resend_confirmation() -> Any:
    if perform(registration.resend_confirmation, current_user).ok:
        flash(
            _("We have sent a new link to %(email)s.", email=current_user.email),
            "success",
        )
    return redirect(safe_next(request.form.get("next")))


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password() -> Any:
    form = forms.ForgotPasswordForm()
    if form.validate_on_submit():
        perform(recovery.request_password_reset, form.email.data, _client_ip())
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
        account = links.valid_token(token, token_purpose).user
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("accounts.forgot_password"))
    form = forms.SetPasswordForm()
    if form.validate_on_submit():
        outcome = perform(
            recovery.redeem_token,
            token,
            token_purpose,
            form.password.data,
            _client_ip(),
            _user_agent(),
            form=form,
        )
        if outcome.ok:
            sign_out()
            sign_in(outcome.value.user, outcome.value.token)
            flash(_("Your password is set."), "success")
            return _signed_in(redirect(url_for("site.home")), outcome.value.device)
        if not form.errors:  # the link was used meanwhile (the message is flashed)
            return redirect(url_for("accounts.forgot_password"))
    return render_template(
        "accounts/set_password.html", form=form, account=account, purpose=token_purpose
    )


def _account_page(form: Any, password_form: Any) -> Any:
    return render_template(
        "accounts/account.html",
        form=form,
        password_form=password_form,
        api_tokens=recovery.credentials_count(current_user),
        sessions=sessions.active_sessions(current_user),
        this_session=current_session(),
    )


@bp.route("/account", methods=["GET", "POST"])
@logged_in
def account() -> Any:
    form = forms.ProfileForm(obj=current_user)
    if form.validate_on_submit():
        outcome = perform(
            user_roles.update_profile, current_user, form.name.data, form.locale.data, form=form
        )
        if outcome.ok:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts.account"))
    return _account_page(form, forms.ChangePasswordForm())


@bp.route("/account/password", methods=["GET", "POST"])
@logged_in
def change_password() -> Any:
    form = forms.ChangePasswordForm()
    if form.validate_on_submit():
        outcome = perform(
            recovery.change_password,
            current_user,
            form.current_password.data,
            form.new_password.data,
            current_session(),
            bool(form.revoke_tokens.data),
            form=form,
        )
        if outcome.ok and outcome.value:
            flash(_("Your password is changed."), "success")
            return redirect(url_for("accounts.account"))
        if outcome.ok:
            form.current_password.errors = [_("The current password is not right.")]
    return _account_page(forms.ProfileForm(obj=current_user), form)


@bp.post("/account/sessions/end-others")
@logged_in
def end_other_sessions() -> Any:
    if perform(sessions.end_other_sessions, current_user, current_session()).ok:
        flash(_("You are logged out on every other device."), "success")
    return redirect(url_for("accounts.account"))


# ------------------------------------------------------------------ admin


def _with_centers(form: Any) -> Any:
    form.center_id.choices = options(
        [("", "—")] + [(c.id, f"{c.code} – {c.name}") for c in all_centers()]
    )
    return form


@bp.get("/admin/users")
@roles(Role.ADMIN)
def users() -> Any:
    return USERS.render("accounts/users.html", user_roles.users_query())


@bp.route("/admin/users/invite", methods=["GET", "POST"])
@roles(Role.ADMIN)
def invite() -> Any:
    form = _with_centers(forms.InviteForm())
    existing = None
    if form.validate_on_submit():
        confirmed = form.grant_existing.data == "1"
        outcome = perform(
            registration.invite_user,
            current_user,
            form.email.data,
            form.name.data,
            Role(form.role.data),
            form.center_id.data,
            grant_existing=confirmed,
            form=form,
            quiet=True,
        )
        if outcome.ok:
            user = outcome.value
            if confirmed:
                message = _(
                    "%(email)s already had an account: the role %(role)s is added to it.",
                    email=user.email,
                    role=Role(form.role.data).label,
                )
            else:
                message = _("Invitation sent to %(email)s.", email=user.email)
            flash(message, "success")
            return redirect(url_for("accounts.user_detail", user_id=user.id))
        if isinstance(outcome.error, registration.AccountExists):
            existing = outcome.error.user  # the second step: confirm the grant
        elif outcome.message:
            flash(outcome.message, "error")
    form.grant_existing.data = ""
    role = Role(form.role.data) if existing else None
    return render_template("accounts/invite.html", form=form, existing=existing, role=role)


@bp.get("/admin/users/<int:user_id>")
@roles(Role.ADMIN)
def user_detail(user_id: int) -> Any:
    user = user_roles.administered_user(current_user, user_id)
    return render_template(
        "accounts/user_detail.html", user=user, grant_form=_with_centers(forms.GrantRoleForm())
    )


@bp.post("/admin/users/<int:user_id>/roles")
@roles(Role.ADMIN)
def grant(user_id: int) -> Any:
    user = user_roles.administered_user(current_user, user_id)
    form = _with_centers(forms.GrantRoleForm())
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif perform(
        user_roles.grant_role, current_user, user, Role(form.role.data), form.center_id.data
    ).ok:
        flash(_("Role granted."), "success")
    return redirect(url_for("accounts.user_detail", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/roles/<role>/revoke")
@roles(Role.ADMIN)
def revoke(user_id: int, role: str) -> Any:
    user = user_roles.administered_user(current_user, user_id)
    parsed_role = parse_enum(Role, role)
    if parsed_role is None:
        flash(_("Unknown role."), "error")
    elif perform(user_roles.revoke_role, current_user, user, parsed_role).ok:
        flash(_("Role revoked."), "success")
    return redirect(url_for("accounts.user_detail", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/active")
@roles(Role.ADMIN)
def set_active(user_id: int) -> Any:
    user = user_roles.administered_user(current_user, user_id)
    said = (_("Account reactivated."), _("Account deactivated."))
    perform_switch(forms.ActiveForm(), user_roles.set_active, current_user, user, said=said)
    return redirect(url_for("accounts.user_detail", user_id=user.id))
