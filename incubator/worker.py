"""`flask worker`: the production process that runs the queue's jobs and the schedule.

It stands above both `jobs` (the queue) and `scheduler` (what is due), so that neither of
those imports the other's process loop.
"""

from __future__ import annotations

import os
import time

from flask import Flask

from incubator import jobs, scheduler
from incubator.db import db


def run_worker(app: Flask, burst: bool = False) -> None:
    """`flask worker`: an RQ worker with its scheduler (delayed retries), this process's
    schedule thread and its heartbeat. When Redis goes away the worker waits for it and
    carries on by itself (one line per outage)."""
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Worker
    from sqlalchemy.orm import configure_mappers

    jobs._worker_app = app
    # each job runs in a forked process: it must not share this process's database connections
    os.register_at_fork(after_in_child=lambda: db.engine(app).dispose(close=False))
    configure_mappers()  # once, here: not in a thread while a job's process is forked
    # a connection of its own: the worker blocks on the queue longer than requests may
    connection = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2)
    pause = float(app.config.get("WORKER_RECONNECT_SECONDS", 2.0))
    scheduler.start(app, worker=True)  # the scheduled jobs (and the sweeps) go through the queue
    try:
        while True:
            worker = None
            try:
                connection.ping()
                worker = Worker([jobs._rq_queue(app, connection)], connection=connection)
                worker.max_connection_wait_time = max(pause, 1.0)  # back within seconds
                jobs._queue_up()
                worker.work(with_scheduler=True, burst=burst)
            except (RedisError, OSError) as error:
                jobs._queue_down(error)
            else:
                if burst or (worker is not None and worker._stop_requested):
                    return
                jobs._queue_down(RuntimeError("the worker's loop ended"))  # it lost Redis: again
            time.sleep(pause)
    finally:
        scheduler.stop(app)
