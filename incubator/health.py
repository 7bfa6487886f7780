"""What /healthz reports: the database, Redis (when configured), the worker's last heartbeat
and the schedule's last run, each with a status; the whole is "ok" only when everything the
deployment needs answers.

* database: `SELECT 1`.
* redis: a PING (with REDIS_URL only; "off" otherwise).
* worker: with the RQ backend, `flask worker` writes its heartbeat every tick; older than
  HEALTH_STALE_SECONDS is "stale" (without Redis, jobs run in the web process: "off").
* schedule: the last tick of a schedule thread that reached the queue (scheduler.py); needed
  when one should run (SCHEDULER_ENABLED, or the RQ backend where the worker runs it).

Just after a start, a heartbeat never written yet is "starting", not down, for
HEALTH_STALE_SECONDS.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from flask import current_app

from incubator import scheduler
from incubator.db import db, utcnow

log = logging.getLogger(__name__)
_STARTED = time.monotonic()
OK = "ok"


def _database() -> dict[str, Any]:
    try:
        db.ping()
    except Exception as error:  # any failure to answer is "down", never a 500
        db.session.rollback()
        return {"status": "down", "error": type(error).__name__}
    return {"status": OK}


def _redis(url: str | None) -> dict[str, Any]:
    if not url:
        return {"status": "off"}
    from redis import Redis
    from redis.exceptions import RedisError

    connection = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        connection.ping()
    except (RedisError, OSError) as error:
        return {"status": "down", "error": type(error).__name__}
    finally:
        connection.close()
    return {"status": OK}


def _beat(name: str, needed: bool, database_up: bool) -> dict[str, Any]:
    if not needed:
        return {"status": "off"}
    if not database_up:
        return {"status": "unknown"}
    try:
        at: datetime | None = scheduler.last_beat(name)
    except Exception as error:  # a missing table (not migrated): down, never a 500
        db.session.rollback()
        return {"status": "unknown", "error": type(error).__name__}
    stale = float(current_app.config.get("HEALTH_STALE_SECONDS", 120))
    if at is None:
        status = "starting" if time.monotonic() - _STARTED < stale else "never"
        return {"status": status, "last": None}
    age = (utcnow() - at).total_seconds()
    return {
        "status": OK if age <= stale else "stale",
        "last": at.isoformat(),
        "age_seconds": round(age, 1),
    }


def check() -> dict[str, Any]:
    """The report of /healthz; its "status" is "ok" or "down"."""
    config = current_app.config
    rq = config.get("JOBS_BACKEND") == "rq"
    report: dict[str, Any] = {"database": _database(), "redis": _redis(config.get("REDIS_URL"))}
    up = report["database"]["status"] == OK
    report["worker"] = _beat(scheduler.WORKER, rq, up)
    report["schedule"] = _beat(scheduler.SCHEDULE, rq or bool(config.get("SCHEDULER_ENABLED")), up)
    fine = all(part["status"] in (OK, "off", "starting") for part in report.values())
    report["status"] = OK if fine else "down"
    db.session.rollback()  # nothing kept open
    return report
