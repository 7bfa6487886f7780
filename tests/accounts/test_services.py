"""Account services without HTTP: registration, login, passwords, tokens, roles, invitations."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash

from incubator.accounts import services
from incubator.accounts.models import (
    AccountToken,
    Role,
    RoleGrant,
    ThrottleCounter,
    TokenPurpose,
    User,
)
from incubator.audit import AuditEntry
from incubator.db import db, utcnow
from incubator.errors import DomainError, Forbidden, NotFound, TooManyAttempts
from incubator.mail import MemoryTransport, OutboxMessage
from tests.accounts.fixtures import PASSWORD
from tests.centers.fixtures import center_id

ON_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))
IP = "203.0.113.7"


def failures() -> dict[tuple[str, str], int]:
    """The throttle counts of the current windows, by (scope, key)."""
    return {
        (row.scope, row.key): row.count
        for row in db.session.scalars(
            select(ThrottleCounter).execution_options(populate_existing=True)
        )
        if row.count
    }


def count(model: Any, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def reload(obj: Any) -> Any:
    return db.session.get(type(obj), obj.id, populate_existing=True)


def link_in(body: str) -> tuple[str, str]:
    """(path, raw token) of the one absolute link to a token page in an email body."""
    links = re.findall(r"http://localhost(/[\w/-]*/)([\w-]{20,})\s", body)
    assert len(links) == 1, body
    return links[0]


def register(email: str = "founder@example.test", **kwargs: Any) -> User:
    with db.transaction():
        return services.register_founder(
            email, kwargs.get("name", "Nguyễn Văn An"), kwargs.get("password", PASSWORD), "en"
        )


# ------------------------------------------------------------ registration


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
        assert services.register_founder("FOUNDER@Example.Test", "Other", PASSWORD, "vi") is None
    assert count(User) == 1
    assert [m["to"] for m in outbox.sent] == ["founder@example.test"] * 2
    assert outbox.sent[1]["subject"] == "Someone tried to register with your email address"


@pytest.mark.parametrize(
    "password",
    [
        "",
        "short1!",  # 7 characters, below the minimum of 8
        "1234567890123",  # only digits
        "aaaaaaaaaaaa",  # one character repeated
        "abababababab",  # two characters
        "abcabcabcabc",  # three characters
    ],
)
def test_register_refuses_a_weak_password_on_the_password_field(ctx: Flask, password: str) -> None:
    with pytest.raises(DomainError) as refused, db.transaction():
        services.register_founder("weak@example.test", "Weak", password, "vi")
    assert refused.value.field == "password"
    assert count(User) == 0


def test_password_minimum_length_is_sensible_and_configurable(ctx: Flask) -> None:
    assert ctx.config["PASSWORD_MIN_LENGTH"] >= 10
    services.check_password_strength("abcd1234xy")  # exactly 10, not a common one
    with pytest.raises(DomainError):
        services.check_password_strength("abcd1234x")  # 9
    ctx.config["PASSWORD_MIN_LENGTH"] = 12
    with pytest.raises(DomainError) as refused:
        services.check_password_strength("abcd1234xyz")
    assert refused.value.field == "password"
    with pytest.raises(DomainError) as refused:
        services.check_password_strength("abcd1234xy", field="new_password")
    assert refused.value.field == "new_password"


@pytest.mark.parametrize("password", ["password12", "basketball", "1q2w3e4r5t", "Qwertyuiop"])
def test_common_passwords_are_refused_whatever_their_length(ctx: Flask, password: str) -> None:
    """The shipped list (20,000 common passwords), compared without case."""
    assert len(services.common_passwords()) > 10_000
    with pytest.raises(DomainError) as refused:
        services.check_password_strength(password)
    assert refused.value.field == "password"


def test_create_user_refuses_a_common_password(ctx: Flask) -> None:
    """`create-user` accepted `password` for an admin."""
    for password in ("password", "password12"):
        with pytest.raises(DomainError), db.transaction():
            services.create_user("root@example.test", "Root", password, Role.ADMIN, None)
    assert count(User) == 0


def test_register_queues_a_welcome_email_sent_after_commit(
    ctx: Flask, outbox: MemoryTransport
) -> None:
    with db.transaction():
        user = services.register_founder("welcome@example.test", "Lê Thị Hoa", PASSWORD, "en")
        assert count(OutboxMessage, OutboxMessage.recipient == "welcome@example.test") == 1
        assert outbox.sent == []  # not before the commit
    assert [m["to"] for m in outbox.sent] == ["welcome@example.test"]
    assert outbox.sent[0]["subject"] == "Welcome to the BIIC · SMIC incubator"
    assert "Lê Thị Hoa" in outbox.sent[0]["body"]
    message = db.session.scalar(select(OutboxMessage).execution_options(populate_existing=True))
    assert message.user_id == user.id


# ------------------------------------------------------------------ login


def test_login_returns_the_user_and_records_the_time(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user(email="login@example.test")
    before = utcnow()
    with db.transaction():
        logged = services.login(" LOGIN@Example.test ", PASSWORD, IP)
    assert logged is not None and logged.user.id == user.id
    assert reload(user).last_login_at >= before - timedelta(seconds=1)
    assert failures() == {}


@pytest.mark.parametrize("case", ["wrong password", "unknown email", "inactive", "no password"])
def test_login_failures_return_nothing_and_are_counted(
    ctx: Flask, make_user: Callable[..., User], case: str
) -> None:
    user = make_user(email="who@example.test", active=case != "inactive")
    if case == "no password":  # an invited user who never chose one
        user.password_hash = None
        db.session.commit()
    email = "nobody@example.test" if case == "unknown email" else "who@example.test"
    password = "not-the-password" if case == "wrong password" else PASSWORD
    with db.transaction():
        assert services.login(email, password, IP) is None
    assert failures() == {
        ("login-pair", f"{IP} {email}"): 1,
        ("login-ip", IP): 1,
        ("login-account", email): 1,
    }
    assert reload(user).last_login_at is None


def test_login_is_throttled_per_address_and_email_after_the_configured_failures(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user(email="target@example.test")
    limit = ctx.config["LOGIN_MAX_FAILURES"]
    assert limit == 5
    for _ in range(limit):
        with db.transaction():
            assert services.login("target@example.test", "guess", IP) is None
    # even the right password is refused now from this address
    with pytest.raises(TooManyAttempts) as refused, db.transaction():
        services.login("Target@example.test", PASSWORD, IP)
    assert refused.value.message  # the view shows it on the 429 page
    assert failures()[("login-pair", f"{IP} target@example.test")] == limit
    # the owner, from another address, is not locked out
    with db.transaction():
        assert services.login("target@example.test", PASSWORD, "192.0.2.1").user.id == user.id
    # another account is not affected
    other = make_user(email="other@example.test")
    with db.transaction():
        assert services.login("other@example.test", PASSWORD, IP).user.id == other.id


def test_old_failures_outside_the_window_do_not_count(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    from incubator.accounts.throttle import window_start

    user = make_user(email="old@example.test")
    window = timedelta(minutes=ctx.config["LOGIN_FAILURE_WINDOW_MINUTES"])
    long_ago = window_start(utcnow() - window - timedelta(minutes=1), window)
    db.session.add_all(
        ThrottleCounter(scope=scope, key=key, window_start=long_ago, count=100)
        for scope, key in (("login-pair", f"{IP} old@example.test"), ("login-ip", IP))
    )
    db.session.commit()
    with db.transaction():
        assert services.login("old@example.test", PASSWORD, IP).user.id == user.id


def test_login_is_throttled_per_address_across_emails(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    ctx.config["LOGIN_MAX_FAILURES_PER_IP"] = 3
    user = make_user(email="victim@example.test")
    for number in range(3):
        with db.transaction():
            assert services.login(f"probe{number}@example.test", "guess", IP) is None
    with pytest.raises(TooManyAttempts), db.transaction():
        services.login("victim@example.test", PASSWORD, IP)
    with db.transaction():
        assert services.login("victim@example.test", PASSWORD, "192.0.2.99").user.id == user.id


# -------------------------------------------------------------- passwords


def test_change_password_refuses_a_wrong_current_password_and_counts_it(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user()
    old_hash = user.password_hash
    for _ in range(ctx.config["LOGIN_MAX_FAILURES"]):
        with db.transaction():
            assert services.change_password(user, "not-my-password", "a-brand-new-pass") is False
    assert reload(user).password_hash == old_hash
    assert failures()[("login-account", user.email)] == ctx.config["LOGIN_MAX_FAILURES"]
    # then even the right one is refused for a while
    with pytest.raises(TooManyAttempts), db.transaction():
        services.change_password(user, PASSWORD, "a-brand-new-pass")
    assert reload(user).password_hash == old_hash


def test_change_password_refuses_a_weak_new_password(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user()
    old_hash = user.password_hash
    for weak in ("1234", "password12"):  # too short; on the common list
        with pytest.raises(DomainError) as refused, db.transaction():
            services.change_password(user, PASSWORD, weak)
        assert refused.value.field == "new_password"
    assert reload(user).password_hash == old_hash


def test_change_password_sets_the_new_one(ctx: Flask, make_user: Callable[..., User]) -> None:
    user = make_user(email="change@example.test")
    with db.transaction():
        services.change_password(user, PASSWORD, "a-brand-new-pass")
    with db.transaction():
        assert services.login("change@example.test", PASSWORD, IP) is None
    with db.transaction():
        assert services.login("change@example.test", "a-brand-new-pass", IP).user.id == user.id
    assert count(AuditEntry, AuditEntry.action == "user.password_changed") == 1


def test_password_reset_emails_a_single_use_link(
    ctx: Flask, outbox: MemoryTransport, make_user: Callable[..., User]
) -> None:
    user = make_user(email="reset@example.test", locale="en")
    with db.transaction():
        services.request_password_reset("Reset@Example.test")
    assert len(outbox.sent) == 1
    path, raw = link_in(outbox.sent[0]["body"])
    assert path == "/password/reset/"
    token = db.session.scalar(select(AccountToken))
    assert token.purpose is TokenPurpose.RESET
    assert token.user_id == user.id
    assert token.token_hash != raw  # only the hash is stored
    assert raw not in token.token_hash
    hours = ctx.config["PASSWORD_RESET_HOURS"]
    assert (
        timedelta(hours=hours) - timedelta(minutes=1)
        < token.expires_at - utcnow()
        <= timedelta(hours=hours)
    )

    with db.transaction():
        assert services.redeem_token(raw, TokenPurpose.RESET, "a-new-secret-9").user.id == user.id
    assert reload(token).used_at is not None
    with db.transaction():
        assert services.login("reset@example.test", "a-new-secret-9", IP).user.id == user.id

    with pytest.raises(DomainError), db.transaction():
        services.redeem_token(raw, TokenPurpose.RESET, "yet-another-pass")
    with db.transaction():
        assert services.login("reset@example.test", "yet-another-pass", IP) is None


def test_password_reset_email_links_to_the_reset_page(
    ctx: Flask, outbox: MemoryTransport, make_user: Callable[..., User]
) -> None:
    make_user(email="reset@example.test", locale="en")
    with db.transaction():
        services.request_password_reset("reset@example.test")
    path, raw = link_in(outbox.sent[0]["body"])
    assert path == "/password/reset/"
    assert services.valid_token(raw, TokenPurpose.RESET).user.email == "reset@example.test"


@pytest.mark.parametrize("who", ["unknown", "inactive"])
def test_password_reset_for_unknown_or_inactive_accounts_sends_nothing(
    ctx: Flask, outbox: MemoryTransport, make_user: Callable[..., User], who: str
) -> None:
    make_user(email="inactive@example.test", active=False)
    email = "nobody@example.test" if who == "unknown" else "inactive@example.test"
    with db.transaction():
        assert services.request_password_reset(email) is None
    assert count(AccountToken) == 0
    assert count(OutboxMessage) == 0
    assert outbox.sent == []


def _issue(user: User, purpose: TokenPurpose, valid_for: timedelta = timedelta(hours=1)) -> str:
    with db.transaction():
        return services._issue_token(user, purpose, valid_for)


def test_an_expired_token_is_refused(ctx: Flask, make_user: Callable[..., User]) -> None:
    user = make_user()
    raw = _issue(user, TokenPurpose.RESET)
    token = db.session.scalar(select(AccountToken))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(DomainError), db.transaction():
        services.redeem_token(raw, TokenPurpose.RESET, "a-new-secret-9")
    assert reload(user).password_hash == user.password_hash
    assert reload(token).used_at is None


@pytest.mark.parametrize(
    ("issued", "used_as"),
    [(TokenPurpose.RESET, TokenPurpose.INVITE), (TokenPurpose.INVITE, TokenPurpose.RESET)],
)
def test_a_token_only_works_for_its_own_purpose(
    ctx: Flask, make_user: Callable[..., User], issued: TokenPurpose, used_as: TokenPurpose
) -> None:
    user = make_user()
    raw = _issue(user, issued)
    with pytest.raises(DomainError):
        services.valid_token(raw, used_as)
    with pytest.raises(DomainError), db.transaction():
        services.redeem_token(raw, used_as, "a-new-secret-9")
    assert services.valid_token(raw, issued).user_id == user.id


def test_an_unknown_token_is_refused(ctx: Flask) -> None:
    with pytest.raises(DomainError):
        services.valid_token("made-up-token", TokenPurpose.RESET)


def test_a_token_of_a_deactivated_user_is_refused(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user()
    raw = _issue(user, TokenPurpose.RESET)
    user.active = False
    db.session.commit()
    with pytest.raises(DomainError):
        services.valid_token(raw, TokenPurpose.RESET)


def test_redeem_with_a_weak_password_keeps_the_token_usable(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user()
    raw = _issue(user, TokenPurpose.RESET)
    for weak in ("short", "1q2w3e4r5t6y"):  # too short; on the common list
        with pytest.raises(DomainError) as refused, db.transaction():
            services.redeem_token(raw, TokenPurpose.RESET, weak)
        assert refused.value.field == "password"
    with db.transaction():
        services.redeem_token(raw, TokenPurpose.RESET, "long-enough-now")
    assert check_password_hash(reload(user).password_hash, "long-enough-now")


# ---------------------------------------------------------------- profile


def test_update_profile_saves_name_and_language(ctx: Flask, make_user: Callable[..., User]) -> None:
    user = make_user(locale="vi")
    with db.transaction():
        services.update_profile(user, "  Trần Thị Bích  ", "en")
    stored = reload(user)
    assert (stored.name, stored.locale) == ("Trần Thị Bích", "en")


def test_the_database_only_accepts_known_languages(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user()
    user.locale = "fr"
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


# ------------------------------------------------------------------ admin


def test_users_query_searches_name_and_email_case_insensitively(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    an = make_user(name="Nguyễn Văn An", email="an@biic.test")
    binh = make_user(Role.MENTOR, name="Trần Bình", email="tran.binh@smic.test")
    admin = make_user(Role.ADMIN, name="Quản trị", email="root@example.test")

    def found(search: str = "", role: str = "") -> set[int]:
        return {u.id for u in db.session.scalars(services.users_query(search, role))}

    assert found() == {an.id, binh.id, admin.id}
    assert found("nguyễn") == {an.id}
    assert found("BÌNH") == {binh.id}
    assert found("SMIC.test") == {binh.id}
    assert found("@") == {an.id, binh.id, admin.id}
    assert found("nobody-like-this") == set()
    assert found(role="mentor") == {binh.id}
    assert found(role="admin") == {admin.id}
    assert found(role="founder") == {an.id}
    assert found("an", role="mentor") == {binh.id}  # "Trần Bình"
    assert found(role="superuser") == {an.id, binh.id, admin.id}  # unknown role ignored


def test_users_search_matches_vietnamese_capitals(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    dang = make_user(name="Đặng Thị Ánh", email="anh@example.test")
    make_user(name="Lê Văn Tám", email="tam@example.test")
    found = {u.id for u in db.session.scalars(services.users_query("Đặng"))}
    assert found == {dang.id}


def test_users_search_treats_like_wildcards_literally(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    underscore = make_user(name="A", email="le_van@example.test")
    make_user(name="B", email="lexvan@example.test")
    assert {u.id for u in db.session.scalars(services.users_query("le_van"))} == {underscore.id}
    assert list(db.session.scalars(services.users_query("%"))) == []


def test_administered_user_raises_not_found(ctx: Flask, make_user: Any) -> None:
    with pytest.raises(NotFound):
        services.administered_user(make_user(Role.ADMIN), 987654)


def test_only_admins_manage_roles_and_accounts(ctx: Flask, make_user: Callable[..., User]) -> None:
    manager = make_user(Role.MANAGER, center="BIIC")
    target = make_user(Role.FOUNDER)
    with pytest.raises(Forbidden), db.transaction():
        services.grant_role(manager, target, Role.MENTOR)
    with pytest.raises(Forbidden), db.transaction():
        services.revoke_role(manager, target, Role.FOUNDER)
    with pytest.raises(Forbidden), db.transaction():
        services.set_active(manager, target, False)
    with pytest.raises(Forbidden), db.transaction():
        services.invite_user(manager, "new@example.test", "New", Role.MENTOR)
    stored = reload(target)
    assert stored.roles == {Role.FOUNDER}
    assert stored.active is True
    assert services.find_user_by_email("new@example.test") is None


def test_grant_role_adds_it_once(ctx: Flask, make_user: Callable[..., User]) -> None:
    admin = make_user(Role.ADMIN)
    user = make_user(Role.FOUNDER)
    with db.transaction():
        services.grant_role(admin, user, Role.MENTOR)
    with db.transaction():
        services.grant_role(admin, user, Role.MENTOR)
    assert reload(user).roles == {Role.FOUNDER, Role.MENTOR}
    assert count(RoleGrant, RoleGrant.user_id == user.id) == 2
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "role.granted"))
    assert (entry.actor_id, entry.object_id, entry.details["role"]) == (admin.id, user.id, "mentor")


def test_a_center_given_with_another_role_is_ignored(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    admin = make_user(Role.ADMIN)
    user = make_user(Role.FOUNDER)
    with db.transaction():
        services.grant_role(admin, user, Role.JUDGE, center_id(ctx, "BIIC"))
    grant = next(g for g in reload(user).grants if g.role is Role.JUDGE)
    assert grant.center_id is None


@pytest.mark.parametrize("center", [None, 987654])
def test_manager_role_requires_an_existing_center(
    ctx: Flask, make_user: Callable[..., User], center: int | None
) -> None:
    admin = make_user(Role.ADMIN)
    user = make_user(Role.MENTOR)
    with pytest.raises(DomainError) as refused, db.transaction():
        services.grant_role(admin, user, Role.MANAGER, center)
    assert refused.value.field == "center_id"
    assert reload(user).roles == {Role.MENTOR}


def test_a_manager_manages_exactly_one_center(ctx: Flask, make_user: Callable[..., User]) -> None:
    admin = make_user(Role.ADMIN)
    user = make_user(Role.MENTOR)
    biic, smic = center_id(ctx, "BIIC"), center_id(ctx, "SMIC")
    with db.transaction():
        services.grant_role(admin, user, Role.MANAGER, biic)
    stored = reload(user)
    assert stored.managed_center_id == biic
    assert stored.manages(biic) and not stored.manages(smic)

    with db.transaction():  # the same center again changes nothing
        services.grant_role(admin, user, Role.MANAGER, biic)
    with pytest.raises(DomainError) as refused, db.transaction():
        services.grant_role(admin, user, Role.MANAGER, smic)
    assert refused.value.field == "role"
    assert [(g.role, g.center_id) for g in reload(user).grants if g.role is Role.MANAGER] == [
        (Role.MANAGER, biic)
    ]

    # after revoking, the other center can be given
    with db.transaction():
        services.revoke_role(admin, user, Role.MANAGER)
    with db.transaction():
        services.grant_role(admin, user, Role.MANAGER, smic)
    assert reload(user).managed_center_id == smic


def test_an_admin_manages_every_center(ctx: Flask, make_user: Callable[..., User]) -> None:
    admin = make_user(Role.ADMIN)
    assert admin.manages(center_id(ctx, "BIIC")) and admin.manages(center_id(ctx, "SMIC"))


@pytest.mark.parametrize(
    ("role", "center"),
    [
        ("manager", None),  # a manager without a center
        ("mentor", "BIIC"),  # another role with a center
    ],
)
def test_the_database_enforces_manager_centers(
    ctx: Flask, make_user: Callable[..., User], role: str, center: str | None
) -> None:
    user = make_user(Role.FOUNDER)
    db.session.add(
        RoleGrant(
            user_id=user.id, role=Role(role), center_id=center_id(ctx, center) if center else None
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_database_allows_one_manager_grant_per_user(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.MANAGER, center="BIIC")
    insert = RoleGrant.__table__.insert().values(
        user_id=user.id, role=Role.MANAGER, center_id=center_id(ctx, "SMIC")
    )
    with pytest.raises(IntegrityError):
        db.session.execute(insert)
    db.session.rollback()


def test_revoke_role(ctx: Flask, make_user: Callable[..., User]) -> None:
    admin = make_user(Role.ADMIN, Role.MENTOR)
    other_admin = make_user(Role.ADMIN, Role.JUDGE)
    with db.transaction():
        services.revoke_role(admin, other_admin, Role.ADMIN)
    assert reload(other_admin).roles == {Role.JUDGE}
    with db.transaction():  # an admin may drop their other roles
        services.revoke_role(admin, admin, Role.MENTOR)
    assert reload(admin).roles == {Role.ADMIN}
    with pytest.raises(DomainError), db.transaction():
        services.revoke_role(admin, other_admin, Role.MANAGER)  # not held
    assert count(AuditEntry, AuditEntry.action == "role.revoked") == 2


def test_an_admin_cannot_remove_their_own_admin_role(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    admin = make_user(Role.ADMIN)
    with pytest.raises(DomainError), db.transaction():
        services.revoke_role(admin, admin, Role.ADMIN)
    assert reload(admin).is_admin


def test_an_admin_cannot_deactivate_themselves(ctx: Flask, make_user: Callable[..., User]) -> None:
    admin = make_user(Role.ADMIN)
    with pytest.raises(DomainError), db.transaction():
        services.set_active(admin, admin, False)
    assert reload(admin).active is True


def test_deactivate_keeps_the_data_and_blocks_login_until_reactivated(
    ctx: Flask, make_user: Callable[..., User], make_startup: Callable[..., Any]
) -> None:
    from incubator.startups.models import StartupMember

    admin = make_user(Role.ADMIN)
    user = make_user(Role.FOUNDER, Role.MENTOR, email="leaver@example.test")
    make_startup(founder=user)
    with db.transaction():
        services.set_active(admin, user, False)

    stored = reload(user)
    assert stored.active is False and stored.is_active is False
    assert stored.roles == {Role.FOUNDER, Role.MENTOR}
    assert count(StartupMember, StartupMember.user_id == user.id) == 1
    assert count(User, User.id == user.id) == 1
    with db.transaction():
        assert services.login("leaver@example.test", PASSWORD, IP) is None

    with db.transaction():
        services.set_active(admin, user, True)
    with db.transaction():
        assert services.login("leaver@example.test", PASSWORD, IP).user.id == user.id
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"user.deactivated", "user.activated"} <= actions


def test_inviting_a_new_person_creates_an_account_and_emails_a_link(
    ctx: Flask, outbox: MemoryTransport, make_user: Callable[..., User]
) -> None:
    admin = make_user(Role.ADMIN)
    with db.transaction():
        invited = services.invite_user(admin, " Mentor@Example.TEST ", "Phạm Minh", Role.MENTOR)
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
        assert services.login("mentor@example.test", "anything-at-all", IP) is None
    with db.transaction():
        services.redeem_token(raw, TokenPurpose.INVITE, "my-mentor-pass")
    with db.transaction():
        assert services.login("mentor@example.test", "my-mentor-pass", IP).user.id == invited.id
    with pytest.raises(DomainError), db.transaction():
        services.redeem_token(raw, TokenPurpose.INVITE, "my-mentor-pass-2")


def test_inviting_an_existing_user_only_adds_the_role(
    ctx: Flask, outbox: MemoryTransport, make_user: Callable[..., User]
) -> None:
    admin = make_user(Role.ADMIN)
    user = make_user(Role.FOUNDER, email="known@example.test", locale="en")
    old_hash = user.password_hash
    # first the admin is told the account exists, and nothing changes
    with pytest.raises(services.AccountExists) as exists, db.transaction():
        services.invite_user(admin, "KNOWN@example.test", "Ignored", Role.JUDGE)
    assert exists.value.user.id == user.id
    assert exists.value.message.startswith("known@example.test")
    assert reload(user).roles == {Role.FOUNDER}
    assert count(OutboxMessage) == 0
    # then, confirmed, the role is added
    with db.transaction():
        invited = services.invite_user(
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
        services.invite_user(admin, "boss@example.test", "Boss", Role.MANAGER)
    assert refused.value.field == "center_id"
    assert services.find_user_by_email("boss@example.test") is None
    assert count(AccountToken) == 0
    assert count(OutboxMessage) == 0
    assert outbox.sent == []

    smic = center_id(ctx, "SMIC")
    with db.transaction():
        boss = services.invite_user(admin, "boss@example.test", "Boss", Role.MANAGER, smic)
    assert reload(boss).managed_center_id == smic
    assert len(outbox.sent) == 1


def test_counters_of_long_ended_windows_are_deleted_after_a_new_window_starts(
    ctx: Flask,
) -> None:
    from incubator.accounts.throttle import window_start

    window = timedelta(minutes=15)
    db.session.add(
        ThrottleCounter(
            scope="login-ip",
            key="198.51.100.250",
            window_start=window_start(utcnow() - timedelta(days=3), window),
            count=3,
        )
    )
    db.session.commit()
    with db.transaction():
        assert services.login("nobody@example.test", "guess-guess", IP) is None
    keys = set(db.session.scalars(select(ThrottleCounter.key)))
    assert "198.51.100.250" not in keys
    assert IP in keys
