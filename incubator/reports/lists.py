"""The lists the center's export adds to those the other domains declare: a center's
applications and its startups' KPI check-ins (their CSV is all the export needs; the
specs also serve a page if one comes)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from incubator.applications.models import Application
from incubator.i18n import format_date, format_datetime, format_number
from incubator.lists import Column, ListSpec
from incubator.mentoring.models import CheckIn
from incubator.startups.models import Startup

# Rows are applications joined to their startup (exports.applications_query).
APPLICATIONS = ListSpec(
    name="center-applications",
    columns=(
        Column(
            "startup",
            _l("Startup"),
            value=lambda a: a.startup.name,
            sort=Startup.name,
            priority="title",
        ),
        Column("sector", _l("Sector"), value=lambda a: a.startup.sector.label),
        Column("program", _l("Program"), value=lambda a: a.program.name),
        Column("stage", _l("Stage"), value=lambda a: a.stage.label, sort=Application.stage),
        Column(
            "submitted",
            _l("Submitted"),
            value=lambda a: format_datetime(a.submitted_at),
            sort=Application.submitted_at,
        ),
        Column(
            "score",
            _l("Review score"),
            value=lambda a: format_number(a.score_mean, 1) if a.score_mean is not None else "",
            sort=Application.score_mean,
            css="num",
        ),
        Column("reviews", _l("Reviews"), value=lambda a: a.review_count, css="num"),
    ),
    default_sort="startup",
    tiebreak=Application.id,
    empty=_l("No application yet."),
)

# Rows are (check-in, startup name) (exports.checkins_query).
CHECKINS = ListSpec(
    name="kpi-checkins",
    columns=(
        Column("startup", _l("Startup"), value=lambda r: r[1], sort=Startup.name, priority="title"),
        Column(
            "month", _l("Month"), value=lambda r: r[0].month.strftime("%m/%Y"), sort=CheckIn.month
        ),
        Column("revenue", _l("Revenue (VND)"), value=lambda r: r[0].revenue_vnd, css="num"),
        Column("customers", _l("Paying customers"), value=lambda r: r[0].customers, css="num"),
        Column(
            "funding",
            _l("Funding raised (VND)"),
            value=lambda r: r[0].funding_raised_vnd,
            css="num",
        ),
        Column("headcount", _l("Headcount"), value=lambda r: r[0].headcount, css="num"),
        Column("note", _l("Note"), value=lambda r: r[0].note, only="csv"),
        Column(
            "submitted", _l("Submitted"), value=lambda r: format_date(r[0].submitted_at), only="csv"
        ),
    ),
    default_sort="startup",
    sorts={"month_desc": CheckIn.month},
    tiebreak=CheckIn.id,
    empty=_l("No check-in yet."),
)
