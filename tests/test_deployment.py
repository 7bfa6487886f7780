"""The deployment files say the same as the app: compose.yaml, the Dockerfile, the systemd
units and the Caddyfile start the processes the app has (`init-db`, gunicorn on
`incubator:create_app()` with deploy/gunicorn.conf.py, `flask --app incubator worker`),
in the right order, with health checks on /healthz. The containers themselves cannot run
here (no image registry); docs/operations.md says what was tried.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from incubator import create_app

ROOT = Path(__file__).resolve().parent.parent
WEB = ["gunicorn", "-c", "deploy/gunicorn.conf.py", "--bind", "0.0.0.0:8000"]
APP = "incubator:create_app()"
WORKER = ["flask", "--app", "incubator", "worker"]
INIT_DB = ["flask", "--app", "incubator", "init-db"]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_runs_every_part(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"db", "redis", "s3", "bucket", "init-db", "web", "worker", "caddy"}
    assert services["web"]["command"] == [*WEB, APP]
    assert services["worker"]["command"] == WORKER
    assert services["init-db"]["command"] == INIT_DB
    assert "weed server" in services["s3"]["command"][0] and " -s3 " in services["s3"]["command"][0]
    for name in ("init-db", "web", "worker"):
        assert services[name]["build"] == "."
        assert services[name]["image"] == services["web"]["image"]


def test_the_app_has_the_commands_compose_runs() -> None:
    commands = create_app("testing").cli.list_commands(None)
    assert {"init-db", "worker"} <= set(commands)
    module, _, call = APP.partition(":")
    assert (module, call) == ("incubator", "create_app()")


def test_init_db_runs_once_before_web_and_worker(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["init-db"]["restart"] == "no"
    assert services["init-db"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "worker"):
        after = services[name]["depends_on"]
        assert after["init-db"]["condition"] == "service_completed_successfully"
        assert after["bucket"]["condition"] == "service_completed_successfully"
        assert after["redis"]["condition"] == "service_healthy"
    assert services["caddy"]["depends_on"]["web"]["condition"] == "service_healthy"


def test_health_checks_use_healthz(compose: dict[str, Any]) -> None:
    services = compose["services"]
    web = " ".join(services["web"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/healthz'" in web  # ready: the database, Redis, the bucket
    for name in ("db", "redis", "s3"):
        assert services[name]["healthcheck"]["test"]
    for name in ("init-db", "worker"):
        assert services[name]["healthcheck"] == {"disable": True}
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "health_uri /healthz?live" in caddyfile
    assert "/healthz?live" in (ROOT / "Dockerfile").read_text()


def test_data_lives_in_volumes(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "db:/var/lib/postgresql/data" in services["db"]["volumes"]
    assert "bucket:/data" in services["s3"]["volumes"]
    assert {"db", "bucket", "redis", "instance"} <= set(compose["volumes"])


def test_every_secret_compose_asks_for_is_in_env_example() -> None:
    required = set(re.findall(r"\$\{(\w+):\?", (ROOT / "compose.yaml").read_text()))
    assert {"POSTGRES_PASSWORD", "S3_ACCESS_KEY", "S3_SECRET_KEY"} <= required
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?(\w+)=", example, re.MULTILINE))
    assert required | {"SECRET_KEY"} <= listed


def test_the_image_is_built_from_the_wheel_and_runs_unprivileged() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert stages == ["debian:bookworm-slim", "debian:bookworm-slim"]
    assert "python -m build" in dockerfile and "/dist/*.whl" in dockerfile
    assert "libpango-1.0-0" in dockerfile
    assert re.search(r"^USER incubator$", dockerfile, re.MULTILINE)
    cmd = re.search(r"^CMD (.+)$", dockerfile, re.MULTILINE)
    assert cmd is not None and yaml.safe_load(cmd.group(1)) == [*WEB, APP]
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", "**/*.mo", ".env"} <= set(ignored)


def _exec_start(unit: str) -> list[str]:
    text = (ROOT / "deploy" / "systemd" / unit).read_text()
    (line,) = re.findall(r"^ExecStart=(.+)$", text, re.MULTILINE)
    return shlex.split(line)


def test_systemd_units_run_the_same_processes() -> None:
    web = _exec_start("incubator-web.service")
    assert Path(web[0]).name == "gunicorn" and web[-1] == APP
    assert web[1] == "-c" and web[2].endswith("gunicorn.conf.py")
    worker = _exec_start("incubator-worker.service")
    assert [Path(worker[0]).name, *worker[1:]] == WORKER
    text = (ROOT / "deploy" / "systemd" / "incubator-web.service").read_text()
    (pre,) = re.findall(r"^ExecStartPre=(.+)$", text, re.MULTILINE)
    pre_args = shlex.split(pre)
    assert [Path(pre_args[0]).name, *pre_args[1:]] == INIT_DB
