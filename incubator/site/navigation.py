"""The header menu: each role sees what it can do."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from incubator.accounts.models import Role

# (label, endpoint, roles that see it; None = everyone).
MENU: tuple[tuple[object, str, frozenset[Role] | None], ...] = (
    (_l("Open calls"), "programs.calls", None),
    (_l("My startups"), "startups.mine", frozenset({Role.FOUNDER})),
    (_l("My applications"), "applications.mine", frozenset({Role.FOUNDER})),
    (_l("My reviews"), "reviews.queue", frozenset({Role.MENTOR})),
    (_l("Programs"), "programs.manage", frozenset({Role.MANAGER, Role.ADMIN})),
    (_l("Users"), "accounts.users", frozenset({Role.ADMIN})),
)


@dataclass
class MenuItem:
    label: str
    url: str
    active: bool


def items() -> list[MenuItem]:
    visible = []
    for label, endpoint, roles in MENU:
        if roles is not None and not (
            current_user.is_authenticated and current_user.has_role(*roles)
        ):
            continue
        visible.append(MenuItem(str(label), url_for(endpoint), request.endpoint == endpoint))
    return visible
