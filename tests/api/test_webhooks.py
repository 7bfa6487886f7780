"""Webhooks: registered by a center's managers, written with the event (outbox), posted
signed to a receiver on loopback, retried with growing delays and switched off after a day
of failures (the managers emailed); addresses of private networks refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from incubator.accounts.models import User
from incubator.api import webhooks
from incubator.api.models import DeliveryStatus, Webhook, WebhookDelivery, WebhookEvent
from incubator.db import db, run, utcnow
from incubator.errors import DomainError
from tests.conftest import app_session


class Receiver:
    """An HTTP server on 127.0.0.1 that keeps what it was sent and answers `status`."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok" if receiver.status < 300 else b"down")

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def _hook(app: Flask, manager: User, url: str, events: list[str]) -> int:
    with app_session(app) as session:
        actor = session.get(User, manager.id)
        data = webhooks.WebhookData(url=url, events=events)
        hook = webhooks.add_webhook(actor, actor.managed_center_id, data)
        session.commit()
        return hook.id


def test_a_submission_is_posted_signed(
    app: Flask, manager_of: Any, make_application: Any, receiver: Receiver
) -> None:
    hook_id = _hook(
        app,
        manager_of("BIIC"),
        receiver.url,
        [WebhookEvent.APPLICATION_SUBMITTED.value, WebhookEvent.STAGE_CHANGED.value],
    )
    make_application("submitted")  # (the factory commits by itself: no after-commit kick)
    with app.app_context():
        assert webhooks.deliver_webhooks() == (2, 0)
    assert len(receiver.received) == 2
    with app.app_context():
        secret = db.session.get(Webhook, hook_id).secret
        statuses = db.session.scalars(select(WebhookDelivery.status)).all()
    assert set(statuses) == {DeliveryStatus.DELIVERED}
    events = set()
    for request in receiver.received:
        headers, body = request["headers"], request["body"]
        timestamp = headers["X-Incubator-Timestamp"]
        expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
        assert headers["X-Incubator-Signature"] == "sha256=" + expected.hexdigest()
        payload = json.loads(body)
        events.add(payload["event"])
        assert payload["data"]["to_stage"] == "submitted"
    assert events == {"application.submitted", "application.stage_changed"}


def test_another_centers_events_are_not_sent(
    app: Flask, manager_of: Any, make_application: Any, receiver: Receiver
) -> None:
    _hook(app, manager_of("SMIC"), receiver.url, [WebhookEvent.STAGE_CHANGED.value])
    make_application("submitted")
    with app.app_context():
        assert webhooks.deliver_webhooks() == (0, 0)
    assert receiver.received == []


def test_nothing_is_sent_for_a_rolled_back_event(
    app: Flask, manager_of: Any, receiver: Receiver
) -> None:
    _hook(app, manager_of("BIIC"), receiver.url, [WebhookEvent.STAGE_CHANGED.value])
    with app.app_context():
        center_id = manager_of("BIIC").managed_center_id

        def event_then_refusal() -> None:
            webhooks.emit(center_id, WebhookEvent.STAGE_CHANGED, {"x": 1})
            raise DomainError("refused")

        with pytest.raises(DomainError):
            run(event_then_refusal)
        assert db.session.scalar(select(WebhookDelivery.id)) is None
    assert receiver.received == []


def test_a_failing_receiver_is_retried_then_switched_off(
    app: Flask, manager_of: Any, receiver: Receiver, outbox: Any
) -> None:
    receiver.status = 503
    manager = manager_of("BIIC")
    hook_id = _hook(app, manager, receiver.url, [WebhookEvent.STAGE_CHANGED.value])
    start = utcnow()
    with app.app_context():
        run(webhooks.emit, manager.managed_center_id, WebhookEvent.STAGE_CHANGED, {"n": 1})
        assert len(receiver.received) == 1  # sent at once after the commit, refused
        delivery = db.session.scalar(select(WebhookDelivery))
        assert delivery.status is DeliveryStatus.PENDING
        assert delivery.last_status_code == 503 and delivery.last_response == "down"
        first_retry = delivery.next_attempt_at
        assert first_retry > start
        # not due yet: nothing sent
        assert webhooks.deliver_webhooks(start + timedelta(seconds=10)) == (0, 0)
        webhooks.deliver_webhooks(start + timedelta(minutes=2))
        delivery = db.session.get(WebhookDelivery, delivery.id, populate_existing=True)
        assert delivery.attempts == 2
        assert delivery.next_attempt_at - (start + timedelta(minutes=2)) > (
            first_retry - start
        )  # growing delays
        assert db.session.get(Webhook, hook_id).active
        webhooks.deliver_webhooks(start + timedelta(hours=25))
        hook = db.session.get(Webhook, hook_id, populate_existing=True)
        assert not hook.active and hook.disabled_at is not None
        delivery = db.session.get(WebhookDelivery, delivery.id, populate_existing=True)
        assert delivery.status is DeliveryStatus.FAILED
        # switched off: new events are not queued for it
        run(webhooks.emit, manager.managed_center_id, WebhookEvent.STAGE_CHANGED, {"n": 2})
        assert db.session.scalar(select(db_count())) == 1
    assert len(receiver.received) == 3
    assert [m["to"] for m in outbox.sent] == [manager.email]
    assert receiver.url in outbox.sent[0]["body"]


