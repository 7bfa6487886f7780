"""What each role finds on the home page; every panel runs a few bounded queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from incubator.accounts.models import Role, RoleGrant, User
from incubator.applications.models import Application
from incubator.applications.services import founder_applications_query
from incubator.applications.stages import Stage
from incubator.db import db
from incubator.programs.models import Program
from incubator.programs.services import managed_programs_query, open_calls_query
from incubator.reviews.models import Review
from incubator.reviews.services import open_review_count, reviewer_queue_query
from incubator.startups.services import open_invitations, startups_of

PANEL_ORDER = (Role.ADMIN, Role.MANAGER, Role.MENTOR, Role.JUDGE, Role.FOUNDER)


def _open_calls(limit: int) -> list[Program]:
    return list(db.session.scalars(open_calls_query().order_by(Program.closes_at).limit(limit)))


def _welcome(_user: Any) -> dict[str, Any]:
    return {"calls": _open_calls(6)}


def _founder(user: User) -> dict[str, Any]:
    return {
        "startups": startups_of(user),
        "applications": list(
            db.session.scalars(
                founder_applications_query(user).order_by(Application.updated_at.desc()).limit(10)
            )
        ),
        "calls": _open_calls(4),
    }


def _mentor(user: User) -> dict[str, Any]:
    return {
        "open_reviews": open_review_count(user),
        "reviews": list(
            db.session.scalars(
                reviewer_queue_query(user, "todo").order_by(Review.assigned_at.desc()).limit(5)
            )
        ),
    }


def _judge(_user: User) -> dict[str, Any]:
    return {}


def _manager(user: User) -> dict[str, Any]:
    programs = list(
        db.session.scalars(managed_programs_query(user).order_by(Program.closes_at.desc()).limit(8))
    )
    counts_query = (
        select(Application.stage, func.count())
        .join(Program)
        .where(Application.stage != Stage.DRAFT)
        .group_by(Application.stage)
    )
    if not user.is_admin:
        counts_query = counts_query.where(Program.center_id == user.managed_center_id)
    counts = dict(db.session.execute(counts_query).all())
    center = next((g.center for g in user.grants if g.role is Role.MANAGER), None)
    return {"programs": programs, "counts": counts, "center": center}


def _admin(_user: User) -> dict[str, Any]:
    by_role = dict(
        db.session.execute(select(RoleGrant.role, func.count()).group_by(RoleGrant.role)).all()
    )
    users = db.session.scalar(select(func.count()).select_from(User))
    return {"by_role": by_role, "users": users}


BUILDERS = {
    Role.ADMIN: _admin,
    Role.MANAGER: _manager,
    Role.MENTOR: _mentor,
    Role.JUDGE: _judge,
    Role.FOUNDER: _founder,
}


def panels(user: Any) -> list[tuple[str, dict[str, Any]]]:
    """(template name, context) of each panel the user sees, in a fixed order."""
    if not user.is_authenticated:
        return [("welcome", _welcome(user))]
    roles = set(user.roles)
    if Role.ADMIN in roles:
        roles.add(Role.MANAGER)  # an admin runs every center
    panels = [(role.value, BUILDERS[role](user)) for role in PANEL_ORDER if role in roles]
    invitations = open_invitations(user=user)
    if invitations:
        panels.insert(0, ("invitations", {"invitations": invitations}))
    return panels
