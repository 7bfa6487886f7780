"""KPI check-ins without HTTP: one per month, filed again to correct it, another startup's not
found, months closed by the center and reopened."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from incubator.db import db, utcnow
from incubator.errors import DomainError, Forbidden, NotFound
from incubator.mentoring import access, checkins, common
from incubator.mentoring.models import CheckIn, MentoredStartup
from tests.mentoring.fixtures import user_in_db


def test_a_checkin_per_month_filed_again_corrects_it(
    ctx: Any, english: None, assigned: Any
) -> None:
    _assignment_id, _mentor, founder, startup_id = assigned()
    mentored = db.session.get(MentoredStartup, startup_id)
    month = common.previous_month(common.month_of(utcnow()))
    data = checkins.CheckInData(month, 50_000_000, 10, 0, 4)
    checkins.file_checkin(founder, mentored, data)
    data.customers = 12
    checkins.file_checkin(founder, mentored, data)
    rows = db.session.scalars(select(CheckIn).where(CheckIn.startup_id == startup_id)).all()
    assert [(r.month, r.customers) for r in rows] == [(month, 12)]
    assert mentored.last_checkin_on == month
    with pytest.raises(DomainError, match="begun"):
        checkins.file_checkin(founder, mentored, checkins.CheckInData(date(2999, 1, 1), 0, 0, 0, 1))
    with pytest.raises(DomainError, match="negative"):
        checkins.file_checkin(founder, mentored, checkins.CheckInData(month, -1, 0, 0, 1))


def test_kpis_of_another_startup_are_not_found(ctx: Any, assigned: Any) -> None:
    _a, _m, founder, _startup_id = assigned()
    _b, _n, _other_founder, other_startup = assigned()
    with pytest.raises(NotFound):
        access.member_mentored(founder, other_startup)
    with pytest.raises(NotFound):
        access.viewable_mentored(founder, other_startup)


def test_a_closed_month_refuses_check_ins(
    ctx: Any, english: None, assigned: Any, manager_of: Any
) -> None:
    _assignment_id, _mentor, founder, startup_id = assigned()
    mentored = db.session.get(MentoredStartup, startup_id)
    last_month = common.previous_month(common.month_of(utcnow()))
    data = checkins.CheckInData(last_month, 50_000_000, 10, 0, 4)
    checkins.file_checkin(founder, mentored, data)  # editable until the month is closed
    manager = user_in_db(manager_of("BIIC"))
    with pytest.raises(DomainError, match="ended"):
        checkins.close_month(manager, mentored.center_id, common.month_of(utcnow()))
    with pytest.raises(Forbidden):
        checkins.close_month(user_in_db(manager_of("SMIC")), mentored.center_id, last_month)
    checkins.close_month(manager, mentored.center_id, last_month)
    db.session.commit()
    with pytest.raises(DomainError, match="closed by the center") as refused:
        checkins.file_checkin(founder, mentored, data)
    assert refused.value.field == "month"
    with pytest.raises(DomainError, match="already closed"):
        checkins.close_month(manager, mentored.center_id, last_month)
    db.session.rollback()
    assert last_month not in checkins.closable_months(mentored.center_id)
    assert [c.month for c in checkins.closed_months(mentored.center_id)] == [last_month]


def test_a_manager_reopens_a_closed_month(
    ctx: Any, english: None, assigned: Any, manager_of: Any
) -> None:
    _assignment_id, _mentor, founder, startup_id = assigned()
    mentored = db.session.get(MentoredStartup, startup_id)
    last_month = common.previous_month(common.month_of(utcnow()))
    manager = user_in_db(manager_of("BIIC"))
    checkins.close_month(manager, mentored.center_id, last_month)
    with pytest.raises(Forbidden):
        checkins.reopen_month(user_in_db(manager_of("SMIC")), mentored.center_id, last_month)
    checkins.reopen_month(manager, mentored.center_id, last_month)
    assert checkins.closed_months(mentored.center_id) == []
    data = checkins.CheckInData(last_month, 50_000_000, 10, 0, 4)
    assert checkins.file_checkin(founder, mentored, data).month == last_month
    with pytest.raises(DomainError, match="is not closed") as refused:
        checkins.reopen_month(manager, mentored.center_id, last_month)
    assert refused.value.field == "month"
