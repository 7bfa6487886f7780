"""Faults degrade, never break: without Redis the API and the pages keep answering; while
PostgreSQL restarts a request gets a short "try again" (503, Retry-After), never a 500."""

from __future__ import annotations

import contextlib
import logging
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import make_url
from sqlalchemy.exc import OperationalError

from incubator import create_app, observability
from incubator.accounts.models import Role, User
from incubator.db import db
from incubator.security import public
from tests.conftest import _empty_tables, postgres_server_url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def no_server_error(response: Any) -> None:
    assert response.status_code < 500 or response.status_code == 503, response.status_code
    assert "Traceback" not in response.get_data(as_text=True)


# ------------------------------------------------------------------ Redis


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A redis-server of this test's own on a free port (the shared one is never stopped);
    `stop()` ends it."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 (a fixed binary and arguments)
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def answers() -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return True
        return False

    def stop() -> None:
        if process.poll() is None:
            process.terminate()
            process.wait(10)

    try:
        wait_until(answers)
        yield {"url": f"redis://127.0.0.1:{port}/0", "stop": stop}
    finally:
        stop()


def test_without_redis_the_api_and_pages_keep_answering(
    redis_server: dict[str, Any],
    database_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """216 of 216 API requests answered 500 while Redis was down (the limiter's store)."""
    from incubator.api.tokens import TokenData, create_token

    app = create_app(
        "testing",
        DATABASE_URL=database_url,
        UPLOAD_DIR=tmp_path / "uploads",
        REDIS_URL=redis_server["url"],
        PAGE_CACHE_REDIS_KEY=f"incubator-test:{tmp_path.name}",
        API_RATE_LIMIT="1000 per minute",
        JOBS_BACKEND="rq",  # /metrics reads the queue's length
    )
    try:
        with app.app_context():
            user = User(email="redis@example.test", name="Redis", locale="en")
            db.session.add(user)
            db.session.flush()
            token = create_token(user, TokenData(name="faults", read_only=True)).secret
            db.session.commit()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/me", headers=headers).status_code == 200
        assert client.get("/").status_code == 200
        metrics = client.get("/metrics").get_data(as_text=True)
        assert 'incubator_jobs_queued{queue="incubator"} 0.0' in metrics

        redis_server["stop"]()
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            for _ in range(10):
                response = client.get("/api/v1/me", headers=headers)
                assert response.status_code == 200, response.get_data(as_text=True)
                assert response.get_json()["email"] == "redis@example.test"
                page = client.get("/")
                assert page.status_code == 200
                assert client.get("/login").status_code == 200
                metrics = client.get("/metrics")
                assert metrics.status_code == 200
                assert "incubator_metric_errors 1.0" in metrics.get_data(as_text=True)
        limiter_lines = [r for r in caplog.records if "falling back to in-memory" in r.message]
        assert len(limiter_lines) == 1  # one warning, not one per request
        cache_lines = [r for r in caplog.records if "versions store does not answer" in r.message]
        assert len(cache_lines) == 1
        assert len([r for r in caplog.records if "cannot be read" in r.message]) == 1
        assert not [r for r in caplog.records if r.exc_info]  # no traceback per request
    finally:
        _empty_tables(app)
        db.engine(app).dispose()


# ------------------------------------------------------------- PostgreSQL


class Proxy:
    """A TCP proxy on loopback in front of a database server, that the test cuts (every
    connection closed, new ones refused at once) and restores."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.closing = False
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.closing:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            try:
                server = socket.create_connection(self.target, 5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets |= {client, server}
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up = False
        with self.lock:
            ends, self.sockets = self.sockets, set()
        for end in ends:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.closing = True
        self.cut()
        self.listener.close()
        self.thread.join(5)


@pytest.mark.postgres
def test_a_postgresql_restart_gives_try_again_pages_then_recovers(
    database_url: str,
    tmp_path: Path,
    make_user: Callable[..., User],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """4 requests answered a 500 page during a restart: now a 503 with Retry-After, in the
    user's language, JSON under /api/, one log line for the outage, and recovery by itself."""
    if not postgres_server_url():
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    from incubator.api.tokens import TokenData, create_token

    url = make_url(database_url)
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = create_app(
        "testing", DATABASE_URL=proxied, UPLOAD_DIR=tmp_path / "uploads", PAGE_CACHE_SECONDS=0
    )
    try:
        with app.app_context():
            user = make_user(Role.ADMIN, email="restart@example.test")
            token = create_token(
                db.session.get(User, user.id), TokenData(name="restart", read_only=True)
            ).secret
            db.session.commit()
        client = app.test_client()
        from tests.accounts.fixtures import PASSWORD

        logged_in = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert logged_in.status_code == 302
        assert client.get("/").status_code == 200
        api_headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}

        proxy.cut()
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            for _ in range(3):
                page = client.get("/")
                assert page.status_code == 503
                assert page.headers["Retry-After"].isdigit()
                text = page.get_data(as_text=True)
                assert "Vui lòng thử lại" in text  # the user's language (Vietnamese first)
                assert "Traceback" not in text and "OperationalError" not in text
                answer = client.get("/api/v1/me", headers=api_headers)
                assert answer.status_code == 503
                assert answer.headers["Retry-After"].isdigit()
                assert answer.get_json()["error"]["code"] == "unavailable"
        outage_lines = [r for r in caplog.records if "does not answer" in r.message]
        assert len(outage_lines) == 1
        assert not [r for r in caplog.records if r.exc_info]  # no traceback per request

        proxy.restore()
        with caplog.at_level(logging.WARNING):
            assert wait_until(lambda: client.get("/").status_code == 200)
        assert any("answers again" in r.message for r in caplog.records)
        assert client.get("/api/v1/me", headers=api_headers).status_code == 200
    finally:
        proxy.close()
        db.engine(app).dispose()
        cleaner = create_app("testing", DATABASE_URL=database_url)
        _empty_tables(cleaner)
        db.engine(cleaner).dispose()


