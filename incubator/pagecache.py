"""Whole-page cache of the key pages, invalidated by the tables each page read.

A key page (board, ranking, homes, queues) costs 5–40 ms of CPU to build and is asked for
again and again by the same person while nothing changed. `cached_page` keeps its HTML per
path, user, session and language, with the **tables the page read** while it was built and
each table's **version** at that moment. A version is a counter per table that goes up after
every commit that wrote to it (or, through a foreign key with ON DELETE / ON UPDATE, may have
changed it), in every process: a memory-mapped file under the instance folder, or a Redis
hash when REDIS_URL is set (several hosts). A request finds the page only while every table
it read is at the version it had; otherwise, or after PAGE_CACHE_SECONDS (what depends on the
clock alone: "closes in 2 days"), the page is built again.

What is read and written is taken from the SQL itself (engine events), so a page cannot
forget a dependency: whatever query built it, lazy loads included, counts. Writes are
counted on the connection and published when it goes back to the pool after its commit, so
a page built from the data before a commit is never stored under the version after it.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import functools
import hashlib
import logging
import mmap
import os
import re
import secrets
import struct
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from flask import Flask, Response, current_app, g, make_response, request, session
from flask_login import current_user
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import SelectBase
from sqlalchemy.sql.util import find_tables

View = TypeVar("View", bound=Callable[..., Any])
log = logging.getLogger(__name__)

# The session's CSRF token is in every form a page shows: a page is kept per session.
CSRF_KEY = "csrf_token"

# The user and their roles (with their centers) are loaded before the view runs
# (security._load_user), and every page shows them (the menu): every page depends on them.
ALWAYS_READ = ("centers", "role_grants", "users")

_READ = re.compile(r'\b(?:FROM|JOIN)\s+"?([A-Za-z_][A-Za-z0-9_]*)', re.IGNORECASE)
_WRITTEN = re.compile(
    r'\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?([A-Za-z_][A-Za-z0-9_]*)',
    re.IGNORECASE,
)
_EVERY = {"include_aliases": True, "include_joins": True, "check_columns": True}
_TRUNCATE = re.compile(r"^\s*TRUNCATE\b", re.IGNORECASE)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# An execution option for bookkeeping writes that no cached page or login shows (a
# session's time of last request): they move no version.
UNTRACKED = "page_cache_untracked"

_reading: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar(
    "page_cache_reading", default=None
)


# ------------------------------------------------------------------ versions


class Versions(Protocol):
    def snapshot(self) -> Callable[[str], int | str | None]: ...

    def read(self, tables: Iterable[str]) -> tuple[Any, ...]: ...

    def bump(self, tables: Iterable[str]) -> None: ...


class FileVersions:
    """Counters in a small memory-mapped file shared by the processes of one machine.

    A table's counter sits at a slot chosen by a hash of its name: two tables sharing a slot
    only make each other's pages be built again a little more often."""

    SLOTS = 1024
    SIZE = SLOTS * 8

    def __init__(self, path: Path) -> None:
        self._path = path
        self._threads = threading.Lock()
        self._pid: int | None = None

    def _mapped(self) -> mmap.mmap:
        """The file, opened by this process: a descriptor inherited through a fork (gunicorn
        --preload) is shared with the other workers, and flock would not keep them apart."""
        if self._pid != os.getpid():
            with self._threads:
                if self._pid != os.getpid():
                    self._path.parent.mkdir(parents=True, exist_ok=True)
                    self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                    fcntl.flock(self._fd, fcntl.LOCK_EX)
                    if os.fstat(self._fd).st_size < self.SIZE:
                        os.ftruncate(self._fd, self.SIZE)
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                    self._map = mmap.mmap(self._fd, self.SIZE, mmap.MAP_SHARED)
                    self._pid = os.getpid()
        return self._map

    @contextlib.contextmanager
    def _locked(self) -> Iterator[mmap.mmap]:
        # flock keeps other processes out; the threads of this one share the descriptor
        mapped = self._mapped()
        with self._threads:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield mapped
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    @classmethod
    def _offset(cls, table: str) -> int:
        return (zlib.crc32(table.encode()) % cls.SLOTS) * 8

    def snapshot(self) -> Callable[[str], int]:
        copy = bytes(self._mapped())
        return lambda table: struct.unpack_from("<Q", copy, self._offset(table))[0]

    def read(self, tables: Iterable[str]) -> tuple[int, ...]:
        mapped = self._mapped()
        return tuple(struct.unpack_from("<Q", mapped, self._offset(t))[0] for t in tables)

    def bump(self, tables: Iterable[str]) -> None:
        with self._locked() as mapped:
            for offset in {self._offset(t) for t in tables}:
                (value,) = struct.unpack_from("<Q", mapped, offset)
                struct.pack_into("<Q", mapped, offset, value + 1)


