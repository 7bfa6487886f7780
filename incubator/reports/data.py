"""What the reports print, read through the other domains' models and services and turned into
plain values (dataclasses of strings and numbers, and the charts' SVG markup) in the
requester's language: print templates never see an ORM object, and a chunk of a report can
be handed to another process."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import func, select

from incubator import signals
from incubator.applications.models import Application, StageTransition
from incubator.applications.stages import Stage
from incubator.centers.models import Center
from incubator.db import db
from incubator.fablab import services as fablab
from incubator.fablab.charts import utilization_chart
from incubator.fablab.models import Booking, BookingStatus, Machine
from incubator.i18n import format_date, format_number, format_vnd, local_to_utc
from incubator.mentoring import services as mentoring
from incubator.mentoring.charts import Point, bar_chart, line_chart
from incubator.mentoring.models import (
    CenterMonth,
    CheckIn,
    MentoredStartup,
)
from incubator.programs.models import Program
from incubator.startups.models import Startup

SESSIONS_SHOWN = 12
ITEMS_SHOWN = 12


@dataclass
class Extra:
    """A section another domain adds to a report (`signals.report_sections`): a title, a
    table of plain strings and a note. Demo-day results arrive this way once that domain
    answers the signal."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    note: str = ""


@dataclass
class StartupReport:
    id: int
    name: str
    sector: str
    description: list[str]
    facts: list[tuple[str, str]]
    members: list[tuple[str, str]]
    stages: list[tuple[str, str, str, str]]  # day, program, from, to
    scores: list[tuple[str, str, str]]  # program, score, reviews
    milestones: list[tuple[str, str, str]]  # title, due, status
    kpis: list[tuple[str, str, str, str, str]]  # month, revenue, customers, funding, headcount
    charts: list[tuple[str, Markup]]  # caption, inline SVG (the mentoring page's charts)
    mentoring: list[tuple[str, str]]  # label, value
    mentors: list[str]
    sessions: list[tuple[str, str, str, str]]  # day, mentor, duration, topics
    action_items: list[tuple[str, str, str, str]]  # title, owner, due, state
    fablab: list[tuple[str, str, str]]  # machine, bookings, hours
    fablab_summary: str
    extras: list[Extra] = field(default_factory=list)
    # figures for the cohort's table
    stage: str = ""
    hours: float = 0.0
    headcount: int | None = None


def printed(svg: Markup) -> Markup:
    """The web page's chart with its labels in the PDF's one font (WeasyPrint gives SVG text
    no document style: without the attribute it falls back to a system font)."""
    return Markup(str(svg).replace("<text ", '<text font-family="Be Vietnam Pro" '))  # noqa: S704


def _hours(minutes: int) -> str:
    return format_number(minutes / 60, 1)


