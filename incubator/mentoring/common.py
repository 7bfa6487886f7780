"""Helpers shared by the mentoring topics: months in Asia/Ho_Chi_Minh, list limits,
counting rows in the database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select

from incubator.db import db
from incubator.i18n import to_local

FLAG_AFTER = timedelta(days=7)  # a session not confirmed by then is flagged to the managers
LIST_LIMIT = 10


def month_of(moment: datetime | date) -> date:
    """The first day of the month, in Asia/Ho_Chi_Minh for a moment in time."""
    day = to_local(moment).date() if isinstance(moment, datetime) else moment
    return day.replace(day=1)


def previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def latest_months(model: Any, startup_id: int, months: int) -> list[Any]:
    """A startup's rows of the latest `months` months, oldest first (for the trend charts)."""
    latest = db.session.scalars(
        select(model)
        .where(model.startup_id == startup_id)
        .order_by(model.month.desc())
        .limit(months)
    )
    return sorted(latest, key=lambda row: row.month)


def count_rows(statement: Select[Any]) -> int:
    """The rows of a filtered statement, counted in the database (an index range)."""
    return db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
