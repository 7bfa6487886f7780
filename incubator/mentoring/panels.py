"""Home-page panels of mentors, founders and managers, and the section of the startup page."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from incubator.accounts.models import User
from incubator.db import db, utcnow
from incubator.i18n import format_number, format_vnd, to_local
from incubator.mentoring import (
    access,
    assignments,
    calendar,
    checkins,
    common,
    oversight,
    sessions,
)
from incubator.mentoring.charts import Point, bar_chart, line_chart
from incubator.mentoring.models import Language, MentoredStartup
from incubator.startups.models import Startup

PANEL_LIMIT = 5


def mentor(user: User) -> dict[str, Any]:
    """My startups, sessions this month, open action items, sessions awaiting confirmation."""
    now = utcnow()
    return {
        "assignments": assignments.mentor_assignments(user),
        "sessions_month": sessions.mentor_sessions_this_month(user, now),
        "open_items": sessions.mentor_open_items(user, PANEL_LIMIT),
        "awaiting": sessions.mentor_awaiting(user, PANEL_LIMIT),
        "awaiting_count": sessions.mentor_awaiting_count(user),
        "now": now,
    }


def founder(user: User) -> dict[str, Any] | None:
    """Per startup: its stage, next milestone and check-in due; then upcoming sessions,
    sessions to confirm and open action items."""
    mentored = assignments.founder_mentored(user)
    if not mentored:
        return None
    now = utcnow()
    due = common.previous_month(to_local(now).date().replace(day=1))
    return {
        "startups": [
            {
                "mentored": m,
                "milestone": checkins.next_milestone(m.startup_id),
                "checkin_missing": m.last_checkin_on is None or m.last_checkin_on < due,
            }
            for m in mentored
        ],
        "upcoming": sessions.upcoming_sessions(user, now, PANEL_LIMIT),
        "to_confirm": sessions.sessions_to_confirm(user, PANEL_LIMIT),
        "open_items": sessions.founder_open_items(user, PANEL_LIMIT),
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
        "figures": oversight.center_figures(center_id, today),
        "stages": oversight.stage_counts(center_id),
        "flagged": oversight.flagged_count(center_id, now),
        "missing": oversight.missing_count(center_id, today),
        "quiet": oversight.quiet_count(center_id, now),
    }


def account_section(user: User, _obj: Any) -> dict[str, Any] | None:
    """The private calendar feed's address on the account page."""
    if not user.is_authenticated:
        return None
    return {"token": calendar.token_of(user)}  # the address itself was shown once


def startup_section(user: User, startup: Startup) -> dict[str, Any] | None:
    """Mentors, sessions, action items, check-ins and milestones on the startup's page."""
    mentored = db.session.get(MentoredStartup, startup.id)
    if mentored is None or not access.may_view_mentoring(user, mentored):
        return None
    filed = checkins.checkins(startup.id)
    months = sessions.mentoring_months(startup.id)
    labels = [c.month.strftime("%m/%y") for c in filed]
    return {
        "mentored": mentored,
        "assignments": assignments.assignments_of(mentored),
        "sessions": sessions.recent_sessions(startup.id),
        "action_items": sessions.open_action_items(startup.id),
        "milestones": checkins.milestones(startup.id),
        "checkins": filed,
        "is_member": startup.has_member(user),
        "manages": user.manages(mentored.center_id),
        "may_plan": access.may_plan(user, mentored),
        "may_declare_needs": access.may_declare_needs(user, mentored),
        "languages": [Language(value).label for value in mentored.languages],
        "now": utcnow(),
        "may_read_notes": access.may_read_notes,
        "revenue_chart": line_chart(
            _("Revenue (VND)"),
            [Point(label, c.revenue_vnd) for label, c in zip(labels, filed, strict=True)],
            lambda v: format_vnd(int(v)),
        ),
        "customers_chart": bar_chart(
            _("Paying customers"),
            [Point(label, c.customers) for label, c in zip(labels, filed, strict=True)],
            lambda v: format_number(v, 0),
        ),
        "hours_chart": bar_chart(
            _("Mentoring hours"),
            [Point(m.month.strftime("%m/%y"), m.minutes / 60) for m in months],
            lambda v: format_number(v, 1),
        ),
    }
