"""Background jobs: RQ when REDIS_URL is set, a thread pool in-process otherwise.

A job is named by its import path ("package.module:function") so that an RQ
worker in another process can find it; it always runs inside an app context.
"""

from __future__ import annotations

import importlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from flask import Flask, current_app

log = logging.getLogger(__name__)


def _resolve(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def enqueue(
    path: str, *args: Any, delay: timedelta | None = None, timeout: int | None = None
) -> None:
    """Run `path(*args)` in the background. `timeout` (seconds) lets an RQ job run longer than
    RQ's default of 180 s (a long report); the other backends have no limit."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    backend = app.config["JOBS_BACKEND"]
    if backend == "rq":
        _rq_enqueue(app, path, args, delay, timeout)
    elif backend == "thread":
        _thread_enqueue(app, path, args, delay)
    elif delay is None:  # inline, for tests: run now; delayed retries are left to the caller
        _run(app, path, args)


def _run(app: Flask, path: str, args: tuple[Any, ...]) -> None:
    with app.app_context():
        try:
            _resolve(path)(*args)
        except Exception:
            log.exception("job %s failed", path)
            if app.config["JOBS_BACKEND"] == "inline":
                raise


def _thread_enqueue(app: Flask, path: str, args: tuple[Any, ...], delay: timedelta | None) -> None:
    executor = app.extensions.get("jobs_executor")
    if executor is None:
        executor = app.extensions["jobs_executor"] = ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="incubator-job"
        )
    if delay is None:
        executor.submit(_run, app, path, args)
        return
    timer = threading.Timer(delay.total_seconds(), executor.submit, (_run, app, path, args))
    timer.daemon = True
    timer.start()


def _rq_queue(app: Flask) -> Any:
    from redis import Redis
    from rq import Queue

    return Queue("incubator", connection=Redis.from_url(app.config["REDIS_URL"]))


def _rq_enqueue(
    app: Flask,
    path: str,
    args: tuple[Any, ...],
    delay: timedelta | None,
    timeout: int | None = None,
) -> None:
    queue = _rq_queue(app)
    options = {"job_timeout": timeout} if timeout else {}
    if delay is None:
        queue.enqueue(run_in_worker, path, *args, **options)
    else:
        queue.enqueue_in(delay, run_in_worker, path, *args, **options)


_worker_app: Flask | None = None


def run_in_worker(path: str, *args: Any) -> None:
    """Entry point of RQ jobs: one app per worker process, built from the environment."""
    global _worker_app
    if _worker_app is None:
        from incubator import create_app

        _worker_app = create_app()
    _run(_worker_app, path, args)


def run_worker(app: Flask) -> None:
    """`flask worker`: an RQ worker with its scheduler, for delayed retries."""
    from rq import Worker

    global _worker_app
    _worker_app = app
    queue = _rq_queue(app)
    # whatever a crashed sender or a restart left behind is delivered first
    queue.enqueue(run_in_worker, "incubator.mail:deliver_outbox")
    from incubator import scheduler

    scheduler.start(app)  # the scheduled jobs go through this queue
    Worker([queue], connection=queue.connection).work(with_scheduler=True)
