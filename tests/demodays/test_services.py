"""Demo-day services without HTTP: planning, judging rules, results, decisions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from incubator.accounts.models import Role, User
from incubator.applications.models import Application
from incubator.applications.stages import Stage
from incubator.audit import AuditEntry
from incubator.db import db
from incubator.demodays import services
from incubator.demodays.models import Certificate, DemoDay, DemoScore, DemoSlot, Status
from incubator.errors import DomainError, NotFound
from incubator.mail import OutboxMessage
from incubator.pdf import refuse_orm_objects
from tests.demodays.fixtures import in_db, score


def _day(planned: Any) -> DemoDay:
    return in_db(DemoDay, planned.demo_day_id)


def _user(user: User) -> User:
    return in_db(User, user.id)


def _change(planned: Any, change: str, reason: str = "") -> None:
    with db.transaction():
        services.change_status(_user(planned.manager), _day(planned), change, reason)


def test_the_startups_at_demo_day_become_the_pitches(ctx: Any, make_demo_day: Any) -> None:
    planned = make_demo_day(pitches=3)
    demo_day = _day(planned)
    assert [s.application_id for s in demo_day.pitches] == planned.application_ids
    assert [(c.name_vi, c.weight, c.max_score) for c in demo_day.criteria] == [
        ("Sản phẩm", 2, 10),
        ("Đội ngũ", 1, 10),
    ]
    assert demo_day.status is Status.PLANNING


def test_a_startup_selected_later_joins_the_running_order(
    ctx: Any, make_demo_day: Any, make_application: Any
) -> None:
    planned = make_demo_day(pitches=1)
    program = _day(planned).program
    late = make_application(Stage.DEMO_DAY, program=program)
    db.session.expire_all()
    assert late.id in [s.application_id for s in _day(planned).pitches]


def test_start_times_follow_the_order_the_lengths_and_the_breaks(
    ctx: Any, english: None, make_demo_day: Any
) -> None:
    planned = make_demo_day(pitches=3)
    manager = _user(planned.manager)
    with db.transaction():
        services.add_break(manager, _day(planned), 15, "Giải lao")
    demo_day = _day(planned)
    rows = services.schedule(demo_day)
    start = demo_day.starts_at
    assert [r.starts_at - start for r in rows] == [
        timedelta(0),
        timedelta(minutes=10),
        timedelta(minutes=20),
        timedelta(minutes=30),
    ]
    assert rows[-1].ends_at - start == timedelta(minutes=45)
    # the break moves up before the third pitch: that pitch now starts 15 minutes later
    pause = rows[-1].slot
    with db.transaction():
        services.move_slot(manager, _day(planned), pause, pause.position, up=True)
    rows = services.schedule(_day(planned))
    assert rows[2].slot.is_break
    assert rows[3].starts_at - start == timedelta(minutes=35)
    # the same click again (the position it had is stale): nothing moves
    with pytest.raises(DomainError, match="order changed"):
        services.move_slot(manager, _day(planned), pause, 3, up=True)


def test_only_invited_judges_score(ctx: Any, make_demo_day: Any, make_user: Any) -> None:
    planned = make_demo_day(status="judging")
    outsider = make_user(Role.JUDGE)
    demo_day = _day(planned)
    slot = services.pitch_of(demo_day, planned.slot_ids[0])
    criterion = services.criterion_of(demo_day, planned.criterion_ids[0])
    with pytest.raises(NotFound):
        services.save_score(_user(outsider), demo_day, slot, criterion, 5)
    with pytest.raises(NotFound):
        services.judged_demo_day(_user(outsider), demo_day.id)
    with pytest.raises(NotFound):
        services.save_score(_user(planned.manager), demo_day, slot, criterion, 5)


def test_scores_stay_within_the_criterion_range(
    ctx: Any, english: None, make_demo_day: Any
) -> None:
    planned = make_demo_day(status="judging", rubric=(("Sản phẩm", 1, 5),))
    demo_day = _day(planned)
    slot = services.pitch_of(demo_day, planned.slot_ids[0])
    criterion = demo_day.criteria[0]
    judge = _user(planned.judges[0])
    for wrong in (-1, 6, 100):
        with pytest.raises(DomainError, match="from 0 to 5"):
            services.save_score(judge, demo_day, slot, criterion, wrong)
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
        _change(planned, services.Change.CLOSE)
    with pytest.raises(DomainError, match="Judging is closed"):
        score(app, planned, judge, slot, criterion, 9)
    with app.app_context():
        _change(planned, services.Change.PUBLISH)
    with pytest.raises(DomainError, match="published"):
        score(app, planned, judge, slot, criterion, 9)
    with app.app_context():
        assert db.session.scalars(select(DemoScore.value)).all() == [8]


def test_scoring_waits_for_judging_to_open(app: Any, english: None, make_demo_day: Any) -> None:
    planned = make_demo_day(status="planning")
    with pytest.raises(DomainError, match="not started"):
        score(app, planned, planned.judges[0], planned.slot_ids[0], planned.criterion_ids[0], 5)


def _score_all(app: Any, planned: Any, table: dict[tuple[int, int], tuple[int, int]]) -> None:
    """table: (judge index, pitch index) -> (value of criterion 1, of criterion 2)."""
    for (j, p), values in table.items():
        for criterion, value in zip(planned.criterion_ids, values, strict=True):
            score(app, planned, planned.judges[j], planned.slot_ids[p], criterion, value)


def test_results_are_stored_and_an_abstention_does_not_count(
    app: Any, english: None, make_demo_day: Any
) -> None:
    planned = make_demo_day(pitches=3, judges=2, status="judging")
    # judge 0 (harsh): 4/4 -> 40, 6/6 -> 60, 5/5 -> 50; judge 1 (kind): 9/9 -> 90, 10/10 -> 100
    _score_all(app, planned, {(0, 0): (4, 4), (0, 1): (6, 6), (0, 2): (5, 5)})
    _score_all(app, planned, {(1, 0): (9, 9), (1, 1): (10, 10)})
    with app.app_context():
        demo_day = _day(planned)
        with db.transaction():
            sheet = services.save_sheet(
                _user(planned.judges[1]),
                demo_day,
                services.pitch_of(demo_day, planned.slot_ids[2]),
                abstained=True,
            )
        assert sheet.abstained
        with pytest.raises(DomainError, match="abstained"):
            services.save_score(
                _user(planned.judges[1]),
                demo_day,
                services.pitch_of(demo_day, planned.slot_ids[2]),
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
        ranked = services.leaderboard(_day(planned), normalized=True)
        assert [s.id for s in ranked] == [second.id, third.id, first.id]


def test_a_judge_sees_only_their_own_scores(app: Any, make_demo_day: Any) -> None:
    planned = make_demo_day(pitches=1, judges=2, status="judging")
    _score_all(app, planned, {(0, 0): (3, 3), (1, 0): (9, 9)})
    with app.app_context():
        mine = services.judge_pitches(_user(planned.judges[0]), _day(planned))
        assert [p.scores for p in mine] == [dict(zip(planned.criterion_ids, (3, 3), strict=True))]


def test_publishing_freezes_and_reopening_is_audited(
    app: Any, english: None, make_demo_day: Any
) -> None:
    planned = make_demo_day(pitches=2, judges=1, status="judging")
    _score_all(app, planned, {(0, 0): (5, 5), (0, 1): (7, 7)})
    with app.app_context():
        _change(planned, services.Change.PUBLISH)
        assert _day(planned).published_at is not None
        with pytest.raises(DomainError, match="cannot be done now"):
            _change(planned, services.Change.PUBLISH)
        with pytest.raises(DomainError, match="reason"):
            _change(planned, services.Change.REOPEN)
        _change(planned, services.Change.REOPEN, "Giám khảo nhập nhầm điểm")
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "demo_day.reopen"))
        assert entry.details["reason"] == "Giám khảo nhập nhầm điểm"
        assert entry.actor_id == planned.manager.id
        assert _day(planned).status is Status.JUDGING
    score(app, planned, planned.judges[0], planned.slot_ids[0], planned.criterion_ids[0], 6)


def test_published_results_are_plain_values(app: Any, make_demo_day: Any) -> None:
    planned = make_demo_day(
        pitches=2, judges=1, status="judging", names=["Nông Sản Việt", "Ví Xanh"]
    )
    _score_all(app, planned, {(0, 0): (5, 5), (0, 1): (7, 7)})
    with app.app_context():
        with pytest.raises(NotFound):
            services.published_results(planned.demo_day_id)
        with db.transaction():
            demo_day = _day(planned)
            services.save_sheet(
                _user(planned.judges[0]),
                demo_day,
                services.pitch_of(demo_day, planned.slot_ids[1]),
                comment="Mô hình kinh doanh rõ ràng.",
            )
        _change(planned, services.Change.PUBLISH)
        results = services.published_results(planned.demo_day_id)
        refuse_orm_objects(results)
        assert [p.startup_name for p in results.pitches] == ["Ví Xanh", "Nông Sản Việt"]
        assert results.pitches[0].rank == 1
        assert results.pitches[0].raw_mean == pytest.approx(70)
        assert results.pitches[0].comments == ["Mô hình kinh doanh rõ ràng."]
        assert [c.mean for c in results.pitches[0].criteria] == [7, 7]
        assert results.judges == 1


def test_graduating_goes_through_the_stage_machine_and_issues_a_certificate(
    app: Any, english: None, make_demo_day: Any
) -> None:
    planned = make_demo_day(pitches=2, judges=1, status="judging")
    manager = planned.manager
    with app.app_context():
        with pytest.raises(DomainError, match="Publish the results"):
            services.decide(_user(manager), _day(planned), planned.slot_ids, "graduate")
        _change(planned, services.Change.PUBLISH)
        with db.transaction():
            moved = services.decide(
                _user(manager), _day(planned), planned.slot_ids[:1], services.Decision.GRADUATE
            )
        assert moved == 1
        with db.transaction():
            services.decide(
                _user(manager), _day(planned), planned.slot_ids[1:], services.Decision.NOT_READY
            )
        first, second = (in_db(Application, a) for a in planned.application_ids)
        assert first.stage is Stage.GRADUATED
        assert second.stage is Stage.INCUBATING
        assert [t.to_stage for t in first.transitions][-1] is Stage.GRADUATED
        certificates = db.session.scalars(select(Certificate)).all()
        assert [c.application_id for c in certificates] == [first.id]
        assert certificates[0].founders == [planned.founders[0].name]
        with pytest.raises(DomainError, match="already decided"):
            services.decide(_user(manager), _day(planned), planned.slot_ids, "graduate")


def test_inviting_a_new_judge_uses_the_invitation_flow(
    ctx: Any, english: None, make_demo_day: Any, make_user: Any, outbox: Any
) -> None:
    planned = make_demo_day(judges=0)
    manager = _user(planned.manager)
    with db.transaction():
        judge = services.invite_judge(
            manager, _day(planned), "Giam.Khao@Example.test", "Lê Văn Khảo"
        )
    assert judge.has_role(Role.JUDGE)
    assert judge.password_hash is None
    with pytest.raises(DomainError, match="already invited"):
        services.invite_judge(manager, _day(planned), "giam.khao@example.test", "")
    db.session.rollback()
    founder = make_user(Role.FOUNDER)
    with pytest.raises(DomainError, match="no judge role"):
        services.invite_judge(manager, _day(planned), founder.email, "")
    db.session.rollback()
    assert [j.email for j in services.judges_of(_day(planned))] == ["giam.khao@example.test"]
    # an existing judge gets the demo day's invitation by email
    existing = make_user(Role.JUDGE)
    with db.transaction():
        services.invite_judge(manager, _day(planned), existing.email, "")
    subjects = {m.recipient: m.subject for m in db.session.scalars(select(OutboxMessage))}
    assert "giam.khao@example.test" in subjects
    assert "Demo Day thử" in subjects[existing.email]


def test_another_centers_manager_cannot_touch_the_demo_day(
    ctx: Any, make_demo_day: Any, manager_of: Any
) -> None:
    planned = make_demo_day()
    other = _user(manager_of("SMIC"))
    with pytest.raises(NotFound):
        services.managed_demo_day(other, planned.demo_day_id)
    with pytest.raises(NotFound):
        services.change_status(other, _day(planned), services.Change.OPEN)


def test_a_conflict_can_be_declared_before_judging(ctx: Any, make_demo_day: Any) -> None:
    planned = make_demo_day(pitches=1, judges=1)
    demo_day = _day(planned)
    with db.transaction():
        services.declare_conflict(
            _user(planned.judges[0]),
            demo_day,
            services.pitch_of(demo_day, planned.slot_ids[0]),
            True,
        )
    assert in_db(DemoSlot, planned.slot_ids[0]).abstentions == 1
