from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from incubator.accounts.models import Role, User
from incubator.applications import access, decks, drafts, moves, ranking
from incubator.applications.models import Application, StageTransition
from incubator.applications.stages import Stage
from incubator.audit import AuditEntry
from incubator.db import db
from incubator.errors import DomainError, NotFound
from incubator.files import Upload, minimal_pdf
from incubator.mail import OutboxMessage
from incubator.storage import storage
from tests.applications.fixtures import ANSWERS, answer


@pytest.fixture(autouse=True)
def _english_messages(english: None) -> None:
    """These tests read the refusal messages in English."""


def founder_of(application: Application) -> User:
    return db.session.get(User, application.startup.members[0].user_id)


def deck_files(app: Any) -> set[str]:
    return {key.removeprefix("pitch_decks/") for key in storage(app).keys("pitch_decks/")}


def pdf(size_padding: int = 0) -> Upload:
    data = minimal_pdf("Deck")
    if size_padding:
        data = data.replace(b"%%EOF", b"%" + b"x" * size_padding + b"\n%%EOF")
    return Upload(io.BytesIO(data), "Hồ sơ gọi vốn.pdf")


# ---------------------------------------------------------------- starting


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


# ------------------------------------------------------------------ drafts


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


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"MZ\x90\x00 not a pdf at all", "not a PDF"),
        (b"", "empty"),
        (b"%PDF-1.4 truncated without end marker", "not a PDF"),
    ],
)
def test_a_bad_deck_is_refused_and_leaves_no_file(
    ctx: Any, make_application: Any, content: bytes, message: str
) -> None:
    application = make_application(complete=False)
    founder = founder_of(application)
    before = deck_files(ctx)
    with pytest.raises(DomainError) as error, db.transaction():
        decks.upload_deck(founder, application, Upload(io.BytesIO(content), "deck.pdf"))
    assert error.value.field == "deck"
    assert message in error.value.message
    assert deck_files(ctx) == before
    assert db.session.get(Application, application.id, populate_existing=True).deck_file is None


def test_an_oversized_deck_is_refused(ctx: Any, make_application: Any) -> None:
    ctx.config["PITCH_DECK_MAX_BYTES"] = 2000
    application = make_application(complete=False)
    with pytest.raises(DomainError) as error, db.transaction():
        decks.upload_deck(founder_of(application), application, pdf(size_padding=5000))
    assert error.value.field == "deck"
    assert deck_files(ctx) == set()


def test_replacing_the_deck_removes_the_old_file_after_commit(
    ctx: Any, make_application: Any
) -> None:
    application = make_application()
    old = application.deck_file
    with db.transaction():
        decks.upload_deck(founder_of(application), application, pdf())
    assert old not in deck_files(ctx)
    assert application.deck_file in deck_files(ctx)


def test_a_failed_transaction_removes_the_new_file_and_keeps_the_old(
    ctx: Any, make_application: Any
) -> None:
    application = make_application()
    old = application.deck_file
    with pytest.raises(RuntimeError), db.transaction():
        decks.upload_deck(founder_of(application), application, pdf())
        raise RuntimeError("something later in the request failed")
    assert deck_files(ctx) == {old}


def test_negative_funding_is_refused(ctx: Any, make_application: Any) -> None:
    application = make_application()
    with pytest.raises(DomainError) as error:
        drafts.save_draft(founder_of(application), application, {"funding_need_vnd": "-1"})
    assert error.value.field == "funding_need_vnd"


# -------------------------------------------------------------- submitting


def test_submit_requires_every_part(ctx: Any, make_application: Any) -> None:
    application = make_application(complete=False)
    with pytest.raises(DomainError) as error:
        moves.move(founder_of(application), application, Stage.SUBMITTED)
    assert "Problem" in error.value.message and "Pitch deck" in error.value.message
    assert application.stage is Stage.DRAFT


def test_submit_after_the_deadline_is_refused(ctx: Any, make_application: Any) -> None:
    application = make_application()
    application.program.closes_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(DomainError) as error:
        moves.move(founder_of(application), application, Stage.SUBMITTED)
    assert "closed" in error.value.message
    db.session.rollback()
    assert db.session.get(Application, application.id).stage is Stage.DRAFT


def test_submitting_records_everything_in_one_transaction(
    ctx: Any, make_application: Any, outbox: Any
) -> None:
    application = make_application()
    founder = founder_of(application)
    with db.transaction():
        transition = moves.move(founder, application, Stage.SUBMITTED)
    assert application.stage is Stage.SUBMITTED and application.submitted_at is not None
    assert (transition.from_stage, transition.to_stage, transition.actor_id) == (
        Stage.DRAFT,
        Stage.SUBMITTED,
        founder.id,
    )
    assert db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "application.submit", AuditEntry.object_id == application.id
        )
    )
    assert [m["to"] for m in outbox.sent] == [founder.email]


def test_a_submitted_application_is_read_only_for_founders(ctx: Any, make_application: Any) -> None:
    application = make_application(Stage.SUBMITTED)
    with pytest.raises(DomainError):
        drafts.save_draft(founder_of(application), application, {"problem": "sửa"})
    with pytest.raises(DomainError):
        decks.upload_deck(founder_of(application), application, pdf())
    assert answer(ctx, application.id, "problem") == ANSWERS["problem"]


