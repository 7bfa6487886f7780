"""Reports: the startup progress report (on request), the cohort and center reports and the
center's data export as background jobs with a progress bar, and `flask report ...`."""

import os
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from incubator.accounts.models import Role
    from incubator.api.core import register
    from incubator.domains import MenuEntry, Schedule, Section, contribute
    from incubator.reports import api, cli, views

    env = os.environ
    # beside the uploads (instance/uploads/reports): files handed out only by the download view
    default_dir = Path(app.config.get("UPLOAD_DIR") or app.instance_path) / "reports"
    app.config.setdefault("REPORTS_DIR", Path(env.get("REPORTS_DIR", default_dir)))
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


def upkeep_job() -> None:
    """The scheduled job: dead workers marked failed, expired files removed."""
    from incubator.reports.services import upkeep

    upkeep()
