"""Stage moves without HTTP: submitting, the table's and the program's rules, the emails, the
history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from incubator.accounts.models import Role
from incubator.applications import access, moves
from incubator.applications.models import Application, StageTransition
from incubator.applications.stages import Stage
from incubator.audit import AuditEntry
from incubator.db import db
from incubator.errors import DomainError, NotFound
from incubator.mail import OutboxMessage
from tests.applications.fixtures import founder_of


@pytest.fixture(autouse=True)
def _english_messages(english: None) -> None:
    """These tests read the refusal messages in English."""


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


def test_outbox_rows_roll_back_with_a_refused_move(
    ctx: Any, make_application: Any, manager_of: Any
) -> None:
    application = make_application(Stage.SCREENING, program=None)
    count = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    with pytest.raises(DomainError), db.transaction():
        moves.move(manager_of("BIIC"), application, Stage.REJECTED, "")
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == count
