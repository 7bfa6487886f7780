"""Webhooks: receivers registered by a center's managers, fed through an outbox.

A domain's event becomes `WebhookDelivery` rows in the transaction of the event (`emit`),
so that nothing is sent for a change rolled back and nothing is lost for one committed.
`deliver_webhooks` (after the commit, and every minute by the scheduler) claims due rows,
posts them signed (HMAC-SHA256 of "<timestamp>.<body>"), retries failures with growing
delays, and switches off a receiver that has failed for a day, emailing its managers.
Receivers must be http(s) addresses whose host resolves only to global addresses (or to
WEBHOOK_ALLOWED_NETWORKS; WEBHOOK_ALLOW_PRIVATE lifts that for tests), checked when added and
again when sent, the connection made to the address checked (incubator/api/safe_http.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from incubator import audit, jobs
from incubator.accounts.models import Role, RoleGrant, User
from incubator.api import safe_http
from incubator.api.models import DeliveryStatus, Webhook, WebhookDelivery, WebhookEvent
from incubator.db import db, on_commit, utcnow
from incubator.errors import DomainError, NotFound
from incubator.i18n import to_local
from incubator.mail import queue_email
from incubator.outbox import Outbox

log = logging.getLogger(__name__)
CLAIM_LEASE = timedelta(minutes=2)
MAX_DELAY = timedelta(hours=1)
TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-Incubator-Signature"
TIMESTAMP_HEADER = "X-Incubator-Timestamp"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """What a receiver recomputes: sha256=<hex HMAC of "<timestamp>.<body>" with the secret>."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


# ------------------------------------------------------------------- access


def may_manage(actor: Any, center_id: int) -> bool:
    return actor.is_authenticated and actor.manages(center_id)


def managed_webhook(actor: User, webhook_id: int) -> Webhook:
    webhook = db.session.get(Webhook, webhook_id)
    if webhook is None or not may_manage(actor, webhook.center_id):
        raise NotFound("webhook")
    return webhook


def webhooks_of(center_id: int) -> list[Webhook]:
    return list(
        db.session.scalars(
            select(Webhook).where(Webhook.center_id == center_id).order_by(Webhook.id)
        )
    )


def recent_deliveries(webhook: Webhook, limit: int = 50) -> list[WebhookDelivery]:
    return list(
        db.session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


# ------------------------------------------------------------- addresses


def _allowed_networks() -> tuple[safe_http.Network, ...]:
    return safe_http.parse_networks(current_app.config.get("WEBHOOK_ALLOWED_NETWORKS") or ())


def _checked(url: str) -> safe_http.Target:
    """Resolve the URL's host once and check every address (incubator/api/safe_http.py)."""
    try:
        return safe_http.resolve(
            url,
            _allowed_networks(),
            allow_any=bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE")),
        )
    except safe_http.UnsafeUrl as refused:
        raise _refusal(refused.code) from refused


def _refusal(code: str) -> DomainError:
    if code == "unknown_host":
        return DomainError(_("This address cannot be found."), field="url", code=code)
    if code == "private_address":
        return DomainError(
            _("This address leads to a private network; give a public one."),
            field="url",
            code=code,
        )
    return DomainError(
        _("Give an http:// or https:// address of a server on the internet."),
        field="url",
        code="invalid_url",
    )


def check_url(url: str) -> str:
    """The URL if it is http(s) and every address its host resolves to is global (or in
    WEBHOOK_ALLOWED_NETWORKS; WEBHOOK_ALLOW_PRIVATE lifts the rule for tests)."""
    url = url.strip()
    _checked(url)
    return url


# ------------------------------------------------------------------ changes


@dataclass
class WebhookData:
    url: str
    events: list[str]


def add_webhook(actor: User, center_id: int, data: WebhookData) -> Webhook:
    if not may_manage(actor, center_id):
        raise NotFound("center")
    events = sorted({e for e in data.events if e in {v.value for v in WebhookEvent}})
    if not events:
        raise DomainError(_("Choose at least one event."), field="events")
    webhook = Webhook(
        center_id=center_id,
        url=check_url(data.url),
        events=" ".join(events),
        secret=secrets.token_hex(32),
        created_by_id=actor.id,
    )
    db.session.add(webhook)
    db.session.flush()
    audit.record(actor, "api.webhook_added", webhook, url=webhook.url)
    return webhook


def set_webhook_active(actor: User, webhook: Webhook, active: bool) -> Webhook:
    if not may_manage(actor, webhook.center_id):
        raise NotFound("webhook")
    webhook.active = active
    webhook.failing_since = None
    webhook.disabled_at = None if active else utcnow()
    audit.record(actor, "api.webhook_switched", webhook, active=active)
    return webhook


def delete_webhook(actor: User, webhook: Webhook) -> None:
    if not may_manage(actor, webhook.center_id):
        raise NotFound("webhook")
    audit.record(actor, "api.webhook_deleted", webhook, url=webhook.url)
    db.session.delete(webhook)


# ------------------------------------------------------------------- events


def emit(center_id: int, event: WebhookEvent, data: dict[str, Any]) -> int:
    """Queue `event` for the center's active receivers that want it, in the caller's
    transaction; the deliveries start after the commit. Returns how many were queued."""
    session = db.session
    receivers = [
        w
        for w in session.scalars(
            select(Webhook).where(Webhook.center_id == center_id, Webhook.active.is_(True))
        )
        if event.value in w.event_list
    ]
    for webhook in receivers:
        body = {
            "id": uuid.uuid4().hex,
            "event": event.value,
            "created_at": to_local(utcnow()).isoformat(),
            "data": data,
        }
        session.add(
            WebhookDelivery(
                webhook_id=webhook.id,
                event=event.value,
                payload=json.dumps(body, ensure_ascii=False, sort_keys=True),
            )
        )
    if receivers and _kick not in session.info.get("on_commit", ()):
        on_commit(session, _kick)
    return len(receivers)


def _kick() -> None:
    jobs.enqueue("incubator.api.webhooks:deliver_webhooks")


# ----------------------------------------------------------------- delivery


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_DELAY)


