"""Applications: in which capacity a user may act on one, its loaders, and what applications
tell other domains about startups and calls (answers to their questions)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Select,
    and_,
    exists,
    or_,
    select,
)

from incubator import signals
from incubator.accounts.models import User
from incubator.applications.models import (
    Application,
)
from incubator.applications.ranking import (
    LIST_LOADING,
)
from incubator.applications.stages import (
    TERMINAL,
    Capacity,
    Stage,
)
from incubator.db import db
from incubator.errors import NotFound
from incubator.programs.models import Program
from incubator.startups.models import Startup, StartupMember


def capacities_of(user: Any, application: Application) -> set[Capacity]:
    """In which capacities the user may act on the application."""
    actors = set()
    if not user.is_authenticated:
        return actors
    if application.startup.has_member(user):
        actors.add(Capacity.FOUNDER)
    # a draft is the founders' own business until it is submitted
    if application.stage is not Stage.DRAFT and user.manages(application.program.center_id):
        actors.add(Capacity.MANAGER)
    return actors


def application_by_id(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None:
        raise NotFound("application")
    return application


def acting_application(actor: User, application_id: int) -> Application:
    """An application the actor may act on as a founder or as a manager."""
    application = application_by_id(application_id)
    if not capacities_of(actor, application):
        raise NotFound("application")
    return application


def founder_application(actor: User, application_id: int) -> Application:
    application = application_by_id(application_id)
    if Capacity.FOUNDER not in capacities_of(actor, application):
        raise NotFound("application")
    return application


def managed_application(actor: User, application_id: int) -> Application:
    application = application_by_id(application_id)
    if Capacity.MANAGER not in capacities_of(actor, application):
        raise NotFound("application")
    return application


def may_read_deck(actor: Any, application: Application) -> bool:
    """Members and the center's managers; later domains may grant others (reviewers)."""
    return bool(capacities_of(actor, application)) or (
        actor.is_authenticated and signals.granted(signals.may_read_deck, application, actor=actor)
    )


def has_applicants(program: Program) -> bool:
    """Answers `signals.call_has_applicants`."""
    return bool(db.session.scalar(select(exists().where(Application.program_id == program.id))))


def form_used(program: Program) -> bool:
    """Answers `signals.form_in_use`: an application to the call was submitted."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Application.program_id == program.id, Application.stage != Stage.DRAFT
                )
            )
        )
    )


def manager_sees_applicant(startup: Startup, *, actor: Any) -> bool:
    """Answers `signals.may_view_startup`: a center's managers see the startups that submitted
    an application to one of its programs."""
    center_id = actor.managed_center_id
    if center_id is None:
        return False
    return bool(
        db.session.scalar(
            select(Application.id)
            .join(Program)
            .where(
                Application.startup_id == startup.id,
                Application.stage != Stage.DRAFT,
                Program.center_id == center_id,
            )
            .limit(1)
        )
    )


def startups_applied_to_center(actor: Any) -> Any:
    """Answers `signals.startups_visible_to`: for a center's managers, the startups that
    submitted an application to one of its programs (as `manager_sees_applicant`)."""
    center_id = actor.managed_center_id
    if center_id is None:
        return None
    return Startup.id.in_(
        select(Application.startup_id)
        .join(Program)
        .where(Application.stage != Stage.DRAFT, Program.center_id == center_id)
    )


def visible_applications_query(actor: Any) -> Select[Any]:
    """The applications the actor may act on (`capacities_of`), for a list: their startups'
    ones, and the submitted ones of the centers they manage (every center for admins)."""
    own = Startup.members.any(StartupMember.user_id == actor.id)
    conditions = [own]
    if actor.is_admin:
        conditions.append(Application.stage != Stage.DRAFT)
    elif actor.managed_center_id is not None:
        conditions.append(
            and_(
                Application.stage != Stage.DRAFT,
                Application.program.has(Program.center_id == actor.managed_center_id),
            )
        )
    return (
        select(Application)
        .join(Startup, Application.startup_id == Startup.id)
        .where(or_(*conditions))
        .options(*LIST_LOADING)
    )


def applications_of_program(statement: Select[Any], program_id: int) -> Select[Any]:
    return statement.where(Application.program_id == program_id)


def manager_may_archive(startup: Startup, *, actor: Any) -> bool:
    """Answers `signals.may_archive_startup`: a manager of a center the startup applied to."""
    return manager_sees_applicant(startup, actor=actor)


def in_progress(startup: Startup) -> bool:
    """Answers `signals.startup_in_progress`: an application not in a terminal stage."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Application.startup_id == startup.id, Application.stage.not_in(TERMINAL)
                )
            )
        )
    )
