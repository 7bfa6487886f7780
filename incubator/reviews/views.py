from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from incubator.accounts.models import Role
from incubator.applications.services import managed_application
from incubator.applications.stages import Stage
from incubator.forms import options
from incubator.pagecache import cached_page
from incubator.programs.services import managed_program
from incubator.reviews import services
from incubator.reviews.forms import (
    AssignForm,
    BulkAssignForm,
    ConflictForm,
    score_form,
    scores_from,
)
from incubator.reviews.lists import QUEUE, queue_query
from incubator.security import roles
from incubator.web import flash_form_errors, perform

bp = Blueprint("reviews", __name__)


# ----------------------------------------------------------------- manager


@bp.post("/manage/applications/<int:application_id>/reviewers")
@roles(Role.MANAGER)
def assign(application_id: int) -> Any:
    application = managed_application(current_user, application_id)
    form = AssignForm()
    form.reviewer_id.choices = options(
        (u.id, u.name)
        for u in services.reviewers(application.program.center_id, application.startup)
    )
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        reviewer = services.candidate_reviewer(form.reviewer_id.data)
        if perform(services.assign, current_user, application, reviewer).ok:
            flash(
                _("%(name)s is asked to review; they got an email.", name=reviewer.name), "success"
            )
    return redirect(url_for("applications.manage", application_id=application.id))


@bp.post("/manage/reviews/<int:review_id>/remove")
@roles(Role.MANAGER)
def unassign(review_id: int) -> Any:
    review = services.managed_review(current_user, review_id)
    application_id = review.application_id
    if perform(services.unassign, current_user, review).ok:
        flash(_("The reviewer is removed from this application."), "success")
    return redirect(url_for("applications.manage", application_id=application_id))


@bp.route("/manage/programs/<int:program_id>/assign", methods=["GET", "POST"])
@roles(Role.MANAGER)
def bulk_assign(program_id: int) -> Any:
    program = managed_program(current_user, program_id)
    candidates = services.reviewable_applications(program)
    mentors = services.reviewers(program.center_id)
    loads = services.reviewer_loads(program)
    form = BulkAssignForm()
    form.application_ids.choices = options((a.id, a.startup.name) for a in candidates)
    form.reviewer_ids.choices = options((u.id, u.name) for u in mentors)
    if form.validate_on_submit():
        outcome = perform(
            services.bulk_assign,
            current_user,
            program,
            form.application_ids.data or [],
            form.reviewer_ids.data or [],
            form.per_application.data,
            form=form,
        )
        if outcome.ok:
            flash(
                _(
                    "%(n)d review assignments made, spread over the least busy reviewers.",
                    n=outcome.value,
                ),
                "success",
            )
            return redirect(url_for("reviews.bulk_assign", program_id=program.id))
    return render_template(
        "reviews/bulk_assign.html",
        program=program,
        form=form,
        candidates=candidates,
        mentors=mentors,
        loads=loads,
    )


# ---------------------------------------------------------------- reviewer


@bp.get("/reviews")
@roles(Role.MENTOR)
@cached_page
def queue() -> Any:
    return QUEUE.render("reviews/queue.html", queue_query(current_user))


@bp.route("/reviews/<int:review_id>", methods=["GET", "POST"])
@roles(Role.MENTOR)
def review(review_id: int) -> Any:
    """Declare first; only then the application and the score form are shown."""
    item = services.own_review(current_user, review_id)
    application = item.application
    if not services.may_read_application(current_user, item):
        return render_template("reviews/conflict.html", review=item, form=ConflictForm())
    form = score_form(application.program, item)
    if form.validate_on_submit():
        outcome = perform(
            services.save_scores,
            current_user,
            item,
            scores_from(form, application.program),
            form=form,
        )
        if outcome.ok:
            flash(
                _("Your scores are saved. You can change them until the review closes."), "success"
            )
            return redirect(url_for("reviews.queue"))
    return render_template(
        "reviews/review.html",
        review=item,
        application=application,
        form=form,
        Stage=Stage,
    )


@bp.post("/reviews/<int:review_id>/conflict")
@roles(Role.MENTOR)
def declare(review_id: int) -> Any:
    item = services.own_review(current_user, review_id)
    form = ConflictForm()
    if form.validate_on_submit():
        declared = form.conflict.data == "declared"
        outcome = perform(
            services.declare_conflict, current_user, item, declared, form.note.data or "", form=form
        )
        if outcome.ok:
            if declared:
                flash(_("Thank you. The center's managers will ask someone else."), "info")
                return redirect(url_for("reviews.queue"))
            return redirect(url_for("reviews.review", review_id=item.id))
    return render_template("reviews/conflict.html", review=item, form=form)
