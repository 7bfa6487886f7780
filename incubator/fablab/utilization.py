"""Utilization: a period's booked, used and open minutes per machine and per lab, read from
the stored days and months (the cost follows the machines, never the bookings)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    Select,
    and_,
    case,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import lazyload

from incubator.db import db
from incubator.errors import DomainError
from incubator.fablab.common import vietnam_holidays
from incubator.fablab.models import Lab, LabDay, Machine, MachineDay, MachineMonth, MachineStatus
from incubator.i18n import format_number

MAX_PERIOD_DAYS = 366


@dataclass
class Period:
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def check_period(first: date | None, last: date | None, today: date) -> Period:
    first = first or today.replace(day=1)
    last = last or today
    if last < first:
        raise DomainError(_("The end comes after the start."), field="last")
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise DomainError(_("Choose a period of at most a year."), field="last")
    return Period(first, last)


def open_minutes(lab: Lab, period: Period) -> int:
    """Minutes the lab is open in the period, counted from its weekly hours less the holidays,
    with the staff's decisions (one query): the same cost for a week and for a year."""
    weekly = {row.weekday: _minutes_between(row.opens, row.closes) for row in lab.hours}
    weeks, rest = divmod(period.days, 7)
    total = weeks * sum(weekly.values())
    for offset in range(rest):
        total += weekly.get((period.last - timedelta(days=offset)).weekday(), 0)
    decided = {
        row.day: row.open
        for row in db.session.scalars(
            select(LabDay).where(
                LabDay.lab_id == lab.id, LabDay.day.between(period.first, period.last)
            )
        )
    }
    holidays_in = {
        day
        for year in range(period.first.year, period.last.year + 1)
        for day in vietnam_holidays(year, "vi")
        if period.first <= day <= period.last
    }
    for day in holidays_in | set(decided):  # counted above as ordinary days
        if not decided.get(day, day not in holidays_in):
            total -= weekly.get(day.weekday(), 0)
    return total


def _minutes_between(opens: time, closes: time) -> int:
    return (closes.hour * 60 + closes.minute) - (opens.hour * 60 + opens.minute)


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _figures_source(period: Period) -> Any:
    """Rows (machine, lab, booked, used, no-shows) covering the period: the stored months that
    lie wholly inside it, and the stored days of the partial months at its ends."""
    first_month = period.first if period.first.day == 1 else _next_month(period.first)
    after = period.last + timedelta(days=1)
    end = after if after.day == 1 else period.last.replace(day=1)  # whole months: [first, end)
    if first_month >= end:
        first_month = end = period.first  # no whole month: days only
        edges = [(period.first, period.last)]
    else:
        edges = [(period.first, first_month - timedelta(days=1)), (end, period.last)]
    parts = [
        select(
            model.machine_id,
            model.lab_id,
            model.booked_minutes.label("booked"),
            model.used_minutes.label("used"),
            model.no_shows.label("no_shows"),
        ).where(condition)
        for model, condition in (
            (MachineMonth, and_(MachineMonth.month >= first_month, MachineMonth.month < end)),
            (MachineDay, or_(false(), *(MachineDay.day.between(a, b) for a, b in edges if a <= b))),
        )
    ]
    return union_all(*parts).subquery("stored")


# the sort keys of lists.UTILIZATION: labels of utilization_query's columns
BOOKED = literal_column("booked")
NO_SHOWS = literal_column("no_shows")


def utilization_query(labs: Sequence[Lab], period: Period) -> Select[Any]:
    """Rows (machine, booked, used, no-shows, open minutes) from the stored months and days:
    the cost follows the number of machines, never the number of bookings or of days."""
    opened = {lab.id: open_minutes(lab, period) for lab in labs}
    open_column = (
        case(*((Machine.lab_id == lab_id, literal(m)) for lab_id, m in opened.items()), else_=0)
        if opened
        else literal(0)
    )
    stored = _figures_source(period)
    sums = (
        select(
            stored.c.machine_id,
            func.sum(stored.c.booked).label("booked"),
            func.sum(stored.c.used).label("used"),
            func.sum(stored.c.no_shows).label("no_shows"),
        )
        .group_by(stored.c.machine_id)
        .subquery("sums")
    )
    return (
        select(
            Machine,
            func.coalesce(sums.c.booked, 0).label("booked"),
            func.coalesce(sums.c.used, 0).label("used"),
            func.coalesce(sums.c.no_shows, 0).label("no_shows"),
            open_column.label("open_minutes"),
        )
        .outerjoin(sums, sums.c.machine_id == Machine.id)
        .where(Machine.lab_id.in_([lab.id for lab in labs]))
        # the labs are in the session already: no join that LIMIT would wrap in a subquery
        .options(lazyload(Machine.lab))
    )


@dataclass
class LabFigures:
    lab: Lab
    booked: int
    used: int
    no_shows: int
    open_minutes: int
    machines: int

    @property
    def utilization(self) -> float | None:
        capacity = self.open_minutes * self.machines
        return self.booked / capacity if capacity else None


def lab_figures(labs: Sequence[Lab], period: Period) -> list[LabFigures]:
    """Per lab, from the stored months and days (one grouped query)."""
    stored = _figures_source(period)
    rows = {
        row.lab_id: row
        for row in db.session.execute(
            select(
                stored.c.lab_id,
                func.sum(stored.c.booked).label("booked"),
                func.sum(stored.c.used).label("used"),
                func.sum(stored.c.no_shows).label("no_shows"),
            )
            .where(stored.c.lab_id.in_([lab.id for lab in labs]))
            .group_by(stored.c.lab_id)
        )
    }
    machines = dict(
        db.session.execute(
            select(Machine.lab_id, func.count())
            .where(Machine.status != MachineStatus.RETIRED)
            .group_by(Machine.lab_id)
        ).all()
    )
    figures = []
    for lab in labs:
        row = rows.get(lab.id)
        figures.append(
            LabFigures(
                lab,
                int(row.booked) if row else 0,
                int(row.used) if row else 0,
                int(row.no_shows) if row else 0,
                open_minutes(lab, period),
                machines.get(lab.id, 0),
            )
        )
    return figures


def percent(value: float | None) -> str:
    return "–" if value is None else f"{format_number(value * 100, 0)} %"
