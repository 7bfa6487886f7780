"""The demo days of a center (page and CSV)."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l

from incubator.demodays.models import DemoDay
from incubator.i18n import format_datetime
from incubator.lists import Column, ListSpec

DEMO_DAYS = ListSpec(
    name="demo-days",
    columns=(
        Column(
            "name",
            _l("Demo day"),
            value=lambda d: d.name,
            sort=DemoDay.name_vi,
            link=lambda d: url_for("demodays.manage", demo_day_id=d.id),
            priority="title",
        ),
        Column("program", _l("Program"), value=lambda d: d.program.name, priority="hide-sm"),
        Column(
            "starts_at",
            _l("Starts at"),
            value=lambda d: format_datetime(d.starts_at),
            sort=DemoDay.starts_at,
        ),
        Column("venue", _l("Venue"), value=lambda d: d.venue, priority="hide-sm"),
        Column("status", _l("Status"), value=lambda d: d.status.label),
    ),
    default_sort="-starts_at",
    tiebreak=DemoDay.id,
    empty=_l("No demo day yet."),
)
