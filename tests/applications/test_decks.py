"""Pitch decks without HTTP: checked, stored and replaced with the transaction, read only by
those allowed."""

from __future__ import annotations

import io
from typing import Any

import pytest

from incubator.accounts.models import Role
from incubator.applications import access, decks
from incubator.applications.models import Application
from incubator.applications.stages import Stage
from incubator.db import db
from incubator.errors import DomainError
from incubator.files import Upload
from tests.applications.fixtures import deck_files, founder_of, pdf


@pytest.fixture(autouse=True)
def _english_messages(english: None) -> None:
    """These tests read the refusal messages in English."""


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
