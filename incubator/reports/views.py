"""Report pages: the managers' reports page, a job's progress page and its JSON, downloads,
retry, and the startup progress report rendered on request."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from incubator import storage
from incubator.accounts.models import Role
from incubator.errors import NotFound
from incubator.forms import Form
from incubator.i18n import current_language, format_datetime
from incubator.reports import render, services
from incubator.reports.forms import CenterReportForm, ExportForm, LanguageForm
from incubator.reports.models import JobStatus, ReportJob
from incubator.security import logged_in, roles
from incubator.startups.models import Startup
from incubator.web import perform

bp = Blueprint("reports", __name__)


def _center_choices(form: Any) -> None:
    choices = [(c.code, c.name) for c in services.printable_centers(current_user)]
    form.center.choices = choices
    if not form.is_submitted() and choices:
        form.center.data = choices[0][0]


def _forms() -> tuple[CenterReportForm, ExportForm]:
    center_form = CenterReportForm(prefix="center", data={"lang": current_language()})
    export_form = ExportForm(prefix="export", data={"lang": current_language()})
    _center_choices(center_form)
    _center_choices(export_form)
    return center_form, export_form


def _index(center_form: CenterReportForm, export_form: ExportForm) -> Any:
    centers = services.printable_centers(current_user)
    return render_template(
        "reports/index.html",
        programs=services.programs_of(centers),
        jobs=services.jobs_of(current_user),
        center_form=center_form,
        export_form=export_form,
        cohort_form=LanguageForm(data={"lang": current_language()}),
    )


@bp.get("/reports")
@roles(Role.MANAGER)
def index() -> Any:
    return _index(*_forms())


@bp.post("/reports/cohort/<int:program_id>")
@roles(Role.MANAGER)
def cohort(program_id: int) -> Any:
    program = services.printable_program(current_user, program_id)
    form = LanguageForm()
    if not form.validate_on_submit():
        flash(_("Choose Vietnamese or English."), "error")
        return redirect(url_for("reports.index"))
    outcome = perform(services.request_cohort, current_user, program, form.lang.data)
    if not outcome.ok:
        return redirect(url_for("reports.index"))
    return redirect(url_for("reports.job", job_id=outcome.value.id))


@bp.post("/reports/center")
@roles(Role.MANAGER)
def center() -> Any:
    center_form, export_form = _forms()
    if center_form.validate_on_submit():
        center_ = services.printable_center(current_user, center_form.center.data)
        outcome = perform(
            services.request_center,
            current_user,
            center_,
            center_form.first.data,
            center_form.last.data,
            center_form.lang.data,
            bool(center_form.archival.data),
            form=center_form,
        )
        if outcome.ok:
            return redirect(url_for("reports.job", job_id=outcome.value.id))
    return _index(center_form, export_form), 400


@bp.post("/reports/export")
@roles(Role.MANAGER)
def export() -> Any:
    center_form, export_form = _forms()
    if export_form.validate_on_submit():
        center_ = services.printable_center(current_user, export_form.center.data)
        outcome = perform(services.request_export, current_user, center_, export_form.lang.data)
        if outcome.ok:
            return redirect(url_for("reports.job", job_id=outcome.value.id))
    return _index(center_form, export_form), 400


def _status(job: ReportJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "status": job.status.value,
        "status_label": job.status.label,
        "progress": job.progress,
        "step": job.step,
        "error": job.error,
        "finished": job.status in (JobStatus.DONE, JobStatus.FAILED, JobStatus.EXPIRED),
        "download_url": url_for("reports.download", job_id=job.id)
        if job.status is JobStatus.DONE
        else None,
        "finished_at": format_datetime(job.finished_at) if job.finished_at else "",
    }


@bp.get("/reports/jobs/<int:job_id>")
@logged_in
def job(job_id: int) -> Any:
    job_ = services.own_job(current_user, job_id)
    return render_template("reports/job.html", job=job_, status=_status(job_), retry_form=Form())


@bp.get("/reports/jobs/<int:job_id>/status")
@logged_in
def status(job_id: int) -> Any:
    response = Response(
        _json(_status(services.own_job(current_user, job_id))), mimetype="application/json"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


@bp.get("/reports/jobs/<int:job_id>/download")
@logged_in
def download(job_id: int) -> Any:
    job_ = services.own_job(current_user, job_id)
    key = services.job_file(job_)
    if key is None:
        raise NotFound("file")
    mimetype = "application/zip" if key.endswith(".zip") else "application/pdf"
    return storage.send(key, job_.download_name or key.rpartition("/")[2], mimetype)


@bp.post("/reports/jobs/<int:job_id>/retry")
@logged_in
def retry(job_id: int) -> Any:
    job_ = services.own_job(current_user, job_id)
    if perform(services.retry_job, current_user, job_).ok:
        flash(_("The report is being made again."), "success")
    return redirect(url_for("reports.job", job_id=job_.id))


@bp.get("/startups/<int:startup_id>/report.pdf")
@logged_in
def startup_report(startup_id: int) -> Any:
    """The progress report, small enough to be rendered on request."""
    startup = services.printable_startup(current_user, startup_id)
    lang = request.args.get("lang") or current_language()
    if lang not in services.LANGUAGES:
        lang = current_language()
    pdf, name = render.startup_pdf(startup.id, lang)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def startup_section(user: Any, startup: Startup) -> dict[str, Any] | None:
    """The download links on the startup's page, for whoever may print its report."""
    if not user.is_authenticated or not services.may_print_startup(user, startup):
        return None
    return {"startup": startup}
