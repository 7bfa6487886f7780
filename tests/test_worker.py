"""The worker, the schedule and background jobs without real processes: the scheduler thread
is given the real application; RQ records a failing job as failed; enqueuing with Redis down
never raises (one log line per outage) and the sweeps put the work back in the queue once it is
back; mail and webhooks share one outbox claim loop; rendering pools end with their report;
/healthz says what is down."""

from __future__ import annotations

import logging
import multiprocessing
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask, current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

import incubator.outbox as claim_loop
from incubator import jobs, scheduler
from incubator.accounts.models import User
from incubator.api import webhooks
from incubator.api.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from incubator.db import db, run, utcnow
from incubator.domains import Schedule, contribute
from incubator.mail import MailStatus, MemoryTransport, OutboxMessage, deliver_outbox
from incubator.programs.models import Program
from incubator.reports import render, services
from incubator.reports.models import JobStatus, ReportJob
from tests.api.test_webhooks import Receiver, _hook, receiver  # noqa: F401
from tests.reports.fixtures import Reported
from tests.test_mail import queue_welcome, redis_url, rq_app  # noqa: F401

CALLS: list[dict[str, Any]] = []


def record_call(tag: str = "scheduled") -> None:
    CALLS.append({"tag": tag, "app_context": has_app_context(), "app": current_app.name})


def explode() -> None:
    raise RuntimeError("this job fails")


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"  # nothing listens there: Redis "down"


def _work(queue: Any) -> None:
    from rq import SimpleWorker

    SimpleWorker([queue], connection=queue.connection).work(burst=True)


@pytest.fixture
def calls() -> Iterator[list[dict[str, Any]]]:
    CALLS.clear()
    yield CALLS
    CALLS.clear()


# ------------------------------------------------------------------ the schedule


def test_the_scheduler_thread_gets_the_real_app_and_runs_its_schedules(
    app: Flask, calls: list[dict[str, Any]]
) -> None:
    """`flask worker` handed the `current_app` proxy to the thread: every tick failed with
    "Working outside of application context"."""
    app.config.update(JOBS_BACKEND="thread", SCHEDULER_TICK_SECONDS=0.05)
    contribute(app, Schedule("test-record", "tests.test_worker:record_call", timedelta(hours=1)))
    app.extensions["contributions"].schedules[:] = [
        s for s in app.extensions["contributions"].schedules if s.name == "test-record"
    ]
    with app.app_context():
        thread = scheduler.start(current_app, worker=True)  # the proxy, as the CLI has it
    try:
        deadline = time.monotonic() + 20
        while not calls and time.monotonic() < deadline:
            time.sleep(0.05)
        assert calls, "the schedule never ran"
        assert calls[0]["app_context"] is True
        time.sleep(0.3)  # several ticks: an hourly schedule still ran once
        assert len(calls) == 1
        with app.app_context():
            assert scheduler.last_beat(scheduler.SCHEDULE) is not None
            assert scheduler.last_beat(scheduler.WORKER) is not None
    finally:
        scheduler.stop(app)
        app.extensions["jobs_executor"].shutdown(wait=True)
    assert not thread.is_alive()


