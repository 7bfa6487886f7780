"""Roles and profiles without HTTP: the profile, the administrator's users and roles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from incubator.accounts import common, registration, roles, sessions
from incubator.accounts.models import Role, RoleGrant, User
from incubator.audit import AuditEntry
from incubator.db import db
from incubator.errors import DomainError, Forbidden, NotFound
from tests.accounts.fixtures import PASSWORD
from tests.accounts.helpers import IP, count, reload
from tests.centers.fixtures import center_id


def test_update_profile_saves_name_and_language(ctx: Flask, make_user: Callable[..., User]) -> None:
    user = make_user(locale="vi")
    with db.transaction():
        roles.update_profile(user, "  Trần Thị Bích  ", "en")
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
        return {u.id for u in db.session.scalars(roles.users_query(search, role))}

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
    found = {u.id for u in db.session.scalars(roles.users_query("Đặng"))}
    assert found == {dang.id}


def test_users_search_treats_like_wildcards_literally(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    underscore = make_user(name="A", email="le_van@example.test")
    make_user(name="B", email="lexvan@example.test")
    assert {u.id for u in db.session.scalars(roles.users_query("le_van"))} == {underscore.id}
    assert list(db.session.scalars(roles.users_query("%"))) == []


def test_administered_user_raises_not_found(ctx: Flask, make_user: Any) -> None:
    with pytest.raises(NotFound):
        roles.administered_user(make_user(Role.ADMIN), 987654)


def test_only_admins_manage_roles_and_accounts(ctx: Flask, make_user: Callable[..., User]) -> None:
    manager = make_user(Role.MANAGER, center="BIIC")
    target = make_user(Role.FOUNDER)
    with pytest.raises(Forbidden), db.transaction():
        roles.grant_role(manager, target, Role.MENTOR)
    with pytest.raises(Forbidden), db.transaction():
        roles.revoke_role(manager, target, Role.FOUNDER)
    with pytest.raises(Forbidden), db.transaction():
        roles.set_active(manager, target, False)
    with pytest.raises(Forbidden), db.transaction():
        registration.invite_user(manager, "new@example.test", "New", Role.MENTOR)
    stored = reload(target)
    assert stored.roles == {Role.FOUNDER}
    assert stored.active is True
    assert common.find_user_by_email("new@example.test") is None


def test_grant_role_adds_it_once(ctx: Flask, make_user: Callable[..., User]) -> None:
    admin = make_user(Role.ADMIN)
    user = make_user(Role.FOUNDER)
    with db.transaction():
        roles.grant_role(admin, user, Role.MENTOR)
    with db.transaction():
        roles.grant_role(admin, user, Role.MENTOR)
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
        roles.grant_role(admin, user, Role.JUDGE, center_id(ctx, "BIIC"))
    grant = next(g for g in reload(user).grants if g.role is Role.JUDGE)
    assert grant.center_id is None


@pytest.mark.parametrize("center", [None, 987654])
def test_manager_role_requires_an_existing_center(
    ctx: Flask, make_user: Callable[..., User], center: int | None
) -> None:
    admin = make_user(Role.ADMIN)
    user = make_user(Role.MENTOR)
    with pytest.raises(DomainError) as refused, db.transaction():
        roles.grant_role(admin, user, Role.MANAGER, center)
    assert refused.value.field == "center_id"
    assert reload(user).roles == {Role.MENTOR}


def test_a_manager_manages_exactly_one_center(ctx: Flask, make_user: Callable[..., User]) -> None:
    admin = make_user(Role.ADMIN)
    user = make_user(Role.MENTOR)
    biic, smic = center_id(ctx, "BIIC"), center_id(ctx, "SMIC")
    with db.transaction():
        roles.grant_role(admin, user, Role.MANAGER, biic)
    stored = reload(user)
    assert stored.managed_center_id == biic
    assert stored.manages(biic) and not stored.manages(smic)

    with db.transaction():  # the same center again changes nothing
        roles.grant_role(admin, user, Role.MANAGER, biic)
    with pytest.raises(DomainError) as refused, db.transaction():
        roles.grant_role(admin, user, Role.MANAGER, smic)
    assert refused.value.field == "role"
    assert [(g.role, g.center_id) for g in reload(user).grants if g.role is Role.MANAGER] == [
        (Role.MANAGER, biic)
    ]

    # after revoking, the other center can be given
    with db.transaction():
        roles.revoke_role(admin, user, Role.MANAGER)
    with db.transaction():
        roles.grant_role(admin, user, Role.MANAGER, smic)
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
        roles.revoke_role(admin, other_admin, Role.ADMIN)
    assert reload(other_admin).roles == {Role.JUDGE}
    with db.transaction():  # an admin may drop their other roles
        roles.revoke_role(admin, admin, Role.MENTOR)
    assert reload(admin).roles == {Role.ADMIN}
    with pytest.raises(DomainError), db.transaction():
        roles.revoke_role(admin, other_admin, Role.MANAGER)  # not held
    assert count(AuditEntry, AuditEntry.action == "role.revoked") == 2


def test_an_admin_cannot_remove_their_own_admin_role(
    ctx: Flask, make_user: Callable[..., User]
) -> None:
    admin = make_user(Role.ADMIN)
    with pytest.raises(DomainError), db.transaction():
        roles.revoke_role(admin, admin, Role.ADMIN)
    assert reload(admin).is_admin


def test_an_admin_cannot_deactivate_themselves(ctx: Flask, make_user: Callable[..., User]) -> None:
    admin = make_user(Role.ADMIN)
    with pytest.raises(DomainError), db.transaction():
        roles.set_active(admin, admin, False)
    assert reload(admin).active is True


def test_deactivate_keeps_the_data_and_blocks_login_until_reactivated(
    ctx: Flask, make_user: Callable[..., User], make_startup: Callable[..., Any]
) -> None:
    from incubator.startups.models import StartupMember

    admin = make_user(Role.ADMIN)
    user = make_user(Role.FOUNDER, Role.MENTOR, email="leaver@example.test")
    make_startup(founder=user)
    with db.transaction():
        roles.set_active(admin, user, False)

    stored = reload(user)
    assert stored.active is False and stored.is_active is False
    assert stored.roles == {Role.FOUNDER, Role.MENTOR}
    assert count(StartupMember, StartupMember.user_id == user.id) == 1
    assert count(User, User.id == user.id) == 1
    with db.transaction():
        assert sessions.login("leaver@example.test", PASSWORD, IP) is None

    with db.transaction():
        roles.set_active(admin, user, True)
    with db.transaction():
        assert sessions.login("leaver@example.test", PASSWORD, IP).user.id == user.id
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"user.deactivated", "user.activated"} <= actions
