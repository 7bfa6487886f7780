"""The utilization chart: one horizontal bar per machine, its name in full on the left (inline
SVG: no script, no style attribute, as the CSP wants)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape

from incubator.i18n import format_number

WIDTH, ROW, NAME, TOP = 520, 22, 190, 6


def utilization_chart(rows: Sequence[Any]) -> Markup:
    """Utilization (booked / open hours, in %) of the machines of `rows`
    (utilization_query rows), 100 % at the right edge."""
    if not rows:
        return Markup("")
    title = _("Utilization (booked hours / open hours)")
    height = TOP * 2 + ROW * len(rows)
    track = WIDTH - NAME - 50
    body = []
    for index, row in enumerate(rows):
        share = min(1.0, row.booked / row.open_minutes) if row.open_minutes else 0.0
        y = TOP + index * ROW
        body.append(
            f'<text x="{NAME - 8}" y="{y + 15}" font-size="12" text-anchor="end" '
            f'fill="#374151">{escape(row[0].name)}</text>'
            f'<rect x="{NAME}" y="{y + 4}" width="{track}" height="14" rx="2" fill="#e5e7eb"/>'
            f'<rect x="{NAME}" y="{y + 4}" width="{track * share:.1f}" height="14" rx="2" '
            f'fill="#1f6feb"/>'
            f'<text x="{NAME + track + 6}" y="{y + 15}" font-size="12" fill="#374151">'
            f"{escape(format_number(share * 100, 0))}%</text>"
        )
    return Markup(  # noqa: S704 (every text part above is escaped)
        f'<svg class="chart utilization-chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )
