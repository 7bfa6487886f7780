"""Accounts: registration, login, sessions, passwords, invitations and roles."""

from __future__ import annotations

import functools
import gzip
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, delete, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from incubator import audit, jobs, signals
from incubator.accounts import devices, throttle
from incubator.accounts.models import (
    AccountToken,
    MentorCenter,
    Role,
    RoleGrant,
    TokenPurpose,
    User,
    UserSession,
)
from incubator.centers.models import Center
from incubator.db import add_unique, contains_text, db, on_commit, utcnow
from incubator.enums import parse_enum
from incubator.errors import DomainError, Forbidden, NotFound, TooManyAttempts
from incubator.mail import queue_email


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def _dummy_hash() -> str:
    """A hash of nothing anyone knows, made with the configured method (once per app)."""
    cache = current_app.extensions.setdefault("dummy_password_hash", {})
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in cache:
        cache[method] = hash_password(secrets.token_urlsafe(16))
    return cache[method]


def password_matches(user: User | None, password: str) -> bool:
    """One hash check whatever the account: unknown emails, deactivated accounts and invited
    accounts without a password are checked against a dummy hash, so that every failure
    takes as long as a wrong password (the time does not tell that an account exists)."""
    usable = user is not None and user.active and user.password_hash is not None
    hashed = user.password_hash if usable else _dummy_hash()  # type: ignore[union-attr]
    return check_password_hash(hashed, password) and usable


# The 20,000 most common passwords (Royce Williams' list, as Django ships it: BSD licence),
# one a line, in lower case.
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt.gz")


@functools.cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def check_password_strength(password: str, field: str = "password") -> None:
    """Every password a person chooses (registration, reset, invitation, change, `create-user`):
    PASSWORD_MIN_LENGTH characters and not a common one (the demo's accounts are seeded with
    a hash, not through here)."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise DomainError(
            _("The password must have at least %(n)d characters.", n=minimum), field=field
        )
    if (
        password.isdigit()
        or len(set(password)) < 4
        or password.strip().lower() in common_passwords()
    ):
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
    add_unique(user, DomainError(_("An account with this email already exists."), field="email"))
    return user


def _too_many() -> TooManyAttempts:
    return TooManyAttempts(_("Too many failed attempts. Please wait a few minutes and try again."))


def _minutes(name: str) -> timedelta:
    return timedelta(minutes=current_app.config[name])


# ----------------------------------------------------------- registration


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
            raw = _issue_token(user, TokenPurpose.CONFIRM, timedelta(days=days))
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
    raw = _issue_token(user, TokenPurpose.CONFIRM, timedelta(days=days))
    queue_email(user, "confirm_email", token=raw, days=days)


def confirm_email(raw: str) -> User:
    """Mark the address confirmed through the emailed link; the link works once."""
    token = valid_token(raw, TokenPurpose.CONFIRM)
    _use(token)
    user = token.user
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        audit.record(user, "user.email_confirmed", user)
    return user


# ------------------------------------------------------------------ login


@dataclass
class SignIn:
    """A successful login: the user, the token of the new session and a new device cookie
    (both kept by the browser)."""

    user: User
    token: str
    device: str = ""


def trusted_device(email: str, device_cookie: str | None) -> devices.Device | None:
    """The browser's device cookie, when it is valid and was issued to this account."""
    device = devices.read(device_cookie)
    if device is None:
        return None
    user = find_user_by_email(email)
    return device if user is not None and user.id == device.user_id else None


def login_delay(email: str, device_cookie: str | None = None) -> float:
    """Seconds to wait before checking a password for this account.

    Failures for one account from every address together never lock it; past a
    threshold each further attempt waits longer (doubling, up to a maximum), so the
    owner still gets in with the right password, only more slowly. A browser that signed in
    to the account before (its device cookie) does not wait.
    """
    config = current_app.config
    if trusted_device(email, device_cookie) is not None:
        return 0.0
    failures = throttle.count(
        "login-account", normalise_email(email), _minutes("LOGIN_FAILURE_WINDOW_MINUTES")
    )
    over = failures - config["LOGIN_ACCOUNT_SLOW_AFTER"]
    if over < 0:
        return 0.0
    return min(
        config["LOGIN_ACCOUNT_MAX_DELAY_SECONDS"],
        config["LOGIN_ACCOUNT_DELAY_SECONDS"] * 2 ** min(over, 30),
    )


