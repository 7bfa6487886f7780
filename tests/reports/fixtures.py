"""Reports factories: a startup in incubation with a Vietnamese name, a mentor, a session and
KPI check-ins (so that every section and chart of its report has something to print)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from incubator.accounts.models import User
from incubator.db import utcnow
from incubator.mentoring.assignments import assign
from incubator.mentoring.checkins import CheckInData, file_checkin
from incubator.mentoring.common import month_of, previous_month
from incubator.mentoring.models import Assignment, MentoredStartup
from incubator.mentoring.sessions import confirm_session, log_session
from tests.conftest import app_session
from tests.mentoring.fixtures import session_data

STARTUP_NAME = "Nông Trại Số Thủ Dầu Một"
FOUNDER_NAME = "Nguyễn Thị Hồng Nhung"
MENTOR_NAME = "TS. Đặng Minh Tuấn"


@dataclass
class Reported:
    startup_id: int
    program_id: int
    founder: User
    mentor: User
    manager: User


@pytest.fixture
def reported(
    app: Flask,
    make_user: Callable[..., User],
    make_startup: Callable[..., Any],
    make_program: Callable[..., Any],
    make_application: Callable[..., Any],
    make_mentor: Callable[..., User],
    manager_of: Callable[[str], User],
) -> Callable[..., Reported]:
    """reported(center="BIIC", name=STARTUP_NAME, program=None) -> a startup in incubation
    in a program of the center, with an assigned mentor, a confirmed session and three
    monthly check-ins."""

    def make(center: str = "BIIC", name: str = STARTUP_NAME, program: Any = None) -> Reported:
        founder = make_user(name=FOUNDER_NAME)
        startup = make_startup(founder=founder, name=name)
        program = program or make_program(center=center, name="Chương trình Ươm tạo 2026")
        make_application("incubating", program=program, startup=startup)
        mentor = make_mentor(center)
        manager = manager_of(center)
        with app_session(app) as session:
            session.get(User, mentor.id).name = MENTOR_NAME
            mentored = session.get(MentoredStartup, startup.id)
            assignment: Assignment = assign(
                session.get(User, manager.id), mentored, session.get(User, mentor.id)
            )
            session.commit()
            logged = log_session(
                session.get(User, mentor.id),
                assignment,
                session_data(held_at=utcnow() - timedelta(days=3), topics="Gọi vốn hạt giống"),
            )
            session.commit()
            confirm_session(session.get(User, founder.id), logged, 5, "Rất hữu ích")
            session.commit()
            month = previous_month(month_of(utcnow()))
            for step in range(3):
                file_checkin(
                    session.get(User, founder.id),
                    mentored,
                    CheckInData(
                        month=month,
                        revenue_vnd=10_000_000 * (step + 1),
                        customers=5 + step,
                        funding_raised_vnd=0,
                        headcount=4 + step,
                    ),
                )
                session.commit()
                month = previous_month(month)
        return Reported(startup.id, program.id, founder, mentor, manager)

    return make
