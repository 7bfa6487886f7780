"""Demo-day pages: each parses, authorizes through a loader, calls one service through
`perform` and redirects or renders. Judges save scores through a small JSON endpoint."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from incubator.accounts.models import Role
from incubator.db import run
from incubator.demodays import (
    access,
    certificates,
    decisions,
    judging,
    lists,
    planning,
    results,
    slots,
    standings,
)
from incubator.demodays.forms import (
    BreakForm,
    CriterionForm,
    CurrentForm,
    DecisionForm,
    DemoDayForm,
    JudgeForm,
    MoveForm,
    OrderForm,
    RevokeForm,
    StatusForm,
)
from incubator.demodays.models import DemoCriterion, DemoDay, DemoSlot
from incubator.i18n import current_language
from incubator.pdf import render_template_pdf
from incubator.security import logged_in, public, roles
from incubator.web import flash_form_errors, once_address, perform, perform_once

bp = Blueprint("demodays", __name__, url_prefix="/demo-days")
verify_bp = Blueprint("verify", __name__)

POLL_SECONDS = 5


def _page(demo_day: DemoDay, anchor: str = "") -> Any:
    return redirect(url_for("demodays.manage", demo_day_id=demo_day.id) + anchor)


# ----------------------------------------------------------------- lists


@bp.get("/")
@roles(Role.MANAGER, Role.JUDGE)
def index() -> Any:
    judged = access.judged_demo_days(current_user)
    if not current_user.has_role(Role.MANAGER, Role.ADMIN):
        return render_template("demodays/judged.html", demo_days=judged)
    center_id = None if current_user.is_admin else current_user.managed_center_id
    return lists.DEMO_DAYS.render(
        "demodays/index.html",
        access.center_demo_days_query(center_id),
        actor=current_user,
        judged=judged,
    )


@bp.route("/new", methods=["GET", "POST"])
@roles(Role.MANAGER)
def new() -> Any:
    again = once_address()
    if again is not None:
        return again
    form = DemoDayForm(programs=access.manageable_programs(current_user))
    if form.validate_on_submit():
        outcome = perform_once(
            form, DemoDay, planning.create_demo_day, current_user, form.data_out()
        )
        if outcome.ok:
            flash(_("The demo day is created."), "success")
            return _page(outcome.value)
    return render_template("demodays/new.html", form=form)


# --------------------------------------------------------------- manager


@bp.get("/<int:demo_day_id>")
@roles(Role.MANAGER)
def manage(demo_day_id: int) -> Any:
    demo_day = access.managed_demo_day(current_user, demo_day_id)
    return render_template(
        "demodays/manage.html",
        demo_day=demo_day,
        rows=slots.schedule(demo_day),
        judges=access.judges_of(demo_day),
        criterion_form=CriterionForm(),
        break_form=BreakForm(),
        judge_form=JudgeForm(),
        status_form=StatusForm(),
        form=CurrentForm(),
        order_form=OrderForm(),
        next_pitch=slots.next_pitch(demo_day),
    )


@bp.route("/<int:demo_day_id>/edit", methods=["GET", "POST"])
@roles(Role.MANAGER)
def edit(demo_day_id: int) -> Any:
    demo_day = access.managed_demo_day(current_user, demo_day_id)
    form = DemoDayForm(obj=demo_day, programs=[demo_day.program])
    if (
        form.validate_on_submit()
        and perform(planning.update_demo_day, current_user, demo_day, form.data_out(), form=form).ok
    ):
        flash(_("The demo day is saved."), "success")
        return _page(demo_day)
    return render_template("demodays/new.html", form=form, demo_day=demo_day)


@bp.post("/<int:demo_day_id>/criteria")
@roles(Role.MANAGER)
def add_criterion(demo_day_id: int) -> Any:
    demo_day = access.managed_demo_day(current_user, demo_day_id)
    form = CriterionForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif perform_once(
        form,
        DemoCriterion,
        planning.add_criterion,
        current_user,
        demo_day,
        form.name_vi.data,
        form.name_en.data or "",
        form.weight.data,
        form.max_score.data,
    ).ok:
        flash(_("The criterion is added."), "success")
    return _page(demo_day, "#rubric")


@bp.post("/<int:demo_day_id>/criteria/<int:criterion_id>/delete")
@roles(Role.MANAGER)
def remove_criterion(demo_day_id: int, criterion_id: int) -> Any:
    demo_day = access.managed_demo_day(current_user, demo_day_id)
    criterion = access.criterion_of(demo_day, criterion_id)
    if perform(planning.remove_criterion, current_user, demo_day, criterion).ok:
        flash(_("The criterion is removed."), "success")
    return _page(demo_day, "#rubric")


@bp.post("/<int:demo_day_id>/slots/<int:slot_id>/move")
@roles(Role.MANAGER)
def move(demo_day_id: int, slot_id: int) -> Any:
    demo_day = access.managed_demo_day(current_user, demo_day_id)
    slot = access.slot_of(demo_day, slot_id)
    form = MoveForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        perform(
            slots.move_slot,
            current_user,
            demo_day,
            slot,
            form.position.data,
            form.direction.data == "up",
        )
    return _page(demo_day, f"#slot-{slot.id}")


@bp.post("/<int:demo_day_id>/order")
@roles(Role.MANAGER)
def reorder(demo_day_id: int) -> Any:
    """The running order dragged into place (demoday_order.js)."""
    demo_day = access.managed_demo_day(current_user, demo_day_id)
    form = OrderForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif form.slot_ids() is None:
        flash(_("The order changed meanwhile; please check it again."), "error")
    elif perform(slots.reorder, current_user, demo_day, form.slot_ids()).ok:
        flash(_("The running order is saved."), "success")
    return _page(demo_day, "#schedule")


@bp.post("/<int:demo_day_id>/breaks")
@roles(Role.MANAGER)
def add_break(demo_day_id: int) -> Any:
    demo_day = access.managed_demo_day(current_user, demo_day_id)
    form = BreakForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif perform_once(
        form,
        DemoSlot,
        slots.add_break,
        current_user,
        demo_day,
        form.minutes.data,
        form.label.data or "",
    ).ok:
        flash(_("The break is added at the end; move it where it belongs."), "success")
    return _page(demo_day, "#schedule")


@bp.post("/<int:demo_day_id>/slots/<int:slot_id>/delete")
@roles(Role.MANAGER)
def remove_break(demo_day_id: int, slot_id: int) -> Any:
    demo_day = access.managed_demo_day(current_user, demo_day_id)
    slot = access.slot_of(demo_day, slot_id)
    if perform(slots.remove_break, current_user, demo_day, slot).ok:
        flash(_("The break is removed."), "success")
    return _page(demo_day, "#schedule")


@bp.post("/<int:demo_day_id>/judges")
@roles(Role.MANAGER)
def invite(demo_day_id: int) -> Any:
    demo_day = access.managed_demo_day(current_user, demo_day_id)
    form = JudgeForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        outcome = perform(
            judging.invite_judge, current_user, demo_day, form.email.data, form.name.data or ""
        )
        if outcome.ok:
            flash(_("%(name)s is invited to judge.", name=outcome.value.name), "success")
    return _page(demo_day, "#judges")


@bp.post("/<int:demo_day_id>/judges/<int:user_id>/remove")
@roles(Role.MANAGER)
def remove_judge(demo_day_id: int, user_id: int) -> Any:
    demo_day = access.managed_demo_day(current_user, demo_day_id)
    judge = access.judge_of(demo_day, user_id)
    if perform(judging.remove_judge, current_user, demo_day, judge).ok:
        flash(_("%(name)s no longer judges this demo day.", name=judge.name), "success")
    return _page(demo_day, "#judges")


_SAID = {
    planning.Change.OPEN: lambda: _("Judging is open."),
    planning.Change.CLOSE: lambda: _("Judging is closed."),
    planning.Change.PUBLISH: lambda: _("The results are published; the scores are frozen."),
    planning.Change.REOPEN: lambda: _("The results are reopened for correction."),
}


@bp.post("/<int:demo_day_id>/status")
@roles(Role.MANAGER)
def status(demo_day_id: int) -> Any:
    demo_day = access.managed_demo_day(current_user, demo_day_id)
    form = StatusForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif perform(
        planning.change_status, current_user, demo_day, form.change.data, form.reason.data or ""
    ).ok:
        flash(_SAID.get(form.change.data, lambda: "")(), "success")
    if request.form.get("back") == "leaderboard":
        return redirect(url_for("demodays.leaderboard", demo_day_id=demo_day.id))
    return _page(demo_day)


@bp.post("/<int:demo_day_id>/now")
@roles(Role.MANAGER)
def now_pitching(demo_day_id: int) -> Any:
    demo_day = access.managed_demo_day(current_user, demo_day_id)
    form = CurrentForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _page(demo_day, "#schedule")
    slot = access.pitch_of(demo_day, form.slot_id.data) if form.slot_id.data else None
    perform(slots.set_current, current_user, demo_day, slot)
    return _page(demo_day, "#schedule")


@bp.get("/<int:demo_day_id>/print")
@roles(Role.MANAGER)
def running_order(demo_day_id: int) -> Any:
    demo_day = access.managed_demo_day(current_user, demo_day_id)
    return render_template("demodays/print.html", demo_day=demo_day, rows=slots.schedule(demo_day))


# --------------------------------------------------------------- results


def _normalized() -> bool:
    return request.args.get("by") == "normalized"


@bp.get("/<int:demo_day_id>/leaderboard")
@roles(Role.MANAGER)
def leaderboard(demo_day_id: int) -> Any:
    demo_day = access.managed_demo_day(current_user, demo_day_id)
    normalized = _normalized()
    return render_template(
        "demodays/leaderboard.html",
        demo_day=demo_day,
        slots=standings.leaderboard(demo_day, normalized),
        normalized=normalized,
        certificates=certificates.certificates_of(demo_day),
        decision_form=DecisionForm(),
        status_form=StatusForm(),
        poll_seconds=POLL_SECONDS,
    )


@bp.get("/<int:demo_day_id>/results.pdf")
@logged_in
def results_pdf(demo_day_id: int) -> Any:
    """The published results as PDF (small: rendered on request), for the center's managers
    and admins; not found for anyone else and before publication."""
    demo_day = run(results.printable_results, current_user, demo_day_id)
    lang = request.args.get("lang")
    if lang not in results.LANGUAGES:
        lang = current_language()
    pdf, name = results.results_pdf(demo_day.id, lang)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/<int:demo_day_id>/leaderboard/rows")
@roles(Role.MANAGER)
def leaderboard_rows(demo_day_id: int) -> Any:
    """The leaderboard's table alone, fetched every few seconds by the page."""
    demo_day = access.managed_demo_day(current_user, demo_day_id)
    return render_template(
        "demodays/_leaderboard_rows.html",
        demo_day=demo_day,
        slots=standings.leaderboard(demo_day, _normalized()),
        normalized=_normalized(),
        certificates=certificates.certificates_of(demo_day),
    )


