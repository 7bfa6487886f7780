"""Scheduled work: the `Schedule`s that domains contribute, run by themselves.

How it runs
-----------
* One daemon thread per process (`start`) wakes every `TICK` seconds and hands each
  schedule that is due to `jobs.enqueue`: the in-process thread pool in the embedded
  default, the RQ queue when REDIS_URL is set.
* The web app starts the thread on its first request when `SCHEDULER_ENABLED` is on
  (the default without Redis; off in tests and with Redis). `flask worker` starts it
  in the worker process, so production schedules through RQ. Without either,
  `flask --app incubator run-schedules` runs every job once (a cron line can call it).

Why it is safe to run twice
---------------------------
Several processes may each have a thread (gunicorn workers, two machines). Jobs are
therefore idempotent: before acting on an object a job calls `first_time(kind,
object_id, period)`, which inserts a row under a unique constraint in the job's own
transaction. The second process to try blocks on that row (PostgreSQL) or on the
write lock (SQLite, BEGIN IMMEDIATE) and then finds it taken, so the reminder
email queued in the same transaction is written once.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from flask import Flask
from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from incubator import jobs
from incubator.db import Base, UTCDateTime, add_unique, utcnow

log = logging.getLogger(__name__)
TICK = 60.0


class SentMark(Base):
    """Something a scheduled job did once: (kind, object, period), e.g. a reminder sent."""

    __tablename__ = "sent_marks"
    __table_args__ = (UniqueConstraint("kind", "object_id", "period", name="once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int]
    period: Mapped[str] = mapped_column(String(20), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def first_time(kind: str, object_id: int, period: str = "") -> bool:
    """Mark (kind, object, period) as done in the current transaction; False if it was."""
    return add_unique(SentMark(kind=kind, object_id=object_id, period=period))


def run_due(app: Flask, last_run: dict[str, float], now: float) -> list[str]:
    """Enqueue every schedule whose interval has passed since it last ran; their names."""
    started = []
    for schedule in app.extensions["contributions"].schedules:
        previous = last_run.get(schedule.name)
        if previous is not None and now - previous < schedule.every.total_seconds():
            continue
        last_run[schedule.name] = now
        with app.app_context():
            jobs.enqueue(schedule.job)
        started.append(schedule.name)
    return started


def _loop(app: Flask) -> None:
    last_run: dict[str, float] = {}
    while True:
        try:
            run_due(app, last_run, time.monotonic())
        except Exception:  # a failing job must not end the thread
            log.exception("scheduler tick failed")
        time.sleep(TICK)


def start(app: Flask) -> None:
    """Start this process's scheduler thread (once)."""
    if app.extensions.get("scheduler_thread") is not None:
        return
    thread = threading.Thread(target=_loop, args=(app,), name="incubator-scheduler", daemon=True)
    app.extensions["scheduler_thread"] = thread
    thread.start()


def init_app(app: Flask) -> None:
    if not app.config.get("SCHEDULER_ENABLED"):
        return
    lock = threading.Lock()

    @app.before_request
    def _start_scheduler() -> None:
        if app.extensions.get("scheduler_thread") is None:
            with lock:
                start(app)
