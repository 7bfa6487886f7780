"""The reminders job without HTTP: each reminder sent once, flagged sessions mailed to the
managers once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from incubator.accounts.models import Role
from incubator.db import db, utcnow
from incubator.mail import OutboxMessage
from incubator.mentoring import reminders
from incubator.scheduler import SentMark
from tests.mentoring.fixtures import log_committed


def test_reminders_are_sent_once(ctx: Any, assigned: Any) -> None:
    assignment_id, mentor, _founder, _startup_id = assigned()
    logged = log_committed(assignment_id, mentor)
    later = (utcnow() + timedelta(days=40)).replace(day=10)  # after the check-in due day
    logged.created_at = later - timedelta(days=3)
    db.session.commit()
    first = reminders.send_reminders(later)
    emails = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    second = reminders.send_reminders(later)
    assert first.confirm == 1 and first.checkin == 1
    assert (second.confirm, second.checkin) == (0, 0)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == emails
    assert db.session.scalar(select(func.count()).select_from(SentMark)) == 2


def test_the_reminder_job_mails_the_managers_once_per_flagged_session(
    ctx: Any, assigned: Any, manager_of: Any, make_user: Any
) -> None:
    assignment_id, mentor, _founder, _startup_id = assigned()
    manager = manager_of("BIIC")
    second = make_user(Role.MANAGER, center="BIIC")
    other_center = manager_of("SMIC")
    logged = log_committed(assignment_id, mentor)
    logged.created_at = utcnow() - timedelta(days=8)
    db.session.commit()

    def flag_mails() -> list[str]:
        return list(
            db.session.scalars(
                select(OutboxMessage.recipient).where(
                    OutboxMessage.recipient.in_([manager.email, second.email, other_center.email])
                )
            )
        )

    assert reminders.send_reminders().flagged == 1
    assert sorted(flag_mails()) == sorted([manager.email, second.email])
    assert reminders.send_reminders().flagged == 0
    assert len(flag_mails()) == 2
