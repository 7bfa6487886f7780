"""The administrator's home-page panel."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from incubator.accounts.models import Role, RoleGrant, User
from incubator.db import db


def admin(_user: User) -> dict[str, Any]:
    by_role = dict(
        db.session.execute(select(RoleGrant.role, func.count()).group_by(RoleGrant.role)).all()
    )
    users = db.session.scalar(select(func.count()).select_from(User))
    roles = (Role.FOUNDER, Role.MENTOR, Role.JUDGE, Role.MANAGER)
    return {"by_role": by_role, "users": users, "roles": roles}
