"""Home-page panels of mentors, founders and managers, and the section of the startup page."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from incubator.accounts.models import User
from incubator.db import db, utcnow
from incubator.i18n import format_number, format_vnd, to_local
from incubator.mentoring import calendar, services
from incubator.mentoring.charts import Point, bar_chart, line_chart
from incubator.mentoring.models import Language, MentoredStartup
from incubator.startups.models import Startup

PANEL_LIMIT = 5


def mentor(user: User) -> dict[str, Any]:
    """My startups, sessions this month, open action items, sessions awaiting confirmation."""
    now = utcnow()
    return {
        "assignments": services.mentor_assignments(user),
        "sessions_month": services.mentor_sessions_this_month(user, now),
        "open_items": services.mentor_open_items(user, PANEL_LIMIT),
        "awaiting": services.mentor_awaiting(user, PANEL_LIMIT),
        "awaiting_count": services.mentor_awaiting_count(user),
        "now": now,
    }


def founder(user: User) -> dict[str, Any] | None:
    """Per startup: its stage, next milestone and check-in due; then upcoming sessions,
    sessions to confirm and open action items."""
    mentored = services.founder_mentored(user)
    if not mentored:
        return None
    now = utcnow()
    due = services.previous_month(to_local(now).date().replace(day=1))
    return {
        "startups": [
            {
                "mentored": m,
                "milestone": services.next_milestone(m.startup_id),
                "checkin_missing": m.last_checkin_on is None or m.last_checkin_on < due,
            }
            for m in mentored
        ],
        "upcoming": services.upcoming_sessions(user, now, PANEL_LIMIT),
        "to_confirm": services.sessions_to_confirm(user, PANEL_LIMIT),
        "open_items": services.founder_open_items(user, PANEL_LIMIT),
        "due_month": due,
    }


def manager(user: User) -> dict[str, Any] | None:
    """Startups per stage, hours this month and year, and how many need attention."""
    center_id = user.managed_center_id
    if center_id is None:
        return None
    now = utcnow()
    today = to_local(now).date()
    return {
        "figures": services.center_figures(center_id, today),
        "stages": services.stage_counts(center_id),
        "flagged": services.flagged_count(center_id, now),
        "missing": services.missing_count(center_id, today),
        "quiet": services.quiet_count(center_id, now),
    }


def account_section(user: User, _obj: Any) -> dict[str, Any] | None:
    """The private calendar feed's address on the account page."""
    if not user.is_authenticated:
        return None
    return {"token": calendar.token_of(user)}  # the address itself was shown once


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
        "may_declare_needs": services.may_declare_needs(user, mentored),
        "languages": [Language(value).label for value in mentored.languages],
        "now": utcnow(),
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
