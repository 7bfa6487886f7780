"""The scheduled reminders: sessions to confirm, check-ins due, action items due, and sessions
not confirmed flagged to the managers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from incubator.accounts.models import Role, RoleGrant, User
from incubator.db import db, utcnow
from incubator.i18n import to_local
from incubator.mail import queue_email
from incubator.mentoring.common import FLAG_AFTER, previous_month
from incubator.mentoring.models import ActionItem, ActionOwner, MentoredStartup, MentoringSession
from incubator.scheduler import first_time
from incubator.startups.models import Startup

CONFIRM_REMINDER_AFTER = timedelta(days=2)
FLAG_WITHIN = timedelta(days=60)  # the reminder job looks this far back
CHECKIN_DUE_DAY = 5  # check-ins for a month are due by the 5th of the next one


@dataclass
class ReminderCounts:
    confirm: int = 0
    checkin: int = 0
    action_items: int = 0
    flagged: int = 0


def send_reminders(now: datetime | None = None) -> ReminderCounts:
    """The scheduled job: remind founders of sessions to confirm and check-ins due, and
    owners of action items due tomorrow. Each reminder is sent once (`first_time`)."""
    now = now or utcnow()
    counts = ReminderCounts()
    with db.transaction():
        _remind_confirmations(now, counts)
        _remind_checkins(now, counts)
        _remind_action_items(now, counts)
        _flag_to_managers(now, counts)
    return counts


def center_managers(center_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(
                RoleGrant.role == Role.MANAGER,
                RoleGrant.center_id == center_id,
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )


def _flag_to_managers(now: datetime, counts: ReminderCounts) -> None:
    """Mail the center's managers, once per session, about a session not confirmed in 7 days."""
    waiting = db.session.scalars(
        select(MentoringSession).where(
            MentoringSession.confirmed_at.is_(None),
            MentoringSession.created_at <= now - FLAG_AFTER,
            MentoringSession.created_at > now - FLAG_WITHIN,
        )
    )
    for session in waiting:
        if first_time("mentoring.flag", session.id):
            days = (now - session.created_at).days
            for manager in center_managers(session.center_id):
                queue_email(manager, "session_flagged", session=session, days=days)
            counts.flagged += 1


def _members(startup: Startup) -> list[User]:
    return [m.user for m in startup.members if m.user.active]


def _remind_confirmations(now: datetime, counts: ReminderCounts) -> None:
    waiting = db.session.scalars(
        select(MentoringSession).where(
            MentoringSession.confirmed_at.is_(None),
            MentoringSession.created_at <= now - CONFIRM_REMINDER_AFTER,
            MentoringSession.created_at > now - timedelta(days=30),
        )
    )
    for session in waiting:
        if first_time("mentoring.confirm", session.id):
            for user in _members(session.startup):
                queue_email(user, "session_confirm_reminder", session=session)
            counts.confirm += 1


def _remind_checkins(now: datetime, counts: ReminderCounts) -> None:
    today = to_local(now).date()
    if today.day < CHECKIN_DUE_DAY:
        return
    due = previous_month(today.replace(day=1))
    for mentored in db.session.scalars(
        select(MentoredStartup).where(
            MentoredStartup.active.is_(True),
            or_(MentoredStartup.last_checkin_on.is_(None), MentoredStartup.last_checkin_on < due),
        )
    ):
        if first_time("mentoring.checkin", mentored.startup_id, due.isoformat()):
            for user in _members(mentored.startup):
                queue_email(user, "checkin_reminder", mentored=mentored, month=due)
            counts.checkin += 1


def _remind_action_items(now: datetime, counts: ReminderCounts) -> None:
    tomorrow = to_local(now).date() + timedelta(days=1)
    for item in db.session.scalars(
        select(ActionItem).where(ActionItem.done_at.is_(None), ActionItem.due_on == tomorrow)
    ):
        if first_time("mentoring.action_item", item.id):
            owners = (
                [item.session.mentor]
                if item.owner is ActionOwner.MENTOR
                else _members(item.session.startup)
            )
            for user in owners:
                queue_email(user, "action_item_reminder", item=item)
            counts.action_items += 1
