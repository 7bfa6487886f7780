"""The durable outbox: emails are rows written with the change that causes them.

A sender delivers due messages after the transaction commits and retries
failures with a growing delay; a message is claimed before it is sent so that
two senders never send it twice at the same time.
"""

from __future__ import annotations

import enum
import logging
import smtplib
from datetime import datetime, timedelta
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any, Protocol

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from incubator import jobs
from incubator.db import Base, UTCDateTime, db, enum_column, on_commit, utcnow
from incubator.outbox import Outbox

log = logging.getLogger(__name__)
CLAIM_LEASE = timedelta(minutes=5)


class MailStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[MailStatus] = mapped_column(
        enum_column(MailStatus, "mail_status"), default=MailStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def queue_email(user: Any, template: str, **context: Any) -> OutboxMessage:
    """Render `templates/email/<template>.txt` in the user's language and queue it.

    The template's first line is the subject, the rest the body.
    """
    with force_locale(user.locale):
        text = render_template(f"email/{template}.txt", user=user, **context)
    subject, _, body = text.strip().partition("\n")
    message = OutboxMessage(
        recipient=user.email, user_id=user.id, subject=one_line(subject), body=body.strip() + "\n"
    )
    session = db.session
    session.add(message)
    if _kick_delivery not in session.info.get("on_commit", ()):
        on_commit(session, _kick_delivery)  # once per transaction, however many emails
    return message


def one_line(text: str) -> str:
    """Text for a header: any run of blanks, line breaks included, is one space, so that no
    user text (a startup's name in a subject) can end a header or start another."""
    return " ".join(text.split())


def email_message(message: OutboxMessage, sender: str) -> EmailMessage:
    """The message as providers accept it: with a Date and a Message-ID (on the sender's
    domain), and a subject in any language folded without losing a character."""
    email = EmailMessage()
    email["From"] = one_line(sender)
    email["To"] = one_line(message.recipient)
    subject = one_line(message.subject)
    if subject.isascii():
        email["Subject"] = subject
    else:
        # Encoded words made here, each complete on its line: the email package's own folding
        # of non-ASCII words drops a space where it folds (CPython 3.11, 3.12). A value already
        # folded to the line length is sent as it is (refold_source="long").
        folded = Header(subject, "utf-8", header_name="Subject").encode(linesep="\n")
        email.set_raw("Subject", folded)
    email["Date"] = format_datetime(utcnow())
    email["Message-ID"] = make_msgid(domain=_domain_of(sender))
    email.set_content(message.body)
    return email


def _domain_of(sender: str) -> str:
    """The domain of the sender's address ("Vườn ươm <noreply@biic.vn>" -> "biic.vn")."""
    domain = parseaddr(one_line(sender))[1].rpartition("@")[2].strip().lower()
    if domain and not domain.isascii():
        domain = domain.encode("idna").decode("ascii")
    return domain or "localhost"


def init_app(app: Any) -> None:
    """The mail outbox, and the sweep of every outbox on the schedule (outbox.py)."""
    from incubator import outbox
    from incubator.domains import Schedule, contribute

    outbox.register(app, OUTBOX)
    contribute(app, Schedule("outbox-sweep", "incubator.outbox:sweep_job", timedelta(minutes=1)))


def _kick_delivery() -> None:
    jobs.enqueue("incubator.mail:deliver_outbox")


class Transport(Protocol):
    def send(self, message: OutboxMessage) -> None: ...


class LogTransport:
    def send(self, message: OutboxMessage) -> None:
        log.warning(
            "email to %s\nSubject: %s\n\n%s", message.recipient, message.subject, message.body
        )


class MemoryTransport:
    """Keeps what was sent, for tests (built as SMTP would, so that what would fail there
    fails here); `fail_next` makes the next sends raise."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []
        self.emails: list[EmailMessage] = []
        self.fail_next = 0

    def send(self, message: OutboxMessage) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("simulated SMTP failure")
        self.emails.append(email_message(message, current_app.config["MAIL_SENDER"]))
        self.sent.append(
            {"to": message.recipient, "subject": message.subject, "body": message.body}
        )


class SmtpTransport:
    def __init__(self, config: Any) -> None:
        self.config = config

    def send(self, message: OutboxMessage) -> None:
        email = email_message(message, self.config["MAIL_SENDER"])
        with smtplib.SMTP(self.config["MAIL_SERVER"], self.config["MAIL_PORT"], timeout=30) as smtp:
            if self.config["MAIL_USE_TLS"]:
                smtp.starttls()
            if self.config["MAIL_USERNAME"]:
                smtp.login(self.config["MAIL_USERNAME"], self.config["MAIL_PASSWORD"])
            smtp.send_message(email)


def transport() -> Transport:
    app = current_app
    if "mail_transport" not in app.extensions:
        kind = app.config["MAIL_TRANSPORT"]
        app.extensions["mail_transport"] = {
            "smtp": lambda: SmtpTransport(app.config),
            "memory": MemoryTransport,
            "log": LogTransport,
        }[kind]()
    return app.extensions["mail_transport"]


def retry_delay(attempts: int) -> timedelta:
    return timedelta(minutes=2**attempts)


def deliver_outbox(now: datetime | None = None) -> tuple[int, int]:
    """Send every due message; returns (sent, failed attempts). Commits per message."""
    session = db.session
    now = now or utcnow()
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    sent = failed = 0
    next_retry: datetime | None = None
    for message in OUTBOX.claimed(now):
        session.commit()  # no transaction (on SQLite, no write lock) while talking to the server
        try:
            transport().send(message)
        except Exception as error:  # any transport failure is retried later
            failed += 1
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            if message.attempts >= max_attempts:
                message.status = MailStatus.FAILED
            else:
                message.next_attempt_at = now + retry_delay(message.attempts)
                next_retry = min(next_retry or message.next_attempt_at, message.next_attempt_at)
            log.warning("email %s to %s failed: %s", message.id, message.recipient, error)
        else:
            sent += 1
            message.status = MailStatus.SENT
            message.sent_at = utcnow()
            message.last_error = None
        session.commit()
    if next_retry is not None:
        # the retry waits in the queue; if the queue loses it, the outbox sweep finds it again
        jobs.enqueue("incubator.mail:deliver_outbox", delay=next_retry - now)
    return sent, failed


OUTBOX = Outbox(
    "mail", OutboxMessage, MailStatus.PENDING, "incubator.mail:deliver_outbox", CLAIM_LEASE
)