def startup_report(startup: Startup) -> StartupReport:
    """Everything the progress report shows about one startup."""
    sid = startup.id
    applications = list(
        db.session.scalars(
            select(Application)
            .where(Application.startup_id == sid, Application.stage != Stage.DRAFT)
            .order_by(Application.created_at)
        )
    )
    stages = [
        (
            format_date(t.at),
            a.program.name,
            t.from_stage.label if t.from_stage else "",
            t.to_stage.label,
        )
        for a in applications
        for t in a.transitions
        if t.to_stage is not Stage.DRAFT
    ]
    scores = [
        (
            a.program.name,
            format_number(a.score_mean, 1) if a.score_mean is not None else "–",
            str(a.review_count),
        )
        for a in applications
    ]
    checkins = mentoring.checkins(sid, months=12)
    labels = [c.month.strftime("%m/%y") for c in checkins]
    months = mentoring.mentoring_months(sid)
    charts = [
        (
            _("Revenue (VND)"),
            line_chart(
                _("Revenue (VND)"),
                [Point(label, c.revenue_vnd) for label, c in zip(labels, checkins, strict=True)],
                lambda v: format_vnd(int(v)),
            ),
        ),
        (
            _("Paying customers"),
            bar_chart(
                _("Paying customers"),
                [Point(label, c.customers) for label, c in zip(labels, checkins, strict=True)],
                lambda v: format_number(v, 0),
            ),
        ),
        (
            _("Mentoring hours"),
            bar_chart(
                _("Mentoring hours"),
                [Point(m.month.strftime("%m/%y"), m.minutes / 60) for m in months],
                lambda v: format_number(v, 1),
            ),
        ),
    ]
    mentored = db.session.get(MentoredStartup, sid)
    summary: list[tuple[str, str]] = []
    mentors: list[str] = []
    sessions: list[tuple[str, str, str, str]] = []
    items: list[tuple[str, str, str, str]] = []
    if mentored is not None:
        summary = [
            (_("Sessions"), str(mentored.sessions)),
            (_("Hours"), _hours(mentored.minutes)),
            (
                _("Average rating"),
                f"{format_number(mentored.average_rating, 1)} / 5"
                if mentored.average_rating
                else "–",
            ),
        ]
        mentors = [a.mentor.name for a in mentoring.assignments_of(mentored)]
        sessions = [
            (format_date(s.held_at), s.mentor.name, f"{s.minutes} {_('min')}", s.topic_line)
            for s in mentoring.recent_sessions(sid, SESSIONS_SHOWN)
        ]
        items = [
            (
                i.title,
                i.owner.label,
                format_date(i.due_on),
                _("overdue") if i.overdue else _("open"),
            )
            for i in mentoring.open_action_items(sid, ITEMS_SHOWN)
        ]
    fab_rows, fab_summary = _fablab_usage(sid)
    latest = checkins[-1] if checkins else None
    current = applications[-1].stage.label if applications else ""
    return StartupReport(
        id=sid,
        name=startup.name,
        sector=startup.sector.label,
        description=[p for p in startup.description.split("\n") if p.strip()],
        facts=[
            (_("Sector"), startup.sector.label),
            (_("Stage"), current or "–"),
            ("TRL", str(startup.trl)),
            (_("Team size"), str(startup.team_size)),
            (_("Founded"), format_date(startup.founded_on) or "–"),
            (_("Website"), startup.website or "–"),
        ],
        members=[(m.user.name, m.title) for m in startup.members],
        stages=stages,
        scores=scores,
        milestones=[
            (m.title, format_date(m.due_on), m.status.label) for m in mentoring.milestones(sid)
        ],
        kpis=[
            (
                c.month.strftime("%m/%Y"),
                format_vnd(c.revenue_vnd),
                format_number(c.customers, 0),
                format_vnd(c.funding_raised_vnd),
                str(c.headcount),
            )
            for c in checkins
        ],
        charts=[(caption, printed(svg)) for caption, svg in charts if svg],
        mentoring=summary,
        mentors=mentors,
        sessions=sessions,
        action_items=items,
        fablab=fab_rows,
        fablab_summary=fab_summary,
        extras=_extras("startup", sid),
        stage=current,
        hours=(mentored.minutes / 60) if mentored else 0.0,
        headcount=latest.headcount if latest else None,
    )


def _fablab_usage(startup_id: int) -> tuple[list[tuple[str, str, str]], str]:
    """Bookings per machine that the startup used (checked in), and its no-shows."""
    rows = db.session.execute(
        select(
            Machine.name,
            func.count(Booking.id),
            func.sum(Booking.ends_at - Booking.starts_at)
            if db.session.bind.dialect.name == "postgresql"
            else func.sum(
                (func.julianday(Booking.ends_at) - func.julianday(Booking.starts_at)) * 1440
            ),
        )
        .join(Machine, Machine.id == Booking.machine_id)
        .where(Booking.startup_id == startup_id, Booking.status == BookingStatus.CHECKED_IN)
        .group_by(Machine.name)
        .order_by(Machine.name)
    ).all()
    shown = []
    for name, count, span in rows:
        minutes = span.total_seconds() / 60 if isinstance(span, timedelta) else float(span or 0)
        shown.append((name, str(count), format_number(minutes / 60, 1)))
    no_shows = db.session.scalar(
        select(func.count(Booking.id)).where(
            Booking.startup_id == startup_id, Booking.status == BookingStatus.NO_SHOW
        )
    )
    return shown, _("No-shows: %(count)d", count=no_shows or 0)


def _extras(kind: str, object_id: int, **kwargs: Any) -> list[Extra]:
    """Sections that later domains contribute (demo-day results, ...), as plain values."""
    extras: list[Extra] = []
    for _receiver, answer in signals.report_sections.send(kind, object_id=object_id, **kwargs):
        for item in answer or ():
            extras.append(
                Extra(
                    title=str(item["title"]),
                    headers=[str(h) for h in item.get("headers", [])],
                    rows=[[str(c) for c in row] for row in item.get("rows", [])],
                    note=str(item.get("note", "")),
                )
            )
    return extras


# -------------------------------------------------------------------- cohort

COHORT_STAGES = (
    Stage.ACCEPTED,
    Stage.INCUBATING,
    Stage.DEMO_DAY,
    Stage.GRADUATED,
    Stage.DROPPED,
)


@dataclass
class CohortSummary:
    program: str
    center: str
    kind: str
    period: str
    funnel: list[tuple[str, int, str, str]]  # stage, count, of previous, of applied
    sectors: list[tuple[str, int]]
    kpis: list[tuple[str, str]]
    table: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    extras: list[Extra] = field(default_factory=list)


