"""Who may print what, report jobs (request, run, progress, heartbeat, retry, dead workers,
expiry) and the center's data export."""

from __future__ import annotations

import json
import logging
import os
import socket
import tempfile
import threading
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from incubator import jobs
from incubator.accounts.models import Role, User
from incubator.api import webhooks
from incubator.api.core import PREFIX
from incubator.api.models import WebhookEvent
from incubator.centers.models import Center
from incubator.db import add_unique, db, on_commit, run, utcnow
from incubator.errors import DomainError, NotFound
from incubator.i18n import to_local
from incubator.programs.models import Program
from incubator.reports import render
from incubator.reports.models import JobStatus, ReportJob, ReportKind
from incubator.startups import services as startups
from incubator.startups.models import Startup
from incubator.storage import storage

log = logging.getLogger(__name__)
LANGUAGES = ("vi", "en")
MAX_PERIOD_DAYS = 366 * 3
JOB_PAGE = 20


# ------------------------------------------------------------------ access


def may_print_startup(actor: Any, startup: Startup) -> bool:
    """Its founders, its assigned mentors, the managers of a center it applied to, admins:
    whoever may view the startup (startups.services.may_view_startup and its signal)."""
    return startups.may_view_startup(actor, startup)


def printable_startup(actor: Any, startup_id: int) -> Startup:
    return startups.viewable_startup(actor, startup_id)


def may_print_center(actor: Any, center_id: int) -> bool:
    """Cohort, center and export: the center's managers and the admins."""
    return actor.is_authenticated and actor.manages(center_id)


def printable_program(actor: Any, program_id: int) -> Program:
    program = db.session.get(Program, program_id)
    if program is None or not may_print_center(actor, program.center_id):
        raise NotFound("program")
    return program


def printable_center(actor: Any, code: str) -> Center:
    center = db.session.scalar(select(Center).where(Center.code == code))
    if center is None or not may_print_center(actor, center.id):
        raise NotFound("center")
    return center


def own_job(actor: Any, job_id: int) -> ReportJob:
    """A job its requester follows (admins see every job)."""
    job = db.session.get(ReportJob, job_id)
    if job is None or not (actor.is_admin or job.requested_by_id == actor.id):
        raise NotFound("job")
    return job


def printable_centers(actor: User) -> list[Center]:
    statement = select(Center).order_by(Center.code)
    if not actor.is_admin:
        statement = statement.where(Center.id == actor.managed_center_id)
    return list(db.session.scalars(statement))


def programs_of(centers: list[Center]) -> list[Program]:
    return list(
        db.session.scalars(
            select(Program)
            .where(Program.center_id.in_([c.id for c in centers]))
            .order_by(Program.opens_at.desc())
        )
    )


def jobs_of(actor: User, limit: int = JOB_PAGE) -> list[ReportJob]:
    return list(
        db.session.scalars(
            select(ReportJob)
            .where(ReportJob.requested_by_id == actor.id)
            .order_by(ReportJob.created_at.desc(), ReportJob.id.desc())
            .limit(limit)
        )
    )


# ------------------------------------------------------------------ requests


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise DomainError(_("Choose Vietnamese or English."), field="lang")
    return lang


@dataclass
class CenterPeriod:
    first: date
    last: date


def check_period(first: date | None, last: date | None) -> CenterPeriod:
    if first is None:
        raise DomainError(_("Give the first day of the period."), field="first")
    if last is None:
        raise DomainError(_("Give the last day of the period."), field="last")
    if last < first:
        raise DomainError(_("The end comes after the start."), field="last")
    if (last - first).days > MAX_PERIOD_DAYS:
        raise DomainError(_("Choose a period of at most three years."), field="last")
    return CenterPeriod(first, last)


def _queue(
    actor: User, kind: ReportKind, scope: int, title: str, lang: str, **params: Any
) -> ReportJob:
    """A new job, or the one the requester already has in the works for the same report."""
    key = json.dumps([kind.value, lang, params], sort_keys=True, ensure_ascii=False)[:300]
    job = ReportJob(
        kind=kind,
        params=params,
        dedupe_key=key,
        title=title[:300],
        lang=check_language(lang),
        center_id=scope,
        requested_by_id=actor.id,
        step=_("Waiting for a worker"),
    )
    existing = _in_the_works(actor, key)
    if existing is not None and _revive(existing):
        return existing
    if not add_unique(job):
        existing = _in_the_works(actor, key)
        if existing is not None:
            return existing
        raise DomainError(_("Someone did the same at the same moment. Please try again."))
    job_id = job.id
    on_commit(db.session, lambda: _enqueue(job_id, 0))
    return job


