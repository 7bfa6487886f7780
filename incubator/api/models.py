"""API tokens, webhooks and their deliveries (the webhooks' outbox), idempotency keys."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incubator.accounts.models import User
from incubator.centers.models import Center
from incubator.db import Base, UTCDateTime, enum_column, utcnow


class ApiToken(Base):
    """A named token a user made for scripts; only its sha256 is stored.

    It acts as its user, with the user's roles, and only while the user is active,
    it is not revoked and not expired; a read-only token reads and never writes.
    """

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_id_revoked_at", "user_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # the first characters, to recognize it
    read_only: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def live(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class WebhookEvent(enum.StrEnum):
    APPLICATION_SUBMITTED = "application.submitted"
    STAGE_CHANGED = "application.stage_changed"
    SESSION_CONFIRMED = "mentoring.session_confirmed"
    BOOKING_CREATED = "fablab.booking_created"
    BOOKING_CANCELLED = "fablab.booking_cancelled"
    REPORT_READY = "report.ready"


class Webhook(Base):
    """A receiver a center's manager registered: the events it wants, its signing secret.

    `failing_since` is the time of the first failure of the current run of failures; a
    receiver failing for WEBHOOK_DISABLE_AFTER is switched off (`active` False).
    """

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    events: Mapped[str] = mapped_column(String(500))  # space-separated WebhookEvent values
    secret: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    center: Mapped[Center] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()

    @property
    def event_list(self) -> list[str]:
        return self.events.split()


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookDelivery(Base):
    """One event for one receiver, written in the transaction of the event (the outbox)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_webhook_id_id", "webhook_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(60))
    payload: Mapped[str] = mapped_column(Text)  # the JSON body, as signed
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None]
    last_response: Mapped[str | None] = mapped_column(Text)

    webhook: Mapped[Webhook] = relationship()


class OpenDataSetting(Base):
    """Whether a center publishes its open data (/api/v1/stats without a token)."""

    __tablename__ = "open_data_settings"

    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), primary_key=True)
    public: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OpenDataMonth(Base):
    """A center's open-data figures of a month, computed by a scheduled job from each
    domain's stored figures (`signals.open_data_figures`); /api/v1/stats only reads these."""

    __tablename__ = "open_data_months"

    center_id: Mapped[int] = mapped_column(ForeignKey("centers.id"), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdempotencyKey(Base):
    """An API `POST` sent with an `Idempotency-Key` header, and the answer it got.

    Claimed (inserted, `status` empty) before the request runs, in a transaction of its own,
    so that of simultaneous requests with the same key one runs and the others wait for its
    answer; the answer (status and body) is kept for a day and given again to a repeat.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    request: Mapped[str] = mapped_column(String(300))  # "POST /api/v1/startups"
    body_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the body as sent
    status: Mapped[int | None]  # empty while the first request runs
    response: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
