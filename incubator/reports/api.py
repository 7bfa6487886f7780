"""/api/v1 reports: a startup's progress report (rendered on request), cohort, center and
export reports as jobs (202 and the job's address), a job's progress, and its file.

The same services and rights as the web pages: a startup's report for whoever may view the
startup; the other reports for the center's managers and the admins; a job for the one who
asked for it (and the admins)."""

from __future__ import annotations

from typing import Any, Literal

from flask import Response, url_for
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel, Field

from incubator import storage
from incubator.accounts.models import Role
from incubator.api.core import (
    BEARER,
    ApiError,
    Day,
    Schema,
    answers,
    api_blueprint,
    body_json,
    file_answers,
    iso,
    query_args,
    spec,
)
from incubator.db import run
from incubator.errors import DomainError, NotFound
from incubator.i18n import current_language
from incubator.reports import render, services
from incubator.reports.models import JobStatus, ReportJob, ReportKind
from incubator.security import logged_in, roles

bp = api_blueprint("reports_api", __name__)
TAGS = ["reports"]
MAX_ID = 2**31 - 1
Language = Literal["vi", "en"]
FINISHED = (JobStatus.DONE, JobStatus.FAILED, JobStatus.EXPIRED)


class LanguageQuery(Schema):
    lang: Language | None = Field(None, description="the report's language (default: yours)")


class ReportIn(Schema):
    kind: Literal["cohort", "center", "export"] = Field(
        description="cohort: a program's startups (program_id); center: a center's period "
        "(center, from, to, pdfa); export: a ZIP of the center's lists (center)"
    )
    program_id: int | None = Field(None, ge=1, le=MAX_ID)
    center: str | None = Field(None, max_length=16, description="a center's code, e.g. BIIC")
    from_: Day | None = Field(None, alias="from", description="first day of the period")
    to: Day | None = Field(None, description="last day of the period (at most three years)")
    pdfa: bool = Field(False, description="an archival PDF/A-3b file")
    lang: Language | None = Field(None, description="the report's language (default: yours)")


class JobOut(BaseModel):
    id: int
    kind: ReportKind
    title: str
    lang: str
    status: JobStatus
    progress: int = Field(description="0 to 100")
    step: str
    error: str
    finished: bool
    url: str = Field(description="this job's address")
    download_url: str | None = Field(description="the file, once done")
    pages: int | None
    size: int | None
    created_at: str
    finished_at: str | None
    expires_at: str | None = Field(description="when the file is removed")


def job_json(job: ReportJob) -> dict[str, Any]:
    done = job.status is JobStatus.DONE
    return {
        "id": job.id,
        "kind": job.kind.value,
        "title": job.title,
        "lang": job.lang,
        "status": job.status.value,
        "progress": job.progress,
        "step": job.step,
        "error": job.error,
        "finished": job.status in FINISHED,
        "url": url_for("reports_api.job", job_id=job.id),
        "download_url": url_for("reports_api.download", job_id=job.id) if done else None,
        "pages": job.pages,
        "size": job.size,
        "created_at": iso(job.created_at),
        "finished_at": iso(job.finished_at),
        "expires_at": iso(job.expires_at),
    }


def _attachment(data: bytes, mimetype: str, name: str) -> Response:
    # the bytes, not a file response: spectree reads the answer's body to check it
    response = Response(data, mimetype=mimetype)
    response.headers.set("Content-Disposition", "attachment", filename=name)
    return response


@bp.get("/startups/<int:startup_id>/report.pdf")
@logged_in
@spec.validate(
    query=LanguageQuery, resp=file_answers(200, "application/pdf"), tags=TAGS, security=BEARER
)
def startup_report(startup_id: int) -> Any:
    """The startup's progress report as a PDF, made on request: for its founders, its
    assigned mentors, the managers of a center it applied to and the admins."""
    startup = run(services.printable_startup, current_user, startup_id)
    pdf, name = render.startup_pdf(startup.id, query_args().lang or current_language())
    return _attachment(pdf, "application/pdf", name)


@bp.post("/reports")
@roles(Role.MANAGER)
@spec.validate(json=ReportIn, resp=answers(202, JobOut), tags=TAGS, security=BEARER)
def report_create() -> Any:
    """Ask for a cohort, center or export report (the center's managers, the admins): 202
    with the job (`Location` is its address); follow it until `download_url` is set. Asked
    again while it is in the works, the same job is answered."""
    job_id = run(_request, body_json())
    job = run(services.own_job, current_user, job_id)
    url = url_for("reports_api.job", job_id=job.id)
    return job_json(job), 202, {"Location": url}


def _required(field: str) -> DomainError:
    return DomainError(_("This field is required."), field=field, code="invalid")


def _request(data: ReportIn) -> int:
    lang = data.lang or current_language()
    if data.kind == "cohort":
        if data.program_id is None:
            raise _required("program_id")
        program = services.printable_program(current_user, data.program_id)
        return services.request_cohort(current_user, program, lang).id
    if data.center is None:
        raise _required("center")
    center = services.printable_center(current_user, data.center)
    if data.kind == "export":
        return services.request_export(current_user, center, lang).id
    try:
        job = services.request_center(current_user, center, data.from_, data.to, lang, data.pdfa)
    except DomainError as error:  # the web form's names are the API's "from" and "to"
        field = {"first": "from", "last": "to"}.get(error.field or "", error.field)
        raise DomainError(error.message, field=field, code=error.code) from error
    return job.id


@bp.get("/reports/<int:job_id>")
@logged_in
@spec.validate(resp=answers(200, JobOut), tags=TAGS, security=BEARER)
def job(job_id: int) -> Any:
    """A report job you asked for: its status, progress, step, error, and the address of its
    file once done."""
    return job_json(run(services.own_job, current_user, job_id))


@bp.get("/reports/<int:job_id>/download")
@logged_in
@spec.validate(
    resp=file_answers(200, "application/pdf", "application/zip"), tags=TAGS, security=BEARER
)
def download(job_id: int) -> Any:
    """The job's file (a PDF, or a ZIP for an export): 409 `not_ready` while it is in the
    works, 404 once failed or expired."""
    job_ = run(services.own_job, current_user, job_id)
    if job_.status in (JobStatus.QUEUED, JobStatus.RUNNING):
        raise ApiError(409, "not_ready", _("The report is not ready yet."))
    key = services.job_file(job_)
    if key is None:
        raise NotFound("file")
    mimetype = "application/zip" if key.endswith(".zip") else "application/pdf"
    # streamed in chunks (or a redirect to a presigned address), past spectree's checks
    return storage.send(key, job_.download_name or key.rpartition("/")[2], mimetype)