@bp.post("/<int:demo_day_id>/decide")
@roles(Role.MANAGER)
def decide(demo_day_id: int) -> Any:
    demo_day = access.managed_demo_day(current_user, demo_day_id)
    form = DecisionForm()
    chosen = [int(v) for v in request.form.getlist("slot_id") if v.isdigit()]
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        outcome = perform(decisions.decide, current_user, demo_day, chosen, form.decision.data)
        if outcome.ok:
            flash(_("%(count)d startups moved on.", count=outcome.value), "success")
    return redirect(url_for("demodays.leaderboard", demo_day_id=demo_day.id))


# ----------------------------------------------------------------- judges


@bp.get("/<int:demo_day_id>/judge")
@roles(Role.JUDGE)
def judge(demo_day_id: int) -> Any:
    demo_day = access.judged_demo_day(current_user, demo_day_id)
    return render_template(
        "demodays/judge.html",
        demo_day=demo_day,
        pitches=judging.judge_pitches(current_user, demo_day),
        poll_seconds=POLL_SECONDS,
    )


@bp.get("/<int:demo_day_id>/now")
@roles(Role.JUDGE, Role.MANAGER)
def now(demo_day_id: int) -> Any:
    """Which pitch is on stage and whether judging is open, for the judges' page."""
    demo_day = access.public_demo_day(demo_day_id)
    if not (access.is_judge(current_user, demo_day) or access.may_manage(current_user, demo_day)):
        return {"error": {"code": "not_found", "message": _("Not found")}}, 404
    return {"current": demo_day.current_slot_id, "status": demo_day.status.value}


