"""A manager's "export all of my center's data": a ZIP of CSV files made by the lists' own
specs (the same columns and CSV rules as each list's CSV download), as a background job."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Select, false, select

from incubator.accounts.models import User
from incubator.applications.models import Application
from incubator.centers.models import Center
from incubator.db import db, run, utcnow
from incubator.fablab import lists as fablab_lists
from incubator.fablab import services as fablab
from incubator.fablab.models import Booking, Lab
from incubator.i18n import to_local
from incubator.lists import ListSpec, neutralise_cell
from incubator.mentoring import lists as mentoring_lists
from incubator.mentoring import services as mentoring
from incubator.mentoring.models import CheckIn, MentoredStartup, MentoringSession
from incubator.programs.models import Program
from incubator.reports import lists
from incubator.reviews.lists import QUEUE
from incubator.reviews.models import Review
from incubator.startups.models import Startup

Progress = Callable[[int, str], None]


def applications_query(center_id: int) -> Select[Any]:
    return (
        select(Application)
        .join(Startup, Startup.id == Application.startup_id)
        .join(Program, Program.id == Application.program_id)
        .where(Program.center_id == center_id)
    )


def reviews_query(center_id: int) -> Select[Any]:
    return (
        select(Review)
        .join(Application, Review.application_id == Application.id)
        .join(Startup, Application.startup_id == Startup.id)
        .join(Program, Program.id == Application.program_id)
        .where(Program.center_id == center_id)
    )


def checkins_query(center_id: int) -> Select[Any]:
    return (
        select(CheckIn, Startup.name)
        .join(Startup, Startup.id == CheckIn.startup_id)
        .join(MentoredStartup, MentoredStartup.startup_id == CheckIn.startup_id)
        .where(MentoredStartup.center_id == center_id)
    )


def bookings_query(center_id: int) -> Select[Any]:
    return select(Booking).join(Lab, Lab.id == Booking.lab_id).where(Lab.center_id == center_id)


def csv_text(spec: ListSpec, rows: Any) -> str:
    """The CSV a list's download gives: UTF-8 with a BOM, formulas neutralised."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(spec.csv_header())
    for row in rows:
        writer.writerow([neutralise_cell(cell) for cell in spec.csv_row(row)])
    return buffer.getvalue()


def _part(spec: ListSpec, statement: Select[Any]) -> str:
    return csv_text(spec, spec.rows(statement, spec.parse({})))


def center_zip(center_id: int, lang: str, path: str, progress: Progress, actor_id: int = 0) -> str:
    """Write the ZIP to `path`; its file name."""
    with force_locale(lang):
        center = run(db.session.get, Center, center_id)
        parts: list[tuple[str, Callable[[], str]]] = [
            (_("applications"), lambda: _part(lists.APPLICATIONS, applications_query(center_id))),
            (_("reviews"), lambda: _part(QUEUE, reviews_query(center_id))),
            (_("mentoring-sessions"), lambda: _sessions(center_id, actor_id)),
            (_("kpi-checkins"), lambda: _part(lists.CHECKINS, checkins_query(center_id))),
            (_("fablab-bookings"), lambda: _part(fablab_lists.BOOKINGS, bookings_query(center_id))),
            (_("fablab-utilization"), lambda: _utilization(center_id)),
        ]
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for number, (name, make) in enumerate(parts):
                progress(5 + 90 * number // len(parts), name)
                archive.writestr(f"{name}.csv", run(make))
        progress(100, _("Done"))
        stem = _("data-export")
        return f"{center.code}-{stem}.zip"


def _sessions(center_id: int, actor_id: int) -> str:
    actor = db.session.get(User, actor_id) if actor_id else None
    if actor is None or not actor.manages(center_id):
        # the center's sessions without private notes
        statement = (
            select(MentoringSession, false().label("notes_readable"))
            .join(Startup, Startup.id == MentoringSession.startup_id)
            .where(MentoringSession.center_id == center_id)
        )
    else:
        statement = mentoring.sessions_query(actor, center_id)
    return _part(mentoring_lists.SESSIONS, statement)


def _utilization(center_id: int) -> str:
    last = to_local(utcnow()).date()
    period = fablab.Period(last - timedelta(days=364), last)
    labs = fablab.labs_of(center_id)
    if not labs:
        return csv_text(fablab_lists.UTILIZATION, [])
    return _part(fablab_lists.UTILIZATION, fablab.utilization_query(labs, period))