def db_count() -> Any:
    from sqlalchemy import func

    return func.count(WebhookDelivery.id)


def test_private_addresses_are_refused(app: Flask, manager_of: Any) -> None:
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    manager = manager_of("BIIC")
    with app_session(app) as session:
        actor = session.get(User, manager.id)
        for url in (
            "http://127.0.0.1/hook",
            "http://localhost:8080/x",
            "http://169.254.169.254/latest",
            "http://10.0.0.5/",
            "http://[::1]/",
            "ftp://example.com/",
            "http://user:pw@example.com/",
        ):
            with pytest.raises(DomainError) as refused:
                webhooks.add_webhook(
                    actor,
                    actor.managed_center_id,
                    webhooks.WebhookData(url, ["fablab.booking_created"]),
                )
            assert refused.value.field == "url", url
        session.rollback()


def test_the_managers_page(app: Flask, login: Any, manager_of: Any, receiver: Receiver) -> None:
    biic = login(manager_of("BIIC"))
    added = biic.post("/webhooks", data={"url": receiver.url, "events": ["fablab.booking_created"]})
    assert added.status_code == 302
    page = biic.get(added.headers["Location"])
    assert receiver.url in page.get_data(as_text=True)
    hook_path = added.headers["Location"]
    smic = login(manager_of("SMIC"))
    assert smic.get(hook_path).status_code == 404
    assert smic.post(hook_path + "/delete").status_code == 404
    off = biic.post(hook_path + "/switch", data={"active": "0"})
    assert off.status_code == 302
    with app.app_context():
        assert not db.session.scalar(select(Webhook.active))
    assert biic.post(hook_path + "/delete").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Webhook.id)) is None


def test_a_booking_through_the_api_is_posted_after_its_commit(
    app: Flask, manager_of: Any, make_machine: Any, make_founder: Any, api: Any, receiver: Receiver
) -> None:
    from incubator.i18n import to_local
    from tests.fablab.fixtures import at, open_day

    _hook(app, manager_of("BIIC"), receiver.url, [WebhookEvent.BOOKING_CREATED.value])
    machine = make_machine()
    founder = make_founder()
    with app.app_context():
        starts = to_local(at(open_day(machine.lab_id), 9))
    response = api(founder.user).post(
        "/api/v1/bookings",
        json={
            "equipment_id": machine.id,
            "startup_id": founder.startup_id,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(),
            "purpose": "In thử",
        },
    )
    assert response.status_code == 201
    assert len(receiver.received) == 1
    payload = json.loads(receiver.received[0]["body"])
    assert payload["event"] == "fablab.booking_created"
    assert payload["data"]["booking_id"] == response.get_json()["id"]


def test_a_finished_report_is_posted_as_report_ready(
    app: Flask, reported: Any, api: Any, receiver: Receiver
) -> None:
    world = reported()
    _hook(app, world.manager, receiver.url, [WebhookEvent.REPORT_READY.value])
    app.config["REPORTS_PROCESSES"] = 1
    response = api(world.manager).post(
        "/api/v1/reports", json={"kind": "cohort", "program_id": world.program_id}
    )
    assert response.status_code == 202
    job_id = response.get_json()["id"]
    # (jobs run inline in the tests: the job ends after the request's commit, and its
    # deliveries are posted after the commit that marks it done)
    assert len(receiver.received) == 1
    payload = json.loads(receiver.received[0]["body"])
    assert payload["event"] == "report.ready"
    assert payload["data"]["job_id"] == job_id
    assert payload["data"]["kind"] == "cohort"
    assert payload["data"]["download_url"] == f"/api/v1/reports/{job_id}/download"
    assert payload["data"]["pages"] >= 1


def test_report_ready_is_written_with_the_job_done_and_not_for_a_failure(
    app: Flask, reported: Any, monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    from incubator import jobs
    from incubator.programs.models import Program
    from incubator.reports import render, services
    from incubator.reports.models import JobStatus, ReportJob

    monkeypatch.setattr(jobs, "enqueue", lambda *args, **kwargs: None)
    world = reported()
    _hook(app, world.manager, receiver.url, [WebhookEvent.REPORT_READY.value])
    app.config["REPORTS_PROCESSES"] = 1

    def queued() -> int:
        with app.app_context():
            actor = db.session.get(User, world.manager.id)
            program = db.session.get(Program, world.program_id)
            return run(services.request_cohort, actor, program, "vi").id

    def deliveries() -> list[str]:
        with app.app_context():
            return list(db.session.scalars(select(WebhookDelivery.event)))

    failing = queued()

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("no paper")

    with monkeypatch.context() as patched:
        patched.setattr(render, "cohort_pdf", broken)
        with app.app_context():
            with pytest.raises(RuntimeError):  # raised on, for the queue to record it failed
                services.run_job(failing)
            assert db.session.get(ReportJob, failing).status is JobStatus.FAILED
    assert deliveries() == []
    # a job marked done meanwhile by someone else (a retry that lost) sends nothing either
    with app.app_context(), db.transaction():
        services._finish(failing, JobStatus.DONE, file_name="x.pdf")
    assert deliveries() == []

    done = queued()
    with app.app_context():
        services.run_job(done)
        assert db.session.get(ReportJob, done).status is JobStatus.DONE
    assert deliveries() == ["report.ready"]