def _json_refusal(message: str, status: int = 400) -> tuple[dict[str, Any], int]:
    return {"ok": False, "message": message}, status


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


@bp.post("/<int:demo_day_id>/scores")
@roles(Role.JUDGE)
def save_score(demo_day_id: int) -> Any:
    """JSON {"slot": id, "criterion": id, "value": n} or {"slot": id, "comment": text} or
    {"slot": id, "abstain": true}; the CSRF token comes in the X-CSRFToken header."""
    demo_day = access.judged_demo_day(current_user, demo_day_id)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _json_refusal(_("The score could not be read."))
    slot = access.pitch_of(demo_day, _whole(data.get("slot")))
    if "criterion" in data:
        criterion = access.criterion_of(demo_day, _whole(data.get("criterion")))
        value = _whole(data.get("value"))
        if value is None:
            return _json_refusal(
                _("A score is a whole number from 0 to %(max)d.", max=criterion.max_score)
            )
        outcome = perform(
            judging.save_score, current_user, demo_day, slot, criterion, value, quiet=True
        )
    elif "abstain" in data:
        outcome = perform(
            judging.save_sheet,
            current_user,
            demo_day,
            slot,
            abstained=bool(data.get("abstain")),
            quiet=True,
        )
    elif "comment" in data and isinstance(data.get("comment"), str):
        outcome = perform(
            judging.save_sheet, current_user, demo_day, slot, comment=data["comment"], quiet=True
        )
    else:
        return _json_refusal(_("The score could not be read."))
    if not outcome.ok:
        # 409: the server refuses for good (judging closed); the page stops resending it
        return _json_refusal(outcome.message or "", 409)
    return {"ok": True, "message": _("Saved")}


