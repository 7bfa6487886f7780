"""Application drafts without HTTP: started once per program, saved as typed, read-only once
submitted, listed for their founders."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from incubator.accounts.models import Role, User
from incubator.applications import decks, drafts, ranking
from incubator.applications.models import Application
from incubator.applications.stages import Stage
from incubator.db import db
from incubator.errors import DomainError, NotFound
from tests.applications.fixtures import ANSWERS, answer, deck_files, founder_of, pdf


@pytest.fixture(autouse=True)
def _english_messages(english: None) -> None:
    """These tests read the refusal messages in English."""


def test_a_founder_starts_one_draft_per_program(
    ctx: Any, make_startup: Any, make_program: Any
) -> None:
    startup = make_startup()
    program = make_program()
    founder = db.session.get(User, startup.members[0].user_id)
    application = drafts.start_application(founder, startup, program)
    db.session.commit()
    assert application.stage is Stage.DRAFT
    assert [(t.from_stage, t.to_stage) for t in application.transitions] == [(None, Stage.DRAFT)]
    with pytest.raises(DomainError) as error:
        drafts.start_application(founder, startup, program)
    assert error.value.field == "startup_id"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Application)) == 1


def test_the_database_refuses_a_second_application_too(ctx: Any, make_application: Any) -> None:
    from sqlalchemy.exc import IntegrityError

    first = make_application()
    db.session.add(Application(startup_id=first.startup_id, program_id=first.program_id))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_only_members_start_and_only_open_calls(
    ctx: Any, make_startup: Any, make_program: Any, make_user: Any
) -> None:
    startup = make_startup()
    stranger = make_user(Role.FOUNDER)
    with pytest.raises(NotFound):
        drafts.start_application(stranger, startup, make_program())
    founder = db.session.get(User, startup.members[0].user_id)
    with pytest.raises(DomainError):
        drafts.start_application(founder, startup, make_program(is_open=False))
    with pytest.raises(DomainError):
        drafts.start_application(founder, startup, make_program(published=False))


def test_saving_a_draft_keeps_the_answers_and_a_pdf_deck(ctx: Any, make_application: Any) -> None:
    application = make_application(complete=False)
    founder = founder_of(application)
    drafts.save_draft(founder, application, {"problem": "Vấn đề", "funding_need_vnd": "1.000.000"})
    decks.upload_deck(founder, application, pdf())
    with db.transaction():
        pass
    stored = db.session.get(Application, application.id, populate_existing=True)
    assert answer(ctx, application.id, "problem") == "Vấn đề"
    assert answer(ctx, application.id, "funding_need_vnd") == 1_000_000
    assert stored.deck_filename == "Hồ sơ gọi vốn.pdf"
    assert stored.deck_file in deck_files(ctx)


def test_negative_funding_is_refused(ctx: Any, make_application: Any) -> None:
    application = make_application()
    with pytest.raises(DomainError) as error:
        drafts.save_draft(founder_of(application), application, {"funding_need_vnd": "-1"})
    assert error.value.field == "funding_need_vnd"


def test_a_submitted_application_is_read_only_for_founders(ctx: Any, make_application: Any) -> None:
    application = make_application(Stage.SUBMITTED)
    with pytest.raises(DomainError):
        drafts.save_draft(founder_of(application), application, {"problem": "sửa"})
    with pytest.raises(DomainError):
        decks.upload_deck(founder_of(application), application, pdf())
    assert answer(ctx, application.id, "problem") == ANSWERS["problem"]


def test_founder_lists_only_their_own(ctx: Any, make_application: Any) -> None:
    mine = make_application()
    make_application()
    rows = list(db.session.scalars(ranking.founder_applications_query(founder_of(mine))))
    assert [a.id for a in rows] == [mine.id]
