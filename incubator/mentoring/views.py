"""Mentoring pages: each parses, authorizes through a loader, calls one service through
`perform` and redirects or renders."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from incubator.accounts.models import Role
from incubator.accounts.services import mentor_center_ids
from incubator.centers.services import all_centers
from incubator.db import utcnow
from incubator.i18n import to_local
from incubator.mentoring import (
    access,
    assignments,
    calendar,
    checkins,
    common,
    lists,
    oversight,
    profiles,
)
from incubator.mentoring.forms import (
    AssignForm,
    CheckInForm,
    CloseMonthForm,
    ConfirmForm,
    MilestoneForm,
    NeedsForm,
    NextSessionForm,
    ProfileForm,
    SessionForm,
    TagForm,
)
from incubator.mentoring.models import Milestone
from incubator.mentoring.sessions import (
    confirm_session,
    log_session,
    mentor_open_items,
    sessions_query,
    tick_action_item,
)
from incubator.mentoring.tags import active_tags, all_tags, save_tag, set_tag_active
from incubator.security import logged_in, public, roles
from incubator.web import flash_form_errors, once_address, perform, perform_once, safe_next

bp = Blueprint("mentoring", __name__, url_prefix="/mentoring")


def _startup_page(startup_id: int) -> Any:
    return redirect(url_for("startups.detail", startup_id=startup_id) + "#mentoring")


def _saved(form: Any, message: str, service: Any, *args: Any) -> bool:
    """A valid form's data passed, after `args`, to one service; its message flashed if done."""
    if form.validate_on_submit() and perform(service, *args, form.data_out(), form=form).ok:
        flash(message, "success")
        return True
    return False


# ----------------------------------------------------------------- manager


def _center_id() -> int | None:
    """The manager's center; an administrator picks one with ?center=<id>."""
    if current_user.managed_center_id is not None:
        return current_user.managed_center_id
    chosen = request.args.get("center", "")
    centers = [c.id for c in all_centers()]
    return int(chosen) if chosen.isdigit() and int(chosen) in centers else centers[0]


@bp.get("/")
@roles(Role.MANAGER)
def dashboard() -> Any:
    center_id = _center_id()
    now = utcnow()
    today = to_local(now).date()
    return lists.STARTUPS.render(
        "mentoring/dashboard.html",
        oversight.center_startups_query(center_id),
        actor=current_user,
        center_id=center_id,
        centers=all_centers(),
        figures=oversight.center_figures(center_id, today),
        stages=oversight.stage_counts(center_id),
        flagged=oversight.flagged_sessions(center_id, now),
        flagged_count=oversight.flagged_count(center_id, now),
        quiet=oversight.quiet_startups(center_id, now),
        missing=oversight.missing_checkins(center_id, today),
        mentors=profiles.center_mentors(center_id),
        closed=checkins.closed_months(center_id),
        close_form=CloseMonthForm(months=checkins.closable_months(center_id)),
        limit=common.LIST_LIMIT,
        now=now,
    )


@bp.post("/months/close")
@roles(Role.MANAGER)
def close_month() -> Any:
    center_id = _center_id()
    # every recent month is a valid choice: closing one twice gets a clear refusal
    form = CloseMonthForm(months=checkins.ended_months())
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif perform(checkins.close_month, current_user, center_id, form.chosen()).ok:
        flash(
            _(
                "The check-ins of %(month)s are closed.",
                month=form.chosen().strftime("%m/%Y"),
            ),
            "success",
        )
    return redirect(url_for("mentoring.dashboard", center=center_id) + "#closed-months")


@bp.post("/months/reopen")
@roles(Role.MANAGER)
def reopen_month() -> Any:
    center_id = _center_id()
    form = CloseMonthForm(months=checkins.ended_months(24))
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif perform(checkins.reopen_month, current_user, center_id, form.chosen()).ok:
        flash(
            _(
                "The check-ins of %(month)s are open again.",
                month=form.chosen().strftime("%m/%Y"),
            ),
            "success",
        )
    return redirect(url_for("mentoring.dashboard", center=center_id) + "#closed-months")


@bp.route("/startups/<int:startup_id>/assign", methods=["GET", "POST"])
@roles(Role.MANAGER)
def assign(startup_id: int) -> Any:
    mentored = access.managed_mentored(current_user, startup_id)
    form = AssignForm()
    candidates = profiles.center_mentors(mentored.center_id)
    form.mentor_id.choices = [("", _("Choose a mentor"))] + [
        (mentor.id, mentor.name) for mentor, _profile in candidates
    ]
    if form.validate_on_submit():
        mentor = assignments.assignable_mentor(mentored, form.chosen())
        if perform(
            assignments.assign, current_user, mentored, mentor, form.data_out(), form=form
        ).ok:
            flash(
                _("%(name)s now mentors this startup; they got an email.", name=mentor.name),
                "success",
            )
            return _startup_page(startup_id)
    return render_template(
        "mentoring/assign.html",
        mentored=mentored,
        form=form,
        suggestions=assignments.suggestions(mentored),
        assignments=assignments.assignments_of(mentored),
        candidates=candidates,
    )


