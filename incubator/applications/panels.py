"""Home-page panels (founder, manager) and the stage counts on a program's page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from incubator.accounts.models import Role, User
from incubator.applications.models import Application, StageCount
from incubator.applications.ranking import founder_applications_query, stage_counts
from incubator.applications.stages import Stage
from incubator.db import db
from incubator.programs.models import Program
from incubator.programs.panels import open_calls
from incubator.programs.services import managed_programs_query
from incubator.startups.models import Startup
from incubator.startups.services import startups_of


def founder(user: User) -> dict[str, Any]:
    return {
        "startups": startups_of(user),
        "applications": list(
            db.session.scalars(
                founder_applications_query(user).order_by(Application.updated_at.desc()).limit(10)
            )
        ),
        "calls": open_calls(4),
    }


def manager(user: User) -> dict[str, Any]:
    programs = list(
        db.session.scalars(managed_programs_query(user).order_by(Program.closes_at.desc()).limit(8))
    )
    # the stored counts of the center's programs: a row per program and stage, not a count of
    # every application of the center
    counts_query = (
        select(StageCount.stage, func.sum(StageCount.count))
        .join(Program, Program.id == StageCount.program_id)
        .where(StageCount.stage != Stage.DRAFT)
        .group_by(StageCount.stage)
    )
    if not user.is_admin:
        counts_query = counts_query.where(Program.center_id == user.managed_center_id)
    counts = dict(db.session.execute(counts_query).all())
    center = next((g.center for g in user.grants if g.role is Role.MANAGER), None)
    headline = (Stage.SUBMITTED, Stage.SCREENING, Stage.ACCEPTED, Stage.INCUBATING)
    return {"programs": programs, "counts": counts, "center": center, "headline": headline}


def startup_applications_section(user: User, startup: Startup) -> dict[str, Any] | None:
    """A startup's applications, for its members."""
    if not startup.has_member(user):
        return None
    applications = db.session.scalars(
        founder_applications_query(user)
        .where(Application.startup_id == startup.id)
        .order_by(Application.created_at.desc())
    )
    return {"applications": list(applications)}


def stage_counts_section(_user: User, program: Program) -> dict[str, Any]:
    return {"counts": stage_counts(program)}
