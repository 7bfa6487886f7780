"""Registration and invitations without HTTP: founders register, admins invite."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.security import check_password_hash

from incubator.accounts import common, recovery, registration, sessions
from incubator.accounts.models import AccountToken, Role, TokenPurpose, User
from incubator.audit import AuditEntry
from incubator.db import db, utcnow
from incubator.errors import DomainError
from incubator.mail import MemoryTransport, OutboxMessage
from tests.accounts.fixtures import PASSWORD
from tests.accounts.helpers import IP, count, link_in, register, reload
from tests.centers.fixtures import center_id


def test_register_founder_creates_an_account_with_the_founder_role(ctx: Flask) -> None:
    user = register("  An.Nguyen@Example.TEST ", name="  Nguyễn Văn An ")

    stored = reload(user)
    assert stored.email == "an.nguyen@example.test"
    assert stored.name == "Nguyễn Văn An"
    assert stored.locale == "en"
    assert stored.active is True
    assert stored.roles == {Role.FOUNDER}
    assert stored.password_hash != PASSWORD
    assert PASSWORD not in stored.password_hash
    assert check_password_hash(stored.password_hash, PASSWORD)
    assert count(AuditEntry, AuditEntry.action == "user.registered") == 1


def test_register_with_a_known_email_whatever_its_case_tells_the_owner_by_email(
    ctx: Flask, outbox: MemoryTransport
) -> None:
    register("founder@example.test")
    with db.transaction():
        assert (
            registration.register_founder("FOUNDER@Example.Test", "Other", PASSWORD, "vi") is None
        )
    assert count(User) == 1
    assert [m["to"] for m in outbox.sent] == ["founder@example.test"] * 2
    assert outbox.sent[1]["subject"] == "Someone tried to register with your email address"


def test_create_user_refuses_a_common_password(ctx: Flask) -> None:
    """`create-user` accepted `password` for an admin."""
    for password in ("password", "password12"):
        with pytest.raises(DomainError), db.transaction():
            registration.create_user("root@example.test", "Root", password, Role.ADMIN, None)
    assert count(User) == 0


def test_register_queues_a_welcome_email_sent_after_commit(
    ctx: Flask, outbox: MemoryTransport
) -> None:
    with db.transaction():
        user = registration.register_founder("welcome@example.test", "Lê Thị Hoa", PASSWORD, "en")
        assert count(OutboxMessage, OutboxMessage.recipient == "welcome@example.test") == 1
        assert outbox.sent == []  # not before the commit
    assert [m["to"] for m in outbox.sent] == ["welcome@example.test"]
    assert outbox.sent[0]["subject"] == "Welcome to the BIIC · SMIC incubator"
    assert "Lê Thị Hoa" in outbox.sent[0]["body"]
    message = db.session.scalar(select(OutboxMessage).execution_options(populate_existing=True))
    assert message.user_id == user.id


def test_inviting_a_new_person_creates_an_account_and_emails_a_link(
    ctx: Flask, outbox: MemoryTransport, make_user: Callable[..., User]
) -> None:
    admin = make_user(Role.ADMIN)
    with db.transaction():
        invited = registration.invite_user(admin, " Mentor@Example.TEST ", "Phạm Minh", Role.MENTOR)
    stored = reload(invited)
    assert stored.email == "mentor@example.test"
    assert stored.password_hash is None
    assert stored.roles == {Role.MENTOR}
    token = db.session.scalar(select(AccountToken))
    assert token.purpose is TokenPurpose.INVITE and token.user_id == invited.id
    days = ctx.config["INVITATION_DAYS"]
    assert timedelta(days=days) - timedelta(minutes=1) < token.expires_at - utcnow()

    assert [m["to"] for m in outbox.sent] == ["mentor@example.test"]
    path, raw = link_in(outbox.sent[0]["body"])
    assert path == "/invitation/"
    with db.transaction():
        assert sessions.login("mentor@example.test", "anything-at-all", IP) is None
    with db.transaction():
        recovery.redeem_token(raw, TokenPurpose.INVITE, "my-mentor-pass")
    with db.transaction():
        assert sessions.login("mentor@example.test", "my-mentor-pass", IP).user.id == invited.id
    with pytest.raises(DomainError), db.transaction():
        recovery.redeem_token(raw, TokenPurpose.INVITE, "my-mentor-pass-2")


def test_inviting_an_existing_user_only_adds_the_role(
    ctx: Flask, outbox: MemoryTransport, make_user: Callable[..., User]
) -> None:
    admin = make_user(Role.ADMIN)
    user = make_user(Role.FOUNDER, email="known@example.test", locale="en")
    old_hash = user.password_hash
    # first the admin is told the account exists, and nothing changes
    with pytest.raises(registration.AccountExists) as exists, db.transaction():
        registration.invite_user(admin, "KNOWN@example.test", "Ignored", Role.JUDGE)
    assert exists.value.user.id == user.id
    assert exists.value.message.startswith("known@example.test")
    assert reload(user).roles == {Role.FOUNDER}
    assert count(OutboxMessage) == 0
    # then, confirmed, the role is added
    with db.transaction():
        invited = registration.invite_user(
            admin, "KNOWN@example.test", "Ignored", Role.JUDGE, grant_existing=True
        )
    assert invited.id == user.id
    stored = reload(user)
    assert stored.roles == {Role.FOUNDER, Role.JUDGE}
    assert stored.password_hash == old_hash
    assert stored.name != "Ignored"
    assert count(User) == 2
    assert count(AccountToken) == 0
    assert [m["to"] for m in outbox.sent] == ["known@example.test"]
    assert outbox.sent[0]["subject"] == "A new role on your account"
    assert "/invitation/" not in outbox.sent[0]["body"]


def test_inviting_a_manager_needs_a_center_and_saves_nothing_without(
    ctx: Flask, outbox: MemoryTransport, make_user: Callable[..., User]
) -> None:
    admin = make_user(Role.ADMIN)
    with pytest.raises(DomainError) as refused, db.transaction():
        registration.invite_user(admin, "boss@example.test", "Boss", Role.MANAGER)
    assert refused.value.field == "center_id"
    assert common.find_user_by_email("boss@example.test") is None
    assert count(AccountToken) == 0
    assert count(OutboxMessage) == 0
    assert outbox.sent == []

    smic = center_id(ctx, "SMIC")
    with db.transaction():
        boss = registration.invite_user(admin, "boss@example.test", "Boss", Role.MANAGER, smic)
    assert reload(boss).managed_center_id == smic
    assert len(outbox.sent) == 1