@bp.post("/assignments/<int:assignment_id>/end")
@roles(Role.MANAGER)
def end(assignment_id: int) -> Any:
    assignment = access.managed_assignment(current_user, assignment_id)
    if perform(assignments.end_assignment, current_user, assignment).ok:
        flash(_("The mentoring of %(name)s has ended.", name=assignment.mentor.name), "success")
    return _startup_page(assignment.startup_id)


# ------------------------------------------------------------------ mentor


@bp.get("/mine")
@roles(Role.MENTOR)
def mine() -> Any:
    return render_template(
        "mentoring/mine.html",
        assignments=assignments.mentor_assignments(current_user),
        profile=profiles.profile_of(current_user),
        items=mentor_open_items(current_user),
        next_form=NextSessionForm(),
        now=utcnow(),
    )


@bp.post("/assignments/<int:assignment_id>/next")
@roles(Role.MENTOR)
def next_session(assignment_id: int) -> Any:
    assignment = access.own_assignment(current_user, assignment_id)
    form = NextSessionForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif perform(
        assignments.plan_next_session, current_user, assignment, form.next_session_at.data
    ).ok:
        flash(_("The next session is planned."), "success")
    return redirect(url_for("mentoring.mine") + f"#mentee-{assignment.id}")


@bp.route("/assignments/<int:assignment_id>/log", methods=["GET", "POST"])
@roles(Role.MENTOR)
def log(assignment_id: int) -> Any:
    assignment = access.own_assignment(current_user, assignment_id)
    form = SessionForm(tags=active_tags())
    if form.validate_on_submit():
        outcome = perform(log_session, current_user, assignment, form.data_out(), form=form)
        if outcome.ok:
            flash(_("The session is saved; the founders are asked to confirm it."), "success")
            return redirect(url_for("mentoring.session", session_id=outcome.value.id, saved=1))
    return render_template("mentoring/log.html", assignment=assignment, form=form)


@bp.route("/mentors/<int:user_id>/profile", methods=["GET", "POST"])
@roles(Role.MENTOR)
def profile(user_id: int) -> Any:
    mentor = access.editable_mentor(current_user, user_id)
    stored = profiles.profile_of(mentor)
    form = ProfileForm(obj=stored, centers=all_centers(), tags=active_tags())
    if not form.is_submitted():
        form.center_ids.data = sorted(mentor_center_ids(mentor))
        form.tag_ids.data = [tag.id for tag in stored.tags] if stored else []
        form.languages.data = stored.languages if stored else ["vi"]
    if _saved(form, _("The mentor profile is saved."), profiles.save_profile, current_user, mentor):
        return redirect(url_for("mentoring.mine"))
    return render_template("mentoring/profile.html", mentor=mentor, form=form)


# -------------------------------------------------------- sessions, items


@bp.get("/sessions")
@logged_in
def sessions() -> Any:
    center_id = _center_id() if current_user.has_role(Role.MANAGER, Role.ADMIN) else None
    statement = sessions_query(current_user, center_id)
    return lists.SESSIONS.render("mentoring/sessions.html", statement, actor=current_user)


@bp.get("/sessions/<int:session_id>")
@logged_in
def session(session_id: int) -> Any:
    item = access.viewable_session(current_user, session_id)
    return render_template(
        "mentoring/session.html",
        session=item,
        form=ConfirmForm(),
        may_confirm=access.may_confirm(current_user, item),
        may_read_notes=access.may_read_notes(current_user, item),
        saved=request.args.get("saved") == "1",
    )


