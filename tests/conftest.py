"""Fixtures: one migrated database per run, emptied after every test; the app and clients.

The suite runs on SQLite by default. With TEST_DATABASE_URL pointing at a
PostgreSQL server it creates a database of its own there, runs everything
against it and drops it at the end.

Each domain's factories (callables: make_user, make_program, make_application...)
live in `tests/<domain>/fixtures.py`, loaded below as plugins in DOMAINS order, so a
new domain adds its own without editing this file.

Parallel runs (pytest-xdist, `make test` uses `-n auto`): every worker process has its
own database (a SQLite file under its own temporary directory, or its own PostgreSQL
database) and its own instance folder (INCUBATOR_INSTANCE: the page cache's versions
file, the default uploads), so that nothing a test writes is seen by another worker.
Tests marked `slow` (the full schemathesis run) run only with `--run-slow` or when
`-m` names them; the longest tests are started first, so that no worker is left alone
with a long one at the end.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text

from incubator import create_app, migrate
from incubator.db import db
from incubator.domains import DOMAINS
from incubator.mail import MemoryTransport
from incubator.models import metadata

KEPT_TABLES = {"centers", "alembic_version"}

pytest_plugins = [
    f"tests.{name}.fixtures"
    for name in DOMAINS
    if (Path(__file__).parent / name / "fixtures.py").is_file()
]


# Started first under xdist (see pytest_collection_modifyitems): each takes 20-70 s.
SLOW_FIRST = ("tests/e2e/", "tests/api/test_schemathesis.py")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-slow",
        action="store_true",
        default=False,
        help="also run the tests marked slow (the full schemathesis run)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--run-slow") and "slow" not in (config.option.markexpr or ""):
        skip = pytest.mark.skip(reason="slow: run with --run-slow (or -m slow)")
        for item in items:
            if "slow" in item.keywords:
                item.add_marker(skip)
    root = Path(str(config.rootpath))

    def started_late(item: pytest.Item) -> bool:
        path = Path(str(item.path)).relative_to(root).as_posix()
        return not path.startswith(SLOW_FIRST)

    items.sort(key=started_late)  # stable: the order within each part is kept


@pytest.fixture(scope="session", autouse=True)
def instance_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An instance folder per test process (each xdist worker has its own basetemp): the
    apps the tests create, and the processes they start, never share the page cache's
    versions file or default uploads with another worker or with `make run`."""
    folder = tmp_path_factory.mktemp("instance")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INCUBATOR_INSTANCE", str(folder))
        yield folder


def postgres_server_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


@contextlib.contextmanager
def fresh_postgres_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server, dropped afterwards."""
    name = f"incubator_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = postgres_server_url()
    if server:
        with fresh_postgres_database(server) as url:
            _migrate(url)
            yield url
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        _migrate(url)
        yield url


def _migrate(url: str) -> None:
    app = create_app("testing", DATABASE_URL=url)
    migrate.upgrade(app)
    db.engine(app).dispose()


def _empty_tables(app: Flask) -> None:
    engine = db.engine(app)
    tables = [t for t in reversed(metadata.sorted_tables) if t.name not in KEPT_TABLES]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def app(database_url: str, tmp_path: Any) -> Iterator[Flask]:
    app = create_app("testing", DATABASE_URL=database_url, UPLOAD_DIR=tmp_path / "uploads")
    yield app
    executor = app.extensions.get("jobs_executor")
    if executor is not None:
        executor.shutdown(wait=True)
    _empty_tables(app)
    db.engine(app).dispose()


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """An app context for service tests (no HTTP)."""
    with app.app_context():
        yield app


@pytest.fixture
def english(app: Flask) -> None:
    """Messages outside a request (services, emails with no locale) in English, for assertions."""
    app.config["BABEL_DEFAULT_LOCALE"] = "en"


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def outbox(app: Flask) -> MemoryTransport:
    """Emails delivered during the test."""
    with app.app_context():
        from incubator.mail import transport

        return transport()  # type: ignore[return-value]


@contextlib.contextmanager
def app_session(app: Flask) -> Iterator[Any]:
    """The current app context's session, or a short-lived context's one."""
    from flask import current_app, has_app_context

    if has_app_context() and current_app._get_current_object() is app:  # type: ignore[attr-defined]
        yield db.session
    else:
        with app.app_context():
            yield db.session
