"""Alembic: upgrade head from empty gives exactly the models; down to base and up again works."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from incubator import create_app, migrate
from incubator.centers.models import Center
from incubator.db import db
from incubator.models import metadata
from tests.conftest import fresh_postgres_database, postgres_server_url


def _sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'migrations.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield _sqlite_url(tmp_path)
        return
    server = postgres_server_url()
    if not server:
        pytest.skip("PostgreSQL not configured: set TEST_DATABASE_URL to run this on PostgreSQL")
    with fresh_postgres_database(server) as url:
        yield url


def _differences(app) -> list:
    with db.engine(app).connect() as connection:
        dialect = connection.dialect.name

        def on_this_database(obj, _name, _kind, _reflected, _compare_to) -> bool:
            """What the models create on one database only (`ddl_if`) is compared there only."""
            only = getattr(obj, "_ddl_if", None)
            return only is None or only.dialect is None or only.dialect == dialect

        opts = {"compare_type": True, "include_object": on_this_database}
        context = MigrationContext.configure(connection, opts=opts)
        return compare_metadata(context, metadata)


def test_upgrade_head_from_empty_matches_the_models(empty_database: str) -> None:
    app = create_app("testing", DATABASE_URL=empty_database)
    try:
        migrate.upgrade(app)
        assert _differences(app) == []
        with app.app_context():
            codes = set(db.session.scalars(select(Center.code)))
        assert codes == {"BIIC", "SMIC"}
    finally:
        db.engine(app).dispose()


def test_downgrade_to_base_then_upgrade_again(empty_database: str) -> None:
    app = create_app("testing", DATABASE_URL=empty_database)
    try:
        migrate.upgrade(app)
        migrate.downgrade(app, "base")
        with db.engine(app).connect() as connection:
            left = set(inspect(connection).get_table_names()) - {"alembic_version"}
        assert left == set()
        migrate.upgrade(app)
        assert _differences(app) == []
        with db.engine(app).connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert version == _head()
    finally:
        db.engine(app).dispose()


def _head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(
        migrate.alembic_config(create_app("testing"))
    ).get_current_head()


def test_every_revision_downgrades_one_step(empty_database: str) -> None:
    """Each migration's downgrade undoes exactly its upgrade."""
    app = create_app("testing", DATABASE_URL=empty_database)
    try:
        migrate.upgrade(app)
        migrate.downgrade(app, "-1")
        migrate.upgrade(app)
        assert _differences(app) == []
    finally:
        db.engine(app).dispose()


def test_accounts_made_before_0004_count_as_confirmed(empty_database: str) -> None:
    """Email confirmation came with 0004: every account that existed already is confirmed."""
    app = create_app("testing", DATABASE_URL=empty_database)
    try:
        migrate.upgrade(app, "0003")
        with db.engine(app).begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (email, name, locale, active, created_at, password_hash)"
                    " VALUES ('old@example.test', 'Old', 'vi', :yes, :at, NULL),"
                    " ('older@example.test', 'Older', 'en', :yes, :at, 'x')"
                ),
                {"yes": True, "at": "2026-01-02 03:04:05"},
            )
        migrate.upgrade(app)
        with app.app_context():
            from incubator.accounts.models import User

            users = db.session.scalars(select(User)).all()
            assert len(users) == 2
            assert all(user.email_confirmed for user in users)
    finally:
        db.engine(app).dispose()


def test_bilingual_texts_keep_the_vietnamese_text(empty_database: str) -> None:
    """0006: descriptions and criteria move to their `_vi` columns; English starts empty."""
    app = create_app("testing", DATABASE_URL=empty_database)
    try:
        migrate.upgrade(app, "0005")
        with db.engine(app).begin() as connection:
            center = connection.execute(text("SELECT min(id) FROM centers")).scalar()
            connection.execute(
                text(
                    "INSERT INTO programs (id, center_id, name_vi, name_en, kind, description,"
                    " opens_at, closes_at, capacity, status, created_at) VALUES (1, :center,"
                    " 'Ươm tạo', 'Incubation', 'incubation', 'Sáu tháng', :opens, :closes, 5,"
                    " 'draft', :opens)"
                ),
                {"center": center, "opens": "2026-01-01 00:00:00+00", "closes": "2026-02-01"},
            )
            connection.execute(
                text(
                    "INSERT INTO rubric_criteria (program_id, position, name, description,"
                    " weight, max_score) VALUES (1, 0, 'Đội ngũ', 'Kinh nghiệm', 1, 5)"
                )
            )
        migrate.upgrade(app)
        with db.engine(app).connect() as connection:
            assert connection.execute(
                text("SELECT description_vi, description_en FROM programs")
            ).one() == ("Sáu tháng", "")
            assert connection.execute(
                text("SELECT name_vi, name_en, description_vi, description_en FROM rubric_criteria")
            ).one() == ("Đội ngũ", "", "Kinh nghiệm", "")
        migrate.downgrade(app, "0005")
        with db.engine(app).connect() as connection:
            assert connection.execute(
                text(
                    "SELECT p.description, c.name, c.description FROM programs p"
                    " JOIN rubric_criteria c ON c.program_id = p.id"
                )
            ).one() == ("Sáu tháng", "Đội ngũ", "Kinh nghiệm")
    finally:
        db.engine(app).dispose()


