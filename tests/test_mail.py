"""The durable outbox (queued with the change, sent after commit, retried, claimed once),
emails in the recipient's language, and the background job backends."""

from __future__ import annotations

import email
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from email import policy
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, current_app, has_app_context
from flask_babel import force_locale, gettext
from sqlalchemy import func, select, text

import incubator.outbox as claim_loop
from incubator import jobs, mail
from incubator.accounts import registration
from incubator.accounts.models import User
from incubator.db import db, utcnow
from incubator.mail import MailStatus, MemoryTransport, OutboxMessage, deliver_outbox, queue_email
from tests.accounts.fixtures import PASSWORD

CATALOG = (
    Path(__file__).resolve().parent.parent
    / "incubator"
    / "translations"
    / "vi"
    / "LC_MESSAGES"
    / "messages.mo"
)
WELCOME_EN = "Welcome to the BIIC · SMIC incubator"

# ------------------------------------------------------- jobs run by path

CALLS: list[dict[str, Any]] = []
CALLED = threading.Event()


def record_call(*args: Any) -> None:
    """A job: notes its arguments and whether it runs inside an app context with a database."""
    inside = has_app_context()
    CALLS.append(
        {
            "args": args,
            "app_context": inside,
            "app": current_app._get_current_object() if inside else None,  # type: ignore[attr-defined]
            "thread": threading.current_thread().name,
            "db": db.session.scalar(text("SELECT 1")) if inside else None,
        }
    )
    CALLED.set()


def explode(*_args: Any) -> None:
    raise RuntimeError("job failed on purpose")


@pytest.fixture(autouse=True)
def _reset_calls() -> Iterator[None]:
    CALLS.clear()
    CALLED.clear()
    yield
    CALLS.clear()
    CALLED.clear()


# ---------------------------------------------------------------- helpers


def messages() -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .order_by(OutboxMessage.id)
            .execution_options(populate_existing=True)
        )
    )


def only_message() -> OutboxMessage:
    found = messages()
    assert len(found) == 1, found
    return found[0]


def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out waiting")


def queue_welcome(user: User) -> None:
    with db.transaction():
        queue_email(db.session.merge(user), "welcome")


# ------------------------------------------------------------ transactions


def test_the_email_is_queued_in_the_same_transaction_and_sent_after_commit(
    ctx: Flask, outbox: MemoryTransport
) -> None:
    with db.transaction():
        user = registration.register_founder("an@example.test", "An", PASSWORD, "en")
        pending = only_message()  # visible inside the transaction that made the change
        assert pending.status is MailStatus.PENDING
        assert pending.recipient == "an@example.test"
        assert outbox.sent == []  # nothing leaves before the commit
    message = only_message()
    assert message.status is MailStatus.SENT
    assert message.sent_at is not None
    assert message.attempts == 1
    assert message.user_id == user.id
    assert outbox.sent == [
        {"to": "an@example.test", "subject": message.subject, "body": message.body}
    ]


def test_a_rolled_back_change_sends_nothing(ctx: Flask, outbox: MemoryTransport) -> None:
    with pytest.raises(RuntimeError), db.transaction():
        registration.register_founder("an@example.test", "An", PASSWORD, "en")
        assert len(messages()) == 1
        raise RuntimeError("something later in the request failed")
    assert messages() == []
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert outbox.sent == []


def test_after_a_rollback_the_next_commit_still_sends(ctx: Flask, outbox: MemoryTransport) -> None:
    with pytest.raises(RuntimeError), db.transaction():
        registration.register_founder("an@example.test", "An", PASSWORD, "en")
        raise RuntimeError("something later in the request failed")
    with db.transaction():
        registration.register_founder("binh@example.test", "Bình", PASSWORD, "en")
    assert [m["to"] for m in outbox.sent] == ["binh@example.test"]


def test_a_refused_form_queues_nothing(
    app: Flask, outbox: MemoryTransport, make_user: Callable[..., User]
) -> None:
    response = app.test_client().post(
        "/register",
        data={
            "name": "X",
            "email": "new@example.test",
            "password": "123456789",  # too easy: refused by the service, after the form
            "confirm": "123456789",
            "locale": "en",
        },
    )
    assert response.status_code == 200
    with app.app_context():
        assert messages() == []
    assert outbox.sent == []


