"""The web pages of the API: tokens on the account page, webhooks for managers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from incubator.accounts.models import Role
from incubator.api import stats, tokens, webhooks
from incubator.api.forms import EVENT_LABELS, TokenForm, WebhookForm
from incubator.api.models import ApiToken, Webhook
from incubator.api.webhooks import WebhookData
from incubator.db import run
from incubator.security import logged_in, roles
from incubator.web import flash_form_errors, perform, perform_once

bp = Blueprint("api_web", __name__)


def account_section(user: Any, _page_user: Any) -> dict[str, Any]:
    """The user's API tokens on their account page, and the form for a new one."""
    form = TokenForm(formdata=None)
    return {"tokens": tokens.tokens_of(user), "token_form": form}


@bp.post("/account/tokens")
@logged_in
def create_token() -> Any:
    form = TokenForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("accounts.account", _anchor="api-tokens"))
    outcome = perform_once(form, ApiToken, tokens.create_token, current_user, form.to_data())
    if not outcome.ok:
        flash_form_errors(form)
        return redirect(url_for("accounts.account", _anchor="api-tokens"))
    if outcome.repeated:  # the same form again: its token was made once, and shown then
        flash(_("This form was sent before: the token was made once, and shown then."), "info")
        return redirect(url_for("accounts.account", _anchor="api-tokens"))
    # shown once, in this answer only (never in a flash message kept in the cookie)
    return render_template("api/token_created.html", new=outcome.value)


@bp.post("/account/tokens/<int:token_id>/revoke")
@logged_in
def revoke_token(token_id: int) -> Any:
    token = run(tokens.own_token, current_user, token_id)
    if perform(tokens.revoke_token, current_user, token).ok:
        flash(_("The token is revoked: scripts using it stop working now."), "success")
    return redirect(url_for("accounts.account", _anchor="api-tokens"))


# ------------------------------------------------------------------ webhooks


def _center_id() -> int:
    """The center whose webhooks are shown: a manager's own, any for admins (?center=)."""
    if current_user.is_admin:
        raw = request.values.get("center", "")
        if raw.isascii() and raw.isdigit() and len(raw) < 10:
            return int(raw)
        if raw:  # a center named wrongly is not found (never another center instead)
            abort(404)
        from incubator.centers.services import all_centers

        first = next(iter(all_centers()), None)
        if first is None:
            abort(404)
        return first.id
    center_id = current_user.managed_center_id
    if center_id is None:
        abort(403)
    return center_id


@bp.route("/webhooks", methods=["GET", "POST"])
@roles(Role.MANAGER)
def webhook_list() -> Any:
    center_id = _center_id()
    form = WebhookForm()
    if form.validate_on_submit():
        data = WebhookData(url=form.url.data or "", events=list(form.events.data or []))
        outcome = perform_once(form, Webhook, webhooks.add_webhook, current_user, center_id, data)
        if outcome.ok:
            if not outcome.repeated:
                flash(_("The webhook is added. Its signing secret is shown below."), "success")
            return redirect(url_for("api_web.webhook_detail", webhook_id=outcome.value.id))
    return render_template(
        "api/webhooks.html",
        form=form,
        webhooks=run(webhooks.webhooks_of, center_id),
        labels=EVENT_LABELS,
        center_id=center_id,
        center=run(stats.center_of, center_id),
        open_data=run(stats.is_public_id, center_id),
    )


@bp.post("/webhooks/open-data")
@roles(Role.MANAGER)
def open_data_switch() -> Any:
    center_id = _center_id()
    on = request.form.get("public") == "1"
    if perform(stats.set_public, current_user, center_id, on).ok:
        flash(
            _("The open data is public.") if on else _("The open data is for managers only."),
            "success",
        )
    return redirect(url_for("api_web.webhook_list", center=center_id))


@bp.get("/webhooks/<int:webhook_id>")
@roles(Role.MANAGER)
def webhook_detail(webhook_id: int) -> Any:
    webhook = run(webhooks.managed_webhook, current_user, webhook_id)
    return render_template(
        "api/webhook.html",
        webhook=webhook,
        deliveries=run(webhooks.recent_deliveries, webhook),
        labels=EVENT_LABELS,
    )


@bp.post("/webhooks/<int:webhook_id>/switch")
@roles(Role.MANAGER)
def webhook_switch(webhook_id: int) -> Any:
    webhook = run(webhooks.managed_webhook, current_user, webhook_id)
    on = request.form.get("active") == "1"
    if perform(webhooks.set_webhook_active, current_user, webhook, on).ok:
        flash(_("The webhook is on.") if on else _("The webhook is off."), "success")
    return redirect(url_for("api_web.webhook_detail", webhook_id=webhook_id))


@bp.post("/webhooks/<int:webhook_id>/delete")
@roles(Role.MANAGER)
def webhook_delete(webhook_id: int) -> Any:
    webhook = run(webhooks.managed_webhook, current_user, webhook_id)
    center_id = webhook.center_id
    if perform(webhooks.delete_webhook, current_user, webhook).ok:
        flash(_("The webhook is deleted."), "success")
    return redirect(url_for("api_web.webhook_list", center=center_id))
