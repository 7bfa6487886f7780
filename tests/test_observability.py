"""Logs with time, level, process and request id; X-Request-ID; Prometheus metrics at /metrics
for the allowed only; gunicorn's shipped configuration with its access log."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from incubator import create_app, observability
from incubator.db import db, utcnow
from incubator.mail import OutboxMessage
from incubator.security import public

ROOT = Path(__file__).resolve().parent.parent


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus' text format (None when absent)."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        found_name, _, rest = head.partition("{")
        if found_name != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', rest))
        if all(found.get(key) == wanted for key, wanted in labels.items()):
            return float(value)
    return None


# ------------------------------------------------------------ request id


def test_the_request_id_is_sent_back(client: FlaskClient) -> None:
    kept = client.get("/login", headers={"X-Request-ID": "lb-7f3a.42:9"})
    assert kept.headers["X-Request-ID"] == "lb-7f3a.42:9"
    made = client.get("/login").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/login").headers["X-Request-ID"] != made
    for unsafe in ("x" * 200, "evil id", "a\tb", "<script>"):
        sent_back = client.get("/login", headers={"X-Request-ID": unsafe}).headers["X-Request-ID"]
        assert sent_back != unsafe and re.fullmatch(r"[0-9a-f]{32}", sent_back)
    # also on errors
    assert client.get("/no-such-page").headers["X-Request-ID"]


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[str]]]:
    """What our handler writes, as lines."""
    handler = observability.configure_logging("text")
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield lambda: buffer.getvalue().splitlines()
    finally:
        handler.setStream(previous)
        observability.configure_logging("text")


def _logging_route(app: Flask) -> None:
    @public
    def speak() -> str:
        logging.getLogger("incubator.test").warning("xin chào từ %s", "trang")
        return "ok"

    app.add_url_rule("/speak", "speak", speak)


def test_log_lines_carry_time_level_process_and_request_id(
    app: Flask, log_lines: Callable[[], list[str]]
) -> None:
    _logging_route(app)
    app.test_client().get("/speak", headers={"X-Request-ID": "req-123"})
    line = next(line for line in log_lines() if "xin chào" in line)
    pattern = (
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING \[(\d+)\] \[req-123\] "
        r"incubator.test: xin chào từ trang"
    )
    found = re.fullmatch(pattern, line)
    assert found, line
    assert int(found.group(1)) == os.getpid()
    logging.getLogger("incubator.test").warning("outside")
    assert log_lines()[-1].endswith("[-] incubator.test: outside")


def test_log_format_json_gives_one_object_a_line(
    database_url: str, tmp_path: Path, log_lines: Callable[[], list[str]]
) -> None:
    app = create_app(
        "testing", DATABASE_URL=database_url, UPLOAD_DIR=tmp_path / "u", LOG_FORMAT="json"
    )
    try:
        _logging_route(app)
        app.test_client().get("/speak", headers={"X-Request-ID": "req-json"})
        line = next(line for line in log_lines() if "xin chào" in line)
        record = json.loads(line)
        assert record["message"] == "xin chào từ trang"
        assert record["level"] == "WARNING"
        assert record["pid"] == os.getpid()
        assert record["request_id"] == "req-json"
        assert record["name"] == "incubator.test"
        assert re.match(r"\d{4}-\d\d-\d\d", record["time"])
    finally:
        db.engine(app).dispose()


# --------------------------------------------------------------- metrics


def test_metrics_count_requests_by_endpoint_and_status_class(client: FlaskClient) -> None:
    before = client.get("/metrics").get_data(as_text=True)
    # (method too: failed sign-ins earlier in this process are POSTs to the same endpoint, 2xx)
    login_gets = {"endpoint": "accounts.login", "method": "GET", "status": "2xx"}
    base = sample(before, "incubator_http_requests_total", **login_gets)
    for _ in range(3):
        client.get("/login")
    client.get("/no-such-page-qzx")  # a raw path is never a label
    text = client.get("/metrics").get_data(as_text=True)
    counted = sample(text, "incubator_http_requests_total", **login_gets)
    assert counted == (base or 0) + 3
    assert "no-such-page" not in text
    assert sample(text, "incubator_http_requests_total", endpoint="unmatched", status="4xx")
    count = sample(text, "incubator_http_request_duration_seconds_count", endpoint="accounts.login")
    assert count is not None and count >= 3


def test_metrics_show_outbox_backlogs_and_failed_jobs(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        db.session.add_all(
            [
                OutboxMessage(
                    recipient="a@example.test",
                    subject="s",
                    body="b",
                    created_at=utcnow() - timedelta(minutes=10),
                    next_attempt_at=utcnow() - timedelta(minutes=1),
                ),
                OutboxMessage(  # a retry later: not due
                    recipient="b@example.test",
                    subject="s",
                    body="b",
                    next_attempt_at=utcnow() + timedelta(hours=1),
                ),
            ]
        )
        db.session.commit()
    text = client.get("/metrics").get_data(as_text=True)
    assert sample(text, "incubator_outbox_backlog", kind="mail") == 1
    assert sample(text, "incubator_outbox_oldest_due_age_seconds", kind="mail") >= 590
    assert sample(text, "incubator_outbox_backlog", kind="webhooks") == 0
    assert sample(text, "incubator_outbox_oldest_due_age_seconds", kind="webhooks") == 0
    assert sample(text, "incubator_report_jobs_failed") == 0
    assert sample(text, "incubator_metric_errors") == 0
    # no schedule has run and no worker has started: those times are left out, not zero
    assert "incubator_schedule_last_run_timestamp_seconds " not in text
    assert "incubator_worker_heartbeat_timestamp_seconds " not in text
    with app.app_context():
        from incubator import scheduler

        scheduler.beat(scheduler.SCHEDULE)
        scheduler.beat(scheduler.WORKER)
        db.session.commit()
    text = client.get("/metrics").get_data(as_text=True)
    assert sample(text, "incubator_schedule_last_run_timestamp_seconds") > 1.7e9
    assert sample(text, "incubator_worker_heartbeat_timestamp_seconds") > 1.7e9


def test_metrics_are_only_for_allowed_addresses_or_the_token(app: Flask) -> None:
    client = app.test_client()
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics").status_code == 200  # loopback by default
    assert client.get("/metrics", environ_base=outside).status_code == 404
    app.config["METRICS_TOKEN"] = "s3cret-token-for-prometheus"
    good = {"Authorization": "Bearer s3cret-token-for-prometheus"}
    bad = {"Authorization": "Bearer wrong"}
    assert client.get("/metrics", environ_base=outside, headers=good).status_code == 200
    assert client.get("/metrics", environ_base=outside, headers=bad).status_code == 404
    app.config["METRICS_ALLOW"] = "10.0.0.0/8, 203.0.113.9"
    assert client.get("/metrics", environ_base=outside).status_code == 200
    assert client.get("/metrics").status_code == 404  # loopback no longer listed


# --------------------------------------------------------------- gunicorn


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_shipped_gunicorn_configuration(database_url: str, tmp_path: Path) -> None:
    """Real gunicorn with deploy/gunicorn.conf.py and two workers: the access log carries the
    request id, and /metrics adds up the workers' counters (multiprocess mode)."""
    from urllib.request import Request, urlopen

    port = _free_port()
    environment = {
        **os.environ,
        "INCUBATOR_CONFIG": "development",
        "DATABASE_URL": database_url,
        "INCUBATOR_INSTANCE": str(tmp_path / "instance"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "SCHEDULER_ENABLED": "0",
        "PAGE_CACHE_SECONDS": "0",
        "PYTHONPATH": str(ROOT),
    }
    environment.pop("REDIS_URL", None)
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "deploy" / "gunicorn.conf.py"),
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                "2",
                "incubator:create_app()",
            ],
            env=environment,
            cwd=tmp_path,
            stdout=stdout,
            stderr=stderr,
        )
        try:

            def get(path: str, request_id: str | None = None) -> Any:
                headers = {"X-Request-ID": request_id} if request_id else {}
                with urlopen(
                    Request(f"http://127.0.0.1:{port}{path}", headers=headers), timeout=10
                ) as answer:
                    return answer.headers, answer.read().decode()

            deadline = time.monotonic() + 60
            while True:
                try:
                    get("/healthz")
                    break
                except OSError:
                    assert process.poll() is None, err.read_text()
                    assert time.monotonic() < deadline, err.read_text()
                    time.sleep(0.2)
            for number in range(8):
                headers, _body = get("/healthz", f"probe-{number}")
                assert headers["X-Request-ID"] == f"probe-{number}"
            _headers, metrics = get("/metrics")
            served = sample(
                metrics, "incubator_http_requests_total", endpoint="site.health", status="2xx"
            )
            assert served is not None and served >= 9  # both workers' counts added up
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
    access = out.read_text()
    assert re.search(r'"GET /healthz HTTP/1\.1" 200 .* id=probe-3', access), access
    assert "Booting worker" in err.read_text()
