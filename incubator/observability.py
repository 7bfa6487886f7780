"""What an operator watches: log lines, the request id, Prometheus metrics, and the database
outages that the web side answers with a "try again" page.

- Logs: every line carries its time, level, process id and the request's id (text, or one
  JSON object a line with LOG_FORMAT=json). The id is the client's `X-Request-ID` when it is
  short and made of safe characters, else a new one; it is sent back as `X-Request-ID`, and
  gunicorn's access log (deploy/gunicorn.conf.py) prints it too.
- Metrics at `/metrics` (prometheus_client; multiprocess mode when PROMETHEUS_MULTIPROC_DIR is
  set, as gunicorn.conf.py does): requests and their latency per endpoint (the route's name,
  never the raw path) and status class, and figures read when scraped: the job queue, the
  outboxes' backlog and the age of their oldest due row, and what domains add with
  `add_gauge` (failed report jobs). Only METRICS_ALLOW's addresses or a bearer METRICS_TOKEN
  may read it; anyone else gets a 404.
- A database that does not answer (a PostgreSQL restart) gives a 503 with Retry-After, and
  one log line per outage rather than a traceback per request (`database_unavailable`,
  `note_outage`; the error page itself is made in `incubator/__init__.py`).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, Response, abort, current_app, g, has_request_context, request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from incubator.db import db, utcnow

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
# a client's id is kept when it is short and made of safe characters (it goes into log lines)
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
RETRY_AFTER_SECONDS = 5  # what a 503 for a database restart asks clients to wait
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "incubator_http_requests",
    "HTTP requests answered, by endpoint (route name), method and status class",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "incubator_http_request_duration_seconds",
    "Time to answer an HTTP request, by endpoint (route name)",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def init_app(app: Flask) -> None:
    """Called first in create_app, so that the request id exists before any other hook."""
    configure_logging(app.config.get("LOG_FORMAT", "text"))
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_finish_request)
    from incubator.security import public

    app.add_url_rule("/metrics", "metrics", public(metrics))


# ------------------------------------------------------------------ logs


def request_id() -> str:
    """The current request's id, "-" outside a request."""
    return g.get("request_id", "-") if has_request_context() else "-"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True


TEXT_FORMAT = "%(asctime)s %(levelname)s [%(process)d] [%(request_id)s] %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(process)d %(request_id)s %(name)s %(message)s"


def _formatter(kind: str) -> logging.Formatter:
    if kind == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter(
            JSON_FIELDS,
            rename_fields={"asctime": "time", "levelname": "level", "process": "pid"},
            json_ensure_ascii=False,
        )
    return logging.Formatter(TEXT_FORMAT)


def configure_logging(kind: str = "text") -> logging.Handler:
    """One handler on the root logger (standard error), made once per process; a later app
    may switch its format."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "incubator", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.incubator = True  # type: ignore[attr-defined]
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    handler.setFormatter(_formatter(kind))
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    return handler


# -------------------------------------------------------- request hooks


def _start_request() -> None:
    g.request_started = time.perf_counter()
    sent = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = sent if SAFE_REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex


def _finish_request(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = request_id()
    endpoint = request.endpoint or "unmatched"
    method = request.method if request.method in METHODS else "other"
    REQUESTS.labels(endpoint, method, f"{response.status_code // 100}xx").inc()
    started = g.get("request_started")
    if started is not None:
        LATENCY.labels(endpoint).observe(time.perf_counter() - started)
    if "db_session" in g and not g.get("database_down") and response.status_code < 500:
        _outage.over()  # this request used the database (static files do not)
    return response


# ------------------------------------------------------ database outages


def database_unavailable(error: BaseException) -> bool:
    """A database that cannot be reached or dropped the connection (a restart), as opposed
    to a mistake in a statement."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if not isinstance(error, OperationalError | InterfaceError):
        return False
    message = str(getattr(error, "orig", error)).lower()
    mistakes = ("syntax error", "no such table", "no such column", "does not exist")
    return not any(mistake in message for mistake in mistakes)


class _Outage:
    """One warning when the database stops answering, one line when it answers again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.since: float | None = None
        self.refused = 0

    def noted(self, error: BaseException) -> None:
        with self._lock:
            self.refused += 1
            if self.since is not None:
                return
            self.since = time.monotonic()
        log.warning(
            "the database does not answer; requests get a 503 until it does (%s)",
            " ".join(str(getattr(error, "orig", error)).split())[:300],
        )

    def over(self) -> None:
        if self.since is None:
            return
        with self._lock:
            if self.since is None:
                return
            seconds, refused = time.monotonic() - self.since, self.refused
            self.since, self.refused = None, 0
        log.warning(
            "the database answers again after %.1f s (%d requests refused)", seconds, refused
        )


_outage = _Outage()


def note_outage(error: BaseException) -> None:
    """Called by the 503 handler; `_finish_request` of a later good answer ends the outage."""
    _outage.noted(error)
    g.database_down = True


# --------------------------------------------------------------- metrics


@dataclass(frozen=True)
class Gauge:
    """A figure read when /metrics is scraped: `read()` gives (labels, value) samples."""

    name: str
    documentation: str
    read: Callable[[], Iterable[tuple[dict[str, str], float]]]


def add_gauge(app: Flask, *gauges: Gauge) -> None:
    """For domains: figures that only they can read (the shared core imports no domain)."""
    app.extensions.setdefault("metric_gauges", []).extend(gauges)


def _outbox_samples(field: str) -> Iterator[tuple[dict[str, str], float]]:
    """The registered outboxes' backlogs (incubator/outbox.py), labelled by outbox."""
    from incubator import outbox

    now = utcnow()
    for kind, figures in outbox.backlog(now).items():
        if field == "due":
            yield {"kind": kind}, figures["due"]
        else:
            oldest = figures["oldest"]
            yield {"kind": kind}, max((now - oldest).total_seconds(), 0.0) if oldest else 0.0


