"""Background jobs: RQ when REDIS_URL is set, a thread pool in-process otherwise.

A job is named by its import path ("package.module:function") so that an RQ worker in
another process can find it; it always runs inside an app context.

Nothing is lost when the queue is: whatever a job delivers is first written to the database
(outbox rows, report jobs "queued"), and `enqueue` only says "look now". When Redis does not
answer, `enqueue` logs one line for the outage (not one per attempt) and returns False; the
work waits in the database and the schedule's sweeps (outbox.sweep, the reports' upkeep)
enqueue it again once Redis is back.
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
_outage_lock = threading.Lock()
_outage: str | None = None  # what the queue's last failure said, while it lasts


def _resolve(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def enqueue(
    path: str,
    *args: Any,
    delay: timedelta | None = None,
    timeout: int | None = None,
    key: str | None = None,
) -> bool:
    """Run `path(*args)` in the background. `timeout` (seconds) lets an RQ job run longer than
    RQ's default of 180 s (a long report); the other backends have no limit. `key` names the
    queue entry, so that `waiting(key)` can tell whether it is still there. False when the
    queue could not take it (Redis down): never an exception for the caller."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    backend = app.config["JOBS_BACKEND"]
    if backend == "rq":
        return _rq_enqueue(app, path, args, delay, timeout, key)
    if backend == "thread":
        _thread_enqueue(app, path, args, delay, key)
    elif delay is None:  # inline, for tests: run now; delayed retries are left to the caller
        _run(app, path, args)
    return True


def waiting(key: str) -> bool | None:
    """Whether the queue entry named `key` is still queued, scheduled or running: False when
    it vanished (Redis restarted, the process holding it died), None when nobody can tell."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    backend = app.config["JOBS_BACKEND"]
    if backend == "thread":
        return key in app.extensions.get("jobs_pending", set())
    if backend != "rq":
        return None  # inline: the job ran at once, nothing waits anywhere
    from redis.exceptions import RedisError
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        status = Job.fetch(_rq_job_id(app, key), connection=_connection(app)).get_status(
            refresh=False
        )
    except NoSuchJobError:
        return False
    except (RedisError, OSError) as error:
        _queue_down(error)
        return None
    return str(getattr(status, "value", status)) in {
        "queued",
        "started",
        "scheduled",
        "deferred",
    }


def _run(app: Flask, path: str, args: tuple[Any, ...]) -> None:
    with app.app_context():
        try:
            _resolve(path)(*args)
        except Exception:
            if app.config["JOBS_BACKEND"] != "thread":
                raise  # inline: the caller sees it; RQ: the job is recorded failed (and logged)
            log.exception("job %s failed", path)


def _thread_enqueue(
    app: Flask, path: str, args: tuple[Any, ...], delay: timedelta | None, key: str | None
) -> None:
    executor = app.extensions.get("jobs_executor")
    if executor is None:
        executor = app.extensions["jobs_executor"] = ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="incubator-job"
        )
    pending: set[str] = app.extensions.setdefault("jobs_pending", set())
    if key is not None:
        pending.add(key)

    def job() -> None:
        try:
            _run(app, path, args)
        finally:
            if key is not None:
                pending.discard(key)

    if delay is None:
        executor.submit(job)
        return
    timer = threading.Timer(delay.total_seconds(), executor.submit, (job,))
    timer.daemon = True
    timer.start()


# ------------------------------------------------------------------ RQ


def _connection(app: Flask) -> Any:
    """This process's connection to the queue (short timeouts: a request never hangs on it)."""
    from redis import Redis

    url = app.config["REDIS_URL"]
    connections = app.extensions.setdefault("rq_connections", {})
    if url not in connections:
        connections[url] = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    return connections[url]


def queue_name(app: Flask) -> str:
    return app.config.get("RQ_QUEUE") or "incubator"


def _rq_queue(app: Flask, connection: Any = None) -> Any:
    from rq import Queue

    return Queue(queue_name(app), connection=connection or _connection(app))


def _rq_job_id(app: Flask, key: str) -> str:
    """A queue entry's id in Redis: named by its queue too, since row ids (a report's) repeat
    between deployments, or test databases, that share one Redis."""
    return f"{queue_name(app)}-{key}"


def _rq_enqueue(
    app: Flask,
    path: str,
    args: tuple[Any, ...],
    delay: timedelta | None,
    timeout: int | None = None,
    key: str | None = None,
) -> bool:
    from redis.exceptions import RedisError

    options: dict[str, Any] = {"job_timeout": timeout} if timeout else {}
    if key is not None:
        options["job_id"] = _rq_job_id(app, key)
    try:
        queue = _rq_queue(app)
        if delay is None:
            queue.enqueue(run_in_worker, path, *args, **options)
        else:
            queue.enqueue_in(delay, run_in_worker, path, *args, **options)
    except (RedisError, OSError) as error:
        _queue_down(error)
        return False
    _queue_up()
    return True


def _queue_down(error: BaseException) -> None:
    """One line per outage, not one per attempt."""
    global _outage
    with _outage_lock:
        first = _outage is None
        _outage = f"{type(error).__name__}: {error}"
    if first:
        log.warning(
            "the job queue (Redis) does not answer (%s): work waits in the database and is "
            "picked up when it is back",
            _outage,
        )


def _queue_up() -> None:
    global _outage
    if _outage is None:
        return
    with _outage_lock:
        was, _outage = _outage, None
    if was is not None:
        log.warning("the job queue (Redis) answers again")


def queue_outage() -> str | None:
    """The error of the current outage of the queue in this process, if any."""
    return _outage


_worker_app: Flask | None = None


def run_in_worker(path: str, *args: Any) -> None:
    """Entry point of RQ jobs: one app per worker process, built from the environment."""
    global _worker_app
    if _worker_app is None:
        from incubator import create_app

        _worker_app = create_app()
    _run(_worker_app, path, args)
