"""The utilization chart: one bar per machine (inline SVG, drawn by mentoring's charts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup

from incubator.i18n import format_number
from incubator.mentoring.charts import Point, bar_chart

LABEL_LENGTH = 9


def _short(name: str) -> str:
    return name if len(name) <= LABEL_LENGTH else name[: LABEL_LENGTH - 1] + "…"


def utilization_chart(rows: Sequence[Any]) -> Markup:
    """Utilization (booked / open hours, in %) of the machines of `rows`
    (services.utilization_query rows)."""
    points = [
        Point(_short(row[0].name), 100 * row.booked / row.open_minutes if row.open_minutes else 0)
        for row in rows
    ]
    return bar_chart(
        _("Utilization (booked hours / open hours)"),
        points,
        lambda value: f"{format_number(value, 0)}%",
    )