def test_a_lost_database_connection_is_a_503_on_either_database(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """The handler itself, on SQLite too: an OperationalError of a dropped connection."""

    @public
    def lost() -> Any:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    @public
    def mistake() -> Any:
        raise OperationalError("SELECT x", {}, Exception('column "x" does not exist'))

    app.add_url_rule("/lost", "lost", lost)
    app.add_url_rule("/api/v1/lost", "api_lost", lost)
    app.add_url_rule("/mistake", "mistake", mistake)
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        page = client.get("/lost", headers={"Accept-Language": "en"})
        assert page.status_code == 503 and page.headers["Retry-After"] == "5"
        assert "Please try again in a moment" in page.get_data(as_text=True)
        answer = client.get("/api/v1/lost")
        assert answer.status_code == 503 and int(answer.headers["Retry-After"]) >= 5
        assert answer.get_json()["error"]["code"] == "unavailable"
        # a mistake in a statement is a bug: a 500, logged with its traceback
        assert client.get("/mistake").status_code == 500
    assert len([r for r in caplog.records if "does not answer" in r.message]) == 1
    observability._outage.over()


def test_page_cache_versions_written_while_redis_is_unreachable_move_once_it_answers(
    redis_server: dict[str, Any],
) -> None:
    """A write made while Redis could not be reached (its data kept) must still move the
    table's version afterwards: else a page kept by another process from before would be
    served as current."""
    from incubator.pagecache import RedisVersions

    port = int(redis_server["url"].rsplit(":", 1)[1].split("/")[0])
    proxy = Proxy("127.0.0.1", port)
    key = f"incubator-test:{uuid.uuid4().hex}"
    try:
        writer = RedisVersions(f"redis://127.0.0.1:{proxy.port}/0", key)
        reader = RedisVersions(redis_server["url"], key)  # another process, still connected
        writer.bump(["users"])
        kept = reader.read(["users"])
        proxy.cut()
        with pytest.raises(Exception):  # noqa: B017 (whatever redis-py raises)
            writer.bump(["users"])  # the write's commit could not move the version
        assert reader.read(["users"]) == kept
        proxy.restore()
        writer.read(["programs"])  # the next use of the store moves it first
        assert reader.read(["users"]) != kept
    finally:
        proxy.close()