def _in_the_works(actor: User, key: str) -> ReportJob | None:
    return db.session.scalar(
        select(ReportJob).where(
            ReportJob.requested_by_id == actor.id,
            ReportJob.dedupe_key == key,
            ReportJob.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)),
        )
    )


def _revive(job: ReportJob) -> bool:
    """Asked again for a report in the works: True if `job` is alive (or put back in the
    queue it vanished from), False if it was dead and is now failed (a new one starts)."""
    if job.status is JobStatus.RUNNING:
        stale = utcnow() - timedelta(seconds=current_app.config["REPORTS_DEAD_AFTER_SECONDS"])
        if job.heartbeat_at is not None and job.heartbeat_at >= stale:
            return True
        with force_locale(job.lang):
            message = _("The worker making this report stopped.")
        return not _fail_if(job.id, JobStatus.RUNNING, ReportJob.heartbeat_at < stale, message)
    if jobs.waiting(queue_key(job.id, job.attempts)) is False:
        job_id, attempts = job.id, job.attempts
        on_commit(db.session, lambda: _enqueue(job_id, attempts))
    return True


def queue_key(job_id: int, attempts: int) -> str:
    """The name of a report job's queue entry (a new one for each run)."""
    return f"report-{job_id}-{attempts}"


def _enqueue(job_id: int, attempts: int) -> None:
    jobs.enqueue(
        "incubator.reports.services:run_job",
        job_id,
        timeout=int(current_app.config["REPORTS_JOB_TIMEOUT_SECONDS"]),
        key=queue_key(job_id, attempts),
    )


def request_cohort(actor: User, program: Program, lang: str) -> ReportJob:
    if not may_print_center(actor, program.center_id):
        raise NotFound("program")
    return _queue(
        actor, ReportKind.COHORT, program.center_id, program.name, lang, program_id=program.id
    )


def request_center(
    actor: User,
    center: Center,
    first: date | None,
    last: date | None,
    lang: str,
    archival: bool = False,
) -> ReportJob:
    if not may_print_center(actor, center.id):
        raise NotFound("center")
    period = check_period(first, last)
    return _queue(
        actor,
        ReportKind.CENTER,
        center.id,
        f"{center.code} {period.first:%d/%m/%Y} – {period.last:%d/%m/%Y}",
        lang,
        center_id=center.id,
        first=period.first.isoformat(),
        last=period.last.isoformat(),
        archival=archival,
    )


def request_export(actor: User, center: Center, lang: str) -> ReportJob:
    if not may_print_center(actor, center.id):
        raise NotFound("center")
    return _queue(actor, ReportKind.EXPORT, center.id, center.code, lang, center_id=center.id)


def retry_job(actor: User, job: ReportJob) -> ReportJob:
    """A failed job runs again (the same row: its page keeps its address)."""
    locked = db.session.scalar(select(ReportJob).where(ReportJob.id == job.id).with_for_update())
    if locked.status is not JobStatus.FAILED:
        raise DomainError(_("Only a failed report can be tried again."))
    twin = db.session.scalar(
        select(ReportJob.id).where(
            ReportJob.requested_by_id == locked.requested_by_id,
            ReportJob.dedupe_key == locked.dedupe_key,
            ReportJob.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)),
        )
    )
    if twin is not None:
        raise DomainError(_("This report is already being made again."))
    locked.status = JobStatus.QUEUED
    locked.progress = 0
    locked.error = ""
    locked.step = _("Waiting for a worker")
    locked.worker = ""
    locked.heartbeat_at = None
    locked.started_at = None
    locked.finished_at = None
    job_id, attempts = locked.id, locked.attempts
    on_commit(db.session, lambda: _enqueue(job_id, attempts))
    return locked


# ------------------------------------------------------------------ running


def _claim(job_id: int) -> ReportJob | None:
    """Queued → running, once: a second worker given the same job finds it taken."""
    now = utcnow()
    claimed = db.session.execute(
        update(ReportJob)
        .where(ReportJob.id == job_id, ReportJob.status == JobStatus.QUEUED)
        .values(
            status=JobStatus.RUNNING,
            started_at=now,
            heartbeat_at=now,
            worker=f"{socket.gethostname()}:{os.getpid()}"[:120],
            attempts=ReportJob.attempts + 1,
            progress=0,
        )
    ).rowcount
    if not claimed:
        return None
    job = db.session.get(ReportJob, job_id)
    db.session.refresh(job)
    return job


