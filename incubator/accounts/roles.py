"""Roles and profiles: the administrator's users, roles granted and revoked, mentors' centers."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, or_, select

from incubator import audit
from incubator.accounts.models import MentorCenter, Role, RoleGrant, User
from incubator.centers.models import Center
from incubator.db import contains_text, db
from incubator.enums import parse_enum
from incubator.errors import DomainError, Forbidden, NotFound


def update_profile(user: User, name: str, locale: str) -> None:
    user.name = name.strip()
    user.locale = locale


def require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden(_("Only administrators can manage users."))


def users_query(search: str = "", role: str = "") -> Select[Any]:
    statement = select(User)
    if search:
        statement = users_matching(statement, search)
    if parsed_role := parse_enum(Role, role):
        statement = users_with_role(statement, parsed_role)
    return statement


def users_matching(statement: Select[Any], search: str) -> Select[Any]:
    """Users whose name or email contains `search`."""
    return statement.where(or_(contains_text(User.email, search), contains_text(User.name, search)))


def users_with_role(statement: Select[Any], role: Role) -> Select[Any]:
    return statement.where(User.grants.any(RoleGrant.role == role))


def administered_user(actor: User, user_id: int) -> User:
    """Any user, for an administrator."""
    require_admin(actor)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user")
    return user


def optional_center(center_id: int | None) -> Center | None:
    return db.session.get(Center, center_id) if center_id else None


def held(user: User, role: Role, center: Center | None) -> bool:
    """Whether the user has the role already; refused for a manager of another center."""
    existing = next((g for g in user.grants if g.role is role), None)
    if (
        existing is not None
        and role is Role.MANAGER
        and (center is None or existing.center_id != center.id)
    ):
        raise DomainError(
            _("This user already manages another center; revoke that role first."),
            field="role",
        )
    return existing is not None


def grant_role(actor: User | None, user: User, role: Role, center_id: int | None = None) -> None:
    """Give `user` the role; a manager role needs the center they will manage.

    `actor` None is the system itself (the command line, a user accepting a team
    invitation); every page passes the acting user, who must be an admin.
    """
    if actor is not None:
        require_admin(actor)
    center = optional_center(center_id)
    if role is Role.MANAGER and center is None:
        raise DomainError(_("Choose the center this manager runs."), field="center_id")
    if held(user, role, center):
        return
    user.grants.append(
        RoleGrant(role=role, center_id=center.id if role is Role.MANAGER and center else None)
    )
    db.session.flush()
    audit.record(actor, "role.granted", user, role=role.value, center=center_id)


def revoke_role(actor: User, user: User, role: Role) -> None:
    require_admin(actor)
    if user.id == actor.id and role is Role.ADMIN:
        raise DomainError(_("You cannot remove your own administrator role."))
    grant = next((g for g in user.grants if g.role is role), None)
    if grant is None:
        raise DomainError(_("This user does not have that role."))
    user.grants.remove(grant)
    audit.record(actor, "role.revoked", user, role=role.value)


def set_active(actor: User, user: User, active: bool) -> None:
    require_admin(actor)
    if user.id == actor.id and not active:
        raise DomainError(_("You cannot deactivate your own account."))
    user.active = active
    audit.record(actor, "user.activated" if active else "user.deactivated", user)


def mentor_center_ids(user: User) -> set[int]:
    """The centers a mentor serves."""
    return set(
        db.session.scalars(select(MentorCenter.center_id).where(MentorCenter.user_id == user.id))
    )


def serving_mentors(center_id: int) -> Select[Any]:
    """Active mentors who serve the center, by name."""
    return (
        select(User)
        .join(MentorCenter, MentorCenter.user_id == User.id)
        .where(
            MentorCenter.center_id == center_id,
            User.active.is_(True),
            User.grants.any(RoleGrant.role == Role.MENTOR),
        )
        .order_by(User.name)
    )


def set_mentor_centers(user: User, center_ids: set[int]) -> None:
    """Replace the centers the mentor serves (the caller checks who may do this)."""
    if not center_ids:
        raise DomainError(_("Choose at least one center."), field="center_ids")
    known = set(db.session.scalars(select(Center.id).where(Center.id.in_(center_ids))))
    if known != center_ids:
        raise DomainError(_("Not a valid choice."), field="center_ids")
    current = {
        link.center_id: link
        for link in db.session.scalars(select(MentorCenter).where(MentorCenter.user_id == user.id))
    }
    for center_id in center_ids - current.keys():
        db.session.add(MentorCenter(user_id=user.id, center_id=center_id))
    for center_id in current.keys() - center_ids:
        db.session.delete(current[center_id])
    db.session.flush()
