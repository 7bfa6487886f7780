"""Fixtures: one migrated database per run, emptied after every test; factories return callables.

The suite runs on SQLite by default. With TEST_DATABASE_URL pointing at a
PostgreSQL server it creates a database of its own there, runs everything
against it and drops it at the end.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text

from incubator import create_app, migrate
from incubator.accounts.models import Role, RoleGrant, User
from incubator.centers.models import Center
from incubator.db import db
from incubator.mail import MemoryTransport
from incubator.models import metadata

PASSWORD = "correct-horse-42"
KEPT_TABLES = {"centers", "alembic_version"}


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


def center_id(app: Flask, code: str) -> int:
    with app_session(app) as session:
        from sqlalchemy import select

        return session.scalar(select(Center.id).where(Center.code == code))


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """make_user(*roles, center="BIIC", email=..., name=..., locale="vi", active=True)."""
    counter = iter(range(1, 10_000))

    def make(
        *roles: Role | str,
        center: str | None = None,
        email: str | None = None,
        name: str | None = None,
        locale: str = "vi",
        active: bool = True,
    ) -> User:
        from incubator.accounts.services import hash_password

        number = next(counter)
        roles = tuple(Role(r) for r in roles) or (Role.FOUNDER,)
        with app_session(app) as session:
            user = User(
                email=email or f"user{number}-{uuid.uuid4().hex[:6]}@example.test",
                name=name or f"Người dùng {number}",
                locale=locale,
                active=active,
                password_hash=hash_password(PASSWORD),
            )
            for role in roles:
                grant_center = None
                if role is Role.MANAGER:
                    grant_center = center_id(app, center or "BIIC")
                user.grants.append(RoleGrant(role=role, center_id=grant_center))
            session.add(user)
            session.commit()
        return user

    return make


@pytest.fixture
def login(app: Flask) -> Callable[[User], FlaskClient]:
    """login(user) -> a new test client logged in as that user."""

    def log_in(user: User) -> FlaskClient:
        client = app.test_client()
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return log_in


@pytest.fixture
def as_role(make_user: Callable[..., User], login: Callable[[User], FlaskClient]) -> Any:
    """as_role("manager", center="SMIC") -> (client, user)."""

    def make(*roles: str, center: str | None = None) -> tuple[FlaskClient, User]:
        user = make_user(*roles, center=center)
        return login(user), user

    return make


# ------------------------------------------------------------ domain factories

RUBRIC = (("Vấn đề và thị trường", 3, 10), ("Giải pháp", 2, 10), ("Đội ngũ", 1, 5))
ANSWERS = {
    "problem": "Nông dân thiếu nước tưới mùa khô.",
    "solution": "Cảm biến độ ẩm và ứng dụng tưới thông minh.",
    "market": "Hơn 20.000 hộ trồng sầu riêng ở Bình Dương.",
    "traction": "5 hộ dùng thử, 2 hộ trả phí.",
    "team": "3 kỹ sư, 1 chuyên gia nông nghiệp.",
}


@pytest.fixture
def make_program(app: Flask) -> Callable[..., Any]:
    """make_program(center="BIIC", is_open=True, published=True, capacity=10, rubric=RUBRIC)."""
    from datetime import UTC, datetime, timedelta

    from incubator.programs.models import Program, ProgramKind, ProgramStatus, RubricCriterion

    def make(
        center: str = "BIIC",
        is_open: bool = True,
        published: bool = True,
        capacity: int = 10,
        rubric: tuple[tuple[str, int, int], ...] = RUBRIC,
        name: str | None = None,
    ) -> Program:
        now = datetime.now(UTC)
        opens, closes = (
            (now - timedelta(days=5), now + timedelta(days=10))
            if is_open
            else (now - timedelta(days=60), now - timedelta(days=30))
        )
        with app_session(app) as session:
            program = Program(
                center_id=center_id(app, center),
                name_vi=name or f"Chương trình ươm tạo {uuid.uuid4().hex[:4]}",
                name_en=name or f"Incubation program {uuid.uuid4().hex[:4]}",
                kind=ProgramKind.INCUBATION,
                description_vi="Mô tả chương trình",
                opens_at=opens,
                closes_at=closes,
                capacity=capacity,
                status=ProgramStatus.PUBLISHED if published else ProgramStatus.DRAFT,
            )
            for position, (criterion, weight, max_score) in enumerate(rubric):
                program.criteria.append(
                    RubricCriterion(
                        position=position, name_vi=criterion, weight=weight, max_score=max_score
                    )
                )
            session.add(program)
            session.commit()
        return program

    return make


@pytest.fixture
def make_startup(app: Flask, make_user: Callable[..., User]) -> Callable[..., Any]:
    """make_startup(founder=None, name=None) -> Startup with the founder as member."""
    from incubator.startups.models import Sector, Startup, StartupMember

    def make(founder: User | None = None, name: str | None = None, sector: str = "agritech") -> Any:
        founder = founder or make_user(Role.FOUNDER)
        with app_session(app) as session:
            startup = Startup(
                name=name or f"Khởi nghiệp {uuid.uuid4().hex[:5]}",
                sector=Sector(sector),
                description="Giải pháp nông nghiệp thông minh",
                trl=5,
                team_size=3,
            )
            startup.members.append(StartupMember(user_id=founder.id, title="CEO"))
            session.add(startup)
            session.commit()
        return startup

    return make


def _write_pdf(app: Flask) -> str:
    from incubator import files
    from incubator.applications.services import DECKS
    from incubator.seed import minimal_pdf

    name = f"{uuid.uuid4().hex}.pdf"
    with app.app_context():
        files.path_of(DECKS, name).write_bytes(minimal_pdf("Deck"))
    return name


@pytest.fixture
def manager_of(make_user: Callable[..., User]) -> Callable[[str], User]:
    """manager_of("BIIC") -> the same manager user each time within a test."""
    managers: dict[str, User] = {}

    def get(center: str) -> User:
        if center not in managers:
            managers[center] = make_user(Role.MANAGER, center=center, name=f"Quản lý {center}")
        return managers[center]

    return get


@pytest.fixture
def make_application(
    app: Flask,
    make_startup: Callable[..., Any],
    make_program: Callable[..., Any],
    manager_of: Callable[[str], User],
) -> Callable[..., Any]:
    """make_application(stage="draft", program=None, startup=None, complete=True).

    Complete applications have every answer and a pitch deck; the stage is reached
    through the real service, one move at a time, as founder and manager.
    """
    from incubator.applications import services
    from incubator.applications.models import Application, StageTransition
    from incubator.applications.stages import Stage
    from incubator.seed import PATHS

    def make(
        stage: str | Stage = Stage.DRAFT,
        program: Any = None,
        startup: Any = None,
        complete: bool = True,
    ) -> Application:
        program = program or make_program()
        startup = startup or make_startup()
        stage = Stage(stage)
        with app_session(app) as session:
            program = session.merge(program)
            startup = session.merge(startup)
            founder = session.get(User, startup.members[0].user_id)
            manager = session.merge(manager_of(program.center.code))
            application = Application(startup=startup, program=program, created_by_id=founder.id)
            if complete:
                for name, text in ANSWERS.items():
                    setattr(application, name, text)
                application.funding_need_vnd = 500_000_000
                application.deck_file = _write_pdf(app)
                application.deck_filename = "deck.pdf"
                application.deck_size = 1000
            session.add(application)
            session.add(
                StageTransition(application=application, from_stage=None, to_stage=Stage.DRAFT)
            )
            session.commit()
            for target in PATHS[stage]:
                actor = founder if target in (Stage.SUBMITTED, Stage.WITHDRAWN) else manager
                services.move(actor, application, target, reason="lý do")
                session.commit()
        return application

    return make
