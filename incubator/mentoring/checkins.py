"""Monthly KPI check-ins (filed, corrected, months closed by the center) and milestones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import delete, select

from incubator import audit
from incubator.accounts.models import User
from incubator.centers.models import Center
from incubator.db import add_unique, db, utcnow
from incubator.errors import DomainError, NotFound
from incubator.mentoring.access import may_plan
from incubator.mentoring.common import latest_months, month_of, previous_month
from incubator.mentoring.models import (
    CheckIn,
    ClosedMonth,
    MentoredStartup,
    Milestone,
    MilestoneStatus,
)
from incubator.programs.services import require_manager


@dataclass
class CheckInData:
    month: date
    revenue_vnd: int
    customers: int
    funding_raised_vnd: int
    headcount: int
    note: str = ""


def file_checkin(actor: User, mentored: MentoredStartup, data: CheckInData) -> CheckIn:
    """File, or correct, the check-in of a month (one per startup and month)."""
    if not mentored.startup.has_member(actor):
        raise NotFound("startup")
    month = data.month.replace(day=1)
    if month > month_of(utcnow()):
        raise DomainError(_("A check-in reports on a month that has begun."), field="month")
    if is_closed(mentored.center_id, month):
        raise DomainError(
            _(
                "The check-ins of %(month)s are closed by the center: ask a manager to "
                "correct them.",
                month=month.strftime("%m/%Y"),
            ),
            field="month",
        )
    for name in ("revenue_vnd", "customers", "funding_raised_vnd", "headcount"):
        if getattr(data, name) < 0:
            raise DomainError(_("Figures cannot be negative."), field=name)
    values = {
        "revenue_vnd": data.revenue_vnd,
        "customers": data.customers,
        "funding_raised_vnd": data.funding_raised_vnd,
        "headcount": data.headcount,
        "note": data.note.strip(),
        "submitted_by_id": actor.id,
        "submitted_at": utcnow(),
    }
    checkin = db.session.scalar(
        select(CheckIn).where(CheckIn.startup_id == mentored.startup_id, CheckIn.month == month)
    )
    if checkin is None:
        checkin = CheckIn(startup_id=mentored.startup_id, month=month, **values)
        if not add_unique(checkin):  # filed meanwhile by a co-founder: this one corrects it
            checkin = db.session.scalars(
                select(CheckIn).where(
                    CheckIn.startup_id == mentored.startup_id, CheckIn.month == month
                )
            ).one()
    for name, value in values.items():
        setattr(checkin, name, value)
    if mentored.last_checkin_on is None or mentored.last_checkin_on < month:
        mentored.last_checkin_on = month
    db.session.flush()
    audit.record(actor, "mentoring.checkin_filed", checkin, month=month.isoformat())
    return checkin


def is_closed(center_id: int, month: date) -> bool:
    return db.session.get(ClosedMonth, (center_id, month.replace(day=1))) is not None


def closed_months(center_id: int, limit: int = 12) -> list[ClosedMonth]:
    return list(
        db.session.scalars(
            select(ClosedMonth)
            .where(ClosedMonth.center_id == center_id)
            .order_by(ClosedMonth.month.desc())
            .limit(limit)
        )
    )


def ended_months(count: int = 6) -> list[date]:
    """The last months that have ended, the latest first."""
    months = [previous_month(month_of(utcnow()))]
    while len(months) < count:
        months.append(previous_month(months[-1]))
    return months


def closable_months(center_id: int, count: int = 6) -> list[date]:
    """The last months that have ended and are still open, the latest first."""
    months = ended_months(count)
    closed = set(
        db.session.scalars(
            select(ClosedMonth.month).where(
                ClosedMonth.center_id == center_id, ClosedMonth.month.in_(months)
            )
        )
    )
    return [month for month in months if month not in closed]


def close_month(actor: User, center_id: int, month: date) -> ClosedMonth:
    """Close a month's check-ins for the center: they can no longer be filed or corrected."""
    require_manager(actor, center_id)
    month = month.replace(day=1)
    if month >= month_of(utcnow()):
        raise DomainError(_("Only a month that has ended can be closed."), field="month")
    closed = ClosedMonth(center_id=center_id, month=month, closed_by_id=actor.id)
    add_unique(
        closed,
        DomainError(
            _("%(month)s is already closed.", month=month.strftime("%m/%Y")), field="month"
        ),
    )
    center = db.session.get(Center, center_id)
    audit.record(actor, "mentoring.month_closed", center, month=month.isoformat())
    return closed


def reopen_month(actor: User, center_id: int, month: date) -> None:
    """Open a closed month again, so that founders can file or correct its check-ins."""
    require_manager(actor, center_id)
    month = month.replace(day=1)
    removed = db.session.execute(
        delete(ClosedMonth).where(ClosedMonth.center_id == center_id, ClosedMonth.month == month)
    ).rowcount
    if not removed:  # never closed, or reopened by someone else a moment ago
        raise DomainError(
            _("%(month)s is not closed.", month=month.strftime("%m/%Y")), field="month"
        )
    center = db.session.get(Center, center_id)
    audit.record(actor, "mentoring.month_reopened", center, month=month.isoformat())


@dataclass
class MilestoneData:
    title: str
    due_on: date
    status: MilestoneStatus = MilestoneStatus.PLANNED
    evidence: str = ""


def save_milestone(
    actor: User, mentored: MentoredStartup, milestone: Milestone | None, data: MilestoneData
) -> Milestone:
    if not may_plan(actor, mentored):
        raise NotFound("startup")
    if not data.title.strip():
        raise DomainError(_("This field is required."), field="title")
    if data.status is MilestoneStatus.DONE and not data.evidence.strip():
        raise DomainError(_("Show the evidence that the milestone is reached."), field="evidence")
    if milestone is None:
        milestone = Milestone(startup_id=mentored.startup_id)
        db.session.add(milestone)
    elif milestone.startup_id != mentored.startup_id:
        raise NotFound("milestone")
    milestone.title = data.title.strip()
    milestone.due_on = data.due_on
    milestone.status = data.status
    milestone.evidence = data.evidence.strip()
    db.session.flush()
    audit.record(actor, "mentoring.milestone_saved", milestone, status=data.status.value)
    return milestone


def checkins(startup_id: int, months: int = 12) -> list[CheckIn]:
    return latest_months(CheckIn, startup_id, months)


def milestones(startup_id: int, limit: int = 20) -> list[Milestone]:
    return list(
        db.session.scalars(
            select(Milestone)
            .where(Milestone.startup_id == startup_id)
            .order_by(Milestone.due_on, Milestone.id)
            .limit(limit)
        )
    )


def next_milestone(startup_id: int) -> Milestone | None:
    """The first milestone not reached yet."""
    return db.session.scalars(
        select(Milestone)
        .where(
            Milestone.startup_id == startup_id,
            Milestone.status.in_((MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS)),
        )
        .order_by(Milestone.due_on, Milestone.id)
        .limit(1)
    ).first()