def test_every_founder_gets_the_email_in_their_language(
    ctx: Any, make_application: Any, make_user: Any, outbox: Any, manager_of: Any
) -> None:
    from incubator.startups.models import StartupMember

    application = make_application(Stage.SUBMITTED)
    english = make_user(Role.FOUNDER, locale="en")
    application.startup.members.append(StartupMember(user_id=english.id))
    db.session.commit()
    outbox.sent.clear()
    with db.transaction():
        moves.move(manager_of("BIIC"), application, Stage.SCREENING)
    by_recipient = {m["to"]: m for m in outbox.sent}
    assert set(by_recipient) == {founder_of(application).email, english.email}
    assert "is being reviewed" in by_recipient[english.email]["body"]
    assert application.startup.name in by_recipient[english.email]["body"]


# ------------------------------------------------------------------ moving


def test_withdraw_needs_a_reason(ctx: Any, make_application: Any) -> None:
    application = make_application(Stage.SUBMITTED)
    with pytest.raises(DomainError) as error:
        moves.move(founder_of(application), application, Stage.WITHDRAWN, "  ")
    assert error.value.field == "reason"
    moves.move(founder_of(application), application, Stage.WITHDRAWN, "Đã nhận đầu tư")
    assert application.stage is Stage.WITHDRAWN
    assert application.transitions[-1].reason == "Đã nhận đầu tư"


def test_founders_cannot_make_manager_moves(ctx: Any, make_application: Any) -> None:
    application = make_application(Stage.SUBMITTED)
    with pytest.raises(DomainError) as error:
        moves.move(founder_of(application), application, Stage.SCREENING)
    assert "manager" in error.value.message
    assert application.stage is Stage.SUBMITTED


def test_a_manager_of_the_other_center_cannot_see_or_move(
    ctx: Any, make_application: Any, make_user: Any
) -> None:
    application = make_application(Stage.SUBMITTED)
    smic = make_user(Role.MANAGER, center="SMIC")
    with pytest.raises(NotFound):
        moves.move(smic, application, Stage.SCREENING)
    with pytest.raises(NotFound):
        access.managed_application(smic, application.id)


def test_an_invalid_transition_says_why(ctx: Any, make_application: Any, manager_of: Any) -> None:
    application = make_application(Stage.SUBMITTED)
    with pytest.raises(DomainError) as error:
        moves.move(manager_of("BIIC"), application, Stage.GRADUATED)
    assert "cannot move from" in error.value.message
    rejected = make_application(Stage.REJECTED)
    with pytest.raises(DomainError) as error:
        moves.move(manager_of("BIIC"), rejected, Stage.ACCEPTED)
    assert "final" in error.value.message


def test_accepting_beyond_capacity_is_refused(
    ctx: Any, make_application: Any, make_program: Any, manager_of: Any
) -> None:
    program = make_program(capacity=1)
    make_application(Stage.ACCEPTED, program=program)
    second = make_application(Stage.SCREENING, program=program)
    with pytest.raises(DomainError) as error:
        moves.move(manager_of("BIIC"), second, Stage.ACCEPTED)
    assert "full" in error.value.message
    moves.move(manager_of("BIIC"), second, Stage.WAITLISTED)
    assert second.stage is Stage.WAITLISTED


def test_a_stale_stage_is_not_overwritten(ctx: Any, make_application: Any, manager_of: Any) -> None:
    """Two managers move the same card at once: the second sees the first's change."""
    application = make_application(Stage.SCREENING)
    db.session.execute(
        Application.__table__.update()
        .where(Application.id == application.id)
        .values(stage=Stage.WAITLISTED.value)
    )  # someone else, meanwhile; this session still believes "screening"
    with pytest.raises(DomainError) as error:
        moves.move(manager_of("BIIC"), application, Stage.REJECTED, "lý do")
    assert "meanwhile" in error.value.message


def test_the_history_cannot_be_edited(ctx: Any, make_application: Any) -> None:
    application = make_application(Stage.SUBMITTED)
    step = application.transitions[-1]
    step.reason = "rewritten"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(StageTransition, step.id))
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()


# ------------------------------------------------------------------ access


def test_deck_access(ctx: Any, make_application: Any, make_user: Any, manager_of: Any) -> None:
    from flask_login import AnonymousUserMixin

    from incubator.reviews import services as reviews

    application = make_application(Stage.SUBMITTED)
    mentor = make_user(Role.MENTOR)
    review = reviews.assign(manager_of("BIIC"), application, mentor)
    db.session.commit()
    allowed = {
        "founder": founder_of(application),
        "manager": manager_of("BIIC"),
        "admin": make_user(Role.ADMIN),
    }
    refused = {
        "other founder": make_user(Role.FOUNDER),
        "other center": make_user(Role.MANAGER, center="SMIC"),
        "reviewer before declaring": mentor,
        "other mentor": make_user(Role.MENTOR),
        "anonymous": AnonymousUserMixin(),
    }
    for who, user in allowed.items():
        assert access.may_read_deck(user, application), who
    for who, user in refused.items():
        assert not access.may_read_deck(user, application), who
    reviews.declare_conflict(mentor, review, False)
    assert access.may_read_deck(mentor, application)


def test_founder_lists_only_their_own(ctx: Any, make_application: Any) -> None:
    mine = make_application()
    make_application()
    rows = list(db.session.scalars(ranking.founder_applications_query(founder_of(mine))))
    assert [a.id for a in rows] == [mine.id]


def test_outbox_rows_roll_back_with_a_refused_move(
    ctx: Any, make_application: Any, manager_of: Any
) -> None:
    application = make_application(Stage.SCREENING, program=None)
    count = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    with pytest.raises(DomainError), db.transaction():
        moves.move(manager_of("BIIC"), application, Stage.REJECTED, "")
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == count
