"""The stored counts of applications per program and stage (issue 8: no page counts a whole
program or center): kept by every way an application is created or moved."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from incubator.accounts.models import User
from incubator.applications import moves, ranking
from incubator.applications.models import Application, StageCount
from incubator.applications.stages import Stage
from incubator.db import db
from incubator.errors import DomainError


def stored(program_id: int) -> dict[Stage, int]:
    rows = db.session.execute(
        select(StageCount.stage, StageCount.count).where(StageCount.program_id == program_id)
    )
    return {stage: count for stage, count in rows if count}


def counted(program_id: int) -> dict[Stage, int]:
    return dict(
        db.session.execute(
            select(Application.stage, func.count())
            .where(Application.program_id == program_id)
            .group_by(Application.stage)
        ).all()
    )


def test_drafts_and_moves_keep_the_counts(
    ctx: Flask, make_program: Any, make_application: Any, manager_of: Any
) -> None:
    program = make_program()
    first = make_application(Stage.DRAFT, program=program)
    make_application(Stage.SCREENING, program=program)
    make_application(Stage.ACCEPTED, program=program)
    assert stored(program.id) == {Stage.DRAFT: 1, Stage.SCREENING: 1, Stage.ACCEPTED: 1}
    assert stored(program.id) == counted(program.id)

    application = db.session.get(Application, first.id)
    founder = db.session.get(User, application.startup.members[0].user_id)
    moves.move(founder, application, Stage.SUBMITTED)
    db.session.commit()
    assert stored(program.id) == {Stage.SUBMITTED: 1, Stage.SCREENING: 1, Stage.ACCEPTED: 1}
    assert stored(program.id) == counted(program.id)


def test_a_refused_or_rolled_back_move_changes_no_count(
    ctx: Flask, make_program: Any, make_application: Any, manager_of: Any
) -> None:
    program = make_program()
    made = make_application(Stage.SUBMITTED, program=program)
    manager = db.session.get(User, manager_of("BIIC").id)
    application = db.session.get(Application, made.id)
    with pytest.raises(DomainError):
        moves.move(manager, application, Stage.GRADUATED)
    db.session.rollback()
    moves.move(manager, db.session.get(Application, made.id), Stage.SCREENING)
    db.session.rollback()
    assert stored(program.id) == {Stage.SUBMITTED: 1}


def test_the_counts_cannot_go_below_zero(ctx: Flask, make_program: Any) -> None:
    from sqlalchemy.exc import IntegrityError

    from incubator.applications.models import shift_stage_count

    program = make_program()
    with pytest.raises(IntegrityError):
        shift_stage_count(db.session.connection(), program.id, None, Stage.SUBMITTED)
        shift_stage_count(db.session.connection(), program.id, Stage.SUBMITTED, None)
        shift_stage_count(db.session.connection(), program.id, Stage.SUBMITTED, None)
    db.session.rollback()


def test_recount_starts_from_the_applications(
    ctx: Flask, make_program: Any, make_application: Any
) -> None:
    program = make_program()
    make_application(Stage.SUBMITTED, program=program)
    make_application(Stage.SUBMITTED, program=program)
    db.session.execute(StageCount.__table__.delete())
    ranking.recount_stages(program.id)
    db.session.commit()
    assert stored(program.id) == {Stage.SUBMITTED: 2}


def test_the_board_and_the_manager_home_show_the_stored_counts(
    app: Flask, make_program: Any, make_application: Any, manager_of: Any, login: Any
) -> None:
    program = make_program()
    other = make_program()
    for stage in (Stage.SUBMITTED, Stage.SUBMITTED, Stage.SCREENING):
        make_application(stage, program=program)
    make_application(Stage.SUBMITTED, program=other)
    with app.app_context():
        columns = ranking.board(db.session.get(type(program), program.id))
        assert columns[Stage.SUBMITTED]["count"] == 2
        assert columns[Stage.SCREENING]["count"] == 1
        assert len(columns[Stage.SUBMITTED]["cards"]) == 2
    client = login(manager_of("BIIC"))
    home = client.get("/").get_data(as_text=True)
    # three submitted over the center's two programs, summed from the stored rows
    stats = {
        label: int(number)
        for number, label in re.findall(r'<span class="stat">(\d+)</span>([^<]+)</article>', home)
    }
    assert stats["Đã nộp"] == 3
    assert stats["Sơ loại"] == 1
