"""Fablab factories: a lab open every day, machines, a founder whose startup is in incubation,
and the next free moment that is open."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask

from incubator.accounts.models import User
from incubator.db import db, utcnow
from incubator.errors import DomainError
from incubator.fablab.bookings import BookingData
from incubator.fablab.common import at_local, local_day
from incubator.fablab.labs import day_info
from incubator.fablab.models import Lab, Machine, MachineCategory, OpeningHours
from incubator.mentoring.models import MentoredStartup
from tests.centers.fixtures import center_id
from tests.conftest import app_session

OPENS, CLOSES = time(7), time(19)


@pytest.fixture
def make_lab(app: Flask) -> Callable[..., Lab]:
    """make_lab(center="BIIC", weekdays=range(7), quota=20) -> a lab open 07:00–19:00."""

    def make(
        center: str = "BIIC",
        weekdays: Any = range(7),
        quota: int = 20,
        horizon: int = 30,
        notice: int = 2,
        no_show_limit: int = 3,
    ) -> Lab:
        with app_session(app) as session:
            lab = Lab(
                center_id=center_id(app, center),
                name=f"Fablab {center}",
                weekly_quota_hours=quota,
                horizon_days=horizon,
                cancel_notice_hours=notice,
                no_show_limit=no_show_limit,
            )
            lab.hours = [OpeningHours(weekday=d, opens=OPENS, closes=CLOSES) for d in weekdays]
            session.add(lab)
            session.commit()
            return lab

    return make


@pytest.fixture
def make_machine(app: Flask, make_lab: Callable[..., Lab]) -> Callable[..., Machine]:
    """make_machine(lab=None, training=False, category=PRINTER_3D, slot=30, shortest=30,
    longest=240, name=...) -> an active machine."""

    def make(
        lab: Lab | None = None,
        training: bool = False,
        category: MachineCategory = MachineCategory.PRINTER_3D,
        slot: int = 30,
        shortest: int = 30,
        longest: int = 240,
        name: str = "Máy in 3D Prusa",
    ) -> Machine:
        lab = lab or make_lab()
        with app_session(app) as session:
            machine = Machine(
                lab_id=lab.id,
                name=name,
                category=category,
                training_required=training,
                slot_minutes=slot,
                min_minutes=shortest,
                max_minutes=longest,
            )
            session.add(machine)
            session.commit()
            return machine

    return make


@dataclass
class Founder:
    user: User
    startup_id: int


@pytest.fixture
def make_founder(
    app: Flask, make_mentored: Callable[..., MentoredStartup]
) -> Callable[..., Founder]:
    """make_founder(center="BIIC") -> a founder and their startup, in incubation."""

    def make(center: str = "BIIC") -> Founder:
        mentored = make_mentored(center)
        with app_session(app) as session:
            stored = session.get(MentoredStartup, mentored.startup_id)
            user = session.get(User, stored.startup.members[0].user_id)
            return Founder(user, mentored.startup_id)

    return make


def open_day(lab: Lab | int, after_days: int = 1, today: date | None = None) -> date:
    """The first day at least `after_days` from today on which the lab (or lab id) opens."""
    day = (today or local_day(utcnow())) + timedelta(days=after_days)
    with_lab = db.session.get(Lab, lab if isinstance(lab, int) else lab.id)
    while not day_info(with_lab, day).open:
        day += timedelta(days=1)
    return day


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return at_local(day, time(hour, minute))


def booking(
    starts: datetime,
    minutes: int = 60,
    startup_id: int | None = None,
    purpose: str = "In mẫu vỏ hộp",
) -> BookingData:
    return BookingData(starts_at=starts, minutes=minutes, purpose=purpose, startup_id=startup_id)


def get(model: Any, key: Any) -> Any:
    return db.session.get(model, key)


def refused(call: Any, *args: Any, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as refusal:
        call(*args, **kwargs)
    db.session.rollback()
    return refusal.value


def machine_and_founder(
    make_machine: Any, make_founder: Any, **machine: Any
) -> tuple[Any, Any, User]:
    """A machine, a founder in incubation and their user, in this session."""
    item = make_machine(**machine)
    founder = make_founder()
    return item, founder, get(User, founder.user.id)
