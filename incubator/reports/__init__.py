"""Reports: the startup progress report (on request), the cohort and center reports and the
center's data export as background jobs with a progress bar, and `flask report ...`."""

import os
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask_babel import lazy_gettext as _l

from incubator.observability import Gauge, add_gauge


def init_app(app: Flask) -> None:
    from incubator import signals
    from incubator.accounts.models import Role
    from incubator.api.core import register
    from incubator.domains import MenuEntry, Schedule, Section, contribute
    from incubator.reports import api, cli, services, views

    env = os.environ
    # The files are kept in storage under "reports/" (beside the uploads, or in the bucket),
    # handed out only by the download views. REPORTS_DIR, when set, keeps them in another
    # local folder instead (as earlier releases allowed; without a bucket only).
    if env.get("REPORTS_DIR"):
        app.config.setdefault("REPORTS_DIR", Path(env["REPORTS_DIR"]))
    # finished files are kept this long, then removed by the schedule
    app.config.setdefault("REPORTS_KEEP_HOURS", float(env.get("REPORTS_KEEP_HOURS", "24")))
    # processes rendering a cohort report's chunks (the machine's cores)
    app.config.setdefault(
        "REPORTS_PROCESSES", int(env.get("REPORTS_PROCESSES", min(2, os.cpu_count() or 1)))
    )
    app.config.setdefault(
        "REPORTS_HEARTBEAT_SECONDS", float(env.get("REPORTS_HEARTBEAT_SECONDS", "5"))
    )
    # a running job whose heartbeat is older than this is dead (the upkeep, every 15 s, fails it)
    app.config.setdefault(
        "REPORTS_DEAD_AFTER_SECONDS", float(env.get("REPORTS_DEAD_AFTER_SECONDS", "30"))
    )
    # a queued job whose queue entry is gone this long after it was asked for is queued again
    app.config.setdefault("REPORTS_REQUEUE_AFTER_SECONDS", 10.0)
    app.config.setdefault("REPORTS_QUEUE_TIMEOUT_SECONDS", 3600.0)
    # how long RQ lets a report job run (its default of 180 s is short for a large cohort)
    app.config.setdefault("REPORTS_JOB_TIMEOUT_SECONDS", 3 * 3600)
    # tests slow a job down to watch it (or kill it mid-way)
    app.config.setdefault("REPORTS_STEP_DELAY", float(env.get("REPORTS_STEP_DELAY", "0")))

    app.register_blueprint(views.bp)
    register(app, api.bp)
    contribute(
        app,
        MenuEntry(_l("Reports"), "reports.index", order=70, roles=frozenset({Role.MANAGER})),
        Section("startups.detail", "reports/section_startup.html", views.startup_section, 5),
        Schedule("reports-upkeep", "incubator.reports:upkeep_job", timedelta(seconds=15)),
    )
    app.cli.add_command(cli.report)
    signals.stored_files.connect(services.stored_reports)
    add_gauge(app, Gauge("incubator_report_jobs_failed", "Report jobs failed", _failed_jobs))


def _failed_jobs() -> list[tuple[dict[str, str], float]]:
    """For /metrics: report jobs whose status is failed (an index range)."""
    from sqlalchemy import func, select

    from incubator.db import db
    from incubator.reports.models import JobStatus, ReportJob

    query = select(func.count()).select_from(ReportJob).where(ReportJob.status == JobStatus.FAILED)
    return [({}, db.session.scalar(query) or 0)]


def upkeep_job() -> None:
    """The scheduled job: dead workers marked failed, expired files removed."""
    from incubator.reports.services import upkeep

    upkeep()
