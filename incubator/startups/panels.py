"""Home-page panel: the team invitations waiting for the user's answer."""

from __future__ import annotations

from typing import Any

from incubator.accounts.models import User
from incubator.startups.services import open_invitations


def invitations(user: User) -> dict[str, Any] | None:
    pending = open_invitations(user=user)
    return {"invitations": pending} if pending else None
