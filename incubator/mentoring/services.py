"""What later domains (reports) call of mentoring; the services live in the topic modules."""

from incubator.mentoring.assignments import assignments_of
from incubator.mentoring.checkins import checkins, milestones
from incubator.mentoring.sessions import (
    mentoring_months,
    open_action_items,
    recent_sessions,
    sessions_query,
)

__all__ = [
    "assignments_of",
    "checkins",
    "mentoring_months",
    "milestones",
    "open_action_items",
    "recent_sessions",
    "sessions_query",
]