def test_several_emails_in_one_transaction_are_all_sent(
    ctx: Flask, outbox: MemoryTransport, make_user: Callable[..., User]
) -> None:
    users = [make_user(locale="en") for _ in range(3)]
    with db.transaction():
        for user in users:
            queue_email(db.session.merge(user), "welcome")
    assert sorted(m["to"] for m in outbox.sent) == sorted(u.email for u in users)
    assert {m.status for m in messages()} == {MailStatus.SENT}


# ------------------------------------------------------------------ retries


def test_a_failed_delivery_is_retried_later_with_a_growing_delay(
    ctx: Flask, outbox: MemoryTransport, make_user: Callable[..., User]
) -> None:
    user = make_user(locale="en")
    outbox.fail_next = 2
    before = utcnow()
    queue_welcome(user)
    after = utcnow()

    first = only_message()
    assert first.status is MailStatus.PENDING
    assert first.attempts == 1
    assert "simulated SMTP failure" in first.last_error
    assert first.sent_at is None
    assert outbox.sent == []
    first_delay_bounds = (first.next_attempt_at - after, first.next_attempt_at - before)
    assert first_delay_bounds[0] > timedelta(0)

    # not due yet: nothing happens
    assert deliver_outbox(now=first.next_attempt_at - timedelta(seconds=1)) == (0, 0)
    assert only_message().attempts == 1

    # due: tried again, fails again, waits longer
    retry_at = first.next_attempt_at
    assert deliver_outbox(now=retry_at) == (0, 1)
    second = only_message()
    assert second.attempts == 2
    assert second.status is MailStatus.PENDING
    second_delay = second.next_attempt_at - retry_at
    assert second_delay > first_delay_bounds[1]

    # due again: sent
    assert deliver_outbox(now=second.next_attempt_at) == (1, 0)
    sent = only_message()
    assert sent.status is MailStatus.SENT
    assert sent.attempts == 3
    assert sent.last_error is None
    assert sent.sent_at is not None
    assert [m["to"] for m in outbox.sent] == [user.email]

    # and never again
    assert deliver_outbox(now=utcnow() + timedelta(days=30)) == (0, 0)
    assert len(outbox.sent) == 1


def test_retry_delays_grow() -> None:
    delays = [mail.retry_delay(n) for n in range(1, 7)]
    assert delays == sorted(delays)
    assert len(set(delays)) == len(delays)
    assert delays[0] >= timedelta(minutes=1)


def test_after_the_maximum_attempts_the_message_is_marked_failed(
    ctx: Flask, outbox: MemoryTransport, make_user: Callable[..., User]
) -> None:
    user = make_user(locale="en")
    maximum = ctx.config["MAIL_MAX_ATTEMPTS"]
    assert maximum >= 3
    outbox.fail_next = 1000
    queue_welcome(user)
    now = utcnow()
    for _ in range(maximum + 3):
        now += timedelta(days=1)
        deliver_outbox(now=now)
    message = only_message()
    assert message.status is MailStatus.FAILED
    assert message.attempts == maximum
    assert "simulated SMTP failure" in message.last_error
    assert outbox.fail_next == 1000 - maximum  # no attempt after it was marked failed
    assert outbox.sent == []


def test_one_failure_does_not_hold_back_the_other_messages(
    ctx: Flask, outbox: MemoryTransport, make_user: Callable[..., User]
) -> None:
    first, second = make_user(locale="en"), make_user(locale="en")
    outbox.fail_next = 1
    with db.transaction():
        queue_email(db.session.merge(first), "welcome")
        queue_email(db.session.merge(second), "welcome")
    statuses = [(m.recipient, m.status) for m in messages()]
    assert statuses == [(first.email, MailStatus.PENDING), (second.email, MailStatus.SENT)]
    assert [m["to"] for m in outbox.sent] == [second.email]


# ------------------------------------------------------------------ claims


