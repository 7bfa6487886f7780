"""The public list of open calls and the managers' list of programs: the same columns."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l

from incubator.centers.services import all_centers
from incubator.i18n import format_datetime
from incubator.lists import Column, Filter, ListSpec
from incubator.programs import services
from incubator.programs.models import Program, ProgramKind, ProgramStatus

COLUMNS = (
    Column(
        "name",
        _l("Name"),
        value=attrgetter("name"),
        sort=Program.name_vi,
        link=lambda program: url_for("programs.detail", program_id=program.id),
        only="html",
        priority="title",
    ),
    Column("center", _l("Center"), value=lambda program: program.center.code),
    Column("name_vi", _l("Name (Vietnamese)"), value=attrgetter("name_vi"), only="csv"),
    Column("name_en", _l("Name (English)"), value=attrgetter("name_en"), only="csv"),
    Column("kind", _l("Kind"), value=lambda program: program.kind.label),
    Column("status", _l("Status"), csv=lambda program: program.status.label, cell="status"),
    Column(
        "opens",
        _l("Opens"),
        csv_label=_l("Applications open"),
        value=lambda program: format_datetime(program.opens_at),
        sort=Program.opens_at,
        priority="hide-sm",
    ),
    Column(
        "closes",
        _l("Closes"),
        csv_label=_l("Applications close"),
        value=lambda program: format_datetime(program.closes_at),
        sort=Program.closes_at,
    ),
    Column(
        "capacity",
        _l("Capacity"),
        value=attrgetter("capacity"),
        sort=Program.capacity,
        css="num",
        priority="hide-sm",
    ),
)
SORTS = {"created": Program.created_at}  # besides the columns' sorts
KIND = Filter(
    "kind",
    _l("Kind"),
    choices=ProgramKind,
    all_label=_l("All kinds"),
    apply=services.programs_of_kind,
)


def _center(choices: Any) -> Filter:
    return Filter(
        "center",
        _l("Center"),
        choices=choices,
        all_label=_l("Both centers"),
        apply=services.programs_of_center,
    )


CALLS = ListSpec(
    name="calls",
    columns=COLUMNS,
    filters=(
        _center(lambda _actor: [(c.code, f"{c.code} – {c.name}") for c in all_centers()]),
        KIND,
    ),
    sorts=SORTS,
    default_sort="closes",
    tiebreak=Program.id,
    cells="programs/_macros.html",
    empty=_l(
        "No call is open right now. Come back soon: both centers open new calls every few months."
    ),
)

PROGRAMS = ListSpec(
    name="programs",
    columns=COLUMNS,
    filters=(
        Filter("q", _l("Name"), apply=services.programs_matching),
        _center(lambda actor: [(c.code, c.code) for c in all_centers() if actor.manages(c.id)]),
        KIND,
        Filter(
            "status",
            _l("Status"),
            choices=ProgramStatus,
            all_label=_l("All statuses"),
            apply=services.programs_with_status,
        ),
    ),
    sorts=SORTS,
    default_sort="-created",
    tiebreak=Program.id,
    cells="programs/_macros.html",
    empty=_l("No program yet."),
)