MAX_ANSWER_BYTES = 2000


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """(status, first 2000 bytes of the answer); raises for network failures and refuses an
    address that is not allowed, connecting only to the address checked. A redirect is an
    answer (3xx), never followed."""
    try:
        status, answer = safe_http.post(
            url,
            body,
            headers,
            allowed=_allowed_networks(),
            allow_any=bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE")),
            timeout=TIMEOUT_SECONDS,
            max_bytes=MAX_ANSWER_BYTES,
        )
    except safe_http.UnsafeUrl as refused:
        raise _refusal(refused.code) from refused
    return status, answer.decode("utf-8", "replace")


def send(delivery: WebhookDelivery, now_ts: int | None = None) -> tuple[int, str]:
    webhook = delivery.webhook
    # _post checks the address again (the name may resolve elsewhere by now) and connects
    # to the very address it checked
    body = delivery.payload.encode()
    timestamp = str(now_ts or int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "incubator-webhooks/1",
        "X-Incubator-Event": delivery.event,
        "X-Incubator-Delivery": str(delivery.id),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(webhook.secret, timestamp, body),
    }
    return _post(webhook.url, body, headers)


def deliver_webhooks(now: datetime | None = None) -> tuple[int, int]:
    """Send every due delivery; (delivered, failed attempts). Commits per delivery."""
    session = db.session
    now = now or utcnow()
    delivered = failed = 0
    for delivery in OUTBOX.claimed(now):
        webhook = delivery.webhook
        if not webhook.active:  # switched off meanwhile
            delivery.status = DeliveryStatus.FAILED
            session.commit()
            continue
        session.commit()  # no transaction open while talking to the receiver
        try:
            status, text = send(delivery)
        except DomainError as error:
            status, text = 0, error.message
        except Exception as error:  # network failures are retried
            status, text = 0, f"{type(error).__name__}: {error}"
        delivery.last_status_code = status or None
        delivery.last_response = text[:2000]
        if 200 <= status < 300:
            delivered += 1
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = utcnow()
            webhook.failing_since = None
        else:
            failed += 1
            _failed(webhook, delivery, now)
        session.commit()
    return delivered, failed


OUTBOX = Outbox(
    "webhooks",
    WebhookDelivery,
    DeliveryStatus.PENDING,
    "incubator.api.webhooks:deliver_webhooks",
    CLAIM_LEASE,
    batch=500,
)


def _failed(webhook: Webhook, delivery: WebhookDelivery, now: datetime) -> None:
    if webhook.failing_since is None:
        webhook.failing_since = now
    delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    limit = timedelta(hours=current_app.config["WEBHOOK_DISABLE_AFTER_HOURS"])
    if webhook.active and now - webhook.failing_since >= limit:
        _switch_off(webhook, now)
    if not webhook.active:
        delivery.status = DeliveryStatus.FAILED


def _switch_off(webhook: Webhook, now: datetime) -> None:
    webhook.active = False
    webhook.disabled_at = now
    db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.webhook_id == webhook.id,
            WebhookDelivery.status == DeliveryStatus.PENDING,
        )
        .values(status=DeliveryStatus.FAILED)
        .execution_options(synchronize_session=False)
    )
    for manager in _managers(webhook):
        queue_email(manager, "webhook_disabled", webhook=webhook)
    log.warning("webhook %s (%s) switched off after failing", webhook.id, webhook.url)


def _managers(webhook: Webhook) -> list[User]:
    managers = list(
        db.session.scalars(
            select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(
                RoleGrant.role == Role.MANAGER,
                RoleGrant.center_id == webhook.center_id,
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )
    creator = webhook.created_by
    if creator is not None and creator.active and creator not in managers:
        managers.append(creator)
    return managers