# ------------------------------------------------------------- founders


@bp.get("/certificates/<code>.pdf")
@logged_in
def certificate_pdf(code: str) -> Any:
    certificate = run(certificates.readable_certificate, current_user, code)
    values = certificates.certificate_values(
        certificate, url_for("verify.verify", code=certificate.code, _external=True)
    )
    pdf = render_template_pdf("certificate.html", **values)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="certificate-{certificate.code}.pdf"'},
    )


@bp.post("/certificates/<code>/revoke")
@roles(Role.MANAGER)
def revoke(code: str) -> Any:
    certificate = certificates.readable_certificate(current_user, code)
    form = RevokeForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif perform(certificates.revoke_certificate, current_user, certificate, form.reason.data).ok:
        flash(_("The certificate is revoked."), "success")
    return redirect(url_for("demodays.leaderboard", demo_day_id=certificate.demo_day_id))


# ---------------------------------------------------------------- public


@bp.get("/<int:demo_day_id>/schedule")
@public
def public_schedule(demo_day_id: int) -> Any:
    demo_day = access.public_demo_day(demo_day_id)
    return render_template("demodays/public.html", demo_day=demo_day, rows=slots.schedule(demo_day))


@verify_bp.get("/verify/<code>")
@public
def verify(code: str) -> Any:
    certificate = certificates.certificate_by_code(code)
    if certificate is None:
        state = certificates.CertificateState.UNKNOWN
    elif certificate.revoked_at is not None:
        state = certificates.CertificateState.REVOKED
    else:
        state = certificates.CertificateState.VALID
    return render_template(
        "demodays/verify.html", certificate=certificate, state=state, code=code[:40]
    )
