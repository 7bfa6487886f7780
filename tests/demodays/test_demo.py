"""The demo data: a published past demo day with a harsh and a lenient judge, certificates,
and an upcoming one for the judge demo account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from incubator import demo
from incubator.accounts.models import User
from incubator.db import db
from incubator.demodays import access, judging, standings
from incubator.demodays.models import Certificate, DemoDay, DemoScore, Status


def test_the_demo_has_a_past_and_an_upcoming_demo_day(ctx: Any) -> None:
    with db.transaction():
        demo.load()
    days = {d.name_vi: d for d in db.session.scalars(select(DemoDay))}
    past = days["Demo Day BIIC 2026"]
    upcoming = days["Demo Day BIIC 2026 – Đợt 2"]
    assert past.status is Status.PUBLISHED
    results = standings.published_results(past.id)
    assert results.judges == 3
    assert [p.startup_name for p in results.pitches][-1] == "Bếp Xanh Thủ Dầu Một"
    assert all(p.judges == 3 and p.normalized is not None for p in results.pitches)
    # the harsh judge scores lower than the lenient one throughout
    by_judge: dict[str, list[int]] = {}
    for value, email in db.session.execute(
        select(DemoScore.value, User.email).join(User, User.id == DemoScore.judge_id)
    ):
        by_judge.setdefault(email, []).append(value)
    assert max(by_judge["judge@biic.test"]) < min(by_judge["mentor@smic.test"])
    certificates = db.session.scalars(select(Certificate)).all()
    assert sorted(c.startup_name for c in certificates) == ["AquaSense Bình Dương", "LogiMekong"]
    assert upcoming.status is Status.PLANNING
    assert any(slot.is_break for slot in upcoming.slots)
    judge = db.session.scalar(select(User).where(User.email == "mentor@biic.test"))
    assert upcoming in access.judged_demo_days(judge)
    assert [p.slot.application.startup.name for p in judging.judge_pitches(judge, upcoming)] == [
        "DataMine Analytics",
        "Sen Vàng Logistics",
    ]
