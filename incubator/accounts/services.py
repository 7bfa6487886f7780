"""Accounts: registration, login, passwords, invitations and roles."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from incubator import audit
from incubator.accounts.models import (
    AccountToken,
    LoginFailure,
    MentorCenter,
    Role,
    RoleGrant,
    TokenPurpose,
    User,
)
from incubator.centers.models import Center
from incubator.db import contains_text, db, utcnow
from incubator.enums import parse_enum
from incubator.errors import DomainError, Forbidden, NotFound, TooManyAttempts
from incubator.mail import queue_email


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def check_password_strength(password: str, field: str = "password") -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise DomainError(
            _("The password must have at least %(n)d characters.", n=minimum), field=field
        )
    if password.isdigit() or len(set(password)) < 4:
        raise DomainError(_("This password is too easy to guess."), field=field)


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def _new_user(email: str, name: str, locale: str = "vi", password: str | None = None) -> User:
    if find_user_by_email(email) is not None:
        raise DomainError(_("An account with this email already exists."), field="email")
    user = User(
        email=normalise_email(email),
        name=name.strip(),
        locale=locale,
        password_hash=hash_password(password) if password else None,
    )
    db.session.add(user)
    return user


def register_founder(email: str, name: str, password: str, locale: str) -> User:
    check_password_strength(password)
    user = _new_user(email, name, locale, password)
    user.grants.append(RoleGrant(role=Role.FOUNDER))
    audit.record(user, "user.registered", user)
    queue_email(user, "welcome")
    return user


# ------------------------------------------------------------------ login


def _failures_since(column: Any, value: str) -> int:
    window = timedelta(minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"])
    return db.session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(column == value, LoginFailure.at > utcnow() - window)
    )


def login(email: str, password: str, ip: str) -> User | None:
    """The user if the password is right; otherwise None, and the failure is counted.

    Raises TooManyAttempts once an address or an email has failed too often.
    """
    email = normalise_email(email)
    config = current_app.config
    if (
        _failures_since(LoginFailure.email, email) >= config["LOGIN_MAX_FAILURES"]
        or _failures_since(LoginFailure.ip, ip) >= config["LOGIN_MAX_FAILURES_PER_IP"]
    ):
        raise TooManyAttempts(
            _("Too many failed attempts. Please wait a few minutes and try again.")
        )
    user = find_user_by_email(email)
    if (
        user is None
        or not user.active
        or user.password_hash is None
        or not check_password_hash(user.password_hash, password)
    ):
        db.session.add(LoginFailure(email=email, ip=ip))
        return None
    user.last_login_at = utcnow()
    return user


# -------------------------------------------------------------- passwords


def change_password(user: User, current: str, new: str) -> None:
    if user.password_hash is None or not check_password_hash(user.password_hash, current):
        raise DomainError(_("The current password is not right."), field="current_password")
    check_password_strength(new, field="new_password")
    user.password_hash = hash_password(new)
    audit.record(user, "user.password_changed", user)


def _issue_token(user: User, purpose: TokenPurpose, valid_for: timedelta) -> str:
    raw = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_token_hash(raw),
            expires_at=utcnow() + valid_for,
        )
    )
    return raw


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def request_password_reset(email: str) -> None:
    """Email a reset link if the account exists; say nothing either way (no account probing)."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    raw = _issue_token(user, TokenPurpose.RESET, timedelta(hours=hours))
    queue_email(user, "password_reset", token=raw, hours=hours)


def valid_token(raw: str, purpose: TokenPurpose) -> AccountToken:
    token = db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == _token_hash(raw), AccountToken.purpose == purpose
        )
    )
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        raise DomainError(_("This link is invalid, expired or was already used."))
    if not token.user.active:
        raise DomainError(_("This account is deactivated."))
    return token


def redeem_token(raw: str, purpose: TokenPurpose, password: str) -> User:
    """Set the password through an emailed link; the link works once."""
    token = valid_token(raw, purpose)
    check_password_strength(password)
    token.used_at = utcnow()
    user = token.user
    user.password_hash = hash_password(password)
    audit.record(user, f"user.{purpose.value}_redeemed", user)
    return user


def update_profile(user: User, name: str, locale: str) -> None:
    user.name = name.strip()
    user.locale = locale


# ------------------------------------------------------------------ admin


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden(_("Only administrators can manage users."))


def users_query(search: str = "", role: str = "") -> Select[Any]:
    statement = select(User)
    if search:
        statement = statement.where(
            or_(contains_text(User.email, search), contains_text(User.name, search))
        )
    if parsed_role := parse_enum(Role, role):
        statement = statement.where(User.grants.any(RoleGrant.role == parsed_role))
    return statement


def administered_user(actor: User, user_id: int) -> User:
    """Any user, for an administrator."""
    _require_admin(actor)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user")
    return user


def _center(center_id: int | None) -> Center | None:
    return db.session.get(Center, center_id) if center_id else None


def grant_role(actor: User | None, user: User, role: Role, center_id: int | None = None) -> None:
    """Give `user` the role; a manager role needs the center they will manage.

    `actor` None is the system itself (the command line, a user accepting a team
    invitation); every page passes the acting user, who must be an admin.
    """
    if actor is not None:
        _require_admin(actor)
    center = _center(center_id)
    if role is Role.MANAGER and center is None:
        raise DomainError(_("Choose the center this manager runs."), field="center_id")
    existing = next((g for g in user.grants if g.role is role), None)
    if existing is not None:
        if role is Role.MANAGER and existing.center_id != center.id:
            raise DomainError(
                _("This user already manages another center; revoke that role first."),
                field="role",
            )
        return
    user.grants.append(
        RoleGrant(role=role, center_id=center.id if role is Role.MANAGER and center else None)
    )
    db.session.flush()
    audit.record(actor, "role.granted", user, role=role.value, center=center_id)


def revoke_role(actor: User, user: User, role: Role) -> None:
    _require_admin(actor)
    if user.id == actor.id and role is Role.ADMIN:
        raise DomainError(_("You cannot remove your own administrator role."))
    grant = next((g for g in user.grants if g.role is role), None)
    if grant is None:
        raise DomainError(_("This user does not have that role."))
    user.grants.remove(grant)
    audit.record(actor, "role.revoked", user, role=role.value)


def set_active(actor: User, user: User, active: bool) -> None:
    _require_admin(actor)
    if user.id == actor.id and not active:
        raise DomainError(_("You cannot deactivate your own account."))
    user.active = active
    audit.record(actor, "user.activated" if active else "user.deactivated", user)


def _invited_account(
    email: str, name: str, role: Role, center_id: int | None, **context: Any
) -> User:
    """A new account with one role and an emailed link to choose a password."""
    user = _new_user(email, name, "vi")
    db.session.flush()
    user.grants.append(RoleGrant(role=role, center_id=center_id if role is Role.MANAGER else None))
    days = current_app.config["INVITATION_DAYS"]
    raw = _issue_token(user, TokenPurpose.INVITE, timedelta(days=days))
    queue_email(user, "invitation", token=raw, role=role, days=days, **context)
    return user


def invite_user(
    actor: User, email: str, name: str, role: Role, center_id: int | None = None
) -> User:
    """Admins: give an existing user the role, or create the account and email a link."""
    _require_admin(actor)
    user = find_user_by_email(email)
    if user is None:
        if role is Role.MANAGER and _center(center_id) is None:
            raise DomainError(_("Choose the center this manager runs."), field="center_id")
        user = _invited_account(email, name, role, center_id)
        audit.record(actor, "role.granted", user, role=role.value, center=center_id)
    else:
        held = next((g for g in user.grants if g.role is role), None)
        if held and (role is not Role.MANAGER or held.center_id == center_id):
            raise DomainError(_("This person already has this role."), field="role")
        grant_role(actor, user, role, center_id)
        queue_email(user, "role_granted", role=role)
    audit.record(actor, "user.invited", user, role=role.value)
    return user


def invited_founder(email: str, name: str, **context: Any) -> User:
    """A co-founder's new account, for a team invitation (the founder role only)."""
    return _invited_account(email, name, Role.FOUNDER, None, **context)


def create_user(email: str, name: str, password: str, role: Role, center_code: str | None) -> User:
    """For the `create-user` command."""
    center_id = None
    if center_code:
        center = db.session.scalar(select(Center).where(Center.code == center_code.upper()))
        if center is None:
            raise DomainError(_("No center with the code %(code)s.", code=center_code))
        center_id = center.id
    check_password_strength(password)
    user = _new_user(email, name or email.split("@")[0], "vi", password)
    db.session.flush()
    grant_role(None, user, role, center_id)
    return user


# ------------------------------------------------------------- mentor centers


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
