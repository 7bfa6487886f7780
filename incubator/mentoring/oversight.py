"""What the center's managers follow: the stored figures, sessions not confirmed, quiet
startups, missing check-ins, startups per stage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select

from incubator.applications.stages import Stage
from incubator.db import db
from incubator.mentoring.common import FLAG_AFTER, LIST_LIMIT, count_rows, previous_month
from incubator.mentoring.models import CenterMonth, MentoredStartup, MentoringSession
from incubator.startups.models import Startup

QUIET_DAYS = 30


@dataclass
class CenterFigures:
    minutes_month: int
    sessions_month: int
    minutes_year: int
    sessions_year: int

    @property
    def hours_month(self) -> float:
        return self.minutes_month / 60

    @property
    def hours_year(self) -> float:
        return self.minutes_year / 60


def center_figures(center_id: int, today: date) -> CenterFigures:
    """This month and this year, from at most twelve stored rows."""
    rows = db.session.scalars(
        select(CenterMonth).where(
            CenterMonth.center_id == center_id,
            CenterMonth.month >= today.replace(month=1, day=1),
            CenterMonth.month <= today,
        )
    ).all()
    this = today.replace(day=1)
    return CenterFigures(
        minutes_month=sum(r.minutes for r in rows if r.month == this),
        sessions_month=sum(r.sessions for r in rows if r.month == this),
        minutes_year=sum(r.minutes for r in rows),
        sessions_year=sum(r.sessions for r in rows),
    )


def _flagged(center_id: int, now: datetime) -> Select[Any]:
    return select(MentoringSession).where(
        MentoringSession.center_id == center_id,
        MentoringSession.confirmed_at.is_(None),
        MentoringSession.created_at <= now - FLAG_AFTER,
    )


def flagged_sessions(center_id: int, now: datetime, limit: int = LIST_LIMIT) -> list[Any]:
    """Sessions the founders have not confirmed within 7 days of their logging, the oldest
    first, with their age in days."""
    rows = db.session.scalars(
        _flagged(center_id, now).order_by(MentoringSession.created_at).limit(limit)
    )
    return [(session, (now - session.created_at).days) for session in rows]


def flagged_count(center_id: int, now: datetime) -> int:
    return count_rows(_flagged(center_id, now))


def _quiet(center_id: int, now: datetime) -> Select[Any]:
    return select(MentoredStartup).where(
        MentoredStartup.center_id == center_id,
        MentoredStartup.active.is_(True),
        or_(
            MentoredStartup.last_session_at.is_(None),
            MentoredStartup.last_session_at < now - timedelta(days=QUIET_DAYS),
        ),
    )


def quiet_startups(center_id: int, now: datetime, limit: int = LIST_LIMIT) -> list[MentoredStartup]:
    """Startups in incubation with no session in the last 30 days, the longest first."""
    return list(
        db.session.scalars(
            _quiet(center_id, now)
            .order_by(
                MentoredStartup.last_session_at.asc().nulls_first(), MentoredStartup.startup_id
            )
            .limit(limit)
        )
    )


def quiet_count(center_id: int, now: datetime) -> int:
    return count_rows(_quiet(center_id, now))


def _missing(center_id: int, today: date) -> Select[Any]:
    due = previous_month(today.replace(day=1))
    return select(MentoredStartup).where(
        MentoredStartup.center_id == center_id,
        MentoredStartup.active.is_(True),
        or_(MentoredStartup.last_checkin_on.is_(None), MentoredStartup.last_checkin_on < due),
    )


def missing_checkins(center_id: int, today: date, limit: int = LIST_LIMIT) -> list[MentoredStartup]:
    """Startups in incubation whose check-in for last month is missing."""
    return list(
        db.session.scalars(
            _missing(center_id, today)
            .order_by(
                MentoredStartup.last_checkin_on.asc().nulls_first(), MentoredStartup.startup_id
            )
            .limit(limit)
        )
    )


def missing_count(center_id: int, today: date) -> int:
    return count_rows(_missing(center_id, today))


def stage_counts(center_id: int) -> list[tuple[Stage, int]]:
    """The center's mentored startups per stage (the stage kept on each row, indexed)."""
    rows = dict(
        db.session.execute(
            select(MentoredStartup.stage, func.count())
            .where(MentoredStartup.center_id == center_id)
            .group_by(MentoredStartup.stage)
        ).all()
    )
    return [(stage, rows[stage.value]) for stage in Stage if rows.get(stage.value)]


def center_startups_query(center_id: int) -> Select[Any]:
    """The center's startups in incubation with their stored figures (the manager's list)."""
    return (
        select(MentoredStartup)
        .join(Startup, Startup.id == MentoredStartup.startup_id)
        .where(MentoredStartup.center_id == center_id, MentoredStartup.active.is_(True))
    )
