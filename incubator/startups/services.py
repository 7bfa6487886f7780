"""Startup profiles and their teams."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, or_, select, update

from incubator import audit, signals
from incubator.accounts import services as accounts
from incubator.accounts.models import Role, User
from incubator.db import add_unique, contains_text, db, utcnow
from incubator.errors import DomainError, NotFound
from incubator.mail import queue_email
from incubator.startups.models import Sector, Startup, StartupMember, TeamInvitation


@dataclass
class StartupData:
    name: str
    sector: Sector
    description: str
    founded_on: date | None
    website: str
    trl: int
    team_size: int


def startups_of(user: User, archived: bool = False) -> list[Startup]:
    """The user's startups (for lists and pickers), or with `archived` the archived ones."""
    return list(
        db.session.scalars(
            select(Startup)
            .join(StartupMember)
            .where(
                StartupMember.user_id == user.id,
                Startup.archived_at.is_not(None) if archived else Startup.archived_at.is_(None),
            )
            .order_by(Startup.name)
        )
    )


def may_view_startup(actor: Any, startup: Startup) -> bool:
    """Members and admins; later domains may grant others (a center's managers, mentors)."""
    if not actor.is_authenticated:
        return False
    if actor.is_admin or startup.has_member(actor):
        return True
    return signals.granted(signals.may_view_startup, startup, actor=actor)


def visible_startups_query(actor: Any) -> Select[Any]:
    """The startups the actor may view, as a statement for a list: every one for admins,
    else their own and those later domains let them see (`signals.startups_visible_to`)."""
    statement = select(Startup)
    if actor.is_admin:
        return statement
    own = select(StartupMember.startup_id).where(StartupMember.user_id == actor.id)
    conditions = [Startup.id.in_(own)]
    for _receiver, condition in signals.startups_visible_to.send(actor):
        if condition is not None:
            conditions.append(condition)
    return statement.where(or_(*conditions))


def startups_with_sector(statement: Select[Any], sector: Sector) -> Select[Any]:
    return statement.where(Startup.sector == sector)


def startups_named(statement: Select[Any], search: str) -> Select[Any]:
    return statement.where(contains_text(Startup.name, search))


def startups_archived(statement: Select[Any], archived: str) -> Select[Any]:
    if archived == "yes":
        return statement.where(Startup.archived_at.is_not(None))
    return statement.where(Startup.archived_at.is_(None))


def viewable_startup(actor: Any, startup_id: int) -> Startup:
    startup = db.session.get(Startup, startup_id)
    if startup is None or not may_view_startup(actor, startup):
        raise NotFound("startup")
    return startup


def member_startup(actor: User, startup_id: int) -> Startup:
    """A startup the actor is a member of (only members edit the profile)."""
    startup = db.session.get(Startup, startup_id)
    if startup is None or not startup.has_member(actor):
        raise NotFound("startup")
    return startup


def _check(data: StartupData) -> None:
    if not 1 <= data.trl <= 9:
        raise DomainError(_("The TRL is a level from 1 to 9."), field="trl")
    if data.team_size < 1:
        raise DomainError(_("The team has at least one person."), field="team_size")
    if data.founded_on and data.founded_on > date.today():
        raise DomainError(_("The founding date cannot be in the future."), field="founded_on")


def _fill(startup: Startup, data: StartupData) -> None:
    startup.name = data.name.strip()
    startup.sector = data.sector
    startup.description = data.description.strip()
    startup.founded_on = data.founded_on
    startup.website = data.website.strip()
    startup.trl = data.trl
    startup.team_size = data.team_size


def create_startup(actor: User, data: StartupData, title: str = "") -> Startup:
    if not actor.has_role(Role.FOUNDER):
        raise DomainError(_("Only founders create startups."))
    _check(data)
    startup = Startup()
    _fill(startup, data)
    startup.members.append(StartupMember(user_id=actor.id, title=title.strip()))
    db.session.add(startup)
    db.session.flush()
    audit.record(actor, "startup.created", startup)
    return startup


def update_startup(actor: User, startup: Startup, data: StartupData) -> Startup:
    if not startup.has_member(actor):
        raise NotFound("startup")
    _check(data)
    _fill(startup, data)
    audit.record(actor, "startup.updated", startup)
    return startup


