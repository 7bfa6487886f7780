"""Demo-day judging without HTTP: who scores, within which range and when; invitations and
conflicts of interest."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from incubator.accounts.models import Role
from incubator.db import db
from incubator.demodays import access, judging, planning
from incubator.demodays.models import DemoScore, DemoSlot
from incubator.errors import DomainError, NotFound
from incubator.mail import OutboxMessage
from tests.demodays.fixtures import change_status, demo_day_of, in_db, score, score_all, user_of


def test_only_invited_judges_score(ctx: Any, make_demo_day: Any, make_user: Any) -> None:
    planned = make_demo_day(status="judging")
    outsider = make_user(Role.JUDGE)
    demo_day = demo_day_of(planned)
    slot = access.pitch_of(demo_day, planned.slot_ids[0])
    criterion = access.criterion_of(demo_day, planned.criterion_ids[0])
    with pytest.raises(NotFound):
        judging.save_score(user_of(outsider), demo_day, slot, criterion, 5)
    with pytest.raises(NotFound):
        access.judged_demo_day(user_of(outsider), demo_day.id)
    with pytest.raises(NotFound):
        judging.save_score(user_of(planned.manager), demo_day, slot, criterion, 5)


def test_scores_stay_within_the_criterion_range(
    ctx: Any, english: None, make_demo_day: Any
) -> None:
    planned = make_demo_day(status="judging", rubric=(("Sản phẩm", 1, 5),))
    demo_day = demo_day_of(planned)
    slot = access.pitch_of(demo_day, planned.slot_ids[0])
    criterion = demo_day.criteria[0]
    judge = user_of(planned.judges[0])
    for wrong in (-1, 6, 100):
        with pytest.raises(DomainError, match="from 0 to 5"):
            judging.save_score(judge, demo_day, slot, criterion, wrong)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(DemoScore)) == 0


def test_the_database_refuses_a_score_out_of_range_or_twice(ctx: Any, make_demo_day: Any) -> None:
    from sqlalchemy.exc import IntegrityError

    planned = make_demo_day(status="judging")
    judge = planned.judges[0]
    row = {
        "slot_id": planned.slot_ids[0],
        "judge_id": judge.id,
        "criterion_id": planned.criterion_ids[0],
    }
    db.session.add(DemoScore(**row, value=11))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    db.session.add(DemoScore(**row, value=3))
    db.session.flush()
    db.session.add(DemoScore(**row, value=4))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_judge_corrects_a_score_until_judging_closes(
    app: Any, english: None, make_demo_day: Any
) -> None:
    planned = make_demo_day(status="judging")
    judge = planned.judges[0]
    slot, criterion = planned.slot_ids[0], planned.criterion_ids[0]
    score(app, planned, judge, slot, criterion, 6)
    score(app, planned, judge, slot, criterion, 6)  # a retry changes nothing
    score(app, planned, judge, slot, criterion, 8)
    with app.app_context():
        values = db.session.scalars(select(DemoScore.value)).all()
        assert values == [8]
        change_status(planned, planning.Change.CLOSE)
    with pytest.raises(DomainError, match="Judging is closed"):
        score(app, planned, judge, slot, criterion, 9)
    with app.app_context():
        change_status(planned, planning.Change.PUBLISH)
    with pytest.raises(DomainError, match="published"):
        score(app, planned, judge, slot, criterion, 9)
    with app.app_context():
        assert db.session.scalars(select(DemoScore.value)).all() == [8]


def test_scoring_waits_for_judging_to_open(app: Any, english: None, make_demo_day: Any) -> None:
    planned = make_demo_day(status="planning")
    with pytest.raises(DomainError, match="not started"):
        score(app, planned, planned.judges[0], planned.slot_ids[0], planned.criterion_ids[0], 5)


def test_a_judge_sees_only_their_own_scores(app: Any, make_demo_day: Any) -> None:
    planned = make_demo_day(pitches=1, judges=2, status="judging")
    score_all(app, planned, {(0, 0): (3, 3), (1, 0): (9, 9)})
    with app.app_context():
        mine = judging.judge_pitches(user_of(planned.judges[0]), demo_day_of(planned))
        assert [p.scores for p in mine] == [dict(zip(planned.criterion_ids, (3, 3), strict=True))]


def test_inviting_a_new_judge_uses_the_invitation_flow(
    ctx: Any, english: None, make_demo_day: Any, make_user: Any, outbox: Any
) -> None:
    planned = make_demo_day(judges=0)
    manager = user_of(planned.manager)
    with db.transaction():
        judge = judging.invite_judge(
            manager, demo_day_of(planned), "Giam.Khao@Example.test", "Lê Văn Khảo"
        )
    assert judge.has_role(Role.JUDGE)
    assert judge.password_hash is None
    with pytest.raises(DomainError, match="already invited"):
        judging.invite_judge(manager, demo_day_of(planned), "giam.khao@example.test", "")
    db.session.rollback()
    founder = make_user(Role.FOUNDER)
    with pytest.raises(DomainError, match="no judge role"):
        judging.invite_judge(manager, demo_day_of(planned), founder.email, "")
    db.session.rollback()
    assert [j.email for j in access.judges_of(demo_day_of(planned))] == ["giam.khao@example.test"]
    # an existing judge gets the demo day's invitation by email
    existing = make_user(Role.JUDGE)
    with db.transaction():
        judging.invite_judge(manager, demo_day_of(planned), existing.email, "")
    subjects = {m.recipient: m.subject for m in db.session.scalars(select(OutboxMessage))}
    assert "giam.khao@example.test" in subjects
    assert "Demo Day thử" in subjects[existing.email]


def test_a_conflict_can_be_declared_before_judging(ctx: Any, make_demo_day: Any) -> None:
    planned = make_demo_day(pitches=1, judges=1)
    demo_day = demo_day_of(planned)
    with db.transaction():
        judging.declare_conflict(
            user_of(planned.judges[0]),
            demo_day,
            access.pitch_of(demo_day, planned.slot_ids[0]),
            True,
        )
    assert in_db(DemoSlot, planned.slot_ids[0]).abstentions == 1
