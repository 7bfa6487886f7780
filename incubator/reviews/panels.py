"""The mentor's home-page panel, and the reviews on the manager's application page."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from incubator.accounts.models import User
from incubator.applications.models import Application
from incubator.applications.services import rank_of
from incubator.db import db
from incubator.forms import options
from incubator.reviews import services
from incubator.reviews.forms import AssignForm
from incubator.reviews.models import Review
from incubator.reviews.scoring import review_total


def mentor(user: User) -> dict[str, Any]:
    return {
        "open_reviews": services.open_review_count(user),
        "reviews": list(
            db.session.scalars(
                services.reviewer_queue_query(user, "todo")
                .order_by(Review.assigned_at.desc())
                .limit(5)
            )
        ),
    }


def reviews_section(_user: User, application: Application) -> dict[str, Any]:
    """The scores, each review, and the form to assign another reviewer."""
    application_reviews = services.reviews_of(application)
    assigned = {r.reviewer_id for r in application_reviews}
    candidates = [
        (u.id, u.name)
        for u in services.reviewers(application.program.center_id, application.startup)
        if u.id not in assigned
    ]
    assign_form = AssignForm()
    assign_form.reviewer_id.choices = options([("", _("Choose a reviewer")), *candidates])
    return {
        "application": application,
        "reviews": application_reviews,
        "review_total": review_total,
        "rank": rank_of(application),
        "assign_form": assign_form,
        "can_assign": application.stage in services.REVIEWABLE
        and not application.program.review_closed,
    }
