"""The list of startups a user may see (the API's /startups; sorting and filters)."""

from __future__ import annotations

from operator import attrgetter

from flask_babel import lazy_gettext as _l

from incubator.lists import Column, Filter, ListSpec
from incubator.startups import services
from incubator.startups.models import Sector, Startup

STARTUPS = ListSpec(
    name="startups",
    columns=(
        Column("name", _l("Name"), value=attrgetter("name"), sort=Startup.name, priority="title"),
        Column("sector", _l("Sector"), value=lambda s: s.sector.label, sort=Startup.sector),
        Column("trl", _l("TRL"), value=attrgetter("trl"), sort=Startup.trl, css="num"),
        Column(
            "team_size",
            _l("Team size"),
            value=attrgetter("team_size"),
            sort=Startup.team_size,
            css="num",
            priority="hide-sm",
        ),
    ),
    sorts={"created": Startup.created_at},
    filters=(
        Filter("q", _l("Name"), apply=services.startups_named),
        Filter(
            "sector",
            _l("Sector"),
            choices=Sector,
            all_label=_l("All sectors"),
            apply=services.startups_with_sector,
        ),
        Filter(
            "archived",
            _l("Archived"),
            choices=[("no", _l("Not archived")), ("yes", _l("Archived"))],
            apply=services.startups_archived,
        ),
    ),
    default_sort="name",
    tiebreak=Startup.id,
    empty=_l("No startup yet."),
)
