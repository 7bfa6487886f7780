"""A landed migration never changes id or parent; old stamps from renumbered builds upgrade.

Adding a migration after a merge: a new file `migrations/versions/NNNN_<topic>.py` whose
`down_revision` is the current head, its mark in `incubator.migrate.MARKS`, and one line
appended to LANDED below. Never edit a line of LANDED: databases out there are stamped with
those ids.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from incubator import create_app, migrate
from incubator.db import db
from incubator.models import metadata
from tests.conftest import fresh_postgres_database, postgres_server_url
from tests.test_migrations import _differences

# Every landed revision, in order: (revision, down_revision).
LANDED = [
    ("0001", None),
    ("0002", "0001"),
    ("0003", "0002"),
    ("0004", "0003"),
    ("0005", "0004"),
    ("0006", "0005"),
    ("0007", "0006"),
    ("0008", "0007"),
    ("0009", "0008"),
    ("0010", "0009"),
    ("0011", "0010"),
    ("0012", "0011"),
    ("0013", "0012"),
    ("0014", "0013"),
    ("0015", "0014"),
    ("0016", "0015"),
    ("0017", "0016"),
    ("0018", "0017"),
    ("0019", "0018"),
]


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(migrate.alembic_config(create_app("testing")))


def test_landed_revisions_keep_their_ids_and_parents() -> None:
    script = _script()
    chain = [(s.revision, s.down_revision) for s in reversed(list(script.walk_revisions()))]
    assert len(script.get_heads()) == 1, "one head: chain a new migration on the current head"
    assert chain[: len(LANDED)] == LANDED, "a landed migration changed id or parent"
    assert chain == LANDED, (
        "a migration that is not in LANDED: give it the next id, down_revision the current"
        " head, and append it to LANDED (tests/test_migration_history.py)"
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'history.db'}"
        return
    server = postgres_server_url()
    if not server:
        pytest.skip("PostgreSQL not configured: set TEST_DATABASE_URL to run this on PostgreSQL")
    with fresh_postgres_database(server) as url:
        yield url


def _marked(app) -> set[str]:
    with db.engine(app).connect() as connection:
        return migrate.applied_revisions(connection)


def test_marks_say_how_far_a_database_went(database: str) -> None:
    """Upgraded one revision at a time, the marks found are exactly the revisions applied."""
    app = create_app("testing", DATABASE_URL=database)
    try:
        chain = [revision for revision, _parent in LANDED]
        assert set(migrate.MARKS) == set(chain)
        assert _marked(app) == set()
        for index, revision in enumerate(chain):
            migrate.upgrade(app, revision)
            assert _marked(app) == set(chain[: index + 1]), revision
    finally:
        db.engine(app).dispose()


def _old_build(app, revisions: tuple[str, ...], stamp: str) -> None:
    """The database an earlier build made: these revisions' changes (in chain order, each run
    by its own migration code), stamped with the id that build gave its last migration."""
    script = _script()
    engine = db.engine(app)
    with engine.begin() as connection:
        # as migrations/env.py configures it: the models' naming convention names constraints
        opts = {"render_as_batch": True, "target_metadata": metadata}
        context = MigrationContext.configure(connection, opts=opts)
        with Operations.context(context):
            for revision in revisions:
                script.get_revision(revision).module.upgrade()
        connection.execute(
            text(
                "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL,"
                " CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
            )
        )
        connection.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": stamp})
        connection.execute(
            text(
                "INSERT INTO users (email, name, locale, active, created_at, password_hash)"
                " VALUES ('old@example.test', 'Người dùng cũ', 'vi', :yes, :at, 'x')"
            ),
            {"yes": True, "at": "2026-11-26 08:00:00"},
        )


@pytest.mark.parametrize(
    ("stamp", "revisions"),
    [(stamp, revisions) for stamp, _name, revisions in migrate.OLD_STAMPS],
    ids=[f"{stamp}-{name.replace(' ', '-')}" for stamp, name, _revisions in migrate.OLD_STAMPS],
)
def test_a_stamp_from_a_renumbered_build_upgrades_with_its_data(
    database: str, stamp: str, revisions: tuple[str, ...]
) -> None:
    app = create_app("testing", DATABASE_URL=database)
    try:
        _old_build(app, revisions, stamp)
        migrate.upgrade(app)
        assert _differences(app) == []
        with db.engine(app).connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            assert version == LANDED[-1][0]
        with app.app_context():
            from incubator.accounts.models import User

            assert db.session.scalars(select(User.name)).all() == ["Người dùng cũ"]
    finally:
        db.engine(app).dispose()


def test_a_database_this_chain_built_is_left_alone(database: str, monkeypatch) -> None:
    app = create_app("testing", DATABASE_URL=database)
    try:
        migrate.upgrade(app, "0012")
        restamped = []
        monkeypatch.setattr("alembic.command.stamp", lambda *args, **kw: restamped.append(args))
        migrate.upgrade(app)
        assert restamped == []
        assert _differences(app) == []
    finally:
        db.engine(app).dispose()