def invite_member(
    actor: User, startup: Startup, email: str, name: str, title: str
) -> TeamInvitation:
    """Ask someone to join the team; they become a member only when they accept.

    Someone without an account gets one (founder role) and a link to choose a password.
    """
    if not startup.has_member(actor):
        raise NotFound("startup")
    user = accounts.find_user_by_email(email)
    if user is not None:
        if startup.has_member(user):
            raise DomainError(_("This person is already in the team."), field="email")
        if not user.active:
            raise DomainError(_("This account is deactivated."), field="email")
        if open_invitations(user=user, startup=startup):
            raise DomainError(_("This person has already been invited."), field="email")
    else:
        user = accounts.invited_founder(email, name, startup=startup, inviter=actor)
    invitation = TeamInvitation(
        startup=startup, user_id=user.id, title=title.strip(), invited_by_id=actor.id
    )
    add_unique(invitation, DomainError(_("This person has already been invited."), field="email"))
    if user.password_hash is not None:  # a new account's email already says it all
        queue_email(user, "team_invitation", startup=startup, inviter=actor)
    audit.record(actor, "startup.member_invited", startup, user=user.id)
    return invitation


def open_invitations(
    *, user: User | None = None, startup: Startup | None = None
) -> list[TeamInvitation]:
    """Invitations not answered yet, to a user or for a startup's team."""
    statement = select(TeamInvitation).where(TeamInvitation.answered_at.is_(None))
    if user is not None:
        statement = statement.where(TeamInvitation.user_id == user.id)
    if startup is not None:
        statement = statement.where(TeamInvitation.startup_id == startup.id)
    return list(db.session.scalars(statement.order_by(TeamInvitation.created_at)))


def answer_invitation(actor: User, invitation_id: int, accept: bool) -> TeamInvitation:
    """The invited person joins the team (and becomes a founder), or declines."""
    invitation = db.session.get(TeamInvitation, invitation_id)
    if invitation is None or invitation.user_id != actor.id:
        raise NotFound("invitation")
    # conditional on being unanswered, so that two clicks at once answer once
    answered = db.session.execute(
        update(TeamInvitation)
        .where(TeamInvitation.id == invitation.id, TeamInvitation.answered_at.is_(None))
        .values(answered_at=utcnow(), accepted=accept)
        .execution_options(synchronize_session=False)
    ).rowcount
    if answered != 1:
        raise DomainError(_("This invitation was already answered."))
    db.session.refresh(invitation)
    startup = invitation.startup
    if accept and not startup.has_member(actor):
        accounts.grant_role(None, actor, Role.FOUNDER)
        startup.members.append(StartupMember(user_id=actor.id, title=invitation.title))
        db.session.flush()
    audit.record(
        actor, "startup.invitation_accepted" if accept else "startup.invitation_declined", startup
    )
    return invitation


def may_archive(actor: Any, startup: Startup) -> bool:
    """Its lead founder, admins, and whom later domains grant (a manager of a center it
    applied to)."""
    if not actor.is_authenticated:
        return False
    if actor.is_admin or startup.lead_founder_id == actor.id:
        return True
    return signals.granted(signals.may_archive_startup, startup, actor=actor)


def locked(startup: Startup) -> Startup:
    """The startup's row locked until the end of the transaction (PostgreSQL; on SQLite the
    write transaction holds the lock already), so that archiving and starting an
    application cannot cross."""
    db.session.execute(select(Startup.id).where(Startup.id == startup.id).with_for_update())
    db.session.refresh(startup)
    return startup


def archive_blocked(startup: Startup) -> str | None:
    """Why the startup cannot be archived now, or None."""
    if signals.granted(signals.startup_in_progress, startup):
        return _(
            "%(startup)s has an application in progress. It can be archived once no "
            "application is active (each is withdrawn, not accepted, dropped or graduated).",
            startup=startup.name,
        )
    return None


def _archiving(actor: User, startup: Startup) -> Startup:
    """The startup, locked, when the actor may archive or restore it."""
    if not may_view_startup(actor, startup):
        raise NotFound("startup")
    if not may_archive(actor, startup):
        raise DomainError(
            _("Only the lead founder or a manager of a center it applied to can archive it.")
        )
    return locked(startup)


def archive_startup(actor: User, startup: Startup) -> Startup:
    """Hide a startup from its founders' lists and pickers; everything is kept."""
    if _archiving(actor, startup).archived_at is not None:
        raise DomainError(_("This startup is already archived."))
    blocked = archive_blocked(startup)
    if blocked:
        raise DomainError(blocked)
    startup.archived_at = utcnow()
    audit.record(actor, "startup.archived", startup)
    return startup


def restore_startup(actor: User, startup: Startup) -> Startup:
    if _archiving(actor, startup).archived_at is None:
        raise DomainError(_("This startup is not archived."))
    startup.archived_at = None
    audit.record(actor, "startup.restored", startup)
    return startup


def remove_member(actor: User, startup: Startup, user_id: int) -> None:
    if not startup.has_member(actor):
        raise NotFound("startup")
    member = next((m for m in startup.members if m.user_id == user_id), None)
    if member is None:
        raise NotFound("member")
    if len(startup.members) == 1:
        raise DomainError(_("A startup keeps at least one member."))
    startup.members.remove(member)
    audit.record(actor, "startup.member_removed", startup, user=user_id)
