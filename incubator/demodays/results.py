"""Published demo-day results in print: the sections the reports domain asks for
(`signals.report_sections`) and the demo-day results PDF. Only published results are ever
read (the stored results of a published demo day are frozen); draft scores never print."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from incubator.accounts.models import User
from incubator.applications.models import Application
from incubator.db import db, run
from incubator.demodays import access, standings
from incubator.demodays.models import DemoDay, DemoSlot, Status
from incubator.errors import NotFound
from incubator.i18n import format_date, format_number, format_time, local_to_utc
from incubator.pdf import page_frame, render_template_pdf

LANGUAGES = ("vi", "en")
WINNERS = 3  # places named in the center report
DEMO_DAYS_SHOWN = 50


def _raw(value: float | None) -> str:
    return format_number(value, 1)


def _normalized(value: float | None) -> str:
    return format_number(value, 2)


def method_note() -> str:
    """One short paragraph on how the ranking is made (the PDF and the reports' notes)."""
    return _(
        "Each judge's sheet is the weighted score of the criteria on 0–100. The raw weighted "
        "mean averages the judges' sheets. The normalized score first turns each judge's "
        "sheets into z-scores (how far above or below that judge's own average, in that "
        "judge's standard deviations) and averages them, so a harsh or a lenient judge weighs "
        "like any other. The ranking follows the normalized score; judges who declared a "
        "conflict of interest are not counted."
    )


# ------------------------------------------------------- report sections


def _published_of_program(program_id: int) -> list[DemoDay]:
    return list(
        db.session.scalars(
            select(DemoDay)
            .where(DemoDay.program_id == program_id, DemoDay.status == Status.PUBLISHED)
            .order_by(DemoDay.starts_at)
            .limit(DEMO_DAYS_SHOWN)
        )
    )


def _heading(demo_day: DemoDay) -> str:
    return _(
        "Demo day results: %(name)s (%(day)s)",
        name=demo_day.name,
        day=format_date(demo_day.starts_at),
    )


def cohort_sections(program_id: int) -> list[dict[str, Any]]:
    """Per published demo day of the program: its ranking, from the stored results."""
    sections = []
    for demo_day in _published_of_program(program_id):
        ranked = standings.leaderboard(demo_day, normalized=True)
        sections.append(
            {
                "title": _heading(demo_day),
                "headers": [
                    _("Rank"),
                    _("Startup"),
                    _("Raw weighted mean"),
                    _("Normalized score"),
                    _("Judges"),
                    _("Abstentions"),
                ],
                "rows": [
                    [
                        str(rank),
                        slot.application.startup.name,
                        _raw(slot.raw_mean),
                        _normalized(slot.normalized),
                        str(slot.judges_count),
                        str(slot.abstentions),
                    ]
                    for rank, slot in enumerate(ranked, start=1)
                ],
                "note": method_note(),
            }
        )
    return sections


def startup_sections(startup_id: int) -> list[dict[str, Any]]:
    """The startup's own published outcomes: rank, mean per criterion, the judges' comments."""
    slots = db.session.scalars(
        select(DemoSlot)
        .join(DemoDay, DemoDay.id == DemoSlot.demo_day_id)
        .join(Application, Application.id == DemoSlot.application_id)
        .where(Application.startup_id == startup_id, DemoDay.status == Status.PUBLISHED)
        .order_by(DemoDay.starts_at)
        .limit(DEMO_DAYS_SHOWN)
    ).all()
    sections = []
    for slot in slots:
        demo_day = slot.demo_day
        ranked = [s.id for s in standings.leaderboard(demo_day, normalized=True)]
        outcome = standings.outcome_of(demo_day, slot, ranked.index(slot.id) + 1)
        sections.append(
            {
                "title": _heading(demo_day),
                "headers": [_("Criterion"), _("Weight"), _("Mean score")],
                "rows": [
                    [c.name, str(c.weight), f"{format_number(c.mean, 1)} / {c.max_score}"]
                    for c in outcome.criteria
                ],
                "note": _(
                    "Rank %(rank)d of %(pitches)d · raw weighted mean %(raw)s · normalized "
                    "score %(normalized)s · %(judges)d judges, %(abstentions)d abstentions.",
                    rank=outcome.rank,
                    pitches=len(ranked),
                    raw=_raw(outcome.raw_mean),
                    normalized=_normalized(outcome.normalized),
                    judges=outcome.judges,
                    abstentions=outcome.abstentions,
                ),
            }
        )
        if outcome.comments:
            sections.append(
                {
                    "title": _("Judges' comments: %(name)s", name=demo_day.name),
                    "headers": [_("Comment")],
                    "rows": [[comment] for comment in outcome.comments],
                    "note": "",
                }
            )
    return sections


def center_sections(center_id: int, first: date, last: date) -> list[dict[str, Any]]:
    """The center's demo days published in the period, with their first places."""
    start = local_to_utc(datetime.combine(first, time()))
    end = local_to_utc(datetime.combine(last + timedelta(days=1), time()))
    demo_days = list(
        db.session.scalars(
            select(DemoDay)
            .where(
                DemoDay.center_id == center_id,
                DemoDay.status == Status.PUBLISHED,
                DemoDay.published_at >= start,
                DemoDay.published_at < end,
            )
            .order_by(DemoDay.starts_at)
            .limit(DEMO_DAYS_SHOWN)
        )
    )
    if not demo_days:
        return []
    rows = []
    for demo_day in demo_days:
        ranked = standings.leaderboard(demo_day, normalized=True)
        winners = [
            f"{rank}. {slot.application.startup.name}"
            for rank, slot in enumerate(ranked[:WINNERS], start=1)
            if slot.normalized is not None
        ]
        rows.append(
            [
                demo_day.name,
                format_date(demo_day.starts_at),
                demo_day.program.name,
                str(len(ranked)),
                ", ".join(winners) or "–",
            ]
        )
    return [
        {
            "title": _("Demo days"),
            "headers": [_("Demo day"), _("Date"), _("Program"), _("Pitches"), _("Winners")],
            "rows": rows,
            "note": _(
                "Demo days whose results were published in the period; ranked by the "
                "normalized score."
            ),
        }
    ]


def report_sections(sender: str, *, object_id: int, **kwargs: Any) -> list[dict[str, Any]]:
    """signals.report_sections: the demo-day sections of a startup, cohort or center report."""
    if sender == "startup":
        return startup_sections(object_id)
    if sender == "cohort":
        return cohort_sections(object_id)
    if sender == "center" and kwargs.get("first") and kwargs.get("last"):
        return center_sections(object_id, kwargs["first"], kwargs["last"])
    return []


# ------------------------------------------------------------- the PDF


def printable_results(actor: User, demo_day_id: int) -> DemoDay:
    """A published demo day whose results the actor (its center's manager, an admin) may
    print; NotFound for anyone else and before publication."""
    demo_day = access.managed_demo_day(actor, demo_day_id)
    if not demo_day.published:
        raise NotFound("results")
    return demo_day


@dataclass
class StartupScores:
    rank: str
    name: str
    criteria: list[list[str]]  # criterion, weight, mean / max


@dataclass
class ResultsValues:
    center_name: str
    name: str
    program: str
    day: str
    venue: str
    published: str
    judges: str
    method: str
    ranking: list[list[str]]  # rank, startup, sector, raw, normalized, judges, abstentions
    startups: list[StartupScores] = field(default_factory=list)


def results_values(demo_day_id: int) -> ResultsValues:
    """The published results as plain strings in the current language."""
    results = standings.published_results(demo_day_id)
    return ResultsValues(
        center_name=results.center_name,
        name=results.name,
        program=results.program_name,
        day=f"{format_date(results.starts_at)} {format_time(results.starts_at)}",
        venue=results.venue or "–",
        published=format_date(results.published_at),
        judges=str(results.judges),
        method=method_note(),
        ranking=[
            [
                str(p.rank),
                p.startup_name,
                p.sector,
                _raw(p.raw_mean),
                _normalized(p.normalized),
                str(p.judges),
                str(p.abstentions),
            ]
            for p in results.pitches
        ],
        startups=[
            StartupScores(
                rank=str(p.rank),
                name=p.startup_name,
                criteria=[
                    [c.name, str(c.weight), f"{format_number(c.mean, 1)} / {c.max_score}"]
                    for c in p.criteria
                ],
            )
            for p in results.pitches
        ],
    )


def results_pdf(demo_day_id: int, lang: str) -> tuple[bytes, str]:
    """The demo-day results PDF (small: rendered on request); bytes and file name. The values
    are read in one short transaction, the PDF rendered after it."""
    with force_locale(lang if lang in LANGUAGES else "vi"):
        values = run(results_values, demo_day_id)
        title = _("Demo day results: %(name)s", name=values.name)
        pdf = render_template_pdf(
            "demo_day_results.html", results=values, **page_frame(values.center_name, title)
        )
        stem = _("demo-day-results")
    return pdf, f"{stem}-{demo_day_id}.pdf"