@bp.post("/sessions/<int:session_id>/confirm")
@roles(Role.FOUNDER)
def confirm(session_id: int) -> Any:
    item = access.viewable_session(current_user, session_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    elif perform(
        confirm_session, current_user, item, form.rating.data, form.feedback.data or ""
    ).ok:
        flash(_("Thank you: the session is confirmed."), "success")
    return redirect(url_for("mentoring.session", session_id=item.id))


@bp.post("/action-items/<int:item_id>")
@logged_in
def tick(item_id: int) -> Any:
    item = access.tickable_item(current_user, item_id)
    perform(tick_action_item, current_user, item, request.form.get("done") == "1")
    return redirect(safe_next(request.form.get("next")))


# --------------------------------------------------- check-ins, milestones


@bp.route("/startups/<int:startup_id>/checkin", methods=["GET", "POST"])
@roles(Role.FOUNDER)
def checkin(startup_id: int) -> Any:
    mentored = access.member_mentored(current_user, startup_id)
    form = CheckInForm()
    if _saved(
        form, _("The monthly check-in is saved."), checkins.file_checkin, current_user, mentored
    ):
        return _startup_page(startup_id)
    return render_template("mentoring/checkin.html", mentored=mentored, form=form)


@bp.route("/startups/<int:startup_id>/milestones/new", methods=["GET", "POST"])
@logged_in
def new_milestone(startup_id: int) -> Any:
    mentored = access.planning_mentored(current_user, startup_id)
    if (fresh := once_address()) is not None:
        return fresh
    return _milestone_form(mentored, None)


@bp.route("/milestones/<int:milestone_id>", methods=["GET", "POST"])
@logged_in
def milestone(milestone_id: int) -> Any:
    item = access.editable_milestone(current_user, milestone_id)
    return _milestone_form(access.planning_mentored(current_user, item.startup_id), item)


def _milestone_form(mentored: Any, item: Any) -> Any:
    form = MilestoneForm(obj=item)
    if form.validate_on_submit():
        if item is None:  # a new one: once per form, whatever Back and Save do
            outcome = perform_once(
                form,
                Milestone,
                checkins.save_milestone,
                current_user,
                mentored,
                None,
                form.data_out(),
            )
        else:
            outcome = perform(
                checkins.save_milestone, current_user, mentored, item, form.data_out(), form=form
            )
        if outcome.ok:
            flash(_("The milestone is saved."), "success")
            return _startup_page(mentored.startup_id)
    return render_template("mentoring/milestone.html", mentored=mentored, form=form, item=item)


@bp.route("/startups/<int:startup_id>/needs", methods=["GET", "POST"])
@logged_in
def needs(startup_id: int) -> Any:
    mentored = access.needing_mentored(current_user, startup_id)
    form = NeedsForm(tags=active_tags())
    if not form.is_submitted():
        form.tag_ids.data = [tag.id for tag in mentored.needs]
        form.languages.data = mentored.languages
    message = _("The startup’s needs are saved; they guide the choice of mentors.")
    if _saved(form, message, assignments.save_needs, current_user, mentored):
        return _startup_page(startup_id)
    return render_template("mentoring/needs.html", mentored=mentored, form=form)


# ---------------------------------------------------------------------- tags


@bp.route("/tags", methods=["GET", "POST"])
@roles(Role.MANAGER)
def tags() -> Any:
    form = TagForm()
    if _saved(form, _("The tag is added to the list."), save_tag, current_user, None):
        return redirect(url_for("mentoring.tags"))
    return lists.TAGS.render("mentoring/tags.html", all_tags(), form=form)


@bp.route("/tags/<int:tag_id>", methods=["GET", "POST"])
@roles(Role.MANAGER)
def tag(tag_id: int) -> Any:
    item = access.editable_tag(current_user, tag_id)
    form = TagForm(obj=item)
    if _saved(form, _("The tag is saved."), save_tag, current_user, item):
        return redirect(url_for("mentoring.tags"))
    return render_template("mentoring/tag.html", tag=item, form=form)


@bp.post("/tags/<int:tag_id>/active")
@roles(Role.MANAGER)
def tag_active(tag_id: int) -> Any:
    item = access.editable_tag(current_user, tag_id)
    active = request.form.get("active") == "1"
    if perform(set_tag_active, current_user, item, active).ok:
        flash(_("The tag is offered again.") if active else _("The tag is archived."), "success")
    return redirect(url_for("mentoring.tags"))


# ---------------------------------------------------------------- calendar


@bp.get("/calendar")
@logged_in
def calendar_page() -> Any:
    """The feed's address is on the account page."""
    return redirect(url_for("accounts.account") + "#calendar")


@bp.post("/calendar/new")
@logged_in
def new_calendar_link() -> Any:
    outcome = perform(calendar.new_link, current_user)
    if not outcome.ok:
        return redirect(url_for("accounts.account") + "#calendar")
    # shown once, in this answer only (only its hash is stored; never in a flash message)
    url = url_for("mentoring.calendar_feed", token=outcome.value.secret, _external=True)
    return render_template("mentoring/calendar_link.html", feed_url=url)


@bp.get("/calendar/<token>.ics")
@public
def calendar_feed(token: str) -> Any:
    user = calendar.calendar_user(token)
    return Response(calendar.feed(user), mimetype="text/calendar; charset=utf-8")