def _set(job_id: int, **values: Any) -> None:
    db.session.execute(
        update(ReportJob)
        .where(ReportJob.id == job_id, ReportJob.status == JobStatus.RUNNING)
        .values(**values)
    )


class Heartbeat:
    """A thread that writes the job's heartbeat every REPORTS_HEARTBEAT_SECONDS in a session
    of its own: while it beats, the job is alive; when the process dies, it stops."""

    def __init__(self, app: Flask, job_id: int) -> None:
        self.app = app
        self.job_id = job_id
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"heartbeat-{job_id}", daemon=True)

    def _beat(self) -> None:
        every = self.app.config["REPORTS_HEARTBEAT_SECONDS"]
        while not self.stopped.wait(every):
            try:
                with self.app.app_context():
                    run(_set, self.job_id, heartbeat_at=utcnow())
            except Exception:  # a busy database skips a beat; the next one comes
                log.exception("heartbeat of report job %s failed", self.job_id)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.stopped.set()
        self.thread.join()


def run_job(job_id: int) -> None:
    """The job: claim, produce the file with progress, then done or failed (with the error)."""
    job = run(_claim, job_id)
    if job is None:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    last = {"percent": -1, "step": ""}

    def progress(percent: int, step: str) -> None:
        if percent == last["percent"] and step == last["step"]:
            return
        last.update(percent=percent, step=step)
        run(
            _set, job_id, progress=max(0, min(100, percent)), step=step[:200], heartbeat_at=utcnow()
        )

    file_name = f"{uuid.uuid4().hex}.{'zip' if job.kind is ReportKind.EXPORT else 'pdf'}"
    try:
        # made in a temporary folder of this machine, then stored where every machine finds it
        with Heartbeat(app, job_id), tempfile.TemporaryDirectory(prefix="report-") as work:
            path = os.path.join(work, file_name)
            pages, download = _produce(job, path, progress)
            with open(path, "rb") as made:
                size = storage().save(render.report_key(file_name), made)
    except Exception as error:
        log.exception("report job %s failed", job_id)
        storage().delete(render.report_key(file_name))
        with force_locale(job.lang):
            message = _("The report could not be made: %(error)s", error=str(error)[:300])
        run(_finish, job_id, JobStatus.FAILED, error=message)
        raise  # the queue records it failed too (RQ's failed registry), as our row says
    keep = timedelta(hours=app.config["REPORTS_KEEP_HOURS"])
    now = utcnow()
    run(
        _finish,
        job_id,
        JobStatus.DONE,
        file_name=file_name,
        download_name=download,
        size=size,
        pages=pages,
        progress=100,
        finished_at=now,
        expires_at=now + keep,
    )


def _finish(job_id: int, status: JobStatus, **values: Any) -> None:
    with force_locale(db.session.get(ReportJob, job_id).lang):
        step = _("Done") if status is JobStatus.DONE else _("Failed")
    changed = db.session.execute(
        update(ReportJob)
        .where(ReportJob.id == job_id, ReportJob.status == JobStatus.RUNNING)
        .values(status=status, step=step, **{"finished_at": utcnow(), **values})
    ).rowcount
    if not changed and values.get("file_name"):
        # marked dead meanwhile (a long pause): the file is not handed out
        storage().delete(render.report_key(values["file_name"]))
    if changed and status is JobStatus.DONE:
        _report_ready(db.session.get(ReportJob, job_id))


def _report_ready(job: ReportJob) -> None:
    """`report.ready` for the center's webhooks, in the transaction that marks the job done
    (the outbox: nothing is sent for a job whose end was rolled back)."""
    if job.center_id is None:
        return
    db.session.refresh(job)
    url = f"{PREFIX}/reports/{job.id}"
    webhooks.emit(
        job.center_id,
        WebhookEvent.REPORT_READY,
        {
            "job_id": job.id,
            "kind": job.kind.value,
            "title": job.title,
            "lang": job.lang,
            "pages": job.pages,
            "size": job.size,
            "url": url,
            "download_url": f"{url}/download",
            "expires_at": to_local(job.expires_at).isoformat() if job.expires_at else None,
        },
    )


def _produce(job: ReportJob, path: str, progress: render.Progress) -> tuple[int | None, str]:
    params = job.params
    if job.kind is ReportKind.COHORT:
        result = render.cohort_pdf(params["program_id"], job.lang, path, progress=progress)
        return result.pages, result.name
    if job.kind is ReportKind.CENTER:
        progress(10, _step(job.lang, "figures"))
        pdf, name = render.center_pdf(
            params["center_id"],
            date.fromisoformat(params["first"]),
            date.fromisoformat(params["last"]),
            job.lang,
            bool(params.get("archival")),
        )
        progress(95, _step(job.lang, "write"))
        with open(path, "wb") as handle:
            handle.write(pdf)
        return None, name
    if job.kind is ReportKind.EXPORT:
        from incubator.reports import exports

        return None, exports.center_zip(
            params["center_id"], job.lang, path, progress, job.requested_by_id
        )
    raise ValueError(f"unknown report kind {job.kind}")


