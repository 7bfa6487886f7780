"""Demo-day results without HTTP: stored on each pitch, published as plain values."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from incubator.db import db
from incubator.demodays import access, judging, planning, standings
from incubator.demodays.models import DemoSlot
from incubator.errors import DomainError, NotFound
from incubator.pdf import refuse_orm_objects
from tests.demodays.fixtures import change_status, demo_day_of, score_all, user_of


def test_results_are_stored_and_an_abstention_does_not_count(
    app: Any, english: None, make_demo_day: Any
) -> None:
    planned = make_demo_day(pitches=3, judges=2, status="judging")
    # judge 0 (harsh): 4/4 -> 40, 6/6 -> 60, 5/5 -> 50; judge 1 (kind): 9/9 -> 90, 10/10 -> 100
    score_all(app, planned, {(0, 0): (4, 4), (0, 1): (6, 6), (0, 2): (5, 5)})
    score_all(app, planned, {(1, 0): (9, 9), (1, 1): (10, 10)})
    with app.app_context():
        demo_day = demo_day_of(planned)
        with db.transaction():
            sheet = judging.save_sheet(
                user_of(planned.judges[1]),
                demo_day,
                access.pitch_of(demo_day, planned.slot_ids[2]),
                abstained=True,
            )
        assert sheet.abstained
        with pytest.raises(DomainError, match="abstained"):
            judging.save_score(
                user_of(planned.judges[1]),
                demo_day,
                access.pitch_of(demo_day, planned.slot_ids[2]),
                demo_day.criteria[0],
                3,
            )
        db.session.rollback()
        slots = {s.id: s for s in db.session.scalars(select(DemoSlot))}
        first, second, third = (slots[i] for i in planned.slot_ids)
        assert (first.raw_mean, first.judges_count) == (pytest.approx(65), 2)
        assert (second.raw_mean, second.judges_count) == (pytest.approx(80), 2)
        assert (third.raw_mean, third.judges_count, third.abstentions) == (pytest.approx(50), 1, 1)
        # judge 0: 40, 60, 50 -> z -1.2247, 1.2247, 0; judge 1: 90, 100 -> z -1, 1
        assert first.normalized == pytest.approx((-1.224745 - 1) / 2, abs=1e-4)
        assert second.normalized == pytest.approx((1.224745 + 1) / 2, abs=1e-4)
        assert third.normalized == pytest.approx(0, abs=1e-4)
        ranked = standings.leaderboard(demo_day_of(planned), normalized=True)
        assert [s.id for s in ranked] == [second.id, third.id, first.id]


def test_published_results_are_plain_values(app: Any, make_demo_day: Any) -> None:
    planned = make_demo_day(
        pitches=2, judges=1, status="judging", names=["Nông Sản Việt", "Ví Xanh"]
    )
    score_all(app, planned, {(0, 0): (5, 5), (0, 1): (7, 7)})
    with app.app_context():
        with pytest.raises(NotFound):
            standings.published_results(planned.demo_day_id)
        with db.transaction():
            demo_day = demo_day_of(planned)
            judging.save_sheet(
                user_of(planned.judges[0]),
                demo_day,
                access.pitch_of(demo_day, planned.slot_ids[1]),
                comment="Mô hình kinh doanh rõ ràng.",
            )
        change_status(planned, planning.Change.PUBLISH)
        results = standings.published_results(planned.demo_day_id)
        refuse_orm_objects(results)
        assert [p.startup_name for p in results.pitches] == ["Ví Xanh", "Nông Sản Việt"]
        assert results.pitches[0].rank == 1
        assert results.pitches[0].raw_mean == pytest.approx(70)
        assert results.pitches[0].comments == ["Mô hình kinh doanh rõ ràng."]
        assert [c.mean for c in results.pitches[0].criteria] == [7, 7]
        assert results.judges == 1
