"""Production guardrails: what a production configuration refuses, and what the app writes
is private to it."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from incubator import create_app
from incubator.accounts.models import User
from incubator.db import db

GOOD = {
    "SECRET_KEY": "k" * 32,
    "BASE_URL": "https://incubator.example.vn",
    "MAIL_SERVER": "smtp.example.vn",
}


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """Create a production app from these environment variables (GOOD, changed)."""
    for name in ("MAIL_BACKEND", "MAIL_SERVER", "BASE_URL", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    monkeypatch.setenv("SCHEDULER_ENABLED", "0")
    apps: list[Any] = []

    def make(**environment: str | None) -> Any:
        for name, value in {**GOOD, **environment}.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        app = create_app("production")
        apps.append(app)
        return app

    yield make
    for app in apps:
        db.engine(app).dispose()


def test_a_complete_production_configuration_starts(production: Any) -> None:
    app = production()
    assert app.config["PRODUCTION"] is True
    assert app.config["MAIL_TRANSPORT"] == "smtp"


def test_a_short_secret_key_is_refused(production: Any) -> None:
    with pytest.raises(RuntimeError, match="SECRET_KEY of at least 32"):
        production(SECRET_KEY="a")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        production(SECRET_KEY="k" * 31)
    assert production(SECRET_KEY="k" * 32)


def test_production_needs_a_base_url(production: Any) -> None:
    """Without it, links in emails pointed at 127.0.0.1:5000."""
    with pytest.raises(RuntimeError, match="BASE_URL"):
        production(BASE_URL=None)


def test_production_needs_a_mail_server_unless_the_log_is_chosen(production: Any) -> None:
    """Mail silently going to the log is a choice, never what a missing setting gives."""
    with pytest.raises(RuntimeError, match="MAIL_SERVER"):
        production(MAIL_SERVER=None)
    with pytest.raises(RuntimeError, match="MAIL_SERVER"):
        production(MAIL_SERVER=None, MAIL_BACKEND="smtp")
    app = production(MAIL_SERVER=None, MAIL_BACKEND="log")
    assert app.config["MAIL_TRANSPORT"] == "log"


def test_an_unknown_mail_backend_is_refused(production: Any) -> None:
    with pytest.raises(RuntimeError, match="MAIL_BACKEND"):
        production(MAIL_BACKEND="carrier-pigeon")


def test_seed_demo_refuses_a_production_database(production: Any) -> None:
    app = production()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code != 0
    assert "production" in refused.output and "--i-know-this-is-production" in refused.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
    done = runner.invoke(args=["seed-demo", "--i-know-this-is-production"])
    assert done.exit_code == 0, done.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) > 0


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_what_the_app_writes_is_private(tmp_path: Path) -> None:
    """Uploads, the SQLite file (and its WAL), the instance folder: 0600 files, 0700 folders
    (they were 0644 / 0755)."""
    from incubator.files import minimal_pdf, store_pdf

    before = os.umask(0o022)  # what a shell usually has
    try:
        instance = tmp_path / "instance"
        app = create_app(
            "testing",
            DATABASE_URL=f"sqlite:///{instance / 'incubator.db'}",
            UPLOAD_DIR=instance / "uploads",
        )
        try:
            runner = app.test_cli_runner()
            assert runner.invoke(args=["init-db"]).exit_code == 0
            with app.app_context():
                import io

                stored = store_pdf("decks", io.BytesIO(minimal_pdf("x")), "x.pdf", 10**6, "deck")
            written = [
                instance / "incubator.db",
                instance / "uploads" / "decks" / stored.name,
                *instance.glob("incubator.db-*"),
            ]
            for path in written:
                assert _mode(path) == 0o600, path
            for path in (instance, instance / "uploads", instance / "uploads" / "decks"):
                assert _mode(path) == 0o700, path
        finally:
            db.engine(app).dispose()
    finally:
        os.umask(before)


def test_create_user_refuses_a_common_or_short_password(tmp_path: Path) -> None:
    """`create-user` accepted `password` for an admin."""
    app = create_app("testing", DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}")
    try:
        runner = app.test_cli_runner()
        assert runner.invoke(args=["init-db"]).exit_code == 0
        for password in ("password", "password12", "short-1"):
            refused = runner.invoke(
                args=["create-user", "root@example.test", "--role", "admin"],
                input=f"{password}\n{password}\n",
            )
            assert refused.exit_code != 0, password
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(User)) == 0
        accepted = runner.invoke(
            args=["create-user", "root@example.test", "--role", "admin"],
            input="Vuon-uom-2026\nVuon-uom-2026\n",
        )
        assert accepted.exit_code == 0, accepted.output
    finally:
        db.engine(app).dispose()
