"""A report (or export) produced in the background: its status, progress and file."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incubator.accounts.models import User
from incubator.db import Base, UTCDateTime, enum_column, utcnow
from incubator.enums import LabelledEnum, labelled


class ReportKind(LabelledEnum):
    STARTUP = "startup"
    COHORT = "cohort"
    CENTER = "center"
    EXPORT = "export"


labelled(
    ReportKind,
    {
        ReportKind.STARTUP: _l("Startup progress report"),
        ReportKind.COHORT: _l("Cohort report"),
        ReportKind.CENTER: _l("Center report"),
        ReportKind.EXPORT: _l("Export of the center's data"),
    },
)


class JobStatus(LabelledEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"


labelled(
    JobStatus,
    {
        JobStatus.QUEUED: _l("Waiting"),
        JobStatus.RUNNING: _l("Running"),
        JobStatus.DONE: _l("Done"),
        JobStatus.FAILED: _l("Failed"),
        JobStatus.EXPIRED: _l("Expired"),
    },
)


class ReportJob(Base):
    """One requested report. The worker writes progress and a heartbeat in short transactions
    of its own; a running job whose heartbeat stops is marked failed (services.mark_dead_jobs)."""

    __tablename__ = "report_jobs"
    __table_args__ = (
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),
        Index("ix_report_jobs_status_heartbeat", "status", "heartbeat_at"),
        Index("ix_report_jobs_requested_by_created", "requested_by_id", "created_at"),
        Index("ix_report_jobs_status_expires", "status", "expires_at"),
        # one job in the works per requester and report: a form sent twice (or twenty times
        # at once) follows the same job
        Index(
            "ix_report_jobs_one_active",
            "requested_by_id",
            "dedupe_key",
            unique=True,
            postgresql_where=text("status IN ('queued', 'running')"),
            sqlite_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReportKind] = mapped_column(enum_column(ReportKind, "report_kind"))
    # what to print: {"program_id": 3} or {"center_id": 1, "first": "2026-01-01", ...}
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(300), default="")  # kind, params, language
    title: Mapped[str] = mapped_column(String(300), default="")
    lang: Mapped[str] = mapped_column(String(2), default="vi")
    center_id: Mapped[int | None] = mapped_column(ForeignKey("centers.id"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[JobStatus] = mapped_column(
        enum_column(JobStatus, "report_job_status"), default=JobStatus.QUEUED
    )
    progress: Mapped[int] = mapped_column(default=0)
    step: Mapped[str] = mapped_column(String(200), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    file_name: Mapped[str | None] = mapped_column(String(120))  # under REPORTS_DIR
    download_name: Mapped[str] = mapped_column(String(200), default="")
    size: Mapped[int | None]
    pages: Mapped[int | None]
    attempts: Mapped[int] = mapped_column(default=0)
    worker: Mapped[str] = mapped_column(String(120), default="")  # host:pid
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    requested_by: Mapped[User] = relationship(lazy="joined", innerjoin=True)
