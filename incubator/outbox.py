"""The outboxes' one claim loop: emails (mail.py) and webhook deliveries (api/webhooks.py).

An outbox is a table of rows written in the transaction that causes them, each with a
status, a number of attempts and the time of its next attempt. A sender takes the due rows
one at a time: it *claims* a row (one UPDATE that counts the attempt and pushes its next
attempt a lease away, committed at once) before talking to the outside world, so that two
senders never send the same row at the same time, and a sender that dies mid-send leaves a
row that is due again when its lease ends.

What loses a queued delivery (a Redis restart, a worker killed between its claim and its
answer) is repaired by `sweep`, a schedule that enqueues each outbox's delivery job while it
has due rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select, update

from incubator import jobs
from incubator.db import db, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outbox:
    """A table of deliveries: `model` has `id`, `status`, `attempts`, `next_attempt_at`;
    `pending` is the status of rows still to send; `job` the import path of its sender."""

    name: str
    model: Any
    pending: Any
    job: str
    lease: timedelta
    batch: int | None = None  # at most this many rows per run (the rest wait for the next)

    def _due(self, now: datetime) -> Any:
        model = self.model
        return (model.status == self.pending) & (model.next_attempt_at <= now)

    def due_ids(self, now: datetime) -> list[int]:
        statement = select(self.model.id).where(self._due(now)).order_by(self.model.id)
        if self.batch:
            statement = statement.limit(self.batch)
        return list(db.session.scalars(statement))

    def has_due(self, now: datetime | None = None) -> bool:
        statement = select(self.model.id).where(self._due(now or utcnow())).limit(1)
        return db.session.scalar(statement) is not None

    def claim(self, row_id: int, now: datetime) -> bool:
        """Take one due row: its attempt counted, its next attempt a lease away; committed."""
        model = self.model
        claimed = db.session.execute(
            update(model)
            .where(model.id == row_id, self._due(now))
            .values(
                attempts=model.attempts + 1,
                # the lease counts from this claim, not from the start of a long run
                next_attempt_at=max(now, utcnow()) + self.lease,
            )
        ).rowcount
        db.session.commit()
        return bool(claimed)

    def claimed(self, now: datetime) -> Iterator[Any]:
        """The claim loop: each due row that this sender took, loaded fresh, with no
        transaction open (nothing locked while the caller talks to the outside world). The
        caller sets the row's outcome and commits before taking the next."""
        session = db.session
        due = self.due_ids(now)
        session.rollback()
        for row_id in due:
            if not self.claim(row_id, now):
                continue  # another sender has it
            row = session.get(self.model, row_id, populate_existing=True)
            if row is None:
                continue
            yield row


def register(app: Flask, outbox: Outbox) -> Outbox:
    app.extensions.setdefault("outboxes", {})[outbox.name] = outbox
    return outbox


def outboxes(app: Flask | None = None) -> list[Outbox]:
    return list((app or current_app).extensions.get("outboxes", {}).values())


def sweep() -> list[str]:
    """The scheduled sweep: each outbox with due rows gets its sender enqueued (a delayed
    retry that lived only in Redis, or a row whose sender died, is sent again). Names."""
    now = utcnow()
    started = []
    for outbox in outboxes():
        due = outbox.has_due(now)
        db.session.rollback()
        if due:
            jobs.enqueue(outbox.job)
            started.append(outbox.name)
    return started


def sweep_job() -> None:
    """The scheduled job (runs in an app context)."""
    sweep()


def backlog(now: datetime | None = None) -> dict[str, dict[str, Any]]:
    """Per outbox: the rows due and not yet sent, and when the oldest of them was created
    (for /metrics and operators)."""
    from sqlalchemy import func

    now = now or utcnow()
    figures = {}
    for outbox in outboxes():
        model = outbox.model
        count, oldest = db.session.execute(
            select(func.count(model.id), func.min(model.created_at)).where(outbox._due(now))
        ).one()
        figures[outbox.name] = {"due": count, "oldest": oldest}
    return figures
