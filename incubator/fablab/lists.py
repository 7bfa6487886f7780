"""The fablab lists: a user's bookings, and utilization per machine (page and CSV)."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select

from incubator.centers.models import Center
from incubator.centers.services import all_centers
from incubator.db import utcnow
from incubator.fablab.common import local_day
from incubator.fablab.models import Booking, BookingStatus, Lab, Machine, MachineCategory
from incubator.fablab.utilization import BOOKED, NO_SHOWS, percent
from incubator.i18n import format_datetime, format_number, format_time
from incubator.lists import Column, Filter, ListSpec


def _when(booking: Booking) -> str:
    return f"{format_datetime(booking.starts_at)}–{format_time(booking.ends_at)}"


def _with_time(statement: Select[Any], chosen: str) -> Select[Any]:
    now = utcnow()
    if chosen == "upcoming":
        return statement.where(Booking.ends_at > now)
    return statement.where(Booking.ends_at <= now)


BOOKINGS = ListSpec(
    name="fablab-bookings",
    columns=(
        Column("when", _l("When"), value=_when, sort=Booking.starts_at, priority="title"),
        Column(
            "machine",
            _l("Machine"),
            value=lambda b: b.machine.name,
            sort=Machine.name,
            link=lambda b: url_for(
                "fablab.machine", machine_id=b.machine_id, week=local_day(b.starts_at).isoformat()
            ),
        ),
        Column("lab", _l("Lab"), value=lambda b: b.machine.lab.name, priority="hide-sm"),
        Column(
            "startup",
            _l("Startup"),
            value=lambda b: b.startup.name if b.startup else "",
            priority="hide-sm",
        ),
        Column("purpose", _l("What you will make"), value=lambda b: b.purpose, only="csv"),
        Column("status", _l("Status"), cell="booking_status", csv=lambda b: b.status.label),
        Column("actions", "", cell="booking_actions", only="html"),
    ),
    filters=(
        Filter(
            "time",
            _l("When"),
            choices=(("upcoming", _l("Upcoming")), ("past", _l("Past"))),
            all_label=_l("All bookings"),
            apply=_with_time,
        ),
        Filter(
            "status",
            _l("Status"),
            choices=BookingStatus,
            all_label=_l("Every status"),
            apply=lambda statement, chosen: statement.where(Booking.status == chosen),
        ),
    ),
    default_sort="-when",
    tiebreak=Booking.id,
    empty=_l("No booking yet. Choose a machine and a free time on its calendar."),
    cells="fablab/_macros.html",
)


def _hours(minutes: Any) -> str:
    return format_number((minutes or 0) / 60)


def _utilization(row: Any) -> str:
    return percent(row.booked / row.open_minutes if row.open_minutes else None)


# Rows are (machine, booked, used, no_shows, open_minutes): utilization.utilization_query.
UTILIZATION = ListSpec(
    name="fablab-utilization",
    columns=(
        Column(
            "machine",
            _l("Machine"),
            value=lambda r: r[0].name,
            sort=Machine.name,
            link=lambda r: url_for("fablab.machine", machine_id=r[0].id),
            priority="title",
        ),
        Column("lab", _l("Lab"), value=lambda r: r[0].lab.name, priority="hide-sm"),
        Column("category", _l("Category"), value=lambda r: r[0].category.label, priority="hide-sm"),
        Column(
            "booked",
            _l("Booked hours"),
            value=lambda r: _hours(r.booked),
            sort=BOOKED,
            css="num",
        ),
        Column("used", _l("Used hours"), value=lambda r: _hours(r.used), css="num"),
        Column(
            "no_shows",
            _l("No-shows"),
            value=lambda r: r.no_shows,
            sort=NO_SHOWS,
            css="num",
        ),
        Column(
            "open",
            _l("Open hours"),
            value=lambda r: _hours(r.open_minutes),
            css="num",
            priority="hide-sm",
        ),
        Column("utilization", _l("Utilization"), value=_utilization, css="num"),
    ),
    filters=(
        Filter(
            "category",
            _l("Category"),
            choices=MachineCategory,
            all_label=_l("Every category"),
            apply=lambda statement, chosen: statement.where(Machine.category == chosen),
        ),
    ),
    default_sort="-booked",
    tiebreak=Machine.id,
    empty=_l("No machine in this lab yet."),
    cells="fablab/_macros.html",
)


def _of_center(statement: Select[Any], code: str) -> Select[Any]:
    return statement.where(Machine.lab.has(Lab.center.has(Center.code == code)))


EQUIPMENT = ListSpec(
    name="fablab-equipment",
    columns=(
        Column("name", _l("Machine"), value=lambda m: m.name, sort=Machine.name, priority="title"),
        Column("lab", _l("Lab"), value=lambda m: m.lab.name, sort=Machine.lab_id),
        Column(
            "category",
            _l("Category"),
            value=lambda m: m.category.label,
            sort=Machine.category,
            priority="hide-sm",
        ),
        Column("status", _l("Status"), value=lambda m: m.status.label, sort=Machine.status),
    ),
    filters=(
        Filter(
            "center",
            _l("Center"),
            choices=lambda _actor: [(c.code, c.code) for c in all_centers()],
            all_label=_l("Both centers"),
            apply=_of_center,
        ),
        Filter(
            "category",
            _l("Category"),
            choices=MachineCategory,
            all_label=_l("All categories"),
            apply=lambda statement, chosen: statement.where(Machine.category == chosen),
        ),
    ),
    default_sort="name",
    tiebreak=Machine.id,
    empty=_l("No machine yet."),
)
