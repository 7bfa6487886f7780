"""The reviewer's queue of reviews."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select

from incubator.applications.models import Application
from incubator.i18n import format_date, format_datetime
from incubator.lists import Column, Filter, ListSpec
from incubator.reviews import services
from incubator.reviews.models import Review
from incubator.startups.models import Startup


def queue_query(actor: Any) -> Select[Any]:
    """The actor's reviews, joined to what the queue sorts by."""
    return (
        services.reviewer_queue_query(actor)
        .join(Application, Review.application_id == Application.id)
        .join(Startup, Application.startup_id == Startup.id)
    )


QUEUE = ListSpec(
    name="reviews",
    columns=(
        Column(
            "startup",
            _l("Startup"),
            value=lambda r: r.application.startup.name,
            sort=Startup.name,
            link=lambda r: url_for("reviews.review", review_id=r.id),
            priority="title",
        ),
        Column("program", _l("Program"), csv=lambda r: r.application.program.name, cell="program"),
        Column("status", _l("Status"), cell="status", only="html"),
        Column(
            "conflict", _l("Conflict of interest"), value=lambda r: r.conflict.label, only="csv"
        ),
        Column(
            "assigned",
            _l("Assigned"),
            value=lambda r: format_date(r.assigned_at),
            csv=lambda r: format_datetime(r.assigned_at),
            sort=Review.assigned_at,
            priority="hide-sm",
        ),
        Column("scored", _l("Scored"), value=lambda r: format_datetime(r.submitted_at), only="csv"),
    ),
    filters=(
        Filter(
            "status",
            _l("Status"),
            choices=(
                ("todo", _l("To do")),
                ("done", _l("Scored")),
                ("conflict", _l("Conflict of interest")),
            ),
            all_label=_l("All"),
            apply=services.reviews_with_status,
        ),
    ),
    default_sort="-assigned",
    tiebreak=Review.id,
    empty=_l("No application is waiting for your review."),
    cells="reviews/_macros.html",
)