def login(
    email: str, password: str, ip: str, user_agent: str = "", device_cookie: str | None = None
) -> SignIn | None:
    """A new session if the password is right; otherwise None, and the failure is counted.

    Raises TooManyAttempts once this address has failed too often for this account,
    or for all accounts together. Each attempt takes its slot before the password is
    checked (given back when it is right), so simultaneous guesses cannot overrun.

    A browser with a device cookie of this account (devices.py) is counted by its cookie
    instead of its address: others failing from the same address never lock it out, and its
    own failures lock only that cookie.
    """
    email = normalise_email(email)
    config = current_app.config
    window = _minutes("LOGIN_FAILURE_WINDOW_MINUTES")
    device = trusted_device(email, device_cookie)
    if device is not None:
        slots = [("login-device", device.nonce, config["LOGIN_MAX_FAILURES"])]
    else:
        slots = [
            ("login-pair", f"{ip} {email}", config["LOGIN_MAX_FAILURES"]),
            ("login-ip", ip, config["LOGIN_MAX_FAILURES_PER_IP"]),
        ]
    for scope, key, limit in slots:
        if not throttle.take(scope, key, limit, window):
            raise _too_many()
    user = find_user_by_email(email)
    if not password_matches(user, password):
        throttle.add("login-account", email, window)
        return None
    assert user is not None
    for scope, key, _limit in slots:
        throttle.give_back(scope, key, window)
    user.last_login_at = utcnow()
    return SignIn(user, start_session(user, ip, user_agent), devices.issue(user.id))


# --------------------------------------------------------------- sessions


def _session_idle_limit() -> timedelta:
    return timedelta(days=current_app.config["SESSION_IDLE_DAYS"])


def start_session(user: User, ip: str, user_agent: str) -> str:
    """Record a new session; returns its token for the browser (only its hash is stored)."""
    now = utcnow()
    db.session.execute(  # this user's ended sessions are forgotten
        delete(UserSession)
        .where(
            UserSession.user_id == user.id,
            or_(
                UserSession.revoked_at.is_not(None),
                UserSession.last_seen_at < now - _session_idle_limit(),
            ),
        )
        .execution_options(synchronize_session=False)
    )
    raw = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            id=token_hash(raw),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            ip=ip[:64],
            user_agent=user_agent[:255],
        )
    )
    return raw


def active_sessions(user: User) -> list[UserSession]:
    return list(
        db.session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.revoked_at.is_(None),
                UserSession.last_seen_at > utcnow() - _session_idle_limit(),
            )
            .order_by(UserSession.last_seen_at.desc(), UserSession.created_at.desc())
        )
    )


def end_session(user: User, user_session: UserSession | None) -> None:
    """Log out: the session's cookie no longer works, even if it was copied."""
    if user_session is not None and user_session.user_id == user.id:
        user_session.revoked_at = user_session.revoked_at or utcnow()


def end_sessions_after(_sender: Any = None, *, taken_at: datetime) -> tuple[str, int]:
    """Answers `signals.backup_restored`: end every session started after the backup's time
    (a clock ahead of the backup's machine), so that none outlives the restore."""
    ended = db.session.execute(
        update(UserSession)
        .where(UserSession.created_at > taken_at, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return "sessions", ended.rowcount


def end_other_sessions(user: User, keep: UserSession | None = None) -> int:
    """End every session of the user but `keep`; returns how many were ended."""
    statement = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
    )
    if keep is not None:
        statement = statement.where(UserSession.id != keep.id)
    ended = db.session.execute(
        statement.values(revoked_at=utcnow()).execution_options(synchronize_session="fetch")
    ).rowcount
    if ended:
        audit.record(user, "user.sessions_ended", user, count=ended)
    return ended


# -------------------------------------------------------------- passwords


def change_password(
    user: User,
    current: str,
    new: str,
    keep: UserSession | None = None,
    revoke_tokens: bool = True,
) -> bool:
    """True once changed; False if `current` is wrong (counted like a failed login).

    Every other session ends, and every outstanding reset link stops working; with
    `revoke_tokens` the account's other credentials (API tokens) are revoked too.
    """
    config = current_app.config
    window = _minutes("LOGIN_FAILURE_WINDOW_MINUTES")
    if not throttle.take("password-change", str(user.id), config["LOGIN_MAX_FAILURES"], window):
        raise _too_many()
    if not password_matches(user, current):
        throttle.add("login-account", user.email, window)
        return False
    throttle.give_back("password-change", str(user.id), window)
    check_password_strength(new, field="new_password")
    _lock(user)
    user.password_hash = hash_password(new)
    _void_links(user)
    end_other_sessions(user, keep)
    revoked = revoke_credentials(user, user, "change") if revoke_tokens else 0
    audit.record(user, "user.password_changed", user, tokens_revoked=revoked)
    return True


def revoke_credentials(actor: User, user: User, reason: str) -> int:
    """Revoke what later domains keep to let the account in without a password (API
    tokens): account recovery ends them. The number revoked."""
    return sum(
        answer or 0
        for _receiver, answer in signals.credentials_revoked.send(user, actor=actor, reason=reason)
    )


def credentials_count(user: User) -> int:
    """How many such credentials the account holds now."""
    return sum(answer or 0 for _receiver, answer in signals.credentials_count.send(user))


def _issue_token(user: User, purpose: TokenPurpose, valid_for: timedelta) -> str:
    raw = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=token_hash(raw),
            expires_at=utcnow() + valid_for,
        )
    )
    return raw


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _use(token: AccountToken) -> None:
    """Mark the link used, once: of simultaneous uses only one changes the row."""
    now = utcnow()
    used = db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.id == token.id,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if used != 1:
        raise DomainError(_("This link is invalid, expired or was already used."))
    token.used_at = now


