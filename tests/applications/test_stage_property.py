"""Random sequences of stage changes through the service: the history always replays."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from incubator.accounts.models import User
from incubator.applications import moves, ranking
from incubator.applications.models import Application, StageTransition
from incubator.applications.stages import Capacity, Stage, check, moves_from, replay
from incubator.db import db
from incubator.errors import DomainError, NotFound


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_history_always_replays_to_the_current_stage(
    ctx: Any, make_application: Any, manager_of: Any, data: st.DataObject
) -> None:
    application = make_application(Stage.DRAFT)
    founder = db.session.get(User, application.startup.members[0].user_id)
    manager = manager_of("BIIC")
    applied = 0
    for _step in range(data.draw(st.integers(0, 15), label="steps")):
        # mostly a move the table has from here (so that runs go deep), sometimes any stage
        legal = [m.target for m in moves_from(application.stage, list(Capacity))]
        targets = st.sampled_from(legal) if legal else st.sampled_from(list(Stage))
        target = data.draw(st.one_of(targets, targets, st.sampled_from(list(Stage))), label="to")
        who = data.draw(st.sampled_from(list(Capacity)), label="as")
        with_reason = data.draw(st.booleans(), label="reason")
        actor = founder if who is Capacity.FOUNDER else manager
        before = application.stage
        try:
            moves.move(actor, application, target, reason="lý do" if with_reason else "")
        except (DomainError, NotFound):  # a draft is not the manager's to see
            db.session.rollback()
            assert db.session.get(Application, application.id).stage is before
        else:
            db.session.commit()
            applied += 1
    event(f"moves applied (5 = five or more): {min(applied, 5)}")
    history = db.session.execute(
        select(StageTransition.from_stage, StageTransition.to_stage)
        .where(StageTransition.application_id == application.id)
        .order_by(StageTransition.id)
    ).all()
    current = db.session.get(Application, application.id, populate_existing=True).stage
    assert len(history) == applied + 1
    assert replay(history) is current
    for source, target in history[1:]:
        check(source, target, list(Capacity))  # every recorded step is a move of the table
    # the stored counts are those a count of the applications gives
    counted = db.session.execute(
        select(Application.stage, func.count())
        .where(Application.program_id == application.program_id)
        .group_by(Application.stage)
    ).all()
    assert ranking.stage_counts(application.program) == dict.fromkeys(Stage, 0) | dict(counted)
