"""Small charts drawn on the server as inline SVG: no script, no style attribute (the CSP
allows neither inline), the same markup in the page and in the PDF reports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 320, 140
LEFT, BOTTOM, TOP = 8, 22, 18


@dataclass
class Point:
    label: str  # under the bar / point, e.g. "03/27"
    value: float


def _frame(title: str, body: list[str]) -> Markup:
    return Markup(  # noqa: S704 (every text part below is escaped)
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _scale(points: Sequence[Point]) -> float:
    top = max((p.value for p in points), default=0)
    return (HEIGHT - BOTTOM - TOP) / top if top > 0 else 0


def bar_chart(title: str, points: Sequence[Point], show: Callable[[float], str] = str) -> Markup:
    """One bar per point with its value above it."""
    if not points:
        return Markup("")
    scale = _scale(points)
    slot = (WIDTH - 2 * LEFT) / len(points)
    bar = slot * 0.64
    body = [
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - LEFT}" '
        f'y2="{HEIGHT - BOTTOM}" stroke="#9aa5b1" stroke-width="1"/>'
    ]
    for index, point in enumerate(points):
        height = point.value * scale
        x = LEFT + index * slot + (slot - bar) / 2
        y = HEIGHT - BOTTOM - height
        middle = x + bar / 2
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}" '
            f'rx="2" fill="#1f6feb"/>'
            f'<text x="{middle:.1f}" y="{y - 4:.1f}" font-size="10" text-anchor="middle" '
            f'fill="#374151">{escape(show(point.value))}</text>'
            f'<text x="{middle:.1f}" y="{HEIGHT - 7}" font-size="10" text-anchor="middle" '
            f'fill="#6b7280">{escape(point.label)}</text>'
        )
    return _frame(title, body)


def line_chart(title: str, points: Sequence[Point], show: Callable[[float], str] = str) -> Markup:
    """A line through the points, the first and last values written."""
    if not points:
        return Markup("")
    scale = _scale(points)
    step = (WIDTH - 2 * LEFT - 20) / max(1, len(points) - 1)
    first = LEFT + 10 if len(points) > 1 else WIDTH / 2  # a single point stands in the middle
    coordinates = [
        (first + index * step, HEIGHT - BOTTOM - point.value * scale)
        for index, point in enumerate(points)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
    body = [
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - LEFT}" '
        f'y2="{HEIGHT - BOTTOM}" stroke="#9aa5b1" stroke-width="1"/>',
        f'<polyline points="{path}" fill="none" stroke="#1f6feb" stroke-width="2"/>',
    ]
    for index, ((x, y), point) in enumerate(zip(coordinates, points, strict=True)):
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1f6feb"/>')
        body.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 7}" font-size="10" text-anchor="middle" '
            f'fill="#6b7280">{escape(point.label)}</text>'
        )
        if index in (0, len(points) - 1):
            anchor = "middle" if len(points) == 1 else "start" if index == 0 else "end"
            body.append(
                f'<text x="{x:.1f}" y="{max(10.0, y - 6):.1f}" font-size="10" '
                f'text-anchor="{anchor}" fill="#374151">{escape(show(point.value))}</text>'
            )
    return _frame(title, body)
