"""Registration and invitations: founders register and confirm, admins invite, `create-user`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from incubator import audit
from incubator.accounts import throttle
from incubator.accounts.common import find_user_by_email, normalise_email
from incubator.accounts.links import issue_token, use_token, valid_token
from incubator.accounts.models import Role, RoleGrant, TokenPurpose, User
from incubator.accounts.passwords import check_password_strength, hash_password
from incubator.accounts.roles import grant_role, held, optional_center, require_admin
from incubator.centers.models import Center
from incubator.db import add_unique, db, utcnow
from incubator.errors import DomainError
from incubator.mail import queue_email


def _new_user(email: str, name: str, locale: str = "vi", password: str | None = None) -> User:
    if find_user_by_email(email) is not None:
        raise DomainError(_("An account with this email already exists."), field="email")
    user = User(
        email=normalise_email(email),
        name=name.strip(),
        locale=locale,
        password_hash=hash_password(password) if password else None,
    )
    add_unique(user, DomainError(_("An account with this email already exists."), field="email"))
    return user


def register_founder(
    email: str, name: str, password: str, locale: str, ip: str = ""
) -> User | None:
    """A new founder account, unconfirmed until the emailed link is opened.

    For an email that already has an account nothing is created and its owner is
    told by email; the caller answers both cases the same way, so the page never
    tells whether an address is registered. The password is hashed either way.
    """
    check_password_strength(password)
    hashed = hash_password(password)
    email = normalise_email(email)
    existing = find_user_by_email(email)
    if existing is None:
        user = User(email=email, name=name.strip(), locale=locale, password_hash=hashed)
        user.grants.append(RoleGrant(role=Role.FOUNDER))
        if not add_unique(user):  # registered by a request at the same moment
            existing = find_user_by_email(email)
        else:
            audit.record(user, "user.registered", user)
            days = current_app.config["CONFIRM_DAYS"]
            raw = issue_token(user, TokenPurpose.CONFIRM, timedelta(days=days))
            queue_email(user, "welcome", token=raw, days=days)
            return user
    if existing is not None and _may_email(existing):
        queue_email(existing, "account_exists")
    return None


def _may_email(user: User) -> bool:
    """At most a few account emails (confirmation, "someone tried to register") an hour."""
    return throttle.take(
        "account-email",
        str(user.id),
        current_app.config["ACCOUNT_EMAILS_PER_HOUR"],
        timedelta(hours=1),
    )


def resend_confirmation(user: User) -> None:
    if user.email_confirmed:
        raise DomainError(_("Your email address is already confirmed."))
    if not _may_email(user):
        raise DomainError(
            _("We have sent you several links recently. Please wait a while before asking again.")
        )
    days = current_app.config["CONFIRM_DAYS"]
    raw = issue_token(user, TokenPurpose.CONFIRM, timedelta(days=days))
    queue_email(user, "confirm_email", token=raw, days=days)


def confirm_email(raw: str) -> User:
    """Mark the address confirmed through the emailed link; the link works once."""
    token = valid_token(raw, TokenPurpose.CONFIRM)
    use_token(token)
    user = token.user
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        audit.record(user, "user.email_confirmed", user)
    return user


def _invited_account(
    email: str, name: str, role: Role, center_id: int | None, **context: Any
) -> User:
    """A new account with one role and an emailed link to choose a password."""
    user = _new_user(email, name, "vi")
    db.session.flush()
    user.grants.append(RoleGrant(role=role, center_id=center_id if role is Role.MANAGER else None))
    days = current_app.config["INVITATION_DAYS"]
    raw = issue_token(user, TokenPurpose.INVITE, timedelta(days=days))
    queue_email(user, "invitation", token=raw, role=role, days=days, **context)
    return user


class AccountExists(DomainError):
    """The invited email already has an account: the admin confirms the grant first."""

    def __init__(self, user: User) -> None:
        super().__init__(
            _(
                "%(email)s already has an account (%(name)s). Confirm to give this account the "
                "role; no invitation is sent.",
                email=user.email,
                name=user.name,
            )
        )
        self.user = user


def invite_user(
    actor: User,
    email: str,
    name: str,
    role: Role,
    center_id: int | None = None,
    *,
    grant_existing: bool = False,
) -> User:
    """Admins: create the account and email a link; for an email that already has an
    account, only with `grant_existing` (the admin confirmed): the role is added to it."""
    require_admin(actor)
    if role is Role.MANAGER and optional_center(center_id) is None:
        raise DomainError(_("Choose the center this manager runs."), field="center_id")
    user = find_user_by_email(email)
    if user is None:
        user = _invited_account(email, name, role, center_id)
        audit.record(actor, "role.granted", user, role=role.value, center=center_id)
    else:
        if held(user, role, optional_center(center_id)):
            raise DomainError(_("This person already has this role."), field="role")
        if not grant_existing:
            raise AccountExists(user)
        grant_role(actor, user, role, center_id)
        queue_email(user, "role_granted", role=role)
    audit.record(actor, "user.invited", user, role=role.value)
    return user


def invited_founder(email: str, name: str, **context: Any) -> User:
    """A co-founder's new account, for a team invitation (the founder role only)."""
    return _invited_account(email, name, Role.FOUNDER, None, **context)


def invited_judge(email: str, name: str, **context: Any) -> User:
    """A new judge's account, for a demo day's invitation (the judge role only)."""
    return _invited_account(email, name, Role.JUDGE, None, **context)


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
    user.email_confirmed_at = utcnow()  # the administrator running the command vouches
    db.session.flush()
    grant_role(None, user, role, center_id)
    return user
