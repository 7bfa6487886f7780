"""Counters of attempts per (scope, key) in fixed windows, atomic on SQLite and PostgreSQL.

`take` checks and counts in one statement, a conditional UPDATE
(`count < limit`): on PostgreSQL concurrent requests queue on the row lock and
re-check the condition once the earlier one commits; on SQLite every writing
transaction holds the database's write lock. Either way no more than `limit`
attempts get through in a window, however many arrive at the same moment. The
counters live in the database, so every worker process shares them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from incubator.accounts.models import ThrottleCounter
from incubator.db import db, on_commit, utcnow

# Rows of windows that ended this long ago are deleted when new windows start.
KEEP = timedelta(days=2)


def now() -> datetime:
    """The clock of every counter (tests pin it so that no window ends mid-test)."""
    return utcnow()


def window_start(at: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds())
    return datetime.fromtimestamp(int(at.timestamp()) // seconds * seconds, UTC)


def _row(scope: str, key: str, window: timedelta) -> tuple[datetime, datetime]:
    """Make sure the window's row exists; returns (the clock, the window's start)."""
    at = now()
    start = window_start(at, window)
    session = db.session
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    created = session.execute(
        insert(ThrottleCounter)
        .values(scope=scope, key=key[:320], window_start=start, count=0, updated_at=at)
        .on_conflict_do_nothing()
    ).rowcount
    if created and _purge not in session.info.get("on_commit", ()):
        on_commit(session, _purge)  # once per transaction, after it (see `_purge`)
    return at, start


def _purge() -> None:
    """Delete the rows of long-ended windows, in a short transaction of its own.

    It runs after the request's transaction, which then holds no lock: two requests
    purging at once only queue for each other, they cannot deadlock.
    """
    with db.engine().begin() as connection:
        connection.execute(
            delete(ThrottleCounter).where(ThrottleCounter.window_start < now() - KEEP)
        )


def _where(scope: str, key: str, start: datetime) -> tuple:
    return (
        ThrottleCounter.scope == scope,
        ThrottleCounter.key == key[:320],
        ThrottleCounter.window_start == start,
    )


def take(scope: str, key: str, limit: int, window: timedelta) -> bool:
    """Count one attempt if fewer than `limit` were counted in this window; False otherwise."""
    at, start = _row(scope, key, window)
    taken = db.session.execute(
        update(ThrottleCounter)
        .where(*_where(scope, key, start), ThrottleCounter.count < limit)
        .values(count=ThrottleCounter.count + 1, updated_at=at)
        .execution_options(synchronize_session=False)
    ).rowcount
    return taken == 1


def give_back(scope: str, key: str, window: timedelta) -> None:
    """Uncount one attempt of this window (a login that succeeded)."""
    start = window_start(now(), window)
    db.session.execute(
        update(ThrottleCounter)
        .where(*_where(scope, key, start), ThrottleCounter.count > 0)
        .values(count=ThrottleCounter.count - 1)
        .execution_options(synchronize_session=False)
    )


def add(scope: str, key: str, window: timedelta) -> None:
    """Count one attempt, whatever the count already is."""
    at, start = _row(scope, key, window)
    db.session.execute(
        update(ThrottleCounter)
        .where(*_where(scope, key, start))
        .values(count=ThrottleCounter.count + 1, updated_at=at)
        .execution_options(synchronize_session=False)
    )


def count(scope: str, key: str, window: timedelta) -> int:
    start = window_start(now(), window)
    return db.session.scalar(select(ThrottleCounter.count).where(*_where(scope, key, start))) or 0
