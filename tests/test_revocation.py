"""Revocation is immediate, whatever made the change: a session revoked, a user deactivated or
a role removed in SQL typed by hand (a connection of its own, which moves no page-cache
version) counts from the very next request; `cache clear` lets no kept page be served again;
the versions store restarted or unreachable never leaves a stale page current."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, event, text

from incubator.accounts.models import Role
from incubator.db import db
from incubator.pagecache import GENERATION, Entry, RedisVersions, VersionedCache


@contextlib.contextmanager
def by_hand(database_url: str) -> Iterator[Any]:
    """A connection of another program (psql): the app's engine and its events never see it."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()


RAW = {
    "deactivate": "UPDATE users SET active = false WHERE id = :user",
    "revoke_session": (
        "UPDATE user_sessions SET revoked_at = CURRENT_TIMESTAMP WHERE user_id = :user"
    ),
    "delete_session": "DELETE FROM user_sessions WHERE user_id = :user",
    "remove_role": "DELETE FROM role_grants WHERE user_id = :user AND role = 'mentor'",
}


@pytest.mark.parametrize("change", sorted(RAW))
def test_a_change_in_sql_counts_from_the_next_request(
    app: Flask, database_url: str, make_user: Any, login: Any, change: str
) -> None:
    user = make_user(Role.MENTOR)
    client = login(user)
    for _ in range(2):  # the second from the page cache
        assert client.get("/reviews").status_code == 200
    with by_hand(database_url) as connection:
        assert connection.execute(text(RAW[change]), {"user": user.id}).rowcount >= 1
    response = client.get("/reviews")
    if change == "remove_role":
        assert response.status_code == 403
    else:
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    assert client.get("/account").status_code == (200 if change == "remove_role" else 302)


def test_a_page_kept_for_a_role_removed_in_sql_is_not_served(
    app: Flask, database_url: str, make_user: Any, login: Any
) -> None:
    """The home page is open to every logged-in user, and shows each role's panels."""
    user = make_user(Role.MANAGER, Role.MENTOR, center="BIIC")
    client = login(user)
    manager_home = client.get("/").get_data(as_text=True)
    assert client.get("/").get_data(as_text=True) == manager_home
    assert "/manage/" in manager_home
    with by_hand(database_url) as connection:
        connection.execute(
            text("DELETE FROM role_grants WHERE user_id = :user AND role = 'manager'"),
            {"user": user.id},
        )
    mentor_home = client.get("/").get_data(as_text=True)
    assert "/manage/" not in mentor_home


def test_cache_clear_lets_no_kept_page_be_served(
    app: Flask, database_url: str, make_user: Any, login: Any
) -> None:
    user = make_user(Role.MENTOR, name="Tên Cũ")
    client = login(user)
    assert "Tên Cũ" in client.get("/reviews").get_data(as_text=True)
    with by_hand(database_url) as connection:
        connection.execute(text("UPDATE users SET name = 'Tên Mới' WHERE id = :u"), {"u": user.id})
    result = app.test_cli_runner().invoke(args=["cache", "clear"])
    assert result.exit_code == 0, result.output
    assert "Tên Mới" in client.get("/reviews").get_data(as_text=True)


def kept_page(versions: Any, cache: VersionedCache) -> tuple:
    """A page stored as cached_page stores it (the generation, a table), found again."""
    key, tables = ("page", uuid.uuid4().hex), (GENERATION, "users")
    cache.put(key, Entry((b"x", "text/html"), 1, tables, versions.read(tables), time.monotonic()))
    assert cache.get(key) is not None
    return key


def test_cache_clear_reaches_the_pages_of_other_processes(app: Flask) -> None:
    """Another process's kept page reads the generation from the shared store."""
    from incubator import pagecache

    versions = app.extensions["page_cache"].versions
    other = VersionedCache(versions, seconds=60, max_bytes=1 << 20)
    key = kept_page(versions, other)
    pagecache.clear_everywhere(app)
    assert other.get(key) is None


# ------------------------------------------------------------ a Redis of the test's own


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[Any]:
    """A Redis server on a socket of this test (never the shared one), saving to tmp_path;
    `restart()` stops it without saving and starts it again from its last snapshot."""
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    socket = tmp_path / "redis.sock"
    command = [
        "redis-server",
        "--port",
        "0",
        "--unixsocket",
        str(socket),
        "--dir",
        str(tmp_path),
        "--dbfilename",
        "dump.rdb",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    server: dict[str, subprocess.Popen] = {}

    def start() -> None:
        server["process"] = subprocess.Popen(  # noqa: S603 (a fixed command)
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        from redis import Redis
        from redis.exceptions import ConnectionError as Unreachable

        probe = Redis.from_url(f"unix://{socket}")
        try:
            for _ in range(500):
                with contextlib.suppress(Unreachable):
                    if probe.ping():
                        return
                time.sleep(0.01)
        finally:
            probe.close()
        raise RuntimeError("redis-server did not start")

    def stop() -> None:
        process = server.pop("process", None)
        if process is not None:
            process.kill()
            process.wait(timeout=10)
        socket.unlink(missing_ok=True)

    class Control:
        url = f"unix://{socket}"
        key = f"test:pagecache:{uuid.uuid4().hex}"

        @staticmethod
        def restart() -> None:
            stop()
            start()

    Control.stop = staticmethod(stop)  # type: ignore[attr-defined]
    Control.start = staticmethod(start)  # type: ignore[attr-defined]
    start()
    try:
        yield Control
    finally:
        stop()


def test_a_redis_restarted_from_an_older_snapshot_serves_no_page_stored_since(
    own_redis: Any,
) -> None:
    versions = RedisVersions(own_redis.url, own_redis.key)
    cache = VersionedCache(versions, seconds=60, max_bytes=1 << 20)
    versions.bump(["users"])
    versions._redis.save()  # the snapshot Redis will start from
    versions.bump(["users"])  # a commit after it
    key = kept_page(versions, cache)  # a page of the data after that commit
    own_redis.restart()  # back to the snapshot: one commit before the page
    versions.bump(["users"])  # a commit: the counter is where the page's was, the data not
    assert cache.get(key) is None


def test_a_bump_lost_while_redis_was_down_is_made_once_it_is_back(own_redis: Any) -> None:
    from redis import Redis

    writer = RedisVersions(own_redis.url, own_redis.key)  # the process that commits
    reader = RedisVersions(own_redis.url, own_redis.key)  # another process, with a kept page
    writer.RETRY_SECONDS = 0.05
    writer.bump(["users"])
    cache = VersionedCache(reader, seconds=60, max_bytes=1 << 20)
    key = kept_page(reader, cache)
    reachable = writer._redis
    writer._redis = Redis.from_url(f"unix://{own_redis.url[7:]}.gone")  # down for the writer
    with pytest.raises(Exception):  # noqa: B017 (whatever the client raises)
        writer.bump(["users"])  # a commit while Redis is down: the page is stale
    try:
        assert cache.get(key) is not None, "Redis cannot know yet"
    finally:
        writer._redis = reachable  # Redis is back
    deadline = time.monotonic() + 5
    while writer._owed and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not writer._owed, "the owed bump was made in the background"
    assert cache.get(key) is None


def test_no_statement_of_the_login_is_kept(app: Flask, make_user: Any, login: Any) -> None:
    client = login(make_user(Role.FOUNDER))
    seen: list[str] = []
    engine = db.engine(app)

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        for _ in range(3):
            client.get("/")
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert sum("FROM user_sessions JOIN users" in s for s in seen) == 3