class RedisVersions:
    """Counters in one Redis hash, for app servers on several machines.

    The hash carries a random epoch, written by the first bump after Redis lost its data: a
    page stored before that never matches again, although the counters started over."""

    EPOCH = "_epoch"

    def __init__(self, url: str, key: str) -> None:
        from redis import Redis

        self._redis = Redis.from_url(url)
        self._key = key

    def snapshot(self) -> Callable[[str], Any]:
        values = {k.decode(): v for k, v in self._redis.hgetall(self._key).items()}
        epoch = values.get(self.EPOCH)
        if epoch is None:  # nothing written since Redis started: nothing to compare with
            return lambda _table: None
        return lambda table: (epoch, values.get(table, b"0"))

    def read(self, tables: Iterable[str]) -> tuple[Any, ...]:
        tables = list(tables)
        epoch, *values = self._redis.hmget(self._key, [self.EPOCH, *tables])
        return tuple((epoch, v or b"0") if epoch is not None else None for v in values)

    def bump(self, tables: Iterable[str]) -> None:
        pipeline = self._redis.pipeline(transaction=True)
        pipeline.hsetnx(self._key, self.EPOCH, secrets.token_hex(8))
        for table in set(tables):
            pipeline.hincrby(self._key, table, 1)
        pipeline.execute()


# ------------------------------------------------------------------ tracking


def _cascades(metadata: MetaData) -> dict[str, frozenset[str]]:
    """Per table, the tables a write to it may change through foreign-key actions
    (ON DELETE / ON UPDATE CASCADE, SET NULL…), followed transitively."""
    direct: dict[str, set[str]] = {}
    for table in metadata.tables.values():
        for key in table.foreign_keys:
            if key.ondelete or key.onupdate:
                direct.setdefault(key.column.table.name, set()).add(table.name)
    closure = {}
    for name in metadata.tables:
        seen, todo = {name}, [name]
        while todo:
            for child in direct.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        closure[name] = frozenset(seen)
    return closure


def track(engine: Engine, metadata: MetaData, versions: Versions) -> None:
    """Count the tables each connection writes, publish them once its commit is over, and
    tell a page being built which tables it read."""
    known = frozenset(metadata.tables)
    cascades = _cascades(metadata)

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(
        conn: Any, _cursor: Any, statement: str, _parameters: Any, context: Any, *_args: Any
    ) -> None:
        compiled = getattr(context, "compiled", None)
        compiled = compiled.statement if compiled is not None else None
        reading = _reading.get()
        if reading is not None:
            found = set(_READ.findall(statement))
            if compiled is not None:  # also "FROM a, b", which the text's pattern reads as a
                found.update(getattr(t, "name", "") for t in find_tables(compiled, **_EVERY))
            reading.update(found & known)
        if isinstance(compiled, SelectBase):
            # a query writes nothing (no statement of the app writes through a CTE): the
            # pattern for writes is not run over every page's SQL
            return
        if context is not None and context.execution_options.get(UNTRACKED):
            return
        truncate = _TRUNCATE.match(statement)
        found = set(_NAME.findall(statement) if truncate else _WRITTEN.findall(statement))
        if isinstance(compiled, UpdateBase):
            found.add(compiled.table.name)
        written = found & known
        if written:
            pending = conn.info.setdefault("page_cache_written", set())
            for table in written:
                pending |= cascades[table]

    @event.listens_for(engine, "commit")
    def _commit(conn: Any) -> None:
        written = conn.info.pop("page_cache_written", None)
        if written:
            conn.info.setdefault("page_cache_committed", set()).update(written)

    @event.listens_for(engine, "rollback")
    def _rollback(conn: Any) -> None:
        conn.info.pop("page_cache_written", None)

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        # after the commit: a page built before it was stored under the versions before it
        if record is None:
            return
        committed = record.info.pop("page_cache_committed", None)
        record.info.pop("page_cache_written", None)
        if committed:
            try:
                versions.bump(committed)
            except Exception:  # the pool must get its connection back whatever happens here
                log.exception("could not move the versions of %s", sorted(committed))


# ------------------------------------------------------------------ the caches


@dataclass(frozen=True)
class Entry:
    value: Any  # a page: (HTML, mimetype); a login: detached copies of the session and user
    size: int  # bytes, roughly, for the budget
    tables: tuple[str, ...]
    versions: tuple[Any, ...]
    stored_at: float