def last_schedule_run() -> datetime | None:
    """When a schedule thread last handed its due jobs to the queue (any process)."""
    from incubator import scheduler

    return scheduler.last_beat(scheduler.SCHEDULE)


def last_worker_heartbeat() -> datetime | None:
    """When a `flask worker` last reported alive (any machine)."""
    from incubator import scheduler

    return scheduler.last_beat(scheduler.WORKER)


def _core_gauges(app: Flask) -> list[Gauge]:
    def queue_depth() -> Iterator[tuple[dict[str, str], float]]:
        if app.config.get("JOBS_BACKEND") != "rq" or not app.config.get("REDIS_URL"):
            return
        from incubator import jobs

        yield {"queue": jobs.queue_name(app)}, jobs._rq_queue(app).count

    def moment(read: Callable[[], datetime | None]) -> Callable[[], Iterator[Any]]:
        def samples() -> Iterator[tuple[dict[str, str], float]]:
            found = read()
            if found is not None:
                yield {}, found.timestamp()

        return samples

    return [
        Gauge("incubator_jobs_queued", "Jobs waiting in the RQ queue", queue_depth),
        Gauge(
            "incubator_outbox_backlog",
            "Outbox rows due and not yet sent",
            lambda: _outbox_samples("due"),
        ),
        Gauge(
            "incubator_outbox_oldest_due_age_seconds",
            "Age of the oldest outbox row that is due and not yet sent (0: none)",
            lambda: _outbox_samples("oldest"),
        ),
        Gauge(
            "incubator_schedule_last_run_timestamp_seconds",
            "When the schedule last ran (Unix time)",
            moment(last_schedule_run),
        ),
        Gauge(
            "incubator_worker_heartbeat_timestamp_seconds",
            "When a worker last reported alive (Unix time)",
            moment(last_worker_heartbeat),
        ),
    ]


_unreadable: set[str] = set()  # gauges whose last reading failed (logged once)


class _StateCollector:
    """The figures read at each scrape; one that cannot be read (Redis or the database down)
    is left out, and `incubator_metric_errors` says how many were."""

    def __init__(self, gauges: list[Gauge]) -> None:
        self.gauges = gauges

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families: dict[str, GaugeMetricFamily] = {}
        errors = 0
        for gauge in self.gauges:
            try:
                samples = list(gauge.read())
            except Exception as error:
                errors += 1
                db.session.rollback()
                if gauge.name not in _unreadable:  # once until it can be read again
                    _unreadable.add(gauge.name)
                    message = " ".join(str(error).split())[:200]
                    log.warning("metric %s cannot be read: %s", gauge.name, message)
                continue
            _unreadable.discard(gauge.name)
            for labels, value in samples:
                family = families.get(gauge.name)
                if family is None:
                    family = families[gauge.name] = GaugeMetricFamily(
                        gauge.name, gauge.documentation, labels=sorted(labels)
                    )
                family.add_metric([labels[name] for name in sorted(labels)], float(value))
        yield from families.values()
        unread = GaugeMetricFamily("incubator_metric_errors", "Figures that could not be read")
        unread.add_metric([], errors)
        yield unread


class _Forward:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Any]:
        return self.registry.collect()


def may_scrape() -> bool:
    """From an address of METRICS_ALLOW (comma-separated addresses or networks), or with
    `Authorization: Bearer <METRICS_TOKEN>`."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    header = request.headers.get("Authorization", "")
    if token and header[:7].lower() == "bearer ":
        return hmac.compare_digest(header[7:].strip().encode(), token.encode())
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    for allowed in (current_app.config.get("METRICS_ALLOW") or "").split(","):
        try:
            if allowed.strip() and address in ipaddress.ip_network(allowed.strip(), strict=False):
                return True
        except ValueError:
            log.warning("METRICS_ALLOW has an entry that is not an address: %r", allowed)
    return False


def metrics() -> Any:
    """Prometheus' text format; a 404 for whoever may not read it (as if it did not exist).
    Declared public: the check is this function's own."""
    if not may_scrape():
        abort(404)
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Forward(REGISTRY))  # type: ignore[arg-type]
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    gauges = _core_gauges(app) + app.extensions.get("metric_gauges", [])
    registry.register(_StateCollector(gauges))  # type: ignore[arg-type]
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