def test_a_database_with_data_goes_up_and_down(empty_database: str) -> None:
    """Rows that reference centers and applications do not stop later migrations (a batch
    rebuild of a referenced table fails on SQLite once there is data)."""
    app = create_app("testing", DATABASE_URL=empty_database)
    try:
        migrate.upgrade(app, "0002")
        with db.engine(app).begin() as connection:
            center = connection.execute(text("SELECT min(id) FROM centers")).scalar()
            connection.execute(
                text(
                    "INSERT INTO programs (id, center_id, name_vi, name_en, kind, description,"
                    " opens_at, closes_at, capacity, status, created_at) VALUES (1, :center,"
                    " 'Ươm tạo', 'Incubation', 'incubation', '', :at, :closes, 5, 'draft', :at)"
                ),
                {"center": center, "at": "2026-01-01 00:00:00", "closes": "2026-02-01 00:00:00"},
            )
            connection.execute(
                text(
                    "INSERT INTO startups (id, name, sector, description, website, trl,"
                    " team_size, created_at, updated_at)"
                    " VALUES (1, 'A', 'other', '', '', 1, 1, :at, :at)"
                ),
                {"at": "2026-01-01 00:00:00"},
            )
            connection.execute(
                text(
                    "INSERT INTO applications (id, startup_id, program_id, stage, problem,"
                    " solution, market, traction, team, created_at, updated_at) VALUES"
                    " (1, 1, 1, 'draft', '', '', '', '', '', :at, :at)"
                ),
                {"at": "2026-01-01 00:00:00"},
            )
        migrate.upgrade(app)
        with db.engine(app).connect() as connection:  # 0015 counted the applications there were
            stored = "SELECT program_id, stage, count FROM stage_counts"
            assert [tuple(row) for row in connection.execute(text(stored))] == [(1, "draft", 1)]
        migrate.downgrade(app, "0002")
        with db.engine(app).connect() as connection:
            counted = "SELECT (SELECT count(*) FROM programs), (SELECT count(*) FROM applications)"
            assert tuple(connection.execute(text(counted)).one()) == (1, 1)
    finally:
        db.engine(app).dispose()


OLD_ANSWERS = {
    "problem": "Nông dân thiếu nước tưới mùa khô.",
    "solution": "Cảm biến độ ẩm.",
    "market": "20.000 hộ trồng sầu riêng.",
    "traction": "",  # left blank: no answer row
    "team": "3 kỹ sư.",
}


def test_call_forms_keep_every_answer(empty_database: str) -> None:
    """0009: every program gets the default form, the six answers become answer rows that
    show under their sections and export in their CSV columns; downgrade restores them."""
    app = create_app("testing", DATABASE_URL=empty_database)
    try:
        migrate.upgrade(app, "0006")
        with db.engine(app).begin() as connection:
            center = connection.execute(text("SELECT min(id) FROM centers")).scalar()
            at = {"at": "2026-01-01 00:00:00+00", "closes": "2026-02-01 00:00:00+00"}
            connection.execute(
                text(
                    "INSERT INTO programs (id, center_id, name_vi, name_en, kind, description_vi,"
                    " description_en, opens_at, closes_at, capacity, status, created_at) VALUES"
                    " (1, :center, 'Ươm tạo', 'Incubation', 'incubation', '', '', :at, :closes,"
                    " 5, 'published', :at)"
                ),
                {"center": center, **at},
            )
            connection.execute(
                text(
                    "INSERT INTO startups (id, name, sector, description, website, trl, team_size,"
                    " created_at, updated_at) VALUES (1, 'Nông Trại Số', 'agritech', '', '', 3, 4,"
                    " :at, :at)"
                ),
                at,
            )
            connection.execute(
                text(
                    "INSERT INTO applications (id, startup_id, program_id, stage, problem,"
                    " solution, market, traction, team, funding_need_vnd, created_at, updated_at,"
                    " review_count) VALUES (1, 1, 1, 'submitted', :problem, :solution, :market,"
                    " :traction, :team, 1500000000, :at, :at, 0)"
                ),
                {**OLD_ANSWERS, **at},
            )
        migrate.upgrade(app)
        with app.test_request_context(headers={"Accept-Language": "en"}):
            from incubator.applications import answers
            from incubator.applications.lists import ranking_for
            from incubator.applications.models import Application
            from incubator.questions.services import form_of

            application = db.session.get(Application, 1)
            shown = {
                row.question.key: row.text
                for _section, rows in answers.answer_sections(application)
                for row in rows
            }
            assert shown == {**OLD_ANSWERS, "funding_need_vnd": "1.500.000.000 ₫"}
            form = form_of(application.program)
            assert [s.title for s in form.sections] == [
                "Project",
                "Market and traction",
                "Team",
                "Funding",
            ]
            spec = ranking_for(form, [])
            row = dict(zip(spec.csv_header(), spec.csv_row((application, 1)), strict=True))
            assert row["Problem"] == OLD_ANSWERS["problem"]
            assert row["Funding need (VND)"] == "1.500.000.000 ₫"
            assert row["Traction"] == ""
        migrate.downgrade(app, "0006")
        with db.engine(app).connect() as connection:
            restored = connection.execute(
                text(
                    "SELECT problem, solution, market, traction, team, funding_need_vnd"
                    " FROM applications"
                )
            ).one()
        assert restored == (*OLD_ANSWERS.values(), 1_500_000_000)
    finally:
        db.engine(app).dispose()
