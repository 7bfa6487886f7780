"""Home-page panels of judges and managers, and the results on a startup's page."""

from __future__ import annotations

from typing import Any

from incubator.accounts.models import User
from incubator.demodays import access, standings


def judge(user: User) -> dict[str, Any] | None:
    return {"demo_days": access.upcoming_for_judge(user)}


def manager(user: User) -> dict[str, Any] | None:
    center_id = user.managed_center_id
    if center_id is None:
        return None
    return {"demo_days": access.upcoming_for_center(center_id)}


def startup_section(user: Any, startup: Any) -> dict[str, Any] | None:
    results = standings.founder_results(user, startup)
    return {"results": results} if results else None
