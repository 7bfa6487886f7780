"""Settings: where links in emails point, and how `make run` listens."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from incubator import create_app
from incubator.db import db
from incubator.web import absolute_url

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def make_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("BASE_URL", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    monkeypatch.delenv("HOST", raising=False)
    apps: list[Flask] = []

    def make(config: str = "development", **environment: str) -> Flask:
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        app = create_app(config, DATABASE_URL=f"sqlite:///{tmp_path / 'config.db'}")
        apps.append(app)
        return app

    yield make
    for app in apps:
        db.engine(app).dispose()


def link(app: Flask, **request: Any) -> str:
    if request:
        with app.test_request_context(**request):
            return absolute_url("accounts.login")
    with app.app_context():
        return absolute_url("accounts.login")


def test_development_links_follow_the_port(make_app: Any) -> None:
    assert link(make_app(PORT="5811")) == "http://127.0.0.1:5811/login"
    assert link(make_app(PORT="")) == "http://127.0.0.1:5000/login"


def test_development_links_never_follow_the_host_header(make_app: Any) -> None:
    """`Host: attacker.example` gave a reset link to attacker.example: links come from the
    configured address (HOST, PORT), whatever the request says."""
    app = make_app(PORT="5811")
    assert link(app, base_url="http://attacker.example") == "http://127.0.0.1:5811/login"
    app = make_app(PORT="5811", HOST="192.168.1.20")
    assert link(app, base_url="http://attacker.example") == "http://192.168.1.20:5811/login"


def test_development_on_the_lan_links_to_this_machine(make_app: Any) -> None:
    """`HOST=0.0.0.0 make run`: a phone on the LAN gets links it can open (this machine's
    address, never 0.0.0.0)."""
    url = link(make_app(PORT="5811", HOST="0.0.0.0"))  # noqa: S104 (a setting, not bound)
    assert url.startswith("http://") and url.endswith(":5811/login")
    assert "0.0.0.0" not in url  # noqa: S104


def test_a_base_url_that_is_set_wins(make_app: Any) -> None:
    app = make_app(PORT="5811", BASE_URL="https://incubator.example.vn/")
    assert link(app, base_url="http://192.168.1.20:5811") == "https://incubator.example.vn/login"


def test_production_never_takes_links_from_the_request(make_app: Any) -> None:
    """The Host header is the client's: a reset link must not point where it says."""
    app = make_app(
        "production",
        SECRET_KEY="x" * 32,
        DATABASE_URL="sqlite://",
        BASE_URL="https://incubator.example.vn",
        MAIL_BACKEND="log",
    )
    assert link(app, base_url="http://evil.example") == "https://incubator.example.vn/login"


def make_dry_run(*arguments: str) -> str:
    """What `make` would run (-n: nothing is run)."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    return subprocess.run(  # noqa: S603 (our Makefile, fixed arguments)
        [make, "-n", *arguments], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def test_make_run_listens_on_host_and_port() -> None:
    dry_run = make_dry_run("run", "HOST=0.0.0.0", "PORT=5811")
    serve = next(line for line in dry_run.splitlines() if " run --host" in line)
    assert "--host 0.0.0.0 --port 5811" in serve
    assert "PORT=5811" in serve  # the app knows its port for the links in emails
    assert "HOST=0.0.0.0" in serve  # and its address
    assert "--host 127.0.0.1 --port 5000" in make_dry_run("run")
