"""Home-page panels of mentors, founders and managers, and the section of the startup page."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from incubator.accounts.models import User
from incubator.db import db, utcnow
from incubator.i18n import format_number, format_vnd, to_local
from incubator.mentoring import services
from incubator.mentoring.charts import Point, bar_chart, line_chart
from incubator.mentoring.models import MentoredStartup
from incubator.startups.models import Startup


def mentor(user: User) -> dict[str, Any]:
    return {"assignments": services.mentor_assignments(user), "now": utcnow()}


def founder(user: User) -> dict[str, Any] | None:
    mentored = services.founder_mentored(user)
    if not mentored:
        return None
    due = services.previous_month(to_local(utcnow()).date().replace(day=1))
    return {
        "to_confirm": services.sessions_to_confirm(user),
        "missing": [m for m in mentored if m.last_checkin_on is None or m.last_checkin_on < due],
        "due_month": due,
    }


def manager(user: User) -> dict[str, Any] | None:
    center_id = user.managed_center_id
    if center_id is None:
        return None
    today = to_local(utcnow()).date()
    return {"figures": services.center_figures(center_id, today)}


def startup_section(user: User, startup: Startup) -> dict[str, Any] | None:
    """Mentors, sessions, action items, check-ins and milestones on the startup's page."""
    mentored = db.session.get(MentoredStartup, startup.id)
    if mentored is None or not services.may_view_mentoring(user, mentored):
        return None
    checkins = services.checkins(startup.id)
    months = services.mentoring_months(startup.id)
    labels = [c.month.strftime("%m/%y") for c in checkins]
    return {
        "mentored": mentored,
        "assignments": services.assignments_of(mentored),
        "sessions": services.recent_sessions(startup.id),
        "action_items": services.open_action_items(startup.id),
        "milestones": services.milestones(startup.id),
        "checkins": checkins,
        "is_member": startup.has_member(user),
        "manages": user.manages(mentored.center_id),
        "may_plan": services.may_plan(user, mentored),
        "may_read_notes": services.may_read_notes,
        "revenue_chart": line_chart(
            _("Revenue (VND)"),
            [Point(label, c.revenue_vnd) for label, c in zip(labels, checkins, strict=True)],
            lambda v: format_vnd(int(v)),
        ),
        "customers_chart": bar_chart(
            _("Paying customers"),
            [Point(label, c.customers) for label, c in zip(labels, checkins, strict=True)],
            lambda v: format_number(v, 0),
        ),
        "hours_chart": bar_chart(
            _("Mentoring hours"),
            [Point(m.month.strftime("%m/%y"), m.minutes / 60) for m in months],
            lambda v: format_number(v, 1),
        ),
    }