def test_a_message_claimed_by_one_sender_is_not_sent_twice(
    app: Flask,
    ctx: Flask,
    outbox: MemoryTransport,
    make_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two senders list the same due message; only the one that claims it first sends it."""
    user = make_user(locale="en")
    outbox.fail_next = 1  # the first, inline, attempt fails: the message stays pending
    queue_welcome(user)
    due = utcnow() + timedelta(days=1)

    real_update = claim_loop.update  # the outboxes' one claim loop (incubator/outbox.py)
    other_sender: list[tuple[int, int]] = []

    def claim_after_the_other_sender(*args: Any, **kwargs: Any) -> Any:
        if not other_sender:  # the first sender has listed the message; the other runs now
            other_sender.append((-1, -1))
            with app.app_context():
                other_sender[0] = deliver_outbox(now=due)
        return real_update(*args, **kwargs)

    monkeypatch.setattr(claim_loop, "update", claim_after_the_other_sender)
    assert deliver_outbox(now=due) == (0, 0)  # its claim found the message taken
    assert other_sender == [(1, 0)]
    assert [m["to"] for m in outbox.sent] == [user.email]
    message = only_message()
    assert message.status is MailStatus.SENT
    assert message.attempts == 2


def _another_writer_can_write(app: Flask) -> bool:
    """Whether a second connection can start writing right now (without a long wait)."""
    engine = db.engine(app)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA busy_timeout = 300")
            try:
                cursor.execute("BEGIN IMMEDIATE")
            except Exception:
                return False
            finally:
                cursor.execute("PRAGMA busy_timeout = 15000")
            cursor.execute("ROLLBACK")
            return True
        cursor.execute("SET lock_timeout = '300ms'")
        try:
            cursor.execute("UPDATE outbox SET last_error = last_error")
        except Exception:
            return False
        finally:
            raw.rollback()
        return True
    finally:
        raw.close()


class _ReentrantTransport(MemoryTransport):
    """While a message is sent, another sender runs: it must not pick the message up."""

    def __init__(self, app: Flask, now: Any) -> None:
        super().__init__()
        self.app = app
        self.now = now
        self.could_write: list[bool] = []
        self.inner: list[tuple[int, int]] = []

    def send(self, message: OutboxMessage) -> None:
        if not self.could_write:
            self.could_write.append(_another_writer_can_write(self.app))
            if self.could_write[0]:
                with self.app.app_context():
                    self.inner.append(deliver_outbox(now=self.now + timedelta(minutes=1)))
        super().send(message)


def test_a_message_being_sent_is_not_picked_up_by_another_sender(
    app: Flask, ctx: Flask, outbox: MemoryTransport, make_user: Callable[..., User]
) -> None:
    user = make_user(locale="en")
    outbox.fail_next = 1
    queue_welcome(user)
    due = utcnow() + timedelta(days=1)
    transport = _ReentrantTransport(app, due)
    app.extensions["mail_transport"] = transport
    assert deliver_outbox(now=due) == (1, 0)
    assert transport.could_write == [True]  # sending holds no database lock
    assert transport.inner == [(0, 0)]  # the other sender sees the message as taken
    assert [m["to"] for m in transport.sent] == [user.email]


def test_a_claim_left_by_a_crashed_sender_expires(
    ctx: Flask, outbox: MemoryTransport, make_user: Callable[..., User]
) -> None:
    user = make_user(locale="en")
    outbox.fail_next = 1
    queue_welcome(user)
    message = only_message()
    crashed_at = utcnow() + timedelta(days=1)
    message.next_attempt_at = crashed_at + mail.CLAIM_LEASE  # as a claim leaves it
    message.attempts += 1
    db.session.commit()
    assert deliver_outbox(now=crashed_at + timedelta(minutes=1)) == (0, 0)
    assert deliver_outbox(now=crashed_at + mail.CLAIM_LEASE) == (1, 0)
    assert [m["to"] for m in outbox.sent] == [user.email]


# ---------------------------------------------------------------- language


def test_an_email_is_written_in_the_recipients_language(
    ctx: Flask, outbox: MemoryTransport, make_user: Callable[..., User]
) -> None:
    english_user = make_user(locale="en", name="Jane Doe")
    vietnamese_user = make_user(locale="vi", name="Trần Thị Lan")
    queue_welcome(english_user)
    queue_welcome(vietnamese_user)
    by_recipient = {m["to"]: m for m in outbox.sent}
    english = by_recipient[english_user.email]
    vietnamese = by_recipient[vietnamese_user.email]
    assert english["subject"] == WELCOME_EN
    assert english["body"].startswith("Hello Jane Doe,")
    assert "http://localhost/" in english["body"]
    assert "Trần Thị Lan" in vietnamese["body"]
    assert "http://localhost/" in vietnamese["body"]
    if CATALOG.exists():
        assert vietnamese["subject"] != english["subject"]
        assert vietnamese["body"] != english["body"].replace("Jane Doe", "Trần Thị Lan")


def test_the_language_of_the_request_does_not_change_the_email(
    app: Flask, ctx: Flask, outbox: MemoryTransport, make_user: Callable[..., User]
) -> None:
    english_user = make_user(locale="en")
    vietnamese_user = make_user(locale="vi")
    with app.test_request_context("/", headers={"Accept-Language": "vi"}):
        queue_welcome(english_user)
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        queue_welcome(vietnamese_user)
    by_recipient = {m["to"]: m["subject"] for m in outbox.sent}
    assert by_recipient[english_user.email] == WELCOME_EN
    with force_locale("vi"):
        expected_vietnamese = gettext(WELCOME_EN)
    assert by_recipient[vietnamese_user.email] == expected_vietnamese


def test_an_english_founder_registering_gets_an_english_welcome(
    app: Flask, outbox: MemoryTransport
) -> None:
    client = app.test_client()
    response = client.post(
        "/register",
        headers={"Accept-Language": "vi"},
        data={
            "name": "John Smith",
            "email": "john@example.test",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "locale": "en",
        },
    )
    assert response.status_code == 302
    assert [(m["to"], m["subject"]) for m in outbox.sent] == [("john@example.test", WELCOME_EN)]


def test_subject_and_body_are_split_from_the_template(
    ctx: Flask, outbox: MemoryTransport, make_user: Callable[..., User]
) -> None:
    user = make_user(locale="en", name="Jane Doe")
    queue_welcome(user)
    message = only_message()
    assert "\n" not in message.subject
    assert message.subject == message.subject.strip()
    assert WELCOME_EN not in message.body
    assert message.body.endswith("\n") and not message.body.startswith("\n")


# -------------------------------------------------------------------- jobs


def test_inline_backend_runs_the_job_at_once_in_an_app_context(app: Flask) -> None:
    assert app.config["JOBS_BACKEND"] == "inline"
    with app.app_context():
        jobs.enqueue("tests.test_mail:record_call", 1, "two")
    assert len(CALLS) == 1
    assert CALLS[0]["args"] == (1, "two")
    assert CALLS[0]["app_context"] is True
    assert CALLS[0]["app"] is app
    assert CALLS[0]["db"] == 1


def test_inline_backend_leaves_delayed_jobs_to_the_caller(app: Flask) -> None:
    with app.app_context():
        jobs.enqueue("tests.test_mail:record_call", delay=timedelta(seconds=1))
    assert CALLS == []


def test_thread_backend_runs_the_job_in_another_thread_with_an_app_context(app: Flask) -> None:
    app.config["JOBS_BACKEND"] = "thread"
    with app.app_context():
        jobs.enqueue("tests.test_mail:record_call", "threaded")
    assert CALLED.wait(10)
    call = CALLS[0]
    assert call["args"] == ("threaded",)
    assert call["app_context"] is True
    assert call["app"] is app
    assert call["db"] == 1
    assert call["thread"] != threading.current_thread().name
    assert call["thread"].startswith("incubator-job")


def test_thread_backend_runs_a_delayed_job_later(app: Flask) -> None:
    app.config["JOBS_BACKEND"] = "thread"
    started = time.monotonic()
    with app.app_context():
        jobs.enqueue("tests.test_mail:record_call", "later", delay=timedelta(seconds=0.5))
    assert CALLS == []  # not yet
    assert CALLED.wait(10)
    assert time.monotonic() - started >= 0.45
    assert CALLS[0]["args"] == ("later",)
    assert CALLS[0]["app"] is app


def test_thread_backend_logs_a_failing_job_without_raising(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["JOBS_BACKEND"] = "thread"
    with app.app_context():
        jobs.enqueue("tests.test_mail:explode")  # does not raise here
        jobs.enqueue("tests.test_mail:record_call", "after")
    assert CALLED.wait(10)
    wait_for(lambda: any("tests.test_mail:explode" in r.getMessage() for r in caplog.records))


def test_thread_backend_delivers_the_outbox(
    app: Flask, outbox: MemoryTransport, make_user: Callable[..., User]
) -> None:
    app.config["JOBS_BACKEND"] = "thread"
    user = make_user(locale="en")
    with app.app_context():
        queue_welcome(user)
    wait_for(lambda: outbox.sent)
    assert [m["to"] for m in outbox.sent] == [user.email]

    def sent_now() -> bool:
        # each look in a transaction of its own: on SQLite one held open across the polls
        # kept the sender from writing "sent" (a flaky failure)
        status = only_message().status
        db.session.rollback()
        return status is MailStatus.SENT

    with app.app_context():
        wait_for(sent_now)


# ---------------------------------------------------------------------- RQ


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("RQ tests need Redis: set TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15)")
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        connection = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        connection.ping()
    except (RedisError, OSError) as error:
        pytest.skip(f"Redis at TEST_REDIS_URL={url} is unreachable: {error}")
    connection.close()
    return url


@pytest.fixture
def rq_app(app: Flask, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The app on the RQ backend; yields its (emptied) queue. Workers run this same app."""
    # a queue of its own: other test processes share this Redis
    app.config.update(JOBS_BACKEND="rq", REDIS_URL=redis_url, RQ_QUEUE=f"test-{uuid.uuid4().hex}")
    monkeypatch.setattr(jobs, "_worker_app", app)
    queue = jobs._rq_queue(app)
    queue.empty()
    yield queue
    queue.delete(delete_jobs=True)  # its jobs, and its name in the list of queues
    queue.connection.close()


def _work(queue: Any) -> None:
    from rq import SimpleWorker

    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def test_rq_backend_queues_the_job_and_a_worker_runs_it_in_an_app_context(
    app: Flask, rq_app: Any
) -> None:
    from rq.job import Job

    with app.app_context():
        jobs.enqueue("tests.test_mail:record_call", "via-rq", 3)
    assert CALLS == []  # nothing runs until a worker takes it
    assert rq_app.count == 1
    job_id = rq_app.job_ids[0]

    _work(rq_app)

    assert Job.fetch(job_id, connection=rq_app.connection).get_status() == "finished"
    assert len(CALLS) == 1
    assert CALLS[0]["args"] == ("via-rq", 3)
    assert CALLS[0]["app_context"] is True
    assert CALLS[0]["app"] is app
    assert CALLS[0]["db"] == 1
    assert rq_app.count == 0


def test_rq_backend_delivers_the_outbox(
    app: Flask, rq_app: Any, outbox: MemoryTransport, make_user: Callable[..., User]
) -> None:
    user = make_user(locale="en")
    with app.app_context():
        queue_welcome(user)
        assert only_message().status is MailStatus.PENDING
    assert outbox.sent == []
    assert rq_app.count == 1
    _work(rq_app)
    assert [(m["to"], m["subject"]) for m in outbox.sent] == [(user.email, WELCOME_EN)]
    with app.app_context():
        assert only_message().status is MailStatus.SENT


def test_rq_backend_schedules_a_retry_after_a_failure(
    app: Flask, rq_app: Any, outbox: MemoryTransport, make_user: Callable[..., User]
) -> None:
    from rq.registry import ScheduledJobRegistry

    user = make_user(locale="en")
    outbox.fail_next = 1
    with app.app_context():
        queue_welcome(user)
    _work(rq_app)
    registry = ScheduledJobRegistry(queue=rq_app)
    assert registry.count == 1  # the retry waits for its delay
    with app.app_context():
        message = only_message()
    assert message.status is MailStatus.PENDING
    assert message.attempts == 1
    registry.remove(registry.get_job_ids()[0], delete_job=True)


def test_user_text_cannot_break_the_email_headers(
    app: Flask, make_application: Any, make_user: Any, manager_of: Any, outbox: MemoryTransport
) -> None:
    """A startup named "A\\rB" (typed before forms cleaned it) once made the reviewer's
    email fail on every attempt: "Header values may not contain linefeed or carriage return"."""
    from incubator.accounts.models import Role
    from incubator.applications.stages import Stage
    from incubator.reviews import services as reviews

    application = make_application(Stage.SUBMITTED)
    mentor = make_user(Role.MENTOR, name="Mentor\r\nBcc: evil@example.test")
    with app.app_context():
        db.session.get(type(application), application.id).startup.name = "A\rB\nBcc: x@y.test"
        db.session.commit()
        with db.transaction():
            reviews.assign(
                db.session.merge(manager_of("BIIC")),
                db.session.get(type(application), application.id),
                db.session.get(User, mentor.id),
            )
        assert db.session.scalar(select(OutboxMessage.last_error)) is None
    [to_mentor] = [e for e in outbox.emails if e["To"] == mentor.email]
    sent = email.message_from_string(to_mentor.as_string(), policy=policy.default)
    assert "Bcc" not in sent and sent["To"] == mentor.email
    assert sent["Subject"].endswith(": A B")


def test_a_stored_subject_with_a_line_break_is_still_sent(ctx: Flask) -> None:
    message = OutboxMessage(recipient="a@example.test\r\n", subject="Một\r\nhai", body="x\n")
    sent = mail.email_message(message, "incubator@localhost")
    assert sent["Subject"] == "Một hai" and sent["To"] == "a@example.test"


# ------------------------------------------------- what providers accept

# 120 characters; the email package's own folding drops the space before "BIIC" (CPython 3.11)
LONG_SUBJECT = (
    "Thông báo kết quả Demo Day: công ty khởi nghiệp Nông Trại Số được giám khảo chấm điểm "
    "cao nhất chương trình ươm tạo BIIC"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, list[bytes]]]:
    """A real SMTP server on loopback (aiosmtpd); what it received, as raw bytes."""
    from aiosmtpd.controller import Controller

    received: list[bytes] = []

    class Keep:
        async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
            received.append(envelope.original_content or envelope.content)
            return "250 OK"

    controller = Controller(Keep(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller.port, received
    finally:
        controller.stop()


def test_a_long_vietnamese_subject_arrives_whole_with_date_and_message_id(
    ctx: Flask, smtp_server: tuple[int, list[bytes]]
) -> None:
    assert len(LONG_SUBJECT) == 120
    port, received = smtp_server
    ctx.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False, MAIL_USERNAME=None
    )
    ctx.config["MAIL_SENDER"] = "Vườn ươm BIIC <noreply@biic.example.vn>"
    message = OutboxMessage(recipient="founder@example.test", subject=LONG_SUBJECT, body="Chào\n")
    mail.SmtpTransport(ctx.config).send(message)

    assert len(received) == 1
    raw = received[0]
    assert all(len(line) <= 78 for line in raw.split(b"\r\n")[:12])  # headers folded
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == LONG_SUBJECT  # not a space lost
    assert parsed["Date"].datetime is not None
    assert abs((parsed["Date"].datetime - utcnow()).total_seconds()) < 60
    assert parsed["Message-ID"].startswith("<")
    assert parsed["Message-ID"].endswith("@biic.example.vn>")
    assert parsed.get_content().rstrip() == "Chào"


def test_every_message_has_its_own_message_id(ctx: Flask, outbox: MemoryTransport) -> None:
    for subject in ("Short", LONG_SUBJECT):
        outbox.send(OutboxMessage(recipient="a@example.test", subject=subject, body="x\n"))
    first, second = outbox.emails
    assert first["Message-ID"] != second["Message-ID"]
    assert first["Date"] and second["Date"]
    assert first["Subject"] == "Short" and second["Subject"] == LONG_SUBJECT