class VersionedCache:
    """What this process built from the database (pages, logins), each valid while the tables
    it read keep their versions and for at most `seconds`; least recently used out first,
    within a byte budget."""

    def __init__(self, versions: Versions, seconds: float, max_bytes: int) -> None:
        self.versions = versions
        self.seconds = seconds
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
        if entry is None:
            return None
        fresh = time.monotonic() - entry.stored_at < self.seconds
        if fresh and self._read(entry.tables) == entry.versions:
            return entry
        self._drop(key)
        return None

    def snapshot(self) -> Callable[[str], Any]:
        """Every table's version now; unknown (nothing will be kept) while the store fails."""
        try:
            return self.versions.snapshot()
        except Exception:
            log.exception("the versions store cannot be read: nothing is cached meanwhile")
            return lambda _table: None

    def _read(self, tables: tuple[str, ...]) -> tuple[Any, ...] | None:
        try:
            return self.versions.read(tables)
        except Exception:
            log.exception("the versions store cannot be read: nothing is cached meanwhile")
            return None

    def put(self, key: tuple, entry: Entry) -> None:
        if None in entry.versions or entry.size > self.max_bytes // 8:
            return  # versions unknown (Redis just started), or one that would crowd out others
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = entry
            self._bytes += entry.size
            while self._bytes > self.max_bytes:
                _key, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size

    def _drop(self, key: tuple) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


def _key() -> tuple:
    from flask_babel import get_locale

    user = current_user.get_id() if current_user.is_authenticated else None
    token = session.get(CSRF_KEY)
    token_hash = hashlib.sha256(token.encode()).hexdigest()[:16] if isinstance(token, str) else ""
    return (request.full_path, user, token_hash, str(get_locale()))


def cached_page(view: View) -> View:
    """Serve the view's page from the cache while the tables it read are unchanged.

    Only GET answers of 200 with HTML are kept, never a page that shows a flashed message
    (it is shown once)."""

    @functools.wraps(view)
    def cached(*args: Any, **kwargs: Any) -> Any:
        cache: VersionedCache | None = current_app.extensions.get("page_cache")
        if cache is None or request.method != "GET" or "_flashes" in session:
            return view(*args, **kwargs)
        entry = cache.get(_key())
        if entry is not None:
            body, mimetype = entry.value
            return Response(body, mimetype=mimetype)
        snapshot = g.get("page_cache_snapshot") or cache.snapshot()
        read: set[str] = set(ALWAYS_READ)
        token = _reading.set(read)
        try:
            response = make_response(view(*args, **kwargs))
        finally:
            _reading.reset(token)
        if (
            response.status_code == 200
            and response.mimetype == "text/html"
            and not response.is_streamed
            and "_flashes" not in session
        ):
            tables = tuple(sorted(read))
            body = response.get_data()
            cache.put(
                _key(),  # after the view: the session now holds the CSRF token the page shows
                Entry(
                    (body, response.mimetype),
                    len(body),
                    tables,
                    tuple(snapshot(t) for t in tables),
                    time.monotonic(),
                ),
            )
        return response

    cached.page_cache = True  # type: ignore[attr-defined]
    return cached  # type: ignore[return-value]


@functools.cache
def _file_versions(path: Path) -> FileVersions:
    """One mapping of the file per process, whatever the number of apps (tests make many)."""
    return FileVersions(path)


def init_app(app: Flask) -> None:
    """Switched on by PAGE_CACHE_SECONDS > 0; versions in Redis with REDIS_URL, else in
    PAGE_CACHE_VERSIONS (a file every process of this machine maps)."""
    seconds = app.config.get("PAGE_CACHE_SECONDS", 0)
    if not seconds:
        return
    from incubator.db import Base, db

    if app.config.get("REDIS_URL"):
        versions: Versions = RedisVersions(
            app.config["REDIS_URL"], app.config.get("PAGE_CACHE_REDIS_KEY", "incubator:tables")
        )
    else:
        versions = _file_versions(Path(app.config["PAGE_CACHE_VERSIONS"]).resolve())
    track(db.engine(app), Base.metadata, versions)
    cache = app.extensions["page_cache"] = VersionedCache(
        versions, seconds, app.config.get("PAGE_CACHE_MB", 32) * 1024 * 1024
    )
    # a browser's login (security._load_user) until its session row, its user or their roles
    # change, and never past the next note of its last request
    app.extensions["login_cache"] = VersionedCache(
        versions, app.config["SESSION_TOUCH_SECONDS"], 4 * 1024 * 1024
    )

    if db.engine(app).dialect.name != "sqlite":
        return  # each statement reads what is committed when it starts: versions taken
        # before the view's first query are never newer than what it reads

    @app.before_request
    def _versions_before_any_query() -> None:
        """On SQLite a read transaction sees the database as of its first query (the login's,
        before the view): a cached view's versions are taken before it, so they are never
        newer than what the page reads. Registered before security's checks."""
        view = app.view_functions.get(request.endpoint or "")
        if request.method == "GET" and getattr(view, "page_cache", False):
            g.page_cache_snapshot = cache.snapshot()
