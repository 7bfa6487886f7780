"""Engine and session per app, the declarative Base, and the transaction runner.

The transaction runner (`run`, or `db.transaction()` around several calls) is
the one place that commits or rolls back, for web requests, the CLI, jobs and
the API alike.
"""

from __future__ import annotations

import contextlib
import enum
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import DateTime, Engine, Enum, MetaData, create_engine, event, func, make_url, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from incubator.errors import DomainError

log = logging.getLogger(__name__)
T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no zone, so naive values coming back are UTC by construction.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_column(enum_class: type[enum.Enum], name: str) -> Enum:
    """A string column limited to the enum's values (a CHECK constraint on both databases)."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def contains_text(column: Any, text: str) -> Any:
    """Case-insensitive "column contains text", with LIKE wildcards in `text` taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def make_engine(url: str, pool_size: int = 5) -> Engine:
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 15, "check_same_thread": False})
        _make_sqlite_serializable(engine)
        return engine
    # one connection per request thread, plus the scheduler's and the job threads'
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size)


def _make_sqlite_serializable(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE for every write transaction.

    pysqlite's own implicit BEGIN is switched off so that the write lock is
    taken when the transaction starts; two writers then queue on the busy
    timeout instead of failing halfway with "database is locked".
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        # SQLite's own lower() folds ASCII only; searches must find "Đặng" from "đặng".
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        # under WAL, NORMAL syncs the log at checkpoints rather than at every commit: a crash of
        # the app loses nothing, a power cut at most the last transactions
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Pages that only read (GET) do not queue behind writers; WAL lets them read meanwhile.
        reading = has_request_context() and request.method in ("GET", "HEAD", "OPTIONS")
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


class Database:
    """Holds one engine per app; `db.session` is the session of the current app context."""

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"], app.config["DATABASE_POOL_SIZE"])
        app.extensions["db"] = sessionmaker(bind=engine, expire_on_commit=False)
        app.teardown_appcontext(self._remove_session)

    def ping(self) -> None:
        """Raise if the database does not answer (the health check)."""
        self.session.execute(text("SELECT 1"))

    @staticmethod
    def engine(app: Flask | None = None) -> Engine:
        return (app or current_app).extensions["db"].kw["bind"]

    @property
    def session(self) -> Session:
        if "db_session" not in g:
            g.db_session = current_app.extensions["db"]()
        return g.db_session

    @staticmethod
    def _remove_session(_exc: BaseException | None) -> None:
        """End of the context: whatever was not committed is dropped (close rolls back)."""
        session = g.pop("db_session", None)
        if session is not None:
            _run_callbacks(session, "on_rollback")
            session.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """The one commit point: commit if the block succeeds, roll back otherwise.

        Callbacks registered with `on_commit` / `on_rollback` run afterwards;
        they carry side effects outside the database (files, job queue).
        """
        session = self.session
        try:
            yield session
            session.commit()
        except IntegrityError as error:
            # A unique row inserted by a concurrent request that no service foresaw with
            # `add_unique`: a message, not a 500 (services name the usual cases themselves).
            session.rollback()
            _run_callbacks(session, "on_rollback")
            log.warning("integrity error turned into a refusal: %s", error.orig)
            raise DomainError(
                _("Someone did the same at the same moment. Please reload the page and check."),
                code="conflict",
                conflict=True,
            ) from error
        except BaseException:
            session.rollback()
            _run_callbacks(session, "on_rollback")
            raise
        else:
            _run_callbacks(session, "on_commit")
        finally:
            session.info.pop("on_commit", None)
            session.info.pop("on_rollback", None)


def add_unique(obj: Any, refusal: DomainError | None = None) -> bool:
    """Add `obj` and insert it at once, in a savepoint: when a concurrent request inserted the
    same unique row first, raise `refusal` (or, without one, answer False) with this
    transaction still usable; True when `obj` was inserted.

    (The savepoint starts before `obj` is added: begin_nested flushes what is pending, and an
    INSERT that fails outside a savepoint aborts the whole transaction on PostgreSQL.)
    """
    session = db.session
    savepoint = session.begin_nested()
    session.add(obj)
    try:
        session.flush()
    except IntegrityError as error:
        savepoint.rollback()
        if refusal is None:
            return False
        raise refusal from error
    savepoint.commit()
    return True


def run(service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call one service as one transaction: committed if it returns, rolled back if it raises."""
    with db.transaction():
        return service(*args, **kwargs)


def _run_callbacks(session: Session, kind: str) -> None:
    """After the transaction ended: a failing side effect is logged, never turned into an
    error page for a change that was in fact saved (the outbox retries emails anyway)."""
    for callback in session.info.pop(kind, []):
        try:
            callback()
        except Exception:
            log.exception("%s callback %r failed", kind, callback)


def on_commit(session: Session, callback: Callable[[], None]) -> None:
    session.info.setdefault("on_commit", []).append(callback)


def on_rollback(session: Session, callback: Callable[[], None]) -> None:
    session.info.setdefault("on_rollback", []).append(callback)


db = Database()