def _step(lang: str, key: str) -> str:
    with force_locale(lang):
        return {"figures": _("Gathering the figures"), "write": _("Writing the file")}[key]


# ------------------------------------------------------------------ upkeep


def mark_dead_jobs(now: datetime | None = None) -> int:
    """Running jobs whose heartbeat stopped (the worker died or was killed) and queued jobs
    that no worker took become failed, with a message; never "running" forever."""
    now = now or utcnow()
    config = current_app.config
    stale = now - timedelta(seconds=config["REPORTS_DEAD_AFTER_SECONDS"])
    forgotten = now - timedelta(seconds=config["REPORTS_QUEUE_TIMEOUT_SECONDS"])
    cases = (
        (
            JobStatus.RUNNING,
            ReportJob.heartbeat_at < stale,
            lambda: _("The worker making this report stopped."),
        ),
        (
            JobStatus.QUEUED,
            ReportJob.created_at < forgotten,
            lambda: _("No worker took this report in time."),
        ),
    )
    count = 0
    for status, late, message in cases:
        for job in db.session.scalars(select(ReportJob).where(ReportJob.status == status, late)):
            with force_locale(job.lang):
                count += _fail_if(job.id, status, late, message())
    return count


def _fail_if(job_id: int, status: JobStatus, late: Any, message: str) -> int:
    """Failed, if it is still in `status` and still `late` (another process may have moved
    it meanwhile: the update says so by changing no row)."""
    return db.session.execute(
        update(ReportJob)
        .where(ReportJob.id == job_id, ReportJob.status == status, late)
        .values(status=JobStatus.FAILED, error=message, finished_at=utcnow(), step=message[:200])
    ).rowcount


def expire_files(now: datetime | None = None) -> int:
    """Finished files past their time are removed; the job stays, marked expired."""
    now = now or utcnow()
    expired = db.session.scalars(
        select(ReportJob).where(ReportJob.status == JobStatus.DONE, ReportJob.expires_at < now)
    ).all()
    names = []
    for job in expired:
        if job.file_name:
            names.append(job.file_name)
        job.status = JobStatus.EXPIRED
        job.file_name = None
    db.session.flush()
    # removed from storage (the folder or the bucket: wherever a worker stored them)
    on_commit(db.session, lambda: [storage().delete(render.report_key(n)) for n in names])
    return len(expired)


def requeue_lost_jobs(now: datetime | None = None) -> int:
    """Queued jobs whose queue entry vanished (asked for while Redis was down, or Redis
    restarted empty) go back in the queue; how many. A job enqueued twice runs once (_claim)."""
    now = now or utcnow()
    settle = now - timedelta(seconds=current_app.config["REPORTS_REQUEUE_AFTER_SECONDS"])
    lost = [
        (job_id, attempts)
        for job_id, attempts in db.session.execute(
            select(ReportJob.id, ReportJob.attempts).where(
                ReportJob.status == JobStatus.QUEUED, ReportJob.created_at < settle
            )
        )
        if jobs.waiting(queue_key(job_id, attempts)) is False
    ]
    db.session.rollback()
    for job_id, attempts in lost:
        _enqueue(job_id, attempts)
    return len(lost)


def upkeep() -> None:
    """The scheduled job: dead workers, lost queue entries, then expired files (idempotent)."""
    run(mark_dead_jobs)
    requeue_lost_jobs()
    run(expire_files)


def stored_reports(_sender: Any = None) -> list[tuple[str, str]]:
    """Answers `signals.stored_files`: the files of finished report jobs."""
    rows = db.session.execute(
        select(ReportJob.id, ReportJob.file_name).where(
            ReportJob.status == JobStatus.DONE, ReportJob.file_name.is_not(None)
        )
    )
    return [(render.report_key(name), f"file of report job {id_}") for id_, name in rows]


def job_file(job: ReportJob) -> str | None:
    """The storage key of a finished job's file, else None (`storage.send` answers 404 when
    the file itself is lost)."""
    if job.status is not JobStatus.DONE or not job.file_name:
        return None
    return render.report_key(job.file_name)


def is_manager(actor: Any) -> bool:
    return actor.is_authenticated and actor.has_role(Role.MANAGER, Role.ADMIN)