def _lock(user: User) -> None:
    """Lock the user's row before changing their password, links and sessions.

    Every such change takes the user first, then the links, then the sessions, so two
    of them at the same moment queue instead of deadlocking (on SQLite the write lock
    of the whole database already serialises them).
    """
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())


def _void_links(user: User) -> None:
    """Every outstanding link to set this user's password stops working."""
    db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.used_at.is_(None),
            AccountToken.purpose.in_((TokenPurpose.RESET, TokenPurpose.INVITE)),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def request_password_reset(email: str, ip: str = "") -> None:
    """Email a reset link if the account exists; say nothing either way (no account probing).

    Requests are counted per email (known or not) and per address; past the limits
    nothing is sent, and the answer stays the same. Within them the request does the same
    work whether the account exists or not: it queues a background job with the email
    (`send_password_reset`), which looks the account up, so the answer takes as long
    either way.
    """
    config = current_app.config
    email = normalise_email(email)
    window = _minutes("RESET_WINDOW_MINUTES")
    if not throttle.take("reset-ip", ip, config["RESET_MAX_PER_IP"], window):
        return
    if not throttle.take("reset-email", email, config["RESET_MAX_PER_EMAIL"], window):
        return
    on_commit(db.session, lambda: jobs.enqueue(RESET_JOB, email))


RESET_JOB = "incubator.accounts.services:send_password_reset"


def send_password_reset(email: str) -> None:
    """The background job of `request_password_reset`: a link for a known active account,
    nothing otherwise."""
    with db.transaction():
        user = find_user_by_email(email)
        if user is None or not user.active:
            return
        hours = current_app.config["PASSWORD_RESET_HOURS"]
        raw = _issue_token(user, TokenPurpose.RESET, timedelta(hours=hours))
        queue_email(user, "password_reset", token=raw, hours=hours)


def valid_token(raw: str, purpose: TokenPurpose) -> AccountToken:
    token = db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == token_hash(raw), AccountToken.purpose == purpose
        )
    )
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        raise DomainError(_("This link is invalid, expired or was already used."))
    if not token.user.active:
        raise DomainError(_("This account is deactivated."))
    return token


def redeem_token(
    raw: str, purpose: TokenPurpose, password: str, ip: str = "", user_agent: str = ""
) -> SignIn:
    """Set the password through an emailed link and log in.

    The link works once; every other link to set the password stops working and
    every session of the account ends (a new one starts for this browser).
    """
    token = valid_token(raw, purpose)
    check_password_strength(password)
    user = token.user
    _lock(user)
    _use(token)
    user.password_hash = hash_password(password)
    if user.email_confirmed_at is None:  # the link came to this address
        user.email_confirmed_at = utcnow()
    _void_links(user)
    end_other_sessions(user)
    revoke_credentials(user, user, purpose.value)
    user.last_login_at = utcnow()
    audit.record(user, f"user.{purpose.value}_redeemed", user)
    return SignIn(user, start_session(user, ip, user_agent), devices.issue(user.id))


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
    _require_admin(actor)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user")
    return user


def _center(center_id: int | None) -> Center | None:
    return db.session.get(Center, center_id) if center_id else None


def _held(user: User, role: Role, center: Center | None) -> bool:
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
        _require_admin(actor)
    center = _center(center_id)
    if role is Role.MANAGER and center is None:
        raise DomainError(_("Choose the center this manager runs."), field="center_id")
    if _held(user, role, center):
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
    _require_admin(actor)
    if role is Role.MANAGER and _center(center_id) is None:
        raise DomainError(_("Choose the center this manager runs."), field="center_id")
    user = find_user_by_email(email)
    if user is None:
        user = _invited_account(email, name, role, center_id)
        audit.record(actor, "role.granted", user, role=role.value, center=center_id)
    else:
        if _held(user, role, _center(center_id)):
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
