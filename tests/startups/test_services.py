from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from incubator.accounts.models import Role, User
from incubator.accounts.services import find_user_by_email
from incubator.applications.stages import Stage
from incubator.db import db
from incubator.errors import DomainError, NotFound
from incubator.startups import services
from incubator.startups.models import Sector
from incubator.startups.services import StartupData


def data(**changes: Any) -> StartupData:
    values = {
        "name": "Nông Trại Số",
        "sector": Sector.AGRITECH,
        "description": "Tưới tiêu thông minh",
        "founded_on": date(2023, 3, 15),
        "website": "https://nongtraiso.vn",
        "trl": 6,
        "team_size": 4,
    }
    values.update(changes)
    return StartupData(**values)


def test_a_founder_creates_a_startup_and_is_its_first_member(ctx: Any, make_user: Any) -> None:
    founder = make_user(Role.FOUNDER)
    startup = services.create_startup(founder, data(), "CEO")
    db.session.commit()
    assert [(m.user_id, m.title) for m in startup.members] == [(founder.id, "CEO")]
    assert services.startups_of(founder) == [startup]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"trl": 10}, "trl"),
        ({"team_size": 0}, "team_size"),
        ({"founded_on": date.today() + timedelta(days=2)}, "founded_on"),
    ],
)
def test_invalid_profiles_are_refused(ctx: Any, make_user: Any, changes: dict, field: str) -> None:
    with pytest.raises(DomainError) as error:
        services.create_startup(make_user(Role.FOUNDER), data(**changes))
    assert error.value.field == field


def test_only_founders_create_startups(ctx: Any, make_user: Any) -> None:
    with pytest.raises(DomainError):
        services.create_startup(make_user(Role.MENTOR), data())


def test_every_member_edits_and_nobody_else(ctx: Any, make_startup: Any, make_user: Any) -> None:
    startup = make_startup()
    member = db.session.get(User, startup.members[0].user_id)
    services.update_startup(member, startup, data(name="Tên mới"))
    assert startup.name == "Tên mới"
    with pytest.raises(NotFound):
        services.update_startup(make_user(Role.FOUNDER), startup, data(name="Chiếm quyền"))
    with pytest.raises(NotFound):
        services.member_startup(make_user(Role.FOUNDER), startup.id)


def test_inviting_a_new_cofounder_creates_an_account_with_a_link(
    ctx: Any, make_startup: Any, outbox: Any
) -> None:
    startup = make_startup()
    member = db.session.get(User, startup.members[0].user_id)
    with db.transaction():
        services.invite_member(member, startup, "Co.Founder@Example.test", "Trần Bình", "CTO")
    invited = find_user_by_email("co.founder@example.test")
    assert invited is not None and invited.password_hash is None
    assert invited.roles == {Role.FOUNDER}
    assert not startup.has_member(invited)  # a member only once they accept
    (email,) = [m for m in outbox.sent if m["to"] == "co.founder@example.test"]
    assert "/invitation/" in email["body"] and startup.name in email["body"]
    (invitation,) = services.open_invitations(user=invited)
    services.answer_invitation(invited, invitation.id, accept=True)
    assert startup.has_member(invited)
    assert [m.title for m in startup.members if m.user_id == invited.id] == ["CTO"]


def test_an_existing_user_is_asked_and_nothing_changes_until_they_accept(
    ctx: Any, make_startup: Any, make_user: Any, outbox: Any
) -> None:
    startup = make_startup()
    member = db.session.get(User, startup.members[0].user_id)
    manager = make_user(Role.MANAGER, center="SMIC")
    with db.transaction():
        services.invite_member(member, startup, manager.email, "", "Cố vấn kỹ thuật")
    assert manager.roles == {Role.MANAGER}  # no role is granted by a founder
    assert not startup.has_member(manager)
    assert [m["to"] for m in outbox.sent] == [manager.email]
    with pytest.raises(DomainError) as error:
        services.invite_member(member, startup, manager.email, "", "")
    assert error.value.field == "email"
    (invitation,) = services.open_invitations(user=manager)
    stranger = make_user(Role.FOUNDER)
    with pytest.raises(NotFound):
        services.answer_invitation(stranger, invitation.id, accept=True)
    services.answer_invitation(manager, invitation.id, accept=False)
    assert not startup.has_member(manager) and manager.roles == {Role.MANAGER}
    with pytest.raises(DomainError):
        services.answer_invitation(manager, invitation.id, accept=True)
    assert services.open_invitations(user=manager) == []


def test_accepting_makes_a_mentor_a_founder_too(
    ctx: Any, make_startup: Any, make_user: Any
) -> None:
    startup = make_startup()
    member = db.session.get(User, startup.members[0].user_id)
    mentor = make_user(Role.MENTOR)
    invitation = services.invite_member(member, startup, mentor.email, "", "CTO")
    services.answer_invitation(mentor, invitation.id, accept=True)
    assert mentor.roles == {Role.MENTOR, Role.FOUNDER} and startup.has_member(mentor)
    with pytest.raises(DomainError):
        services.invite_member(member, startup, mentor.email, "", "")


def test_a_startup_keeps_at_least_one_member(ctx: Any, make_startup: Any, make_user: Any) -> None:
    startup = make_startup()
    member = db.session.get(User, startup.members[0].user_id)
    with pytest.raises(DomainError):
        services.remove_member(member, startup, member.id)
    other = make_user(Role.FOUNDER)
    invitation = services.invite_member(member, startup, other.email, "", "")
    services.answer_invitation(other, invitation.id, accept=True)
    services.remove_member(member, startup, other.id)
    assert not startup.has_member(other)


def test_managers_see_startups_that_applied_to_their_center(
    ctx: Any, make_application: Any, make_user: Any, manager_of: Any
) -> None:
    draft = make_application(Stage.DRAFT)
    submitted = make_application(Stage.SUBMITTED)
    biic = manager_of("BIIC")
    smic = make_user(Role.MANAGER, center="SMIC")
    assert services.may_view_startup(biic, submitted.startup)
    assert not services.may_view_startup(
        biic, draft.startup
    )  # a draft is the founders' own business
    assert not services.may_view_startup(smic, submitted.startup)
    assert services.may_view_startup(make_user(Role.ADMIN), draft.startup)
    assert not services.may_view_startup(make_user(Role.FOUNDER), submitted.startup)
