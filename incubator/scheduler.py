"""Scheduled work: the `Schedule`s that domains contribute, run by themselves.

How it runs
-----------
* One daemon thread per process (`start`) wakes every SCHEDULER_TICK_SECONDS and hands
  each schedule that is due to `jobs.enqueue`: the in-process thread pool in the embedded
  default, the RQ queue when REDIS_URL is set. The thread is given the application object
  itself (never the `current_app` proxy, which means nothing outside a request).
* Each tick that reached the queue is written down (`beat(SCHEDULE)`), and `flask worker`
  writes its own heartbeat (`beat(WORKER)`), in the `heartbeats` table, so that any
  process (/healthz, /metrics) reads when they last ran (`last_beat`).
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
import os
import threading
import time
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import String, UniqueConstraint, select, update
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.local import LocalProxy

from incubator import jobs
from incubator.db import Base, UTCDateTime, add_unique, db, run, utcnow

log = logging.getLogger(__name__)
SCHEDULE = "schedule"  # the last tick of a schedule thread that reached the queue
WORKER = "worker"  # the last sign of life of a `flask worker` process


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


class Heartbeat(Base):
    """When something that runs by itself last showed it was alive (SCHEDULE, WORKER)."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


def _beat(name: str, at: datetime) -> None:
    changed = db.session.execute(
        update(Heartbeat).where(Heartbeat.name == name).values(at=at)
    ).rowcount
    if not changed and not add_unique(Heartbeat(name=name, at=at)):
        db.session.execute(update(Heartbeat).where(Heartbeat.name == name).values(at=at))


def beat(name: str, at: datetime | None = None) -> None:
    """Write down that `name` is alive now, in a transaction of its own (needs an app context)."""
    run(_beat, name, at or utcnow())


def last_beat(name: str) -> datetime | None:
    """When `name` (SCHEDULE, WORKER) last showed it was alive, from any process; None if never."""
    return db.session.scalar(select(Heartbeat.at).where(Heartbeat.name == name))


def interval(app: Flask, schedule: Any) -> float:
    """A schedule's interval in seconds (SCHEDULER_MAX_INTERVAL_SECONDS caps them all: tests)."""
    every = schedule.every.total_seconds()
    cap = app.config.get("SCHEDULER_MAX_INTERVAL_SECONDS")
    return min(every, float(cap)) if cap else every


def run_due(app: Flask, last_run: dict[str, float], now: float) -> list[str]:
    """Enqueue every schedule whose interval has passed since it last ran; their names."""
    started = []
    for schedule in app.extensions["contributions"].schedules:
        previous = last_run.get(schedule.name)
        if previous is not None and now - previous < interval(app, schedule):
            continue
        key = f"schedule-{schedule.name}"
        with app.app_context():
            if jobs.waiting(key):  # its last run still waits for a busy worker: no pile-up
                last_run[schedule.name] = now
                continue
            if jobs.enqueue(schedule.job, key=key) is False:
                continue  # the queue is down (logged once): due again at the next tick
        last_run[schedule.name] = now
        started.append(schedule.name)
    return started


def tick(app: Flask, last_run: dict[str, float], worker: bool = False) -> list[str]:
    """One tick of the thread: the due schedules enqueued, the heartbeats written."""
    started = run_due(app, last_run, time.monotonic())
    with app.app_context():
        if worker:
            beat(WORKER)
        if jobs.queue_outage() is None:
            beat(SCHEDULE)
    return started


# A tick holds this lock; `flask worker` forks a process per job only between ticks (see
# `start`), so that no child begins life with a lock this thread held (SQLAlchemy's mapper
# configuration, a connection pool's, a socket mid-write): such a child hangs for ever.
_ticking = threading.Lock()
_fork_guarded = False


def _guard_forks() -> None:
    global _fork_guarded
    if not _fork_guarded:
        _fork_guarded = True
        os.register_at_fork(
            before=_ticking.acquire,
            after_in_parent=_ticking.release,
            after_in_child=_ticking.release,
        )


def _loop(app: Flask, worker: bool, stopped: threading.Event) -> None:
    last_run: dict[str, float] = {}
    seconds = float(app.config.get("SCHEDULER_TICK_SECONDS") or 15)
    failing = False
    while not stopped.is_set():
        try:
            with _ticking:
                tick(app, last_run, worker)
            failing = False
        except Exception:  # a failing tick must not end the thread; one traceback per outage
            if not failing:
                log.exception("scheduler tick failed")
            failing = True
        stopped.wait(seconds)


def start(app: Flask, worker: bool = False) -> threading.Thread:
    """Start this process's scheduler thread (once), with the application object itself
    (`current_app._get_current_object()`, never the proxy). `worker`: also write the
    worker's heartbeat."""
    if isinstance(app, LocalProxy):
        app = app._get_current_object()  # type: ignore[attr-defined]
    thread = app.extensions.get("scheduler_thread")
    if thread is not None:
        return thread
    if worker:
        _guard_forks()
    stopped = app.extensions["scheduler_stop"] = threading.Event()
    thread = threading.Thread(
        target=_loop, args=(app, worker, stopped), name="incubator-scheduler", daemon=True
    )
    app.extensions["scheduler_thread"] = thread
    thread.start()
    return thread


def stop(app: Flask, timeout: float = 10) -> None:
    """End this process's scheduler thread (tests; the worker's warm shutdown)."""
    thread = app.extensions.pop("scheduler_thread", None)
    if thread is not None:
        app.extensions.pop("scheduler_stop").set()
        thread.join(timeout)


def init_app(app: Flask) -> None:
    if not app.config.get("SCHEDULER_ENABLED"):
        return
    lock = threading.Lock()

    @app.before_request
    def _start_scheduler() -> None:
        if app.extensions.get("scheduler_thread") is None:
            with lock:
                start(app)
