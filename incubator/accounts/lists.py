"""The administrator's list of users."""

from __future__ import annotations

from operator import attrgetter

from flask import url_for
from flask_babel import lazy_gettext as _l

from incubator.accounts import roles
from incubator.accounts.models import Role, User
from incubator.i18n import format_date
from incubator.lists import Column, Filter, ListSpec


def _roles(user: User) -> str:
    return ", ".join(sorted(str(grant.role.label) for grant in user.grants))


USERS = ListSpec(
    name="users",
    columns=(
        Column(
            "name",
            _l("Name"),
            value=attrgetter("name"),
            sort=User.name,
            link=lambda user: url_for("accounts.user_detail", user_id=user.id),
            priority="title",
        ),
        Column("email", _l("Email"), value=attrgetter("email"), sort=User.email),
        Column("roles", _l("Roles"), csv=_roles, cell="roles"),
        Column("status", _l("Status"), cell="status", only="html"),
        Column("active", _l("Active"), value=attrgetter("active"), only="csv"),
        Column(
            "created",
            _l("Created"),
            value=lambda user: format_date(user.created_at),
            sort=User.created_at,
            only="html",
            priority="hide-sm",
        ),
    ),
    filters=(
        Filter("q", _l("Name or email"), apply=roles.users_matching),
        Filter(
            "role",
            _l("Role"),
            choices=Role,
            all_label=_l("All roles"),
            apply=roles.users_with_role,
        ),
    ),
    default_sort="name",
    tiebreak=User.id,
    empty=_l("No user matches these filters."),
    cells="accounts/_macros.html",
)
