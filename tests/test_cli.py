"""The flask commands a newcomer runs: init-db, seed-demo, create-user."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from incubator import create_app
from incubator.accounts.models import Role, User
from incubator.applications.models import Application
from incubator.applications.stages import Stage, replay
from incubator.db import db
from incubator.programs.models import Program
from incubator.reviews.models import Review
from incubator.reviews.scoring import summary

ROOT = Path(__file__).resolve().parent.parent


def fresh_app(tmp_path: Any) -> Any:
    return create_app(
        "testing", DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}", UPLOAD_DIR=tmp_path / "uploads"
    )


def test_init_db_then_seed_demo_fills_an_empty_database_once(tmp_path: Any) -> None:
    app = fresh_app(tmp_path)
    runner = app.test_cli_runner()
    try:
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        result = runner.invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            emails = set(db.session.scalars(select(User.email)))
            assert {
                "admin@incubator.test",
                "manager@biic.test",
                "manager@smic.test",
                "mentor@biic.test",
                "judge@biic.test",
                "founder@biic.test",
                "founder@smic.test",
            } <= emails
            mentor = db.session.scalar(select(User).where(User.email == "mentor@biic.test"))
            assert mentor.roles == {Role.MENTOR, Role.JUDGE}
            programs = db.session.scalars(select(Program)).all()
            assert {p.center.code for p in programs if p.is_open()} == {"BIIC", "SMIC"}
            assert {p.center.code for p in programs if not p.is_open()} == {"BIIC", "SMIC"}
            applications = db.session.scalars(select(Application)).all()
            assert {a.stage for a in applications} == set(Stage)  # every stage is shown
            assert len({a.startup_id for a in applications}) >= 12
            for application in applications:  # each history is one the app could have made
                history = [(t.from_stage, t.to_stage) for t in application.transitions]
                assert replay(history) is application.stage
                reviews = db.session.scalars(
                    select(Review).where(Review.application_id == application.id)
                ).all()
                stored = application.score_mean, application.review_count, application.score_spread
                assert stored == summary(application, list(reviews))  # the summary is kept
            assert sum(a.review_count for a in applications) > 0
        again = runner.invoke(args=["seed-demo"])
        assert again.exit_code != 0 and "already has users" in again.output
        assert runner.invoke(args=["seed-demo", "--if-empty"]).exit_code == 0
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Program)) == 4
    finally:
        db.engine(app).dispose()


def test_demo_logins_work(tmp_path: Any) -> None:
    app = fresh_app(tmp_path)
    runner = app.test_cli_runner()
    try:
        runner.invoke(args=["init-db"])
        runner.invoke(args=["seed-demo"])
        client = app.test_client()
        response = client.post(
            "/login", data={"email": "founder@biic.test", "password": "demo1234"}
        )
        assert response.status_code == 302
        assert 'id="panel-founder"' in client.get("/").get_data(as_text=True)
    finally:
        db.engine(app).dispose()


def test_create_user(tmp_path: Any) -> None:
    app = fresh_app(tmp_path)
    runner = app.test_cli_runner()
    try:
        runner.invoke(args=["init-db"])
        result = runner.invoke(
            args=["create-user", "ha@biic.test", "--role", "manager", "--center", "BIIC"],
            input="mat-khau-1\nmat-khau-1\n",
        )
        assert result.exit_code == 0, result.output
        with app.app_context():
            user = db.session.scalar(select(User).where(User.email == "ha@biic.test"))
            assert user.managed_center_id is not None and user.password_hash
        missing_center = runner.invoke(
            args=["create-user", "x@biic.test", "--role", "manager"],
            input="mat-khau-1\nmat-khau-1\n",
        )
        assert missing_center.exit_code != 0
        unknown_center = runner.invoke(
            args=["create-user", "y@biic.test", "--role", "manager", "--center", "HCM"],
            input="mat-khau-1\nmat-khau-1\n",
        )
        assert unknown_center.exit_code != 0 and "HCM" in unknown_center.output
    finally:
        db.engine(app).dispose()


def _flask(tmp_path: Any, *arguments: str) -> str:
    environment = {
        **os.environ,
        "INCUBATOR_INSTANCE": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "INCUBATOR_CONFIG": "development",
    }
    environment.pop("DATABASE_URL", None)
    done = subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-m", "flask", "--app", "incubator", *arguments],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    return done.stdout + done.stderr


def test_make_run_prints_the_migrations_once_and_nothing_of_alembic_otherwise(
    tmp_path: Any,
) -> None:
    """`make run` runs three commands; alembic's plugin lines used to fill each one."""
    migrating = _flask(tmp_path, "init-db")
    assert "setup plugin" not in migrating
    assert migrating.count("Running upgrade  -> 0001") == 1
    assert "alembic" not in _flask(tmp_path, "routes")