def test_the_worker_command_hands_over_the_real_app(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from incubator import worker as worker_process

    given: list[Any] = []
    monkeypatch.setattr(worker_process, "run_worker", given.append)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    result = app.test_cli_runner().invoke(args=["worker"])
    assert result.exit_code == 0, result.output
    assert type(given[0]) is Flask and given[0] is app


def test_a_short_cap_makes_every_schedule_due_within_seconds(app: Flask) -> None:
    with app.app_context():
        app.config["JOBS_BACKEND"] = "thread"
        executor_calls: list[str] = []
        app.extensions["contributions"].schedules[:] = [
            Schedule("hourly", "tests.test_worker:record_call", timedelta(hours=1))
        ]
        original = jobs.enqueue
        try:
            jobs.enqueue = lambda path, *a, **k: executor_calls.append(path) or True  # type: ignore[assignment]
            last: dict[str, float] = {}
            assert scheduler.run_due(app, last, 100.0) == ["hourly"]
            assert scheduler.run_due(app, last, 102.0) == []
            app.config["SCHEDULER_MAX_INTERVAL_SECONDS"] = 1
            assert scheduler.run_due(app, last, 102.0) == ["hourly"]
        finally:
            jobs.enqueue = original  # type: ignore[assignment]


# ------------------------------------------------------------------ jobs under RQ


def test_a_failing_job_is_recorded_failed_under_rq(app: Flask, rq_app: Any) -> None:  # noqa: F811
    """`jobs._run` swallowed the exception: RQ recorded a failed job as finished."""
    from rq.job import Job

    with app.app_context():
        assert jobs.enqueue("tests.test_worker:explode") is True
    job_id = rq_app.job_ids[0]
    _work(rq_app)
    assert Job.fetch(job_id, connection=rq_app.connection).get_status() == "failed"


def test_a_failing_report_is_failed_in_rq_and_in_its_row(
    app: Flask,
    rq_app: Any,  # noqa: F811
    reported: Callable[..., Reported],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rq.job import Job

    world = reported()

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("no paper")

    monkeypatch.setattr(render, "cohort_pdf", broken)
    with app.app_context():
        actor = db.session.get(User, world.manager.id)
        job = run(services.request_cohort, actor, db.session.get(Program, world.program_id), "en")
        job_id = job.id
    rq_id = rq_app.job_ids[0]
    _work(rq_app)
    assert Job.fetch(rq_id, connection=rq_app.connection).get_status() == "failed"
    with app.app_context():
        assert db.session.get(ReportJob, job_id).status is JobStatus.FAILED


def test_redis_down_never_raises_and_the_sweeps_send_it_all_when_it_is_back(
    app: Flask,
    rq_app: Any,  # noqa: F811
    outbox: MemoryTransport,
    make_user: Callable[..., User],
    reported: Callable[..., Reported],
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = reported()
    app.config["REPORTS_PROCESSES"] = 1
    user = make_user(locale="en")
    good_url = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = _closed_port_url()
    caplog.set_level(logging.WARNING, logger="incubator.jobs")
    with app.app_context():
        queue_welcome(user)  # its delivery is kicked after the commit: Redis refuses
        actor = db.session.get(User, world.manager.id)
        program = db.session.get(Program, world.program_id)
        job_id = run(services.request_cohort, actor, program, "en").id
        assert jobs.enqueue("tests.test_worker:record_call", "x") is False
        assert db.session.scalar(select(OutboxMessage.status)) is MailStatus.PENDING
    outage_lines = [r for r in caplog.records if "does not answer" in r.getMessage()]
    assert len(outage_lines) == 1  # one line for the outage, not one per attempt
    assert not any(r.exc_info for r in caplog.records)  # and no traceback

    app.config["REDIS_URL"] = good_url  # Redis is back; nothing restarted
    app.config["REPORTS_REQUEUE_AFTER_SECONDS"] = 0
    with app.app_context():
        assert claim_loop.sweep() == ["mail"]
        services.upkeep()
    assert any("answers again" in r.getMessage() for r in caplog.records)
    assert rq_app.count == 2  # the mail delivery and the report
    _work(rq_app)
    assert user.email in [m["to"] for m in outbox.sent]
    with app.app_context():
        assert db.session.scalars(select(OutboxMessage.status)).all() == [MailStatus.SENT] * len(
            outbox.sent
        )
        assert db.session.get(ReportJob, job_id).status is JobStatus.DONE
        assert claim_loop.sweep() == []  # nothing due any more
        services.upkeep()
    assert rq_app.count == 0


def test_a_report_asked_again_after_its_queue_entry_vanished_goes_back_in_the_queue(
    app: Flask,
    rq_app: Any,  # noqa: F811
    reported: Callable[..., Reported],
) -> None:
    world = reported()
    with app.app_context():
        actor = db.session.get(User, world.manager.id)
        program = db.session.get(Program, world.program_id)
        first = run(services.request_cohort, actor, program, "en").id
        assert rq_app.count == 1
        rq_app.empty()  # Redis restarted empty
        assert run(services.request_cohort, actor, program, "en").id == first
    assert rq_app.count == 1


def test_a_dead_report_asked_again_starts_a_new_one(
    app: Flask, reported: Callable[..., Reported], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asking again returned the dead job (running, its worker killed) until an upkeep ran."""
    monkeypatch.setattr(jobs, "enqueue", lambda *args, **kwargs: True)
    world = reported()
    with app.app_context():
        actor = db.session.get(User, world.manager.id)
        program = db.session.get(Program, world.program_id)
        dead = run(services.request_cohort, actor, program, "en").id
        run(services._claim, dead)
        assert run(services.request_cohort, actor, program, "en").id == dead  # alive: the same
        with db.transaction():
            db.session.get(ReportJob, dead).heartbeat_at = utcnow() - timedelta(minutes=5)
        fresh = run(services.request_cohort, actor, program, "en")
        assert fresh.id != dead and fresh.status is JobStatus.QUEUED
        db.session.expire_all()
        assert db.session.get(ReportJob, dead).status is JobStatus.FAILED


# ------------------------------------------------------------------ the outboxes


def test_mail_and_webhooks_share_one_claim_loop(
    app: Flask,
    manager_of: Any,
    receiver: Receiver,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each outbox had its copy of the loop; now both go through `Outbox.claimed`, and a row
    the other sender claimed first is sent once."""
    with app.app_context():
        assert {o.name for o in claim_loop.outboxes()} == {"mail", "webhooks"}
    used: list[str] = []
    real_claimed = claim_loop.Outbox.claimed

    def spy(self: claim_loop.Outbox, now: Any) -> Any:
        used.append(self.name)
        return real_claimed(self, now)

    monkeypatch.setattr(claim_loop.Outbox, "claimed", spy)
    monkeypatch.setattr(jobs, "enqueue", lambda *args, **kwargs: True)  # nothing sent at once
    manager = manager_of("BIIC")
    _hook(app, manager, receiver.url, [WebhookEvent.STAGE_CHANGED.value])
    with app.app_context():
        run(webhooks.emit, manager.managed_center_id, WebhookEvent.STAGE_CHANGED, {"n": 1})
        assert [o.name for o in claim_loop.outboxes() if o.has_due()] == ["webhooks"]
        later = utcnow() + timedelta(seconds=1)
        real_update = claim_loop.update
        other: list[Any] = []

        def claim_after_the_other_sender(*args: Any, **kwargs: Any) -> Any:
            if not other:
                other.append(None)
                with app.app_context():
                    other[0] = webhooks.deliver_webhooks(now=later)
            return real_update(*args, **kwargs)

        monkeypatch.setattr(claim_loop, "update", claim_after_the_other_sender)
        assert webhooks.deliver_webhooks(now=later) == (0, 0)
        assert other == [(1, 0)]
        assert deliver_outbox() == (0, 0)
    assert len(receiver.received) == 1
    assert used == ["webhooks", "webhooks", "mail"]
    with app.app_context():
        assert db.session.scalar(select(WebhookDelivery.status)) is DeliveryStatus.DELIVERED


def test_a_lost_email_retry_is_found_again_by_the_sweep(
    app: Flask,
    outbox: MemoryTransport,
    make_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A retry that lived only in Redis (restarted empty) was never sent."""
    kicked: list[str] = []
    monkeypatch.setattr(jobs, "enqueue", lambda path, *a, **k: kicked.append(path) or True)
    user = make_user(locale="en")
    with app.app_context():
        queue_welcome(user)
        with db.transaction():  # its retry is due now; the queue forgot it
            db.session.scalar(select(OutboxMessage)).next_attempt_at = utcnow()
        kicked.clear()
        assert claim_loop.sweep() == ["mail"]
    assert kicked == ["incubator.mail:deliver_outbox"]


# ------------------------------------------------------------------ rendering pools


def test_a_cohort_report_leaves_no_rendering_process_behind(
    app: Flask, reported: Callable[..., Reported], tmp_path: Any
) -> None:
    """The pool was kept for the process's life: under RQ each job's process exited and left
    its rendering processes orphaned."""
    world = reported()
    before = {p.pid for p in multiprocessing.active_children()}
    with app.app_context():
        render.cohort_pdf(world.program_id, "en", str(tmp_path / "c.pdf"), processes=2)
    left = [p for p in multiprocessing.active_children() if p.pid not in before]
    assert left == []


# ------------------------------------------------------------------ /healthz


def test_healthz_is_ok_when_what_the_deployment_needs_answers(app: Flask) -> None:
    client = app.test_client()
    answer = client.get("/healthz")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["status"] == "ok" and body["database"]["status"] == "ok"
    assert body["redis"]["status"] == "off"  # not configured, not needed
    assert body["worker"]["status"] == "off"
    assert client.get("/healthz?live").get_json() == {"status": "ok"}


def test_healthz_is_503_when_the_database_is_down_but_live_stays_200(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down() -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db, "ping", down)
    client = app.test_client()
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.get_json()["database"]["status"] == "down"
    assert client.get("/healthz?live").status_code == 200


def test_healthz_is_503_when_redis_is_down(app: Flask) -> None:
    app.config["REDIS_URL"] = _closed_port_url()
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 503
    assert answer.get_json()["redis"]["status"] == "down"


def test_healthz_watches_the_worker_and_the_schedule(
    app: Flask,
    redis_url: str,  # noqa: F811
) -> None:
    app.config.update(JOBS_BACKEND="rq", REDIS_URL=redis_url)
    client = app.test_client()
    with app.app_context():
        scheduler.beat(scheduler.WORKER, utcnow() - timedelta(minutes=10))
        scheduler.beat(scheduler.SCHEDULE)
    answer = client.get("/healthz")
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["redis"]["status"] == "ok"
    assert body["worker"]["status"] == "stale" and body["schedule"]["status"] == "ok"
    with app.app_context():
        scheduler.beat(scheduler.WORKER)
    answer = client.get("/healthz")
    assert answer.status_code == 200, answer.get_json()


def test_two_processes_writing_a_heartbeat_at_once_keep_one_row(app: Flask) -> None:
    errors: list[BaseException] = []

    def beat() -> None:
        try:
            with app.app_context():
                for _ in range(5):
                    scheduler.beat(scheduler.SCHEDULE)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=beat) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        assert scheduler.last_beat(scheduler.SCHEDULE) is not None