def _percent(part: int, whole: int) -> str:
    return f"{format_number(100 * part / whole, 0)} %" if whole else "–"


def cohort_startup_ids(program: Program) -> list[int]:
    return list(
        db.session.scalars(
            select(Application.startup_id)
            .join(Startup, Startup.id == Application.startup_id)
            .where(Application.program_id == program.id, Application.stage.in_(COHORT_STAGES))
            .order_by(Startup.name, Startup.id)
        )
    )


def funnel(program: Program) -> list[tuple[str, int, str, str]]:
    """Applied → screened → accepted → graduated, from the stage history (one query)."""
    reached = dict(
        db.session.execute(
            select(StageTransition.to_stage, func.count(func.distinct(Application.id)))
            .join(Application, Application.id == StageTransition.application_id)
            .where(
                Application.program_id == program.id,
                StageTransition.to_stage.in_(
                    (Stage.SUBMITTED, Stage.SCREENING, Stage.ACCEPTED, Stage.GRADUATED)
                ),
            )
            .group_by(StageTransition.to_stage)
        ).all()
    )
    steps = [
        (_("Applied"), reached.get(Stage.SUBMITTED, 0)),
        (_("Screened"), reached.get(Stage.SCREENING, 0)),
        (_("Accepted"), reached.get(Stage.ACCEPTED, 0)),
        (_("Graduated"), reached.get(Stage.GRADUATED, 0)),
    ]
    applied = steps[0][1]
    rows = []
    previous = None
    for label, count in steps:
        rows.append(
            (
                label,
                count,
                _percent(count, previous) if previous is not None else "",
                _percent(count, applied),
            )
        )
        previous = count
    return rows


def _latest_checkins(startup_ids: list[int], until: date | None = None) -> dict[int, CheckIn]:
    statement = select(CheckIn).where(CheckIn.startup_id.in_(startup_ids))
    if until is not None:
        statement = statement.where(CheckIn.month <= until)
    latest: dict[int, CheckIn] = {}
    for row in db.session.scalars(statement.order_by(CheckIn.month)):
        latest[row.startup_id] = row
    return latest


def cohort_summary(program: Program, startup_ids: list[int]) -> CohortSummary:
    sectors = db.session.execute(
        select(Startup.sector, func.count())
        .where(Startup.id.in_(startup_ids))
        .group_by(Startup.sector)
        .order_by(func.count().desc())
    ).all()
    latest = _latest_checkins(startup_ids)
    funding = db.session.scalar(
        select(func.coalesce(func.sum(CheckIn.funding_raised_vnd), 0)).where(
            CheckIn.startup_id.in_(startup_ids)
        )
    )
    hours = db.session.scalar(
        select(func.coalesce(func.sum(MentoredStartup.minutes), 0)).where(
            MentoredStartup.startup_id.in_(startup_ids)
        )
    )
    period = " – ".join(
        format_date(d) for d in (program.starts_on, program.ends_on) if d is not None
    )
    return CohortSummary(
        program=program.name,
        center=program.center.name,
        kind=program.kind.label,
        period=period or "–",
        funnel=funnel(program),
        sectors=[(sector.label, count) for sector, count in sectors],
        kpis=[
            (_("Startups in the cohort"), str(len(startup_ids))),
            (
                _("Monthly revenue (latest check-ins)"),
                format_vnd(sum(c.revenue_vnd for c in latest.values())),
            ),
            (
                _("Paying customers (latest check-ins)"),
                format_number(sum(c.customers for c in latest.values()), 0),
            ),
            (_("Funding raised"), format_vnd(int(funding or 0))),
            (_("Jobs (headcount)"), str(sum(c.headcount for c in latest.values()))),
            (_("Mentoring hours"), _hours(int(hours or 0))),
        ],
        extras=_extras("cohort", program.id),
    )


def table_row(report: StartupReport, score: str) -> tuple[str, str, str, str, str, str]:
    return (
        report.name,
        report.sector,
        report.stage,
        format_number(report.hours, 1),
        str(report.headcount) if report.headcount is not None else "–",
        score,
    )


# -------------------------------------------------------------------- center


@dataclass
class CenterReport:
    center: str
    period: str
    figures: list[tuple[str, str]]
    programs: list[tuple[str, str, str, str, str]]  # name, kind, applied, accepted, graduated
    hours_chart: Markup
    labs: list[tuple[str, str, str, str, str]]  # lab, machines, booked h, open h, utilization
    utilization_chart: Markup
    graduates: list[tuple[str, str, str]]  # startup, program, day
    startups: list[tuple[str, str, str, str]]  # name, sector, stage, hours
    extras: list[Extra] = field(default_factory=list)


