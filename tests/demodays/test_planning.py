"""Demo-day planning without HTTP: the pitches of a new demo day, its status changes, who may
change it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from incubator.audit import AuditEntry
from incubator.db import db
from incubator.demodays import access, planning
from incubator.demodays.models import Status
from incubator.errors import DomainError, NotFound
from tests.demodays.fixtures import change_status, demo_day_of, score, score_all, user_of


def test_the_startups_at_demo_day_become_the_pitches(ctx: Any, make_demo_day: Any) -> None:
    planned = make_demo_day(pitches=3)
    demo_day = demo_day_of(planned)
    assert [s.application_id for s in demo_day.pitches] == planned.application_ids
    assert [(c.name_vi, c.weight, c.max_score) for c in demo_day.criteria] == [
        ("Sản phẩm", 2, 10),
        ("Đội ngũ", 1, 10),
    ]
    assert demo_day.status is Status.PLANNING


def test_publishing_freezes_and_reopening_is_audited(
    app: Any, english: None, make_demo_day: Any
) -> None:
    planned = make_demo_day(pitches=2, judges=1, status="judging")
    score_all(app, planned, {(0, 0): (5, 5), (0, 1): (7, 7)})
    with app.app_context():
        change_status(planned, planning.Change.PUBLISH)
        assert demo_day_of(planned).published_at is not None
        with pytest.raises(DomainError, match="cannot be done now"):
            change_status(planned, planning.Change.PUBLISH)
        with pytest.raises(DomainError, match="reason"):
            change_status(planned, planning.Change.REOPEN)
        change_status(planned, planning.Change.REOPEN, "Giám khảo nhập nhầm điểm")
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "demo_day.reopen"))
        assert entry.details["reason"] == "Giám khảo nhập nhầm điểm"
        assert entry.actor_id == planned.manager.id
        assert demo_day_of(planned).status is Status.JUDGING
    score(app, planned, planned.judges[0], planned.slot_ids[0], planned.criterion_ids[0], 6)


def test_another_centers_manager_cannot_touch_the_demo_day(
    ctx: Any, make_demo_day: Any, manager_of: Any
) -> None:
    planned = make_demo_day()
    other = user_of(manager_of("SMIC"))
    with pytest.raises(NotFound):
        access.managed_demo_day(other, planned.demo_day_id)
    with pytest.raises(NotFound):
        planning.change_status(other, demo_day_of(planned), planning.Change.OPEN)