def _utc_range(first: date, last: date) -> tuple[datetime, datetime]:
    start = local_to_utc(datetime.combine(first, time()))
    end = local_to_utc(datetime.combine(last + timedelta(days=1), time()))
    return start.astimezone(UTC), end.astimezone(UTC)


def center_report(center: Center, first: date, last: date) -> CenterReport:
    start, end = _utc_range(first, last)
    programs = list(
        db.session.scalars(
            select(Program)
            .where(Program.center_id == center.id, Program.opens_at < end)
            .where((Program.ends_on.is_(None)) | (Program.ends_on >= first))
            .order_by(Program.opens_at)
        )
    )
    counts: dict[tuple[int, Stage], int] = {
        (pid, stage): n
        for pid, stage, n in db.session.execute(
            select(
                Application.program_id,
                StageTransition.to_stage,
                func.count(func.distinct(Application.id)),
            )
            .join(Application, Application.id == StageTransition.application_id)
            .where(Application.program_id.in_([p.id for p in programs]))
            .where(StageTransition.to_stage.in_((Stage.SUBMITTED, Stage.ACCEPTED, Stage.GRADUATED)))
            .group_by(Application.program_id, StageTransition.to_stage)
        ).all()
    }
    months = list(
        db.session.scalars(
            select(CenterMonth)
            .where(
                CenterMonth.center_id == center.id,
                CenterMonth.month >= first.replace(day=1),
                CenterMonth.month <= last,
            )
            .order_by(CenterMonth.month)
        )
    )
    minutes = sum(m.minutes for m in months)
    sessions = sum(m.sessions for m in months)
    served = list(
        db.session.scalars(
            select(MentoredStartup)
            .where(MentoredStartup.center_id == center.id, MentoredStartup.since < end)
            .join(Startup, Startup.id == MentoredStartup.startup_id)
            .order_by(Startup.name)
        )
    )
    served_ids = [m.startup_id for m in served]
    graduates = db.session.execute(
        select(Startup.name, Program, StageTransition.at)
        .join(Application, Application.id == StageTransition.application_id)
        .join(Program, Program.id == Application.program_id)
        .join(Startup, Startup.id == Application.startup_id)
        .where(
            Program.center_id == center.id,
            StageTransition.to_stage == Stage.GRADUATED,
            StageTransition.at >= start,
            StageTransition.at < end,
        )
        .order_by(StageTransition.at)
    ).all()
    funding = db.session.scalar(
        select(func.coalesce(func.sum(CheckIn.funding_raised_vnd), 0)).where(
            CheckIn.startup_id.in_(served_ids),
            CheckIn.month >= first.replace(day=1),
            CheckIn.month <= last,
        )
    )
    headcount = sum(c.headcount for c in _latest_checkins(served_ids, last).values())
    labs = fablab.labs_of(center.id)
    period = fablab.Period(first, last)
    lab_rows = fablab.lab_figures(labs, period) if labs else []
    machines = db.session.execute(fablab.utilization_query(labs, period)).all() if labs else []
    return CenterReport(
        center=center.name,
        period=f"{format_date(first)} – {format_date(last)}",
        figures=[
            (_("Programs"), str(len(programs))),
            (_("Startups served"), str(len(served))),
            (_("Mentoring hours"), _hours(minutes)),
            (_("Mentoring sessions"), str(sessions)),
            (_("Graduates"), str(len(graduates))),
            (_("Funding raised"), format_vnd(int(funding or 0))),
            (_("Jobs (headcount)"), str(headcount)),
        ],
        programs=[
            (
                p.name,
                p.kind.label,
                str(counts.get((p.id, Stage.SUBMITTED), 0)),
                str(counts.get((p.id, Stage.ACCEPTED), 0)),
                str(counts.get((p.id, Stage.GRADUATED), 0)),
            )
            for p in programs
        ],
        hours_chart=printed(
            bar_chart(
                _("Mentoring hours"),
                [Point(m.month.strftime("%m/%y"), m.minutes / 60) for m in months],
                lambda v: format_number(v, 1),
            )
        ),
        labs=[
            (
                f.lab.name,
                str(f.machines),
                _hours(f.booked),
                _hours(f.open_minutes * f.machines),
                fablab.percent(f.utilization),
            )
            for f in lab_rows
        ],
        utilization_chart=printed(utilization_chart(machines)),
        graduates=[(name, program.name, format_date(at)) for name, program, at in graduates],
        startups=[
            (m.startup.name, m.startup.sector.label, m.current_stage.label, _hours(m.minutes))
            for m in served
        ],
        extras=_extras("center", center.id, first=first, last=last),
    )
